"""Tests of the named encoders: exact outputs per transform, round-trip properties, URL safety.

The exact tables pin what the compiled core must reproduce; the hypothesis properties run over
arbitrary text including astral characters and lone surrogates, and over every string of the Big
List of Naughty Strings; the whole-URL tests try to smuggle ``javascript:``, ``data:`` and
``vbscript:`` past the scheme check in every way a browser would still accept.
"""

from __future__ import annotations

import html
import json
import pickle
import re
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mergefield import PreEncoded
from mergefield._contract import Step
from mergefield.encoding import (
    ENCODERS,
    TRANSFORMS,
    UNSAFE_URL_FAILSAFE,
    Encoder,
    UnencodableValue,
    apply_step,
    encode,
    encoder_table_markdown,
    escape_json_string,
)
from mergefield.errors import MergefieldError
from mergefield.strategies import blns

# The Big List of Naughty Strings (MIT), as the package ships it.
BLNS: list[str] = list(blns())

# st.text() leaves out surrogates by default; a Python str can hold them, so values can too.
ANY_CHAR = st.characters(exclude_categories=())
ANY_TEXT = st.one_of(st.text(), st.text(ANY_CHAR), st.sampled_from(BLNS))
SURROGATE = re.compile("[\ud800-\udfff]")
TEXT, PERCENT, FORM, HTML = Step.TEXT, Step.PERCENT, Step.FORM, Step.HTML
JSON_STRING, JSON_QUOTED, WHOLE_URL = Step.JSON_STRING, Step.JSON_QUOTED, Step.WHOLE_URL

URL_PARTS = ("url_host", "url_path", "url_query", "url_fragment")
JSON_URL_PARTS = tuple("json_" + name for name in URL_PARTS)
LAX_ONLY = tuple(name for name in ENCODERS if name not in ("json_string", "json_value"))


def fixed(value: str) -> str:
    """What a non-JSON transform makes of lone surrogates in lax mode."""
    return SURROGATE.sub("\ufffd", value)


def json_read(value: str) -> str:
    """What a JSON parser reads back: adjacent high+low surrogates pair into one character."""
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


# --- the registry ---------------------------------------------------------------------------


def test_encoder_names_and_pipelines() -> None:
    assert {name: enc.steps for name, enc in ENCODERS.items()} == {
        "text": (TEXT,),
        "html": (HTML,),
        "html_attr": (HTML,),
        "html_url": (WHOLE_URL, HTML),
        "html_url_host": (PERCENT, HTML),
        "html_url_path": (PERCENT, HTML),
        "html_url_query": (PERCENT, HTML),
        "html_url_fragment": (PERCENT, HTML),
        "form": (FORM,),
        "url": (WHOLE_URL,),
        "url_host": (PERCENT,),
        "url_path": (PERCENT,),
        "url_query": (PERCENT,),
        "url_fragment": (PERCENT,),
        "json_string": (JSON_STRING,),
        "json_value": (JSON_QUOTED,),
        "json_url": (WHOLE_URL, JSON_STRING),
        "json_url_host": (PERCENT, JSON_STRING),
        "json_url_path": (PERCENT, JSON_STRING),
        "json_url_query": (PERCENT, JSON_STRING),
        "json_url_fragment": (PERCENT, JSON_STRING),
    }
    # One numbering for the policy and the cores: no two steps share an id.
    assert len({int(step) for step in Step}) == len(Step)
    assert set(TRANSFORMS) == set(Step) - {Step.POLICY, Step.JSON_NUMBER}
    assert all(enc.name == name and enc.safe and enc.position for name, enc in ENCODERS.items())


def test_registry_is_read_only_and_encoders_are_frozen() -> None:
    with pytest.raises(TypeError):
        ENCODERS["text"] = ENCODERS["html"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        ENCODERS["text"].steps = (HTML,)  # type: ignore[misc]


def test_encoders_pickle() -> None:
    for enc in ENCODERS.values():
        copy = pickle.loads(pickle.dumps(enc))
        assert copy == enc
        assert copy("a b<") == enc("a b<")


def test_unknown_names_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown encoder 'nope'; known encoders: text, html"):
        encode("nope", "x")
    with pytest.raises(ValueError, match="unknown transform id 9"):
        apply_step(9, "x")
    with pytest.raises(ValueError, match="names unknown transform 9"):
        Encoder(name="bad", steps=(9,), safe="")


def test_unencodable_value_is_a_mergefield_value_error() -> None:
    assert issubclass(UnencodableValue, MergefieldError)
    assert issubclass(UnencodableValue, ValueError)


# --- exact outputs ----------------------------------------------------------------------------

EXACT = [
    ("text", "Tom & <b>\"'", "Tom & <b>\"'"),
    ("text", "a\ud800b", "a\ufffdb"),
    ("text", "😀 \x00\n", "😀 \x00\n"),
    ("html", "Tom & <b>\"'", "Tom &amp; &lt;b&gt;&#34;&#39;"),
    ("html", "&amp;", "&amp;amp;"),
    ("html", "é😀\x00\u2028", "é😀\x00\u2028"),
    ("html", "\udfff<", "\ufffd&lt;"),
    ("form", "a b&c=d+e/f?g~h*i", "a+b%26c%3Dd%2Be%2Ff%3Fg~h%2Ai"),
    ("form", "é😀", "%C3%A9%F0%9F%98%80"),
    ("form", "\ud800", "%EF%BF%BD"),
    ("url_query", "a b&c=d+e/f?g~h*i", "a%20b%26c%3Dd%2Be%2Ff%3Fg~h%2Ai"),
    ("url_path", "A-Z.a_z~0-9", "A-Z.a_z~0-9"),
    ("url_host", "é😀", "%C3%A9%F0%9F%98%80"),
    ("url_fragment", "#%41\x00\x7f", "%23%2541%00%7F"),
    ("url_query", "a\ud83d\ude00", "a%EF%BF%BD%EF%BF%BD"),
    ("json_string", 'a"b\\c/d', 'a\\"b\\\\c/d'),
    (
        "json_string",
        "\x00\x01\x08\x09\x0a\x0c\x0d\x1f\x7f",
        "\\u0000\\u0001\\b\\t\\n\\f\\r\\u001f\x7f",
    ),
    ("json_string", "\u2028\u2029é😀", "\\u2028\\u2029é😀"),
    ("json_string", "\ud800x\udfff", "\\ud800x\\udfff"),
    ("json_string", "<script></script>&'", "<script></script>&'"),
    ("json_value", 'Tom "T"\n', '"Tom \\"T\\"\\n"'),
    ("json_url_query", 'a "b"&\\', "a%20%22b%22%26%5C"),
    ("json_url_path", "é", "%C3%A9"),
    ("url", "https://x.test/a b/é?q=1&r=%41#f g", "https://x.test/a%20b/%C3%A9?q=1&r=%41#f%20g"),
    ("url", "HTTP://X.test", "HTTP://X.test"),
    ("url", "mailto:a@b.test?subject=Hi there", "mailto:a@b.test?subject=Hi%20there"),
    ("url", "/relative/path?x=[1]", "/relative/path?x=[1]"),
    ("url", "//cdn.test/x", "//cdn.test/x"),
    ("url", "rel:ative/x", UNSAFE_URL_FAILSAFE),
    ("url", "./rel:ative", "./rel:ative"),
    ("url", "", ""),
    ("url", "100%", "100%25"),
    ("url", "%zz%4%41%e9", "%25zz%254%41%e9"),
    ("url", 'a"<>\\^`{|}', "a%22%3C%3E%5C%5E%60%7B%7C%7D"),
    ("url", ":/?#[]@!$&'()*+,;=", UNSAFE_URL_FAILSAFE),
    ("url", "x/:/?#[]@!$&'()*+,;=", "x/:/?#[]@!$&'()*+,;="),
    ("url", "https://x.test/\t\n\x00\x7f", "https://x.test/%09%0A%00%7F"),
    ("url", "https://x.test/\ud800", "https://x.test/%EF%BF%BD"),
    ("url", "javascript:alert(1)", UNSAFE_URL_FAILSAFE),
    ("url", "ftp://x.test/", UNSAFE_URL_FAILSAFE),
    ("url", "tel:+15551234", UNSAFE_URL_FAILSAFE),
    ("json_url", 'https://x.test/"q"', "https://x.test/%22q%22"),
    ("json_url", "data:text/html,x", UNSAFE_URL_FAILSAFE),
]


@pytest.mark.parametrize(("name", "value", "expected"), EXACT)
def test_exact_outputs(name: str, value: str, expected: str) -> None:
    assert encode(name, value) == expected
    assert ENCODERS[name](value) == expected


@pytest.mark.parametrize(("name", "value", "expected"), EXACT)
def test_steps_compose_to_the_encoder(name: str, value: str, expected: str) -> None:
    out = value
    for step in ENCODERS[name].steps:
        out = apply_step(step, out)
    assert out == expected


def test_escape_json_string_is_the_json_string_step() -> None:
    assert escape_json_string('"\u2028\ud800') == '\\"\\u2028\\ud800'
    assert apply_step(JSON_STRING, '"\u2028\ud800') == '\\"\\u2028\\ud800'


def test_failsafe_is_inert_and_well_formed() -> None:
    parts = urlsplit(UNSAFE_URL_FAILSAFE)
    assert parts.scheme == "about"
    assert encode("url", UNSAFE_URL_FAILSAFE) == UNSAFE_URL_FAILSAFE
    assert encode("json_url", UNSAFE_URL_FAILSAFE) == UNSAFE_URL_FAILSAFE


# --- strict mode ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LAX_ONLY)
def test_strict_refuses_lone_surrogates(name: str) -> None:
    with pytest.raises(UnencodableValue, match=r"lone surrogate U\+D800 at index 1"):
        encode(name, "a\ud800", strict=True)


@pytest.mark.parametrize("name", ["json_string", "json_value"])
def test_strict_json_escapes_lone_surrogates(name: str) -> None:
    assert "\\ud800" in encode(name, "a\ud800", strict=True)


def test_strict_refuses_unsafe_url_schemes() -> None:
    with pytest.raises(UnencodableValue, match=r"URL scheme 'javascript' is not allowed"):
        encode("url", "javascript:alert(1)", strict=True)
    with pytest.raises(UnencodableValue, match=r"URL scheme 'vbscript' is not allowed"):
        encode("json_url", "vbscript:x", strict=True)
    with pytest.raises(UnencodableValue, match=r"URL scheme '%20data' is not allowed"):
        encode("url", " data:x", strict=True)
    assert encode("url", "https://x.test/", strict=True) == "https://x.test/"


@settings(max_examples=500)
@given(ANY_TEXT)
def test_strict_equals_lax_when_it_does_not_raise(value: str) -> None:
    for name, enc in ENCODERS.items():
        try:
            out = enc(value, strict=True)
        except UnencodableValue:
            assert SURROGATE.search(value) or enc(value) == UNSAFE_URL_FAILSAFE, name
        else:
            assert out == enc(value), name


# --- pre-encoded values -------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ENCODERS))
def test_pre_encoded_values_pass_unchanged(name: str) -> None:
    value = PreEncoded('a&b <c> "d" javascript:x')
    out = encode(name, value, strict=True)
    assert out == value
    assert out is value


def test_plain_str_subclasses_are_encoded() -> None:
    class Tagged(str):
        pass

    assert encode("html", Tagged("<")) == "&lt;"


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=2000)
@given(ANY_TEXT)
@example("\ud800")
@example("\ud83d\ude00")
def test_percent_is_quote_and_round_trips(value: str) -> None:
    for name in (*URL_PARTS, "form"):
        out = encode(name, value)
        assert out.isascii(), name
        assert re.fullmatch(r"(?:[A-Za-z0-9._~+-]|%[0-9A-F]{2})*", out), name
    out = encode("url_query", value)
    assert out == quote(fixed(value), safe="")
    assert unquote(out, errors="strict") == fixed(value)
    assert all(encode(name, value) == out for name in URL_PARTS)


def test_percent_and_form_on_every_ascii_and_latin1_character() -> None:
    for code in range(256):
        char = chr(code)
        assert encode("url_query", char) == quote(char, safe=""), code
        assert encode("url_query", "a" + char * 2) == quote("a" + char * 2, safe=""), code
        assert encode("form", char) == quote_plus(char, safe=""), code


@settings(max_examples=2000)
@given(ANY_TEXT)
def test_form_is_quote_plus_and_round_trips(value: str) -> None:
    out = encode("form", value)
    assert out == quote_plus(fixed(value), safe="")
    assert " " not in out
    assert unquote_plus(out, errors="strict") == fixed(value)


@pytest.mark.slow
@settings(max_examples=2000)
@given(ANY_TEXT)
@example("&amp;<>\"'")
def test_html_escapes_every_special_and_round_trips(value: str) -> None:
    out = encode("html", value)
    assert not set(out) & set("<>\"'")
    assert re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;|&#34;|&#39;)*", out, flags=re.DOTALL)
    assert html.unescape(out) == fixed(value)


@pytest.mark.slow
@settings(max_examples=2000)
@given(ANY_TEXT)
@example("\ud83d\ude00\ud800\udc00\udfff\ud800")
@example("\x00\x1f\x7f\u2028\u2029")
def test_json_string_parses_back(value: str) -> None:
    out = encode("json_string", value)
    assert json.loads('"' + out + '"') == json_read(value)
    out.encode("utf-8")  # no raw surrogate is left
    assert not re.search("[\x00-\x1f\u2028\u2029]", out)
    assert json.loads(encode("json_value", value)) == json_read(value)


@pytest.mark.slow
@settings(max_examples=2000)
@given(ANY_TEXT)
def test_json_url_encoders_parse_back_to_the_url_encoding(value: str) -> None:
    for part in URL_PARTS:
        assert json.loads('"' + encode("json_" + part, value) + '"') == encode(part, value)
    assert json.loads('"' + encode("json_url", value) + '"') == encode("url", value)


@pytest.mark.slow
@settings(max_examples=2000)
@given(ANY_TEXT)
def test_text_only_replaces_surrogates(value: str) -> None:
    assert encode("text", value) == fixed(value)


@pytest.mark.parametrize("value", BLNS)
def test_blns(value: str) -> None:
    assert unquote(encode("url_query", value)) == fixed(value)
    assert unquote_plus(encode("form", value)) == fixed(value)
    assert html.unescape(encode("html", value)) == fixed(value)
    assert json.loads('"' + encode("json_string", value) + '"') == json_read(value)
    assert json.loads(encode("json_value", value)) == json_read(value)
    for part in JSON_URL_PARTS:
        assert unquote(json.loads('"' + encode(part, value) + '"')) == fixed(value)
    url = encode("url", value)
    assert url == UNSAFE_URL_FAILSAFE or "%" in value or unquote(url) == fixed(value)
    assert_not_dangerous(url)


# --- whole-URL safety ---------------------------------------------------------------------

DANGEROUS = frozenset({"javascript", "data", "vbscript"})
C0_AND_SPACE = "".join(map(chr, range(0x21)))
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def browser_views(url: str) -> list[str]:
    """The URL as a browser's URL parser sees it, raw and after HTML attribute decoding."""
    views = []
    for text in (url, html.unescape(url)):
        views.append(text.strip(C0_AND_SPACE).replace("\t", "").replace("\n", "").replace("\r", ""))
    return views


def assert_not_dangerous(url: str) -> None:
    assert url.isascii() and url.isprintable() and " " not in url
    for view in browser_views(url):
        match = SCHEME.match(view)
        assert match is None or match.group(1).lower() not in DANGEROUS, (url, view)
        try:
            scheme = urlsplit(view).scheme
        except ValueError:  # an unbalanced "[" in the host: urllib refuses, the scheme is above
            continue
        assert scheme.lower() not in DANGEROUS, (url, view)


JUNK = ["\t", "\n", "\r", "\x00", " ", "\x01", "\x0b", "\x0c", "\x1f", "\u00a0", "\ufeff", "\u200b"]
COLONS = [
    ":",
    "&#58;",
    "&#x3a;",
    "&#X3A;",
    "&colon;",
    "&#0000058;",
    "&#58",
    "%3A",
    "\uff1a",
    "&#x3A",
]
ENTITY_FOR = {
    "j": ["&#106;", "&#x6a;", "&#X6A"],
    "a": ["&#97;", "&#x61;"],
    "d": ["&#100;"],
    "v": ["&#118;"],
    "t": ["&#116;", "&Tab;t"],
}


@st.composite
def hostile_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(sorted(DANGEROUS)))
    out = draw(st.text(st.sampled_from(JUNK), max_size=3))
    for char in scheme:
        choice = draw(st.integers(0, 5))
        if choice == 0:
            out += char.upper()
        elif choice == 1:
            out += draw(st.sampled_from(JUNK)) + char
        elif choice == 2 and char in ENTITY_FOR:
            out += draw(st.sampled_from(ENTITY_FOR[char]))
        elif choice == 3:
            out += draw(st.sampled_from(["&Tab;", "&NewLine;", "&#9;", "&#x0a;", "&#13;"])) + char
        else:
            out += char
    out += draw(st.sampled_from([*JUNK, ""])) + draw(st.sampled_from(COLONS))
    return (
        out
        + draw(st.sampled_from(["alert(1)", "//x", "text/html,<script>", ""]))
        + draw(st.text(ANY_CHAR, max_size=5))
    )


ADVERSARIAL = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "\x00javascript:alert(1)",
    "\x01\x02 \tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java\rscript:alert(1)",
    "java\x00script:alert(1)",
    "javascript\t:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "jav&Tab;ascript:alert(1)",
    "javascript&colon;alert(1)",
    "javascript&#58;alert(1)",
    "javascript&#x3A;alert(1)",
    "javascript&#0000058alert(1)",
    "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)",
    "&#x6A;avascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "VbScRiPt:msgbox(1)",
    "\ufeffjavascript:alert(1)",
    "\u00a0javascript:alert(1)",
    "javascript\uff1aalert(1)",
    "%6Aavascript:alert(1)",
    "javascript%3Aalert(1)",
    "\\\\javascript:alert(1)",
    "javascript://%0Aalert(1)",
    "javascript:/x/?#",
]


@pytest.mark.parametrize("value", ADVERSARIAL)
@pytest.mark.parametrize("name", ["url", "json_url"])
def test_adversarial_urls_never_survive(name: str, value: str) -> None:
    out = encode(name, value)
    assert_not_dangerous(json.loads('"' + out + '"') if name == "json_url" else out)


def test_plain_dangerous_schemes_give_the_failsafe() -> None:
    for value in ADVERSARIAL[:22]:
        assert encode("url", value) == UNSAFE_URL_FAILSAFE, value


@pytest.mark.slow
@settings(max_examples=2000)
@given(st.one_of(hostile_urls(), ANY_TEXT))
def test_whole_url_never_yields_a_dangerous_scheme(value: str) -> None:
    out = encode("url", value)
    assert_not_dangerous(out)
    assert encode("json_url", value) == out  # the output never holds `"`, `\` or controls
    if out != UNSAFE_URL_FAILSAFE and "%" not in value:
        assert unquote(out) == fixed(value)


@pytest.mark.slow
@settings(max_examples=2000)
@given(
    st.sampled_from(["http", "https", "mailto", "HTTP", "hTtPs", "MailTo"]),
    st.text(ANY_CHAR),
)
def test_allowed_schemes_pass_and_round_trip(scheme: str, rest: str) -> None:
    value = scheme + ":" + rest
    out = encode("url", value)
    assert out.startswith(scheme + ":")
    if "%" not in rest:
        assert unquote(out) == fixed(value)


@pytest.mark.slow
@settings(max_examples=1000)
@given(st.text(st.characters(exclude_characters=":/?#", exclude_categories=())))
def test_relative_urls_pass(value: str) -> None:
    out = encode("url", value)
    if "&" not in value:
        assert out != UNSAFE_URL_FAILSAFE
    assert_not_dangerous(out)


# --- the README table -----------------------------------------------------------------------


def test_encoder_table_markdown() -> None:
    table = encoder_table_markdown()
    lines = table.splitlines()
    assert lines[0] == "| encoder | position | left as is (exact safe set) | example |"
    assert lines[1] == "|---|---|---|---|"
    assert len(lines) == 2 + len(ENCODERS)
    for line, name in zip(lines[2:], ENCODERS, strict=True):
        assert line.startswith(f"| `{name}` | ")
        # Four cells: five unescaped pipes.
        assert len(re.findall(r"(?<!\\)\|", line)) == 5, line
    assert "`about:invalid#mergefield-unsafe-url`" in table
    assert "`A-Z a-z 0-9 - . _ ~` only" in table
    assert table.endswith("\n")


def test_the_pure_core_encodes_with_these_transforms() -> None:
    # One Python implementation of each step: the pure core's encoders are the policy's own.
    from mergefield import _render_py
    from mergefield._contract import CORE_STEPS

    for step in CORE_STEPS:
        assert _render_py._str_encoder(step) is TRANSFORMS.get(Step(step))
    assert _render_py._str_encoder(Step.PERCENT) is not None
