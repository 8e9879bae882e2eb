"""Tests for `mergefield.escaping.classify`: exact encoder tables for every position of every
kind, every compile error with its code, message, offset, line and column, property tests over
random JSON documents and URLs (tokens in strings, in URL parts and at value positions, and
tokens dropped at random places that must give a `TemplateCompileError` and nothing else), and
linear time on megabyte templates (ratios over sizes, not seconds).  Spans come from a simple
token regex here, or from the generators themselves, because the real tokenizer is not this
module's business.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mergefield._options import KINDS
from mergefield.encoding import ENCODERS
from mergefield.errors import TemplateCompileError
from mergefield.escaping import ERROR_CODES, classify

from .scaling import assert_linear

TOKEN = re.compile(r"@\{[^{}\r\n]*\}")


def spans_of(source: str) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN.finditer(source)]


def names(source: str, kind: str) -> tuple[str, ...]:
    return classify(source, spans_of(source), kind)


# ---------------------------------------------------------------------------------------------
# url

URL_TABLE = [
    # the SPEC's own example
    (
        "https://x/send?to=@{Lead:Mobile,}&name=@{Lead:FirstName,Friend}",
        ("url_query", "url_query"),
    ),
    # host, with port and userinfo counted as authority
    ("https://@{Account:Host,}/api", ("url_host",)),
    ("https://api.@{Account:Domain,}.com:8080/", ("url_host",)),
    ("https://h:@{Account:Port,}/", ("url_host",)),
    ("https://@{Account:User,}:pw@h/", ("url_host",)),
    ("https://@{Account:Host,}", ("url_host",)),
    ("https://@{Account:Host,}@{Account:Port,}/", ("url_host", "url_host")),
    ("HTTPS://@{Account:Host,}/", ("url_host",)),
    # path
    ("https://h/@{Lead:Id,}", ("url_path",)),
    ("https://h/a/@{Lead:Id,}/b;c=@{Lead:C,}", ("url_path", "url_path")),
    ("https://h/@{Lead:Id,}.json", ("url_path",)),
    # query key and value
    ("https://h?@{Lead:Key,}=1", ("url_query",)),
    ("https://h/p?a=@{Lead:V,}", ("url_query",)),
    ("https://h/p?@{Lead:K,}=@{Lead:V,}&b=/x/@{Lead:W,}", ("url_query",) * 3),
    # fragment
    ("https://h#@{Lead:F,}", ("url_fragment",)),
    ("https://h/p?a=1#@{Lead:F,}", ("url_fragment",)),
    ("https://h/p#x?y/@{Lead:F,}", ("url_fragment",)),
    # every part in one URL
    (
        "https://@{Account:Host,}/v1/@{Lead:Id,}?q=@{Lead:Q,}&r=@{Lead:R,}#@{Lead:F,}",
        ("url_host", "url_path", "url_query", "url_query", "url_fragment"),
    ),
    # the token is the whole URL; what follows it is path, `?` query, `#` fragment
    ("@{Lead:Website,}", ("url",)),
    ("@{Lead:Website,}/leads/@{Lead:Id,}", ("url", "url_path")),
    ("@{Lead:Website,}?id=@{Lead:Id,}", ("url", "url_query")),
    ("@{Lead:Website,}#@{Lead:Id,}", ("url", "url_fragment")),
    ("@{Lead:Website,}@{Lead:Id,}", ("url", "url_path")),
    ("@{Lead:Website,}/8080:@{Lead:Id,}", ("url", "url_path")),
    # `&#` after the scheme is settled is a path's `&` and a fragment's `#`, not a reference
    ("http:///&#@{A:A,}", ("url_fragment",)),
    ("/&#@{A:A,};", ("url_fragment",)),
    # leading blanks and C0 controls are dropped as by browsers and urllib; trailing ones stay
    ("  @{Lead:Website,}  ", ("url",)),
    ("\t\r\n @{Lead:Website,}", ("url",)),
    ("https://h/ @{Lead:Id,}", ("url_path",)),
    # tab, CR and LF are dropped anywhere, so they do not hide `//`
    ("https:\n//@{Account:Host,}/", ("url_host",)),
    ("https:/\t/@{Account:Host,}/", ("url_host",)),
    # relative references
    ("/leads/@{Lead:Id,}", ("url_path",)),
    ("/@{Lead:Id,}", ("url_path",)),
    ("//@{Account:Host,}/x", ("url_host",)),
    ("//cdn.example.com/@{Lead:Id,}", ("url_path",)),
    ("?id=@{Lead:Id,}", ("url_query",)),
    ("#@{Lead:Id,}", ("url_fragment",)),
    ("./@{Lead:Id,}", ("url_path",)),
    ("../a?x=@{Lead:Id,}", ("url_query",)),
    ("page.html?id=@{Lead:Id,}", ("url_query",)),
    ("page/@{Lead:Id,}", ("url_path",)),
    ("1abc@{Lead:Id,}", ("url_path",)),
    ("a b@{Lead:Id,}", ("url_path",)),
    # opaque URLs: after `scheme:` without `//` everything up to `?` is path
    ("mailto:@{Lead:EmailAddress,}", ("url_path",)),
    ("mailto:x@{Lead:Domain,}", ("url_path",)),
    (
        "mailto:@{Lead:EmailAddress,}?subject=@{Lead:S,}&body=@{Lead:B,}",
        ("url_path", "url_query", "url_query"),
    ),
    ("tel:@{Lead:Mobile,}", ("url_path",)),
    ("https:@{Lead:X,}", ("url_path",)),
    ("https:/@{Lead:X,}", ("url_path",)),
    # no tokens, nothing to bind
    ("https://example.com/", ()),
    ("", ()),
]


@pytest.mark.parametrize(("source", "expected"), URL_TABLE)
def test_url_positions(source: str, expected: tuple[str, ...]) -> None:
    assert names(source, "url") == expected


@pytest.mark.parametrize("kind", ["form", "html", "text"])
@pytest.mark.parametrize(
    "source",
    [
        "",
        "@{Lead:FirstName,}",
        "Hi @{Lead:FirstName,Friend}, <b>@{Lead:Score,0}</b> https://x/?q=@{Lead:Q,}",
        'ht@{Lead:X,}{"a": @{Lead:Y,}5',
    ],
)
def test_flat_kinds_give_every_token_their_name(source: str, kind: str) -> None:
    assert names(source, kind) == (kind,) * len(spans_of(source))


# ---------------------------------------------------------------------------------------------
# json

MULTILINE = """{
  "lead": {
    "id": @{Lead:ProspectID,},
    "name": "@{Lead:FirstName,} @{Lead:LastName,}",
    "link": "https://crm.example.com/leads/@{Lead:ProspectID,}?tab=@{Lead:Tab,}"
  },
  "tags": [@{Lead:Tag1,}, @{Lead:Tag2,}]
}
"""

JSON_TABLE = [
    # inside a string literal
    ('{"name": "@{Lead:FirstName,}"}', ("json_string",)),
    ('{"greeting": "Hi @{Lead:FirstName,Friend}!"}', ("json_string",)),
    ('"@{Lead:FirstName,}"', ("json_string",)),
    ('{"@{Lead:Key,}": "v"}', ("json_string",)),
    ('{"@{Lead:Key,}": @{Lead:Value,}}', ("json_string", "json_value")),
    # escapes never confuse the string tracking
    (r'{"a": "x\"@{Lead:A,}\""}', ("json_string",)),
    (r'{"a": "\\", "b": @{Lead:A,}}', ("json_value",)),
    (r'{"a": "\\@{Lead:A,}"}', ("json_string",)),
    (r'{"a": "\u0022", "b": "@{Lead:A,}"}', ("json_string",)),
    (r'{"a": "\u0040{x}", "b": @{Lead:A,}}', ("json_value",)),
    (r'{"a": "[{", "b": @{Lead:A,}}', ("json_value",)),
    # a token whose default holds JSON syntax is opaque to the scanner
    ('{"a": "@{Lead:A,say "hi" [x]}", "b": @{Lead:B,]}}', ("json_string", "json_value")),
    # a string that is a URL, each part
    (
        '{"url": "https://api.x.com/v1/@{Lead:Id,}?key=@{Account:Key,}&x=1#@{Lead:F,}"}',
        ("json_url_path", "json_url_query", "json_url_fragment"),
    ),
    ('{"url": "https://@{Account:Host,}/x"}', ("json_url_host",)),
    ('{"url": "https://h?@{Lead:K,}=@{Lead:V,}"}', ("json_url_query", "json_url_query")),
    ('{"url": "HTTP://h/?q=@{Lead:A,}"}', ("json_url_query",)),
    (r'{"url": "http:\/\/h\/p?q=@{Lead:A,}"}', ("json_url_query",)),
    (r'{"url": "\u0068ttps://h/@{Lead:A,}"}', ("json_url_path",)),
    (r'{"url": "https://h/a\u003fb=@{Lead:A,}"}', ("json_url_query",)),
    (r'{"url": "https://h/a\"b/@{Lead:A,}"}', ("json_url_path",)),
    ('{"m": "mailto:@{Lead:E,}?subject=@{Lead:S,}"}', ("json_url_path", "json_url_query")),
    ('{"m": "MailTo:x@{Lead:D,}"}', ("json_url_path",)),
    ('{"p": "/leads/@{Lead:Id,}?v=@{Lead:V,}"}', ("json_url_path", "json_url_query")),
    ('{"p": "//cdn/@{Lead:Id,}"}', ("json_url_path",)),
    ('{"p": "//@{Account:Host,}/x"}', ("json_url_host",)),
    ('{"p": "/@{Lead:Id,}"}', ("json_url_path",)),
    ('{"u": " https://x/?q=@{Lead:A,}"}', ("json_url_query",)),
    ('["https://x/#@{Lead:A,}"]', ("json_url_fragment",)),
    # a token at the start of a string keeps the whole string plain text
    ('{"u": "@{Lead:Website,}/x?id=@{Lead:Id,}"}', ("json_string", "json_string")),
    # other strings are plain text
    ('{"u": "see https://x/?q=@{Lead:A,}"}', ("json_string",)),
    ('{"u": "ftp://x/@{Lead:A,}"}', ("json_string",)),
    ('{"u": "https:/x/@{Lead:A,}"}', ("json_string",)),
    # the URL state belongs to one string
    (
        '{"u": "https://x/?q=@{Lead:A,}", "v": "@{Lead:B,}", "w": "/@{Lead:C,}"}',
        ("json_url_query", "json_string", "json_url_path"),
    ),
    ('["https://x/?q=", "@{Lead:B,}"]', ("json_string",)),
    # bare values
    ('{"score": @{Lead:Score,0}}', ("json_value",)),
    ('{"a":@{Lead:A,}}', ("json_value",)),
    ('{"a": @{Lead:A,}, "b": @{Lead:B,}}', ("json_value", "json_value")),
    ('[@{Lead:A,}, @{Lead:B,}, "@{Lead:C,}"]', ("json_value", "json_value", "json_string")),
    ("[@{Lead:A,}]", ("json_value",)),
    ("[1,@{Lead:A,}\n]", ("json_value",)),
    ("@{Lead:A,}", ("json_value",)),
    ("  @{Lead:A,}\n", ("json_value",)),
    # nested
    (
        '{"a": [1, {"b": [@{Lead:A,}]}], "c": {"d": "https://h/@{Lead:B,}", "e": [[@{Lead:C,}]]}}',
        ("json_value", "json_url_path", "json_value"),
    ),
    (
        MULTILINE,
        (
            "json_value",
            "json_string",
            "json_string",
            "json_url_path",
            "json_url_query",
            "json_value",
            "json_value",
        ),
    ),
    # no tokens: still checked, valid
    ('{"a": [1, 2.5e3, true, false, null]}', ()),
    ("[" * 500 + "]" * 500, ()),
]


@pytest.mark.parametrize(("source", "expected"), JSON_TABLE)
def test_json_positions(source: str, expected: tuple[str, ...]) -> None:
    assert names(source, "json") == expected


# ---------------------------------------------------------------------------------------------
# errors


def glued_after(found: str) -> str:
    return (
        f"expected `,`, `}}`, `]` or the end after the merge field, found {found}: outside a "
        "string a merge field must be a whole value; to join it with text, put both in one "
        'string, e.g. `"@{...}-id"`'
    )


def glued_before(found: str) -> str:
    return (
        "expected a JSON value around the merge field: outside a string it must be a whole "
        f"value after `:`, `[` or `,`, but it follows {found}; to join it with text, put both "
        'in one string, e.g. `"id-@{...}"`'
    )


KEY = (
    'merge field used as a JSON object key: keys must be strings, so quote it, e.g. `{"@{...}": 1}`'
)
SCHEME = "merge field inside the URL scheme: put it after `://`, e.g. `https://@{...}`"

CONTINUED = (
    "literal `:` after a merge field that starts the URL: its value would choose the scheme "
    "(`javascript` + `:...`); write the scheme literally before the field, e.g. "
    "`https://@{...}`, or put `/`, `?` or `#` before the `:`"
)
UNSAFE = (
    "the URL's literal text starts with the unsafe scheme `{}:`, which runs script or inlines "
    "a document: link to an http, https or mailto URL or a relative one"
)
BARE_URL = (
    "merge field as a bare value under a URL key: it would be inserted as a string without the "
    'URL filter; quote it, e.g. `"url": "@{...}"`'
)
NAME = (
    "merge field in a tag or attribute name, or where one is expected: its value could add "
    "tags or attributes; write names literally and put the field in a quoted attribute value "
    "or between tags"
)
COMMENT = (
    "merge field inside an HTML comment: a value with `-->` would end it; move the field out "
    "of the comment"
)
SCRIPT = (
    "merge field inside <script>: HTML escaping cannot make a value safe as code; pass it in a "
    "quoted data-* attribute instead"
)
STYLE_ATTR = (
    "merge field in attribute `style`, a style attribute: HTML escaping cannot make a value "
    "safe there; pass it in a quoted data-* attribute or choose a class"
)
UNQUOTED = (
    "merge field in the unquoted value of attribute `src`: a blank in the value would start "
    'another attribute; quote the attribute, e.g. src="..."'
)
ENTITY = (
    "merge field inside a character reference (`&#...;`): the value would choose the "
    "character; remove the `&` or write the reference literally"
)

DEEP = "[" * 501 + "]" * 501

ERROR_TABLE = [
    # (source, kind, code, message, offset, end, line, column)
    ("ht@{Lead:X,}://h/", "url", "url-scheme-slot", SCHEME, 2, 12, 1, 3),
    ("https@{Lead:X,}", "url", "url-scheme-slot", SCHEME, 5, 15, 1, 6),
    (" go@{Lead:X,}", "url", "url-scheme-slot", SCHEME, 3, 13, 1, 4),
    ("javascript@{Lead:X,}", "url", "url-scheme-slot", SCHEME, 10, 20, 1, 11),
    ("a+b.c-d@{Lead:X,}", "url", "url-scheme-slot", SCHEME, 7, 17, 1, 8),
    ("ht\ntps@{Lead:X,}", "url", "url-scheme-slot", SCHEME, 6, 16, 2, 4),
    # the first offending token is reported
    ("x@{Lead:A,}@{Lead:B,}", "url", "url-scheme-slot", SCHEME, 1, 11, 1, 2),
    # literal text after a whole-URL token that continues its scheme (issue 14, item 3)
    ("@{Lead:W,}:alert(1)", "url", "url-scheme-slot", CONTINUED, 0, 10, 1, 1),
    ("@{Lead:W,}://@{Lead:C,}/@{Lead:N,}", "url", "url-scheme-slot", CONTINUED, 0, 10, 1, 1),
    ("@{Lead:W,}@{Lead:X,}:8080/", "url", "url-scheme-slot", CONTINUED, 0, 10, 1, 1),
    ("@{Lead:Website,}:8080/@{Lead:Id,}", "url", "url-scheme-slot", CONTINUED, 0, 16, 1, 1),
    ('{"url": "@{Lead:W,}:x"}', "json", "url-scheme-slot", CONTINUED, 9, 19, 1, 10),
    ('<a href="@{Lead:W,}:x">', "html", "url-scheme-slot", CONTINUED, 9, 19, 1, 10),
    ('{"url": "x@{Lead:W,}"}', "json", "url-scheme-slot", SCHEME, 10, 20, 1, 11),
    ('{"url": @{Lead:W,}}', "json", "json-bare-url", BARE_URL, 8, 18, 1, 9),
    ('{"Links": [1, @{Lead:W,}]}', "json", "json-bare-url", BARE_URL, 14, 24, 1, 15),
    # a literal unsafe scheme in any URL position (issue 14, item 2)
    (
        "javascript:send('@{Lead:M,}')",
        "url",
        "url-unsafe-scheme",
        UNSAFE.format("javascript"),
        0,
        11,
        1,
        1,
    ),
    (" Java\tScript:x", "url", "url-unsafe-scheme", UNSAFE.format("javascript"), 1, 13, 1, 2),
    ("\nVBScript:x", "url", "url-unsafe-scheme", UNSAFE.format("vbscript"), 1, 10, 2, 1),
    ("DATA:text/html,x", "url", "url-unsafe-scheme", UNSAFE.format("data"), 0, 5, 1, 1),
    (
        '{"link": "javascript:x"}',
        "json",
        "url-unsafe-scheme",
        UNSAFE.format("javascript"),
        10,
        21,
        1,
        11,
    ),
    (
        '{"links": ["/a", "java\\tscript:x"]}',
        "json",
        "url-unsafe-scheme",
        UNSAFE.format("javascript"),
        18,
        31,
        1,
        19,
    ),
    (
        "<a HREF='javascript:x'>",
        "html",
        "url-unsafe-scheme",
        UNSAFE.format("javascript"),
        9,
        20,
        1,
        10,
    ),
    (
        '<a href="&#106;avascript:@{Lead:X,}">',
        "html",
        "url-unsafe-scheme",
        UNSAFE.format("javascript"),
        9,
        10,
        1,
        10,
    ),
    # kind html: positions no encoder makes safe (issue 14, item 1)
    ("<a @{Lead:A,}>", "html", "html-name-slot", NAME, 3, 13, 1, 4),
    ("<@{Lead:A,}>", "html", "html-name-slot", NAME, 1, 11, 1, 2),
    ("<img src=@{Lead:P,}>", "html", "html-unquoted-attr", UNQUOTED, 9, 19, 1, 10),
    ("<p><!-- @{Lead:A,} --></p>", "html", "html-comment-slot", COMMENT, 8, 18, 1, 9),
    ("<SCRIPT>var a = '@{Lead:A,}'</SCRIPT>", "html", "html-script-slot", SCRIPT, 17, 27, 1, 18),
    ('<p style="color: @{Lead:A,}">', "html", "html-style-slot", STYLE_ATTR, 17, 27, 1, 18),
    ('<a href="/x?c=&#@{Lead:A,};">', "html", "entity-slot", ENTITY, 16, 26, 1, 17),
    ("&#x6@{Lead:A,};avascript:x", "url", "entity-slot", ENTITY, 4, 14, 1, 5),
    ('{"url": "&#@{Lead:A,};avascript:x"}', "json", "entity-slot", ENTITY, 11, 21, 1, 12),
    (
        '<a href="@{Lead:W,}',
        "html",
        "html-unclosed",
        'the html template ends inside the value of attribute `href` (close it with `"`)',
        0,
        1,
        1,
        1,
    ),
    ("[@{Lead:A,}5]", "json", "json-glued", glued_after("`5`"), 1, 11, 1, 2),
    ("[tru@{Lead:A,}]", "json", "json-glued", glued_before("`u`"), 4, 14, 1, 5),
    ('{"id": "x"@{Lead:A,}}', "json", "json-glued", glued_before('`"`'), 10, 20, 1, 11),
    ('{"a": -@{Lead:A,}}', "json", "json-glued", glued_before("`-`"), 7, 17, 1, 8),
    ("[@{Lead:A,}.5]", "json", "json-glued", glued_after("`.`"), 1, 11, 1, 2),
    ("[1, 2] @{Lead:A,}", "json", "json-glued", glued_before("`]`"), 7, 17, 1, 8),
    (
        '{"a": @{Lead:A,} @{Lead:B,}}',
        "json",
        "json-glued",
        glued_after("another merge field"),
        6,
        16,
        1,
        7,
    ),
    ('{"a": @{Lead:A,} "b": 1}', "json", "json-glued", glued_after('`"`'), 6, 16, 1, 7),
    ("{@{Lead:A,}: 1}", "json", "json-key-slot", KEY, 1, 11, 1, 2),
    ('{"a": 1, @{Lead:A,}: 2}', "json", "json-key-slot", KEY, 9, 19, 1, 10),
    ('{"a": 1,\n  @{Lead:A,}}', "json", "json-key-slot", KEY, 11, 21, 2, 3),
    ("@{Lead:A,}: 1", "json", "json-key-slot", KEY, 0, 10, 1, 1),
    # invalid JSON, offsets mapped back through tokens longer than their placeholders
    (
        '{"a": 1 "b": @{Lead:A,}}',
        "json",
        "json-invalid",
        "invalid JSON: Expecting ',' delimiter",
        8,
        9,
        1,
        9,
    ),
    (
        '{"a": "@{Lead:VeryLongFieldName,some default}", "b": 1 "c": 2}',
        "json",
        "json-invalid",
        "invalid JSON: Expecting ',' delimiter",
        55,
        56,
        1,
        56,
    ),
    (
        '{"a": @{Lead:A,}',
        "json",
        "json-invalid",
        "invalid JSON: Expecting ',' delimiter",
        16,
        17,
        1,
        17,
    ),
    (
        '{"a": "@{Lead:A,}}',
        "json",
        "json-invalid",
        "invalid JSON: Unterminated string starting at",
        6,
        7,
        1,
        7,
    ),
    (
        r'{"a": "\@{Lead:A,}"}',
        "json",
        "json-invalid",
        "invalid JSON: Invalid \\escape",
        7,
        8,
        1,
        8,
    ),
    (
        r'{"a": "\u00@{Lead:A,}"}',
        "json",
        "json-invalid",
        "invalid JSON: Invalid \\uXXXX escape",
        8,
        9,
        1,
        9,
    ),
    (
        '{"a": NaN, "b": @{Lead:A,}}',
        "json",
        "json-invalid",
        "invalid JSON: `NaN` is not JSON; use null, a number or a string",
        6,
        9,
        1,
        7,
    ),
    (
        '["@{Lead:A,}", -Infinity]',
        "json",
        "json-invalid",
        "invalid JSON: `-Infinity` is not JSON; use null, a number or a string",
        15,
        24,
        1,
        16,
    ),
    ("", "json", "json-invalid", "invalid JSON: Expecting value", 0, 1, 1, 1),
    ("  \n", "json", "json-invalid", "invalid JSON: Expecting value", 3, 4, 2, 1),
    (
        '{"a": "b"} {}',
        "json",
        "json-invalid",
        "invalid JSON: Extra data",
        11,
        12,
        1,
        12,
    ),
    (
        '"a\nb @{Lead:A,}"',
        "json",
        "json-invalid",
        "invalid JSON: Invalid control character at",
        2,
        3,
        1,
        3,
    ),
    (
        MULTILINE.replace("ProspectID,},", "ProspectID,}"),
        "json",
        "json-glued",
        glued_after('`"`'),
        24,
        43,
        3,
        11,
    ),
    (
        MULTILINE.replace('},\n  "tags"', '}\n  "tags"'),
        "json",
        "json-invalid",
        "invalid JSON: Expecting ',' delimiter",
        184,
        185,
        7,
        3,
    ),
    (
        DEEP,
        "json",
        "json-too-deep",
        "JSON nested more than 500 levels deep: flatten the document",
        500,
        501,
        1,
        501,
    ),
]


@pytest.mark.parametrize(
    ("source", "kind", "code", "message", "offset", "end", "line", "column"), ERROR_TABLE
)
def test_errors(
    source: str,
    kind: str,
    code: str,
    message: str,
    offset: int,
    end: int,
    line: int,
    column: int,
) -> None:
    with pytest.raises(TemplateCompileError) as info:
        names(source, kind)
    err = info.value
    assert (err.code, err.message, err.offset, err.end, err.line, err.column) == (
        code,
        message,
        offset,
        end,
        line,
        column,
    )
    assert code in ERROR_CODES


def test_error_str_shows_caret_under_the_token() -> None:
    with pytest.raises(TemplateCompileError) as info:
        names("https@{Lead:X,}/x", "url")
    assert str(info.value) == (
        f"line 1, column 6: {SCHEME}\n  https@{{Lead:X,}}/x\n       ^~~~~~~~~~"
    )


def test_every_error_code_is_documented_with_an_example_and_a_fix() -> None:
    assert {row[2] for row in ERROR_TABLE} == set(ERROR_CODES)
    for explanation in ERROR_CODES.values():
        assert "Fix:" in explanation
        assert "`" in explanation


def test_unknown_kind() -> None:
    with pytest.raises(ValueError) as info:
        classify("x", [], "xml")
    assert str(info.value) == "unknown kind 'xml'; expected one of url, json, form, html, text"
    assert not isinstance(info.value, TemplateCompileError)


@pytest.mark.parametrize(
    "spans", [[(5, 3)], [(0, 0)], [(0, 4), (2, 6)], [(0, 100)], [(-1, 2)], [(4, 6), (0, 2)]]
)
def test_malformed_spans(spans: list[tuple[int, int]]) -> None:
    with pytest.raises(ValueError, match="span"):
        classify("0123456789", spans, "text")


def test_constants() -> None:
    assert KINDS == ("url", "json", "form", "html", "text")
    assert len(set(ENCODERS)) == 21
    for _, expected in URL_TABLE + JSON_TABLE:
        assert set(expected) <= set(ENCODERS)


# ---------------------------------------------------------------------------------------------
# properties

FIELD = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True)
DEFAULT = st.text(
    alphabet=st.characters(exclude_characters="{}\r\n"),
    max_size=6,
)


@st.composite
def tokens(draw: st.DrawFn) -> str:
    return f"@{{{draw(FIELD)}:{draw(FIELD)},{draw(DEFAULT)}}}"


class Tok:
    """A token at a bare value position in a generated JSON document."""


TEXT = st.text(max_size=8)
STRING = st.lists(st.one_of(TEXT, st.builds(Tok)), max_size=4)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    STRING,
    st.builds(Tok),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        # tuples are arrays, dicts objects; lists stand for strings with tokens
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(STRING.map(tuple), children, max_size=4),
    ),
    max_leaves=20,
)
URLISH = ("http://", "https://", "mailto:", "/")
WS = st.sampled_from(["", " ", "\n  ", "\t", "\r\n"])


class Writer:
    """Serializes a generated value, recording every token's span and expected encoder."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.parts: list[str] = []
        self.size = 0
        self.spans: list[tuple[int, int]] = []
        self.expected: list[str] = []

    def put(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def token(self, name: str) -> None:
        text = self.draw(tokens())
        self.spans.append((self.size, self.size + len(text)))
        self.expected.append(name)
        self.put(text)

    def string(self, pieces: tuple[object, ...] | list[object]) -> None:
        self.put('"')
        first_token_seen = False
        before_token = ""  # the string's text before its first token
        for piece in pieces:
            if isinstance(piece, Tok):
                self.token("json_string")
                first_token_seen = True
                continue
            assert isinstance(piece, str)
            if not first_token_seen:
                # Keep the string from reading as a URL; URL strings have their own property.
                # What counts is all the text before the first token: an empty piece and then
                # "/" start a URL path as surely as "/" alone.
                head = (before_token + piece).lstrip("".join(map(chr, range(33)))).lower()
                if head.startswith(URLISH) or any(p.startswith(head) for p in URLISH if head):
                    piece = "z" + piece
                before_token += piece
            escaped = json.dumps(piece, ensure_ascii=self.draw(st.booleans()))[1:-1]
            self.put(escaped)
        self.put('"')

    def value(self, value: object) -> None:
        self.put(self.draw(WS))
        if isinstance(value, Tok):
            self.token("json_value")
        elif isinstance(value, list):
            self.string(value)
        elif isinstance(value, tuple):
            self.put("[")
            for k, item in enumerate(value):
                if k:
                    self.put(",")
                self.value(item)
            self.put(self.draw(WS) + "]")
        elif isinstance(value, dict):
            self.put("{")
            for k, (key, item) in enumerate(value.items()):
                if k:
                    self.put(",")
                self.put(self.draw(WS))
                self.string(key)
                self.put(self.draw(WS) + ":")
                self.value(item)
            self.put(self.draw(WS) + "}")
        else:
            self.put(json.dumps(value))
        self.put(self.draw(WS))

    @property
    def source(self) -> str:
        return "".join(self.parts)


@st.composite
def json_templates(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]], list[str]]:
    writer = Writer(draw)
    writer.value(draw(VALUES))
    return writer.source, writer.spans, writer.expected


def reference_render(
    source: str, spans: list[tuple[int, int]], encoders: tuple[str, ...], value: str
) -> str:
    """Render with stand-in encoders (the real ones live in mergefield.encoding)."""
    parts = []
    pos = 0
    for (start, end), encoder in zip(spans, encoders, strict=True):
        parts.append(source[pos:start])
        if encoder == "json_value":
            parts.append(json.dumps(value))
        elif encoder.startswith("json_url"):
            parts.append(json.dumps(quote(value, safe=""))[1:-1])
        else:
            parts.append(json.dumps(value)[1:-1])
        pos = end
    parts.append(source[pos:])
    return "".join(parts)


@pytest.mark.slow
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_templates(), st.text())
def test_random_json_documents_classify_as_generated(
    template: tuple[str, list[tuple[int, int]], list[str]], value: str
) -> None:
    source, spans, expected = template
    assert classify(source, spans, "json") == tuple(expected)
    json.loads(reference_render(source, spans, tuple(expected), value))


URL_ALPHABETS = {
    "host": string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@[]%",
    "path": string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/% \"\\",
    "query": string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/?% \"\\",
    "fragment": string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/?#% \"\\",
}


@st.composite
def url_templates(draw: st.DrawFn, in_json: bool) -> tuple[str, list[tuple[int, int]], list[str]]:
    """A URL with tokens in random parts, as a `url` template or as a string in a JSON object."""
    prefix = "json_" if in_json else ""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    expected: list[str] = []
    size = 0

    def put(text: str, literal: bool = True) -> None:
        nonlocal size
        if literal and in_json:
            text = json.dumps(text, ensure_ascii=draw(st.booleans()))[1:-1]
            if draw(st.booleans()):
                text = text.replace("/", "\\/")
        parts.append(text)
        size += len(text)

    def section(lead: str, part: str) -> None:
        put(lead)
        for piece in draw(
            st.lists(st.one_of(st.text(URL_ALPHABETS[part], max_size=5), tokens()), max_size=3)
        ):
            if piece.startswith("@{"):
                spans.append((size, size + len(piece)))
                expected.append(prefix + ("url_host" if part == "host" else "url_" + part))
                put(piece, literal=False)
            else:
                put(piece)

    if in_json:
        parts.append('{"u": "')
        size = len(parts[0])
    scheme = draw(st.sampled_from(["http://", "https://", "HTTPS://", "//"]))
    if scheme == "//" and in_json:
        scheme = "https://"
    section(scheme, "host")
    if draw(st.booleans()):
        section("/", "path")
    if draw(st.booleans()):
        section("?", "query")
    if draw(st.booleans()):
        section("#", "fragment")
    if in_json:
        parts.append('"}')
    return "".join(parts), spans, expected


@settings(max_examples=200)
@given(st.data())
def test_random_urls_classify_by_part(data: st.DataObject) -> None:
    for in_json in (False, True):
        source, spans, expected = data.draw(url_templates(in_json))
        assert classify(source, spans, "json" if in_json else "url") == tuple(expected)


@st.composite
def broken_json(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    """Valid JSON with tokens inserted at random offsets, which mostly breaks it."""
    base = json.dumps(
        draw(
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
                lambda c: (
                    st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3)
                ),
                max_leaves=10,
            )
        ),
        ensure_ascii=draw(st.booleans()),
        indent=draw(st.sampled_from([None, 2])),
    )
    cuts = sorted(draw(st.lists(st.integers(0, len(base)), min_size=1, max_size=4)))
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    size = 0
    for cut in cuts:
        parts.append(base[pos:cut])
        size += cut - pos
        token = draw(tokens())
        spans.append((size, size + len(token)))
        parts.append(token)
        size += len(token)
        pos = cut
    parts.append(base[pos:])
    return "".join(parts), spans


def check_outcome(source: str, spans: list[tuple[int, int]], value: str) -> None:
    try:
        encoders = classify(source, spans, "json")
    except TemplateCompileError as err:
        assert err.code in ERROR_CODES
        assert 0 <= err.offset <= len(source)
        assert err.offset < err.end
        return
    assert len(encoders) == len(spans)
    # Accepted means valid JSON for every value, which is the point of the compile-time check.
    json.loads(reference_render(source, spans, encoders, value))


# Generation, not classify, is what the health check times; on a shared loaded machine it trips.
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(broken_json(), st.text())
def test_tokens_at_random_places_give_compile_errors_only(
    template: tuple[str, list[tuple[int, int]]], value: str
) -> None:
    check_outcome(*template, value)


@pytest.mark.slow
@settings(max_examples=200)
@given(
    st.lists(
        st.one_of(st.text(alphabet='{}[]:," \\ux0-1aen\nt', max_size=4), tokens()), max_size=8
    ),
    st.text(),
)
def test_arbitrary_text_never_raises_anything_else(pieces: list[str], value: str) -> None:
    source = ""
    spans = []
    for piece in pieces:
        if piece.startswith("@{") and piece.endswith("}") and ":" in piece:
            spans.append((len(source), len(source) + len(piece)))
        source += piece
    check_outcome(source, spans, value)
    try:
        classify(source, spans, "url")
    except TemplateCompileError as err:
        assert err.code == "url-scheme-slot"


# ---------------------------------------------------------------------------------------------
# performance


def assert_classify_linear(kind: str, make: Callable[[int], str], size: int = 250_000) -> None:
    """Four times the template (up to a megabyte) takes less than eight times as long.

    A ratio of best times, not a budget in seconds: a busy machine slows both alike.
    """

    def prepared(n: int) -> tuple[str, list[tuple[int, int]]]:
        source = make(n)
        return source, spans_of(source)

    assert_linear(lambda arg: classify(arg[0], arg[1], kind), prepared, size, runs=3)


@pytest.mark.slow
def test_megabyte_json_is_linear() -> None:
    item = '{"id": @{Lead:Id,}, "u": "https://h/@{Lead:P,}?q=@{Lead:Q,}", "s": "a\\"b @{Lead:S,}"}'

    def make(n: int) -> str:
        return "[" + ",\n".join([item] * (n // len(item))) + "]"

    assert len(make(1_000_000)) > 990_000
    assert_classify_linear("json", make)


def test_megabyte_json_without_tokens_and_long_strings() -> None:
    assert_classify_linear(
        "json", lambda n: json.dumps({"k": "x" * n, "l": ["y\\" * (n // 1000)] * 100})
    )


@pytest.mark.slow
def test_megabyte_url_is_linear() -> None:
    def make(n: int) -> str:
        query = "k=@{Lead:V,}&" * (n // 25)
        return "https://h/" + "a/" * (n // 4) + "?" + query + "#" + "f" * (n // 10)

    assert len(make(1_000_000)) > 1_000_000
    assert_classify_linear("url", make)
    assert_classify_linear("text", lambda n: "a" * n + "@{Lead:X,}x")


def test_megabyte_of_brackets_is_a_compile_error_not_a_recursion_error() -> None:
    with pytest.raises(TemplateCompileError) as info:
        names("[" * 1_000_000, "json")
    assert info.value.code == "json-too-deep"


# --- a JSON string that starts with a merge field: the key decides -----------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{"url": "@{Lead:Website,}"}', ("json_url",)),
        ('{"callbackUrl" : "@{Lead:Website,}/x?id=@{Lead:Id,}"}', ("json_url", "json_url_query")),
        ('{"photo_URI": "@{Lead:PhotoUrl,}"}', ("json_url",)),
        ('{"a": {"href":\n "@{Lead:W,}#@{Lead:F,}"}}', ("json_url", "json_url_fragment")),
        ('{"name": "@{Lead:Website,}"}', ("json_string",)),
        ('{"urls": "@{Lead:Website,}"}', ("json_url",)),
        ('{"redirect": "@{Lead:W,}"}', ("json_url",)),
        ('{"webhooks": [" @{Lead:W,}", ["@{Lead:W,}"]]}', ("json_url", "json_url")),
        ('{"profileImage": "\\t@{Lead:W,}"}', ("json_url",)),
        ('{"avatar": "x/@{Lead:W,}"}', ("json_url_path",)),
        ('{"note": "@{Lead:FirstName,}"}', ("json_string",)),
        ('{"logos": [{"name": "@{Lead:W,}"}]}', ("json_string",)),
        ('["@{Lead:W,}"]', ("json_string",)),
        ('{"a\\"url": "@{Lead:W,}"}', ("json_url",)),
    ],
)
def test_url_named_key_makes_a_leading_token_a_whole_url(
    template: str, expected: tuple[str, ...]
) -> None:
    spans = [(m.start(), m.end()) for m in re.finditer(r"@\{[^{}\r\n]*\}", template)]
    assert classify(template, spans, "json") == expected


def test_text_before_the_first_token_decides_a_url_string_even_in_pieces() -> None:
    # Found by the generator above when its guard looked only at the first piece: a string whose
    # text before the token is "/" is a URL path, in a key as in a value.
    assert classify('{"/@{A:A,}":null}', [(3, 10)], "json") == ("json_url_path",)
    assert classify('{"a":"/@{A:A,}"}', [(7, 14)], "json") == ("json_url_path",)
