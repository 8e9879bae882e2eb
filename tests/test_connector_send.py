"""Sending built requests to a real HTTP server on 127.0.0.1: byte-exact, retried, never doubled.

The server (``ThreadingHTTPServer`` on port 0, HTTP/1.1 keep-alive) records every request's
method, raw request target, headers and body, and answers 503 or 429 a set number of times for
each distinct request before answering 200.  1,000 leads carry every string of the Big List of
Naughty Strings.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from mergefield.connector import load
from mergefield.connector.requests import HttpRequest, action_requests, event_request
from mergefield.connector.send import RetryPolicy, send, send_all

ROOT = Path(__file__).resolve().parents[1]
BLNS = Path(__file__).resolve().parents[2] / "shared" / "data" / "blns" / "blns.json"
SMS = ROOT / "examples" / "connectors" / "sms.json"


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Behaviour:
    """How many times each distinct request is refused, and with what."""

    failures: int = 0
    status: int = 503
    retry_after: str | None = None
    seen: list[Seen] = field(default_factory=list)
    counts: Counter[tuple[str, bytes]] = field(default_factory=Counter)
    successes: Counter[tuple[str, bytes]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def answer(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            key = (self.path, body)
            with behaviour.lock:
                behaviour.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                behaviour.counts[key] += 1
                refuse = behaviour.counts[key] <= behaviour.failures
                if not refuse:
                    behaviour.successes[key] += 1
            status = behaviour.status if refuse else 200
            payload = b'{"ok": true}' if not refuse else b"{}"
            self.send_response(status)
            if refuse and behaviour.retry_after is not None:
                self.send_header("Retry-After", behaviour.retry_after)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = answer
        do_POST = answer

    return Handler


class Server(ThreadingHTTPServer):
    """The standard threading server with a deep accept queue: with the default of 5, a loaded
    machine let connections expire in the queue and reset them under the client's feet."""

    request_queue_size = 128


@pytest.fixture
def server() -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour()
    httpd = Server(("127.0.0.1", 0), make_handler(behaviour))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", behaviour
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def local(connector_text: str, base: str) -> str:
    return connector_text.replace("https://sms.example.com", base)


def adversarial_leads(n: int) -> list[dict[str, object]]:
    strings: list[str] = json.loads(BLNS.read_text("utf-8"))
    leads: list[dict[str, object]] = []
    for i in range(n):
        pick = [strings[(i * k + k) % len(strings)] for k in (1, 3, 7, 11)]
        leads.append(
            {
                "EmailAddress": f"lead-{i}@example.com",  # makes every request distinct
                "Mobile": pick[0],
                "FirstName": pick[1],
                "Company": pick[2],
                "Score": pick[3] if i % 2 else i,
            }
        )
    return leads


def load_local(tmp_path: Path, base: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "sms.json"
    path.write_text(local(SMS.read_text("utf-8"), base), "utf-8")
    return load(path)


def assert_arrived_exactly(built: list[HttpRequest], behaviour: Behaviour) -> None:
    by_key = {(r.target, r.body): r for r in built}
    assert len(by_key) == len(built)
    for seen in behaviour.seen:
        request = by_key[(seen.target, seen.body)]
        assert seen.method == request.method
        assert seen.headers["Content-Type"] == "application/json"
        assert int(seen.headers["Content-Length"]) == len(request.body)


@pytest.mark.slow
def test_1000_adversarial_leads_arrive_byte_exact_with_retries(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    base, behaviour = server
    behaviour.failures = 2
    connector = load_local(tmp_path, base)
    built = action_requests(
        connector,
        "Send Bulk SMS",
        adversarial_leads(1000),
        User={"EmailAddress": "ann@example.com"},
        Account={"ShortCode": "org 42"},
    )
    assert len(built) == 1000
    started = time.monotonic()
    results = send_all(
        built,
        concurrency=16,
        timeout=5.0,
        retry=RetryPolicy(attempts=3, backoff=0.001, max_backoff=0.01),
    )
    assert time.monotonic() - started < 20
    assert [r.request for r in results] == built
    assert all(r.ok and r.status == 200 and r.attempts == 3 for r in results), [
        r for r in results if not r.ok
    ][:3]
    assert len(behaviour.seen) == 3000
    assert_arrived_exactly(built, behaviour)
    # Each request was refused twice and accepted once; nothing was sent after its success.
    assert set(behaviour.counts.values()) == {3}
    assert set(behaviour.successes.values()) == {1}
    assert len(behaviour.successes) == 1000


def test_retries_stop_at_the_bound_and_report_the_last_status(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    base, behaviour = server
    behaviour.failures = 10
    behaviour.status = 429
    behaviour.retry_after = "0"
    connector = load_local(tmp_path, base)
    request = event_request(connector, "installation", User={"UserId": "u"})
    result = send(request, retry=RetryPolicy(attempts=4, backoff=0.001))
    assert (result.status, result.attempts, result.ok) == (429, 4, False)
    assert len(behaviour.seen) == 4


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(backoff=0.5, max_backoff=2.0, jitter=False)
    assert policy.delay(1, None) == 0.5
    assert policy.delay(3, None) == 2.0
    assert policy.delay(1, "1") == 1.0
    assert policy.delay(1, "3600") == 2.0
    assert policy.delay(2, "Wed, 21 Oct 2015 07:28:00 GMT") == 1.0


def test_a_success_is_never_retried_and_4xx_is_final(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    base, behaviour = server
    behaviour.failures = 1
    behaviour.status = 404
    connector = load_local(tmp_path, base)
    request = event_request(connector, "enable", User={"UserId": "u"}, Account={"ShortCode": "o"})
    result = send(request, retry=RetryPolicy(attempts=5, backoff=0.001))
    assert (result.status, result.attempts) == (404, 1)
    again = send(request, retry=RetryPolicy(attempts=5, backoff=0.001))
    assert (again.status, again.attempts, again.ok, again.body) == (200, 1, True, b'{"ok": true}')
    assert len(behaviour.seen) == 2
    assert behaviour.seen[0].method == "GET" and behaviour.seen[0].body == b""


def test_connection_refused_is_retried_then_reported() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    request = HttpRequest("POST", f"http://127.0.0.1:{port}/x", (), b"{}", "")
    waits: list[float] = []
    result = send(request, retry=RetryPolicy(attempts=3, backoff=0.01), sleep=waits.append)
    assert result.status is None and result.attempts == 3 and "ConnectError" in (result.error or "")
    assert len(waits) == 2


def test_a_read_timeout_is_not_retried(server) -> None:  # type: ignore[no-untyped-def]
    base, _ = server

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    request = HttpRequest("POST", f"{base}/x", (), b"{}", "")
    result = send(request, client=client, retry=RetryPolicy(attempts=5, backoff=0.001))
    assert (result.attempts, result.status) == (1, None)
    assert "ReadTimeout" in (result.error or "")


def test_a_target_httpx_would_rewrite_is_not_sent(server) -> None:  # type: ignore[no-untyped-def]
    base, behaviour = server
    request = HttpRequest("GET", f"{base}/a/../b", (), b"", "")  # not built by us: not canonical
    result = send(request)
    assert result.attempts == 0 and "would send the target" in (result.error or "")
    assert behaviour.seen == []
