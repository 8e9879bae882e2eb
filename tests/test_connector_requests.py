"""Building a connector's HTTP requests: events, grid actions per lead, automations, URL form."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

# Extras this module needs: without them it is skipped, not a collection error.
pytest.importorskip("httpx")
pytest.importorskip("jsonschema")
pytest.importorskip("PIL")

import httpx

from mergefield.connector import load
from mergefield.connector.requests import (
    HttpRequest,
    RequestError,
    action_requests,
    action_urls,
    automation_request,
    canonical_url,
    event_request,
)

SMS = Path(__file__).resolve().parents[1] / "examples" / "connectors" / "sms.json"
JSON = (("Content-Type", "application/json"),)
USER = {"UserId": "u-7", "EmailAddress": "ann@example.com", "FirstName": "Ann", "LastName": "Lee"}
ACCOUNT = {"ShortCode": "org 42"}


@pytest.fixture(scope="module")
def sms():  # type: ignore[no-untyped-def]
    return load(SMS)


def test_installation_event_is_an_exact_post(sms) -> None:  # type: ignore[no-untyped-def]
    r = event_request(sms, "installation", User=USER, Account=ACCOUNT)
    assert r == HttpRequest(
        "POST",
        "https://sms.example.com/lsq/events/install?org=org%2042",
        JSON,
        b'{"org": "org 42", "userId": "u-7", "email": "ann@example.com", "name": "Ann Lee", '
        b'"accessKey": "", "secretKey": ""}',
        "/events/installation",
    )
    assert r.target == "/lsq/events/install?org=org%2042"


def test_get_events_send_no_body(sms) -> None:  # type: ignore[no-untyped-def]
    r = event_request(sms, "disable", User=USER, Account=ACCOUNT)
    assert (r.method, r.body, r.headers) == ("GET", b"", JSON)
    assert r.url == "https://sms.example.com/lsq/events/disable?org=org%2042&user=u-7"


def test_bulk_action_gives_one_request_per_lead_in_order(sms) -> None:  # type: ignore[no-untyped-def]
    leads = [
        {"Mobile": "+1 555 0100", "FirstName": 'Jo "JJ"', "Score": 12, "EmailAddress": "jo@x"},
        {"Mobile": None, "Score": "n/a"},
        {},
    ]
    built = action_requests(sms, "Send Bulk SMS", iter(leads), User=USER, Account=ACCOUNT)
    assert len(built) == 3
    first = json.loads(built[0].body)
    assert first == {
        "to": "+1 555 0100",
        "text": 'Hi Jo "JJ", thanks for your interest in our offer.',
        "score": 12,
        "sender": "ann@example.com",
    }
    assert json.loads(built[1].body)["score"] == "n/a"  # lax: a non-number stays a string
    assert json.loads(built[2].body)["score"] == 0
    assert parse_qs(urlsplit(built[0].url).query)["lead"] == ["jo@x"]
    assert all(r.origin == "/grid_actions/1" and r.method == "POST" for r in built)


def test_actions_found_by_index_label_or_object(sms) -> None:  # type: ignore[no-untyped-def]
    a = action_requests(sms, 1, [{}])
    assert action_requests(sms, sms.grid_actions[1], [{}]) == a
    with pytest.raises(RequestError, match="not call_api"):
        action_requests(sms, "Send SMS", [{}])
    with pytest.raises(RequestError, match="no grid action"):
        action_requests(sms, "Nope", [{}])
    with pytest.raises(RequestError, match="number 9"):
        action_requests(sms, 9, [{}])


def test_popup_and_new_window_urls(sms) -> None:  # type: ignore[no-untyped-def]
    urls = action_urls(sms, "Send SMS", [{"Mobile": "+91 98 7654", "FirstName": "Zoë"}], User=USER)
    query = parse_qs(urlsplit(urls[0]).query)
    assert query["to"] == ["+91 98 7654"] and query["name"] == ["Zoë"]
    (new_window,) = action_urls(sms, 2, [{"EmailAddress": "a&b@x"}], Account=ACCOUNT)
    assert parse_qs(urlsplit(new_window).query)["lead"] == ["a&b@x"]
    with pytest.raises(RequestError):
        action_urls(sms, "Send Bulk SMS", [{}])


def test_automation_execution_is_a_post(sms) -> None:  # type: ignore[no-untyped-def]
    r = automation_request(
        sms,
        "Send SMS",
        Automation={"ActionId": "act/1"},
        AutomationId={"ProcessDefinitionId": "pd-9"},
        User=USER,
        Account=ACCOUNT,
    )
    assert r.method == "POST" and r.url.endswith("/execute?action=act%2F1")
    assert json.loads(r.body) == {
        "actionId": "act/1",
        "processDefinitionId": "pd-9",
        "org": "org 42",
        "user": "u-7",
    }


def test_unknown_or_missing_events(sms) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    with pytest.raises(RequestError, match="unknown event"):
        event_request(sms, "install")
    bare = dataclasses.replace(sms, events=None)
    with pytest.raises(RequestError, match="no enable event"):
        event_request(bare, "enable")


def test_a_method_the_portal_refuses_is_never_built(sms) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    put = dataclasses.replace(sms.grid_actions[1], method="PUT")
    broken = dataclasses.replace(sms, grid_actions=(put,))
    with pytest.raises(RequestError, match="GET or POST"):
        action_requests(broken, 0, [{}])


def test_canonical_url_removes_dot_segments_and_encodes_literals() -> None:
    assert (
        canonical_url("https://h/a/./b/../c d/é?x=<y>#f") == "https://h/a/c%20d/%C3%A9?x=%3Cy%3E#f"
    )
    assert canonical_url("https://h/a/..") == "https://h/"
    assert canonical_url("https://h") == "https://h"
    assert canonical_url("https://h?q=/../x") == "https://h?q=/../x"
    assert canonical_url("https://h/%zz/%41") == "https://h/%zz/%41"


@given(st.text(max_size=40))
def test_what_is_built_is_what_httpx_puts_on_the_wire(tail: str) -> None:
    url = canonical_url("http://127.0.0.1:1/" + tail)
    if "#" in url:
        url = url[: url.index("#")]
    r = HttpRequest("GET", url, JSON, b"", "")
    assert httpx.URL(url).raw_path == r.target.encode("ascii")
