"""Hypothesis strategies for fuzzing merge-field templates and the records they render.

`templates` draws template sources of one kind with merge fields in every position that kind
has (URL host, path, query key and value, fragment and whole URL; JSON string, URL inside a JSON
string, whole URL under a ``url``-like key and bare JSON value; anywhere in ``form``, ``html``
and ``text``), or, with ``valid=False``, malformed ones for fuzzing the parser.  `records`
draws the keyword arguments of `Template.render` (``{"Lead": {...}, "User": {...}}``) with
values of each field's type mixed with adversarial ones: the Big List of Naughty Strings
(shipped in ``mergefield/data``, MIT), ``None``, empty strings, astral characters, lone
surrogates, NaN and infinities, and dates in many formats.  Connector documents built from
these templates come from `mergefield.testing.connector_strategies`; both are public as
``mergefield.strategies``.  Importing this module imports ``hypothesis`` (the ``testing``
extra); ``import mergefield`` never does.
"""

from __future__ import annotations

import datetime as dt
import json
import string
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib.resources import files
from typing import Any

from hypothesis import strategies as st

from mergefield._fast_py import scan as _scan
from mergefield._options import KINDS, Kind
from mergefield.catalog import CONTEXTS, DEFAULT_CATALOG, Catalog, FieldSpec, ValueType
from mergefield.errors import TemplateError
from mergefield.escaping import is_url_key
from mergefield.template import compile as compile_template

__all__ = [
    "CUSTOM_FIELDS",
    "DATE_FORMATS",
    "MALFORMED_TOKENS",
    "SCHEME_TRICKS",
    "URL_KEYS",
    "blns",
    "field_values",
    "records",
    "templates",
    "tokens",
    "unsafe_urls",
]

CUSTOM_FIELDS: tuple[str, ...] = ("mx_Custom_1", "mx_Plan")
"""Lead custom fields (``mx_`` + schema name) that drawn templates name and drawn records fill."""

URL_KEYS: tuple[str, ...] = (
    "url",
    "href",
    "callbackUrl",
    "photo_uri",
    "link",
    "src",
    "redirect",
    "Webhooks",
    "avatar",
    "logo_url",
)
"""JSON keys under which a string that starts with a merge field is a whole URL (``json_url``)."""

DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%f+05:30",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y%m%d",
    "%d/%m/%Y",
    "%m/%d/%Y %I:%M %p",
    "%d %b %Y",
    "%B %d, %Y",
    "%a, %d %b %Y %H:%M:%S +0000",
    "%d-%b-%Y %H:%M",
)
"""``strftime`` formats that date strings in drawn records are written in."""

MALFORMED_TOKENS: tuple[str, ...] = (
    "@{}",
    "@{Lead}",
    "@{:Phone,}",
    "@{Lead:,}",
    "@{Lead: ,}",
    "@{ 1Lead:Phone,}",
    "@{Lead;Phone,}",
    "@{Lead:Phone\n",
    "@{Lead:Pho\rne,}",
    "@{Lead:Phone,abc\n}",
    "@{Lead:Phone{,}",
    "@{Lead:a@{}",
    "@{\t}",
    "@{Lead:\n}",
)
"""Malformed openers that stay malformed whatever text follows them (SPEC section 1)."""

# A literal never holds `@{`: it would open a token the template did not mean to have.
_SAFE_TEXT = st.characters(exclude_categories=["Cs"])
_BLANKS = st.sampled_from(["", "", "", " ", "\t", " \t"])
_JSON_WS = st.sampled_from(["", "", " ", "\n  ", "\t"])
_HOST_CHARS = string.ascii_lowercase + string.digits + "-."
_PATH_CHARS = string.ascii_letters + string.digits + "-._~!$'()*+,;=:%"
_QUERY_CHARS = string.ascii_letters + string.digits + "-._~!$'()*+,;:/?%"
_FRAGMENT_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:/?%"
_ASTRAL = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF)
_SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


def _literal(text: str) -> str:
    return text.replace("@{", "@ {")


@cache
def blns() -> tuple[str, ...]:
    """Every string of the Big List of Naughty Strings (MIT, Max Woolf), as shipped here."""
    raw = files("mergefield").joinpath("data/blns.json").read_text(encoding="utf-8")
    return tuple(s for s in json.loads(raw) if isinstance(s, str))


# --- tokens ------------------------------------------------------------------------------------


def _names(context: str | None, catalog: Catalog) -> list[tuple[str, str]]:
    """Every ``(resource, field)`` a template in ``context`` may name, custom fields included."""
    names: list[tuple[str, str]] = []
    for resource in sorted(catalog.allowed_resources(context)):
        names.extend((resource, name) for name in catalog.field_names(resource))
        if resource == "Lead":
            names.extend(("Lead", name) for name in CUSTOM_FIELDS)
    if not names:
        raise ValueError(f"the catalog has no field that context {context!r} may read")
    return names


def _defaults() -> st.SearchStrategy[str | None]:
    text = st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="}\r\n"), max_size=6
    )
    return st.one_of(st.just(""), st.none(), st.sampled_from(["Friend", " ", "0", "a,b:c@"]), text)


def tokens(context: str | None = None, *, catalog: Catalog | None = None) -> st.SearchStrategy[str]:
    """Well-formed merge fields (``@{Lead:FirstName,Friend}``) naming fields ``context`` allows.

    Blanks around the resource and the field name, tokens without a comma, empty defaults and
    defaults holding commas, colons, ``@`` and non-ASCII text are all drawn; every token is one
    that `mergefield.check` accepts in ``context`` (bar the missing-comma warning).
    """
    names = _names(context, catalog or DEFAULT_CATALOG)

    def build(name: tuple[str, str], b1: str, b2: str, b3: str, default: str | None) -> str:
        tail = "" if default is None else "," + default
        return f"@{{{b1}{name[0]}{b2}:{b3}{name[1]}{b3}{tail}}}"

    return st.builds(build, st.sampled_from(names), _BLANKS, _BLANKS, _BLANKS, _defaults())


# --- template pieces -----------------------------------------------------------------------------


def _pieces(
    token: st.SearchStrategy[str], text: st.SearchStrategy[str], *, min_size: int = 0
) -> st.SearchStrategy[str]:
    """Literal text and tokens in any order (two literals in a row are one literal)."""
    return st.lists(st.one_of(token, text), min_size=min_size, max_size=4).map("".join)


def _chars(alphabet: str, max_size: int = 5) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, max_size=max_size)


def _url_rest(token: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Path, query and fragment after a URL's start, each with tokens or not."""
    segment = _pieces(token, _chars(_PATH_CHARS))
    path = st.lists(segment, max_size=3).map(lambda segs: "".join("/" + s for s in segs))
    part = _pieces(token, _chars(_QUERY_CHARS))
    pair = st.tuples(part, st.sampled_from(["=", "=", ""]), part).map("".join)
    query = st.one_of(
        st.just(""), st.lists(pair, min_size=1, max_size=3).map(lambda ps: "?" + "&".join(ps))
    )
    fragment = st.one_of(st.just(""), _pieces(token, _chars(_FRAGMENT_CHARS)).map("#".__add__))
    return st.tuples(path, query, fragment).map("".join)


def _url(token: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A URL template: absolute, scheme-relative, relative, mailto, or starting with a token."""
    host = st.tuples(
        _pieces(token, _chars(_HOST_CHARS), min_size=1),
        st.sampled_from(["", "", ":8080", ":@{Account:ShortCode,443}"]),
    ).map("".join)
    absolute = st.tuples(
        st.sampled_from(["https://", "http://", "HTTPS://", "//", " https://"]),
        host,
        _url_rest(token),
    ).map("".join)
    relative = st.tuples(st.sampled_from(["/", "./", "?"]), _url_rest(token)).map("".join)
    mailto = st.tuples(st.just("mailto:"), _pieces(token, _chars("abc.@", 4)), _url_rest(token))
    whole = st.tuples(token, _url_rest(token)).map("".join)
    return st.one_of(absolute, relative, mailto.map("".join), whole)


def _json_text(max_size: int = 6) -> st.SearchStrategy[str]:
    """Literal text inside a JSON string literal, escaped as JSON writers do."""
    text = st.text(alphabet=_SAFE_TEXT, max_size=max_size).map(_literal)
    return st.tuples(text, st.booleans()).map(lambda t: json.dumps(t[0], ensure_ascii=t[1])[1:-1])


def _json_doc(token: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A JSON template: tokens in strings, in URL strings, as whole URLs and as bare values."""
    plain = _pieces(token, _json_text()).map(lambda s: f'"{s}"')
    url_string = st.tuples(
        st.sampled_from(["https://", "http://", "/"]),
        _pieces(token, _chars(_HOST_CHARS), min_size=1),
        _url_rest(token),
    ).map(lambda t: '"' + "".join(t) + '"')
    scalar = st.sampled_from(["0", "-1.5e3", "true", "false", "null", '""'])
    value = st.one_of(plain, url_string, token, scalar)
    # A bare value under a URL-named key is an error (json-bare-url), so plain keys never are.
    key = st.one_of(
        st.sampled_from(["to", "text", "name", "score", "n"]),
        _json_text(4).filter(lambda k: not is_url_key(json.loads(f'"{k}"'))),
    )
    member = st.tuples(key.map(lambda k: f'"{k}"'), _JSON_WS, value).map(
        lambda m: f"{m[0]}:{m[1]}{m[2]}"
    )
    whole_url = st.tuples(st.sampled_from(URL_KEYS), _JSON_WS, token, _url_rest(token)).map(
        lambda m: f'"{m[0]}":{m[1]}"{m[2]}{m[3]}"'
    )

    def container(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        members = st.lists(
            st.one_of(member, whole_url, st.tuples(key, inner).map(lambda m: f'"{m[0]}": {m[1]}')),
            max_size=4,
        )
        items = st.lists(st.one_of(value, inner), max_size=3)
        return st.one_of(
            st.tuples(_JSON_WS, members).map(lambda m: "{" + ("," + m[0]).join(m[1]) + "}"),
            st.tuples(_JSON_WS, items).map(lambda m: "[" + ("," + m[0]).join(m[1]) + "]"),
        )

    doc = st.recursive(value, container, max_leaves=8)
    return st.tuples(_JSON_WS, doc, _JSON_WS).map("".join)


def _escape_literal(source: str, quote: str) -> str:
    """HTML-escape ``&`` and ``quote`` in the literal text of ``source``, not in its tokens."""
    tokens_, _ = _scan(source, False)
    out: list[str] = []
    pos = 0
    for t in tokens_:
        out.append(source[pos : t[3]].replace("&", "&amp;").replace(quote, f"&#{ord(quote)};"))
        out.append(source[t[3] : t[4]])
        pos = t[4]
    out.append(source[pos:].replace("&", "&amp;").replace(quote, f"&#{ord(quote)};"))
    return "".join(out)


_HTML_TEXT = st.one_of(
    st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="<&"), max_size=5
    ).map(_literal),
    st.sampled_from(["&amp;", "&lt;", "&#39;", "&eacute;", " > ", "a=b"]),
)


def _html_doc(token: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """An HTML template with tokens in every position kind `html` accepts (README, "Contextual
    HTML"): text, RCDATA, quoted plain attributes, URL attributes (whole URL and parts), srcset
    candidates and descriptors, a meta refresh URL; with uppercase names, single quotes, `>`
    inside quoted values, odd end tags, entities, and literal comments, scripts and styles."""
    url_template = _url(token)
    text = _pieces(token, _HTML_TEXT)
    quote = st.sampled_from(['"', "'"])
    plain_value = _pieces(
        token, st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=5).map(_literal)
    )
    plain = st.tuples(
        st.sampled_from(["title", "alt", "class", "ID", "data-onboarding", "Title"]),
        quote,
        plain_value,
    ).map(lambda a: f" {a[0]}={a[1]}{_escape_literal(a[2], a[1])}{a[1]}")
    url_attr = st.tuples(
        st.sampled_from(["href", "src", "HREF", "action", "poster", "data-src", "xlink:href"]),
        quote,
        url_template,
    ).map(lambda a: f" {a[0]}={a[1]}{_escape_literal(a[2], a[1])}{a[1]}")
    candidate = st.tuples(
        st.one_of(token, _pieces(token, _chars(_HOST_CHARS)).map("/img/".__add__)),
        st.sampled_from(["", " 1x", " 2x", " 100w"]),
    ).map("".join)
    srcset = st.tuples(quote, st.lists(candidate, min_size=1, max_size=3)).map(
        lambda a: f" srcset={a[0]}{_escape_literal(', '.join(a[1]), a[0])}{a[0]}"
    )
    attrs = st.lists(st.one_of(plain, url_attr, srcset, st.just(" hidden")), max_size=3).map(
        "".join
    )
    element = st.tuples(
        st.sampled_from(["a", "p", "img", "A", "div", "Img", "form", "video"]), attrs, text
    ).map(lambda e: f"<{e[0]}{e[1]}>{e[2]}</{e[0]}>")
    rcdata = st.tuples(st.sampled_from(["title", "textarea", "TITLE"]), text).map(
        lambda e: f"<{e[0]}>{e[1]}</{e[0]} >"
    )
    refresh = st.tuples(st.sampled_from(["0; url=", "5;URL='", "3, "]), url_template).map(
        lambda r: f'<meta http-equiv="refresh" content="{_escape_literal(r[0] + r[1], chr(34))}">'
    )
    fixed = st.sampled_from(
        [
            "<!-- a comment -->",
            "<!---->",
            "<script>if (a < b && c > d) x = '</p>';</script >",
            "<STYLE>p > a { color: red }</STYLE>",
            "<br/>",
            "<!DOCTYPE html>",
            '<a title="x>y">',
        ]
    )
    chunk = st.one_of(text, element, rcdata, refresh, fixed)
    document = st.lists(chunk, min_size=1, max_size=4).map("".join)

    # A composite's repr is its name, not the 40 kB tree above (hypothesis warns about those).
    @st.composite
    def html_template(draw: st.DrawFn) -> str:
        return draw(document)

    return html_template()


def _free_text(kind: str) -> st.SearchStrategy[str]:
    if kind == "form":
        return st.one_of(
            st.sampled_from(["&", "=", "to=", "&name=", "+"]), _chars(string.ascii_letters + "%+")
        )
    return st.text(alphabet=_SAFE_TEXT, max_size=8).map(_literal)


# --- malformed templates -------------------------------------------------------------------------

_POSITION_ERRORS: Mapping[str, tuple[str, ...]] = {
    "url": (
        "http@{Lead:Website,}://x.example/",
        "java@{Lead:FirstName,}:alert(1)",
        "go@{Lead:Id,}",
    ),
    "json": (
        '{"a": @{Lead:Score Lead,}5}',
        "{@{Lead:FirstName,}: 1}",
        '{"a": @{Lead:Score Lead,} "b": 1}',
        '{"a": NaN, "b": "@{Lead:FirstName,}"}',
        '["id-"@{Lead:FirstName,}]',
        '{"a": "@{Lead:FirstName,}"',
        '{"a": "x\n@{Lead:FirstName,}"}',
        "[" * 600 + "@{Lead:Mobile,}" + "]" * 600,
        '{"redirect": "javascript:void(0)", "a": "@{Lead:FirstName,}"}',
        '{"url": "@{Lead:Website,}:alert(1)"}',
        '{"redirect": @{Lead:Website,}}',
    ),
    "html": (
        "<a @{Lead:FirstName,}>x</a>",
        "<@{Lead:FirstName,}>",
        "<img src=@{Lead:PhotoUrl,}>",
        "<a onclick=\"go('@{Lead:Id,}')\">x</a>",
        "<script>var a = '@{Lead:FirstName,}';</script>",
        '<p style="color: @{Lead:FirstName,}">x</p>',
        "<style>p { color: @{Lead:FirstName,} }</style>",
        "<!-- @{Lead:FirstName,} -->",
        '<a href="@{Lead:Website,}',
        "<title>@{Lead:FirstName,}",
        "<a href=\"javascript:go('@{Lead:Id,}')\">x</a>",
        '<a href="@{Lead:Website,}:alert(1)">x</a>',
        '<a href="/x?c=&#@{Lead:Id,};">x</a>',
    ),
}


def _with_malformed(source: str, fragment: str, where: float) -> str:
    """Insert ``fragment`` between the tokens of ``source``, never inside one."""
    tokens_, _ = _scan(source, False)
    spans = [(t[3], t[4]) for t in tokens_]
    places = [i for i in range(len(source) + 1) if not any(a < i < b for a, b in spans)]
    at = places[min(int(where * len(places)), len(places) - 1)]
    return source[:at] + fragment + source[at:]


def _malformed(kind: str, valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    noise = st.text(alphabet="@{}:,; \t\r\nLead_1", max_size=12)
    fragment = st.one_of(
        st.sampled_from(MALFORMED_TOKENS),
        st.tuples(st.just("@{"), noise.filter(lambda s: "}" not in s), st.just("\n")).map("".join),
    )
    syntax = st.builds(
        _with_malformed,
        st.one_of(valid, noise),
        fragment,
        st.floats(min_value=0, max_value=1),
    )
    position = _POSITION_ERRORS.get(kind)
    if position is None:
        return syntax
    return st.one_of(syntax, st.sampled_from(position))


# --- templates ------------------------------------------------------------------------------------


def templates(
    context: str | None = None,
    kind: Kind = "text",
    valid: bool = True,
    *,
    catalog: Catalog | None = None,
) -> st.SearchStrategy[str]:
    """Template sources of ``kind`` whose merge fields name fields that ``context`` allows.

    With ``valid=True`` every drawn source holds at least one merge field and compiles in
    ``kind`` in both modes (``mergefield.compile(s, kind=kind, mode="strict")`` never raises),
    and the drawn sources together put merge fields in every position the kind has: for
    ``url`` the whole URL, host, port, path, query key and value and fragment (of ``https://``,
    ``//``, relative and ``mailto:`` URLs); for ``json`` strings, URLs inside strings, whole URLs
    under a key named like `URL_KEYS` and bare values, in nested objects and arrays; for
    ``html`` text, RCDATA, quoted plain and URL attributes, ``srcset`` and meta refresh (see
    `_html_doc`); anywhere in ``form`` and ``text``.  With ``valid=False`` every drawn source
    fails to compile in strict mode (a malformed token from `MALFORMED_TOKENS` or a random one,
    or for ``url``, ``json`` and ``html`` a merge field where that kind cannot hold one, a
    literal unsafe scheme, invalid JSON or unclosed HTML), which is what
    parser fuzzing needs; in lax mode most compile, with the malformed tokens kept as text.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if context is not None and context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r}; expected one of {', '.join(CONTEXTS)}")
    token = tokens(context, catalog=catalog)
    shape: st.SearchStrategy[str]
    if kind == "url":
        shape = _url(token)
    elif kind == "json":
        shape = _json_doc(token)
    elif kind == "html":
        shape = _html_doc(token)
    else:
        shape = _pieces(token, _free_text(kind), min_size=1)
    well_formed = shape.filter(lambda s: "@{" in s)
    if valid:
        # The shapes above aim at valid templates; the position rules (a literal `&#` just
        # before a merge field, say) are the compiler's to decide, so a rare miss is dropped
        # rather than handed out as valid.
        return well_formed.filter(lambda s: _compiles_strictly(s, kind))
    return _malformed(kind, well_formed)


def _compiles_strictly(source: str, kind: Kind) -> bool:
    try:
        compile_template(source, kind=kind, mode="strict")
    except TemplateError:
        return False
    return True


# --- records --------------------------------------------------------------------------------------


def _strings() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(alphabet=st.characters(exclude_categories=()), max_size=20),
        st.sampled_from(blns()),
        st.text(
            alphabet=st.one_of(_ASTRAL, _SURROGATE, st.sampled_from("a <&\"'%/?#")), max_size=6
        ),
        st.sampled_from(["", " ", "%", "%zz", "\u2028", "\r\n", "\x00"]),
        unsafe_urls(),
        st.sampled_from(SCHEME_TRICKS),
        st.none(),
    )


def _numbers() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(),
        st.decimals(places=4),
        st.sampled_from(["42", "1,000", "0042", "-1.5e3", " 7 ", "high", "", "1e999"]),
        st.booleans(),
        st.none(),
    )


_OFFSETS = st.builds(
    dt.timezone, st.timedeltas(min_value=dt.timedelta(hours=-23), max_value=dt.timedelta(hours=23))
)
_MOMENTS = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1))


def _dates() -> st.SearchStrategy[Any]:
    written = st.builds(
        lambda moment, fmt: moment.strftime(fmt), _MOMENTS, st.sampled_from(DATE_FORMATS)
    )
    return st.one_of(
        _MOMENTS,
        _MOMENTS.flatmap(lambda m: _OFFSETS.map(lambda tz: m.replace(tzinfo=tz))),
        st.dates(),
        written,
        st.sampled_from(["not a date", "2024-02-30", "yesterday", "12:00", "", "0"]),
        st.none(),
    )


SCHEME_TRICKS: tuple[str, ...] = (
    "&#106;avascript:alert(1)",
    "&#x6A;avascript&colon;alert(1)",
    "java\tscript:alert(1)",
    "java&#9;script:alert(1)",
    "//evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "\x00javascript:alert(1)",
    "javascript\x00:alert(1)",
    " JaVaScRiPt:alert(1)",
    "javascript",
    "script:alert(1)",
    ":alert(1)",
    "0; url=javascript:alert(1)",
    "x.png 1x, javascript:alert(1) 2x",
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    "--><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
)
"""Values that try to smuggle a scheme, an attribute or a tag past an encoder (issue 14)."""


def unsafe_urls() -> st.SearchStrategy[str]:
    """URLs with a script-bearing scheme (``javascript``, ``data``, ``vbscript``) disguised as
    browsers still read them: mixed case, leading blanks and C0 controls, tabs and line breaks
    inside the scheme."""
    return st.builds(
        lambda lead, scheme, sep, tail: lead + sep.join(scheme) + ":" + tail,
        st.sampled_from(["", " ", "\x00", "\t", "\n", "\x1f ", "\u00a0"]),
        st.sampled_from(["javascript", "JaVaScRiPt", "data", "DATA", "vbscript", "VbScript"]),
        st.sampled_from(["", "\t", "\n", "\r", "\x00"]),
        st.sampled_from(["alert(1)", "text/html,<script>", "//x", ""]),
    )


_BY_TYPE: Mapping[ValueType, Callable[[], st.SearchStrategy[Any]]] = {
    ValueType.STRING: _strings,
    ValueType.NUMBER: _numbers,
    ValueType.DATE: _dates,
}


def field_values(type: ValueType | str) -> st.SearchStrategy[Any]:
    """Values for a field of ``type`` (``"String"``, ``"Number"``, ``"Date"``), adversarial ones
    included: any ``str`` (astral characters and lone surrogates too), the blns corpus,
    ``None`` and ``""`` for String; ints, floats (NaN and infinities), Decimals, booleans and
    numeric or non-numeric strings for Number; naive and aware datetimes, dates, date strings in
    every format of `DATE_FORMATS` and unparseable strings for Date."""
    return _BY_TYPE[ValueType(type)]()


def _record(specs: Sequence[FieldSpec], extra: Sequence[str]) -> st.SearchStrategy[Any]:
    optional = {spec.key: field_values(spec.type) for spec in specs}
    optional.update({key: field_values(ValueType.STRING) for key in extra})
    return st.one_of(st.fixed_dictionaries({}, optional=optional), st.none())


def records(
    context: str | None = None, *, catalog: Catalog | None = None
) -> st.SearchStrategy[dict[str, dict[str, Any] | None]]:
    """The keyword arguments of `Template.render`: one record per resource ``context`` allows.

    Each drawn value is keyed by the field's record key (``Source`` for ``Lead:Source Lead``),
    any key may be absent, a whole record may be ``None``, and the Lead record also fills the
    custom fields of `CUSTOM_FIELDS`.  Values come from `field_values` for the field's type.
    Use it as ``template.render(**drawn)``.
    """
    catalog = catalog or DEFAULT_CATALOG
    resources = sorted(catalog.allowed_resources(context))
    return st.fixed_dictionaries(
        {
            resource: _record(catalog.fields(resource), CUSTOM_FIELDS if resource == "Lead" else ())
            for resource in resources
        }
    )
