"""Named encoders that make a value safe for the place its token stands in (SPEC section 4).

Each encoder is a preconfigured pipeline of a few base transforms, by their `Step` ids (one
numbering, `mergefield._contract.Step`, shared with the cores); the compiler binds one encoder
name to every token from its position, so nothing is guessed at render time and no free-form
"safe" string is ever passed around (the lesson of jinja issues #444/#515/#864 and of yarl's
per-part quoters).  `TRANSFORMS` is the one Python implementation of each step: the pure core
builds its encoders from it, and the compiled core implements the same steps table-driven, so
their exact behaviour is pinned here and in ``tests/test_encoding.py``.  A whole-URL slot only
lets ``http``, ``https``, ``mailto`` or relative URLs through, deciding on the encoded output, and
otherwise yields :data:`UNSAFE_URL_FAILSAFE` (lax) or raises :class:`UnencodableValue` (strict),
as Go's ``html/template`` does.  A lone surrogate is escaped in JSON strings and becomes U+FFFD
(lax) or an error (strict) everywhere else, because UTF-8 cannot carry it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _json_quote
from types import MappingProxyType
from urllib.parse import quote, quote_plus

from mergefield._contract import Step
from mergefield._pre_encoded import PreEncoded
from mergefield.errors import MergefieldError

__all__ = [
    "ENCODERS",
    "TRANSFORMS",
    "UNSAFE_LITERAL_SCHEMES",
    "UNSAFE_URL_FAILSAFE",
    "URL_SCHEMES",
    "Encoder",
    "UnencodableValue",
    "apply_step",
    "encode",
    "encoder_table_markdown",
    "escape_json_string",
    "url_scheme",
]

#: Schemes a whole-URL slot accepts (compared case-insensitively); a relative URL is accepted too.
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

UNSAFE_LITERAL_SCHEMES: frozenset[str] = frozenset({"javascript", "vbscript", "data"})
"""Schemes no URL position may ever get, not even from the template's own literal text: they
run script or inline a document.  Literal text may still write other schemes (``tel:``)."""

#: What a whole-URL slot renders in lax mode when the value's scheme is refused.  ``about:invalid``
#: is the failsafe Go's html/template uses (``#ZgotmplZ`` there): browsers load a blank, inert page
#: for it, it never runs script, and it is a valid absolute URL, so the surrounding request or
#: iframe still gets a well-formed address.  The fragment names the cause for whoever reads logs.
UNSAFE_URL_FAILSAFE = "about:invalid#mergefield-unsafe-url"


class UnencodableValue(MergefieldError, ValueError):
    """A value that an encoder refuses in strict mode (lone surrogate, unsafe URL scheme).

    The renderer wraps it into :class:`mergefield.errors.RenderError` naming the field.
    """


_SURROGATE = re.compile("[\ud800-\udfff]")
# U+2028/U+2029 are legal in JSON but end a line in JavaScript before ES2019, and a surrogate
# would make the JSON text unencodable as UTF-8, so both are escaped on top of json's own rules.
_JSON_EXTRA = re.compile("[\u2028\u2029\ud800-\udfff]")
_BAD_PERCENT = re.compile("%(?![0-9A-Fa-f]{2})")
_URL_RESERVED = ":/?#[]@!$&'()*+,;="
_URL_DELIMS = re.compile("[:/?#]")
# WHATWG URL parsing strips leading/trailing C0 controls and spaces and drops tab, CR, LF
# anywhere before it looks for a scheme.
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_DROP_TAB_NL = {0x09: None, 0x0A: None, 0x0D: None}


def _surrogate_message(value: str) -> str:
    match = _SURROGATE.search(value)
    position = match.start() if match else -1
    return (
        f"value holds a lone surrogate U+{ord(value[position]):04X} at index {position}, "
        "which UTF-8 cannot encode"
    )


def _no_surrogates(value: str, strict: bool) -> str:
    if value.isascii() or _SURROGATE.search(value) is None:
        return value
    if strict:
        raise UnencodableValue(_surrogate_message(value))
    return _SURROGATE.sub("\ufffd", value)


def _text(value: str, strict: bool) -> str:
    return _no_surrogates(value, strict)


_UNRESERVED_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# urllib's quote spends most of its time in Python-level setup; for ASCII text, by far the most
# common value, a translate table gives the same bytes about twice as fast.
# Every ASCII code point has an entry (an unreserved one maps to itself): a code point missing
# from the table costs `translate` a failed lookup, per distinct character, on every call.
_PERCENT_ASCII = {i: chr(i) if chr(i) in _UNRESERVED_CHARS else f"%{i:02X}" for i in range(128)}
_FORM_ASCII = {**_PERCENT_ASCII, 0x20: "+"}


def _percent(value: str, strict: bool) -> str:
    if value.isascii():
        # Letters and digits are unreserved: most names and codes need no table at all.
        return value if value.isalnum() else value.translate(_PERCENT_ASCII)
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:
        return quote(_no_surrogates(value, strict), safe="")


def _form(value: str, strict: bool) -> str:
    if value.isascii():
        return value if value.isalnum() else value.translate(_FORM_ASCII)
    try:
        return quote_plus(value, safe="")
    except UnicodeEncodeError:
        return quote_plus(_no_surrogates(value, strict), safe="")


def _html(value: str, strict: bool) -> str:
    return (
        _no_surrogates(value, strict)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def _json_extra(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_json_string(value: str) -> str:
    """Return ``value`` escaped for the inside of a JSON string literal (the JSON_STRING transform).

    ``"`` and ``\\`` are backslash-escaped; U+0000-U+001F become ``\\b \\f \\n \\r \\t`` or
    ``\\u00xx`` (lowercase hex); U+2028, U+2029 and every surrogate code point become ``\\uxxxx``;
    everything else, including U+007F and non-ASCII, is kept raw.  A high surrogate directly
    followed by a low one is read back by any JSON parser as the astral character they pair to;
    JSON has no spelling that keeps them apart.
    """
    escaped = _json_quote(value)[1:-1]
    if escaped.isascii():
        return escaped
    return _JSON_EXTRA.sub(_json_extra, escaped)


def _json_string(value: str, strict: bool) -> str:
    return escape_json_string(value)


def _json_quoted(value: str, strict: bool) -> str:
    # A whole JSON value of a str: typed values go through mergefield.values.json_literal.
    return '"' + escape_json_string(value) + '"'


def _scheme_allowed(url: str) -> bool:
    match = _URL_DELIMS.search(url)
    if match is None or match.group() != ":":
        return True
    return url[: match.start()].lower() in URL_SCHEMES


def _browser_view(url: str) -> str:
    return url.strip(_C0_AND_SPACE).translate(_DROP_TAB_NL)


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(url: str) -> str:
    """The lowercase scheme a browser reads at the start of ``url``, or "" when it has none.

    Leading blanks and C0 controls are dropped and tab, CR, LF removed anywhere first, as WHATWG
    URL parsing does, so `` Java\\tScript:`` has the scheme ``javascript``.  Character references
    are not decoded here: callers that put the URL in HTML look at ``html.unescape(url)`` too.
    """
    match = _SCHEME.match(_browser_view(url))
    return match.group(1).lower() if match else ""


def _whole_url(value: str, strict: bool) -> str:
    value = _no_surrogates(value, strict)
    if "%" in value:
        value = _BAD_PERCENT.sub("%25", value)
    out = quote(value, safe=_URL_RESERVED + "%")
    # The output is checked as it stands and, when it holds `&`, as a browser would read it after
    # HTML character references are decoded (`javascript&#58;...` in an attribute), so neither a
    # raw nor an entity-spelled scheme gets through.
    if _scheme_allowed(out) and (
        "&" not in out or _scheme_allowed(_browser_view(html.unescape(out)))
    ):
        return out
    if strict:
        scheme = out.split(":", 1)[0]
        shown = scheme if len(scheme) <= 40 else scheme[:40] + "..."
        raise UnencodableValue(
            f"URL scheme {shown!r} is not allowed in a whole-URL slot "
            "(allowed: http, https, mailto, or a relative URL)"
        )
    return UNSAFE_URL_FAILSAFE


#: The transform of each step that encodes a str, as ``transform(value, strict)``.  Every step
#: but `Step.POLICY` and `Step.JSON_NUMBER` (a Number field's text is judged by its type, in
#: `mergefield.values`).  The pure core's encoders are these; the compiled core's are its tables.
TRANSFORMS: Mapping[Step, Callable[[str, bool], str]] = MappingProxyType(
    {
        Step.TEXT: _text,
        Step.PERCENT: _percent,
        Step.FORM: _form,
        Step.HTML: _html,
        Step.JSON_STRING: _json_string,
        Step.JSON_QUOTED: _json_quoted,
        Step.WHOLE_URL: _whole_url,
    }
)


def apply_step(step: int, value: str, *, strict: bool = False) -> str:
    """Apply one base transform by id; the reference the compiled core is tested against."""
    try:
        transform = TRANSFORMS[step]  # type: ignore[index]  # an int finds its Step
    except KeyError:
        raise ValueError(f"unknown transform id {step!r}") from None
    return transform(value, strict)


def _is_pre_encoded(value: str) -> bool:
    return isinstance(value, PreEncoded)


@dataclass(frozen=True)
class Encoder:
    """A named pipeline of base transforms bound to a token position.

    ``steps`` are transform ids applied left to right; ``safe`` is the human text of the exact set
    of characters left as they are (used by the README table); ``position`` says where in a
    template the encoder is used.  Calling it encodes a str; a
    :class:`mergefield.PreEncoded` value is returned unchanged (it is never encoded twice,
    and in a whole-URL slot it also skips the scheme check, like Go's ``template.URL``).
    """

    name: str
    steps: tuple[Step, ...]
    safe: str
    position: str = ""
    _funcs: tuple[Callable[[str, bool], str], ...] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        try:
            funcs = tuple(TRANSFORMS[step] for step in self.steps)
        except KeyError as exc:
            raise ValueError(
                f"encoder {self.name!r} names unknown transform {exc.args[0]!r}"
            ) from None
        object.__setattr__(self, "_funcs", funcs)

    def __call__(self, value: str, *, strict: bool = False) -> str:
        """Encode ``value``; ``strict`` turns lone surrogates and refused URLs into errors."""
        if value.__class__ is not str and _is_pre_encoded(value):
            return value
        for func in self._funcs:
            value = func(value, strict)
        return value


_UNRESERVED = "`A-Z a-z 0-9 - . _ ~`"
_PART_SAFE = f"{_UNRESERVED} only; UTF-8 bytes as uppercase `%XX`; blank as `%20`"
_WHOLE_URL_SAFE = (
    f"{_UNRESERVED}, reserved ``: / ? # [ ] @ ! $ & ' ( ) * + , ; =``, valid `%XX`; "
    "other bytes as uppercase `%XX`; scheme must be http, https, mailto or none, "
    "else the failsafe"
)
_JSON_SAFE = (
    'everything except `"` `\\` U+0000-U+001F U+2028 U+2029 and surrogates, which are '
    "backslash-escaped"
)


def _make(name: str, steps: tuple[Step, ...], safe: str, position: str) -> Encoder:
    return Encoder(name=name, steps=steps, safe=safe, position=position)


_ALL = (
    _make(
        "text", (Step.TEXT,), "everything (lone surrogates become U+FFFD)", "anywhere, kind `text`"
    ),
    _make(
        "html",
        (Step.HTML,),
        "everything except `& < > \" '` (as `&amp; &lt; &gt; &#34; &#39;`)",
        "kind `html`, text between tags and RCDATA (`<title>`, `<textarea>`)",
    ),
    _make(
        "html_attr",
        (Step.HTML,),
        "as `html`",
        "kind `html`, quoted attribute value (not a URL, script or style attribute)",
    ),
    _make(
        "html_url",
        (Step.WHOLE_URL, Step.HTML),
        "as `url`, then as `html`",
        "kind `html`, URL attribute (`href`, `src`, ...) whose URL starts with the token",
    ),
    _make(
        "html_url_host",
        (Step.PERCENT, Step.HTML),
        "as `url_host` (its output holds nothing `html` escapes)",
        "kind `html`, host of a URL attribute",
    ),
    _make(
        "html_url_path",
        (Step.PERCENT, Step.HTML),
        "as `url_path` (its output holds nothing `html` escapes)",
        "kind `html`, path of a URL attribute, or a srcset descriptor",
    ),
    _make(
        "html_url_query",
        (Step.PERCENT, Step.HTML),
        "as `url_query` (its output holds nothing `html` escapes)",
        "kind `html`, query of a URL attribute",
    ),
    _make(
        "html_url_fragment",
        (Step.PERCENT, Step.HTML),
        "as `url_fragment` (its output holds nothing `html` escapes)",
        "kind `html`, fragment of a URL attribute",
    ),
    _make(
        "form",
        (Step.FORM,),
        f"{_UNRESERVED}; blank as `+`; other UTF-8 bytes as uppercase `%XX`",
        "anywhere, kind `form`",
    ),
    _make("url", (Step.WHOLE_URL,), _WHOLE_URL_SAFE, "kind `url`, the token starts the URL"),
    _make("url_host", (Step.PERCENT,), _PART_SAFE, "kind `url`, host"),
    _make("url_path", (Step.PERCENT,), _PART_SAFE, "kind `url`, path"),
    _make("url_query", (Step.PERCENT,), _PART_SAFE, "kind `url`, query key or value"),
    _make("url_fragment", (Step.PERCENT,), _PART_SAFE, "kind `url`, fragment"),
    _make("json_string", (Step.JSON_STRING,), _JSON_SAFE, "kind `json`, inside a string literal"),
    _make(
        "json_value",
        (Step.JSON_QUOTED,),
        "a whole JSON value by the field's type: Number as a number, others as a quoted string, "
        "missing as `null`",
        "kind `json`, bare value position",
    ),
    _make(
        "json_url",
        (Step.WHOLE_URL, Step.JSON_STRING),
        "as `url`, then JSON string escaping",
        "kind `json`, string literal whose URL starts with the token",
    ),
    _make(
        "json_url_host",
        (Step.PERCENT, Step.JSON_STRING),
        "as `url_host`",
        "kind `json`, host of a URL in a string literal",
    ),
    _make(
        "json_url_path",
        (Step.PERCENT, Step.JSON_STRING),
        "as `url_path`",
        "kind `json`, path of a URL in a string literal",
    ),
    _make(
        "json_url_query",
        (Step.PERCENT, Step.JSON_STRING),
        "as `url_query`",
        "kind `json`, query of a URL in a string literal",
    ),
    _make(
        "json_url_fragment",
        (Step.PERCENT, Step.JSON_STRING),
        "as `url_fragment`",
        "kind `json`, fragment of a URL in a string literal",
    ),
)

#: Every encoder by name; the compiler binds one of these names to each token.
ENCODERS: Mapping[str, Encoder] = MappingProxyType({enc.name: enc for enc in _ALL})


def encode(name: str, value: str, *, strict: bool = False) -> str:
    """Encode ``value`` with the encoder called ``name`` (see :data:`ENCODERS`)."""
    try:
        encoder = ENCODERS[name]
    except KeyError:
        known = ", ".join(ENCODERS)
        raise ValueError(f"unknown encoder {name!r}; known encoders: {known}") from None
    return encoder(value, strict=strict)


_EXAMPLE_TEXT = 'Tom & "Jerry" <é>/?\''
_EXAMPLE_URL = "https://x.test/a b?q=é&r=%41"
_EXAMPLES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "url": (_EXAMPLE_URL, "javascript:alert(1)"),
        "json_url": (_EXAMPLE_URL,),
        "html_url": (_EXAMPLE_URL + "&s='", "javascript:alert(1)"),
        "json_value": ('Tom "T"',),
    }
)


def _code(text: str) -> str:
    # A code span must be fenced with more backticks than it holds and may not hold a raw `|` in
    # a GFM table.
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def encoder_table_markdown() -> str:
    """Return the README table of encoders: name, position, exact safe set, example."""
    lines = [
        "| encoder | position | left as is (exact safe set) | example |",
        "|---|---|---|---|",
    ]
    for enc in ENCODERS.values():
        examples = _EXAMPLES.get(enc.name, (_EXAMPLE_TEXT,))
        shown = "<br>".join(f"{_code(ex)} → {_code(enc(ex))}" for ex in examples)
        lines.append(f"| `{enc.name}` | {enc.position} | {enc.safe} | {shown} |")
    return "\n".join(lines) + "\n"
