"""Bind an encoder to every merge field from where it stands in the template's literal text.

`classify` takes the template source and the ``(start, end)`` span of each token and, following
SPEC section 4 and Go's ``html/template``, runs a small state machine over the literal text once
at compile time: for ``url`` templates a URL state machine (scheme, authority, path, query,
fragment), for ``json`` templates a JSON scanner that knows whether a token stands inside a
string literal, inside a string that is itself a URL, or alone at a value position, and that
then proves the template is valid JSON around its tokens.  Every position that is unsafe or
ambiguous (a token in a URL scheme, a token glued to JSON text, a token used as an unquoted key,
invalid JSON) is a `TemplateCompileError` with a short ``code`` documented in `ERROR_CODES`.
Decisions the SPEC leaves open are written next to the code that makes them and in
`ERROR_CODES`; the whole pass is linear in the size of the source.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from mergefield.errors import TemplateCompileError

__all__ = ["ENCODERS", "ERROR_CODES", "KINDS", "classify"]

KINDS: tuple[str, ...] = ("url", "json", "form", "html", "text")
"""Every template kind `classify` accepts (SPEC section 4)."""

ENCODERS: tuple[str, ...] = (
    "text",
    "html",
    "form",
    "url",
    "url_host",
    "url_path",
    "url_query",
    "url_fragment",
    "json_string",
    "json_value",
    "json_url",
    "json_url_host",
    "json_url_path",
    "json_url_query",
    "json_url_fragment",
)
"""Every encoder name `classify` can return; `mergefield.encoding` implements each one."""

ERROR_CODES: Mapping[str, str] = MappingProxyType(
    {
        "url-scheme-slot": (
            "A merge field stands where the URL scheme is still being written, as in "
            "`http@{Account:Suffix,}://x/` or `go@{Lead:Id,}`: the value could turn the URL "
            "into `javascript:` or make a relative path look like a scheme. Fix: write the "
            "scheme and `://` literally and put the field after them, e.g. "
            "`https://@{Account:Host,}/`, or start the URL with `/` or `./` when it is relative."
        ),
        "json-glued": (
            "Outside a JSON string a merge field must be a whole value: it must follow `:`, "
            "`[`, `,` in an array or the start of the document, and be followed by `,`, `}`, "
            "`]` or the end. `@{Lead:Score,}5`, `tru@{Lead:Flag,}` and "
            '`"id-"@{Lead:Id,}` glue it to other text. Fix: put the field and the text in '
            'one string, e.g. `"id-@{Lead:Id,}"`, or give the field its own value position.'
        ),
        "json-key-slot": (
            "A merge field stands where a JSON object expects a key, as in "
            "`{@{Lead:Field,}: 1}`: JSON keys are strings. Fix: quote it, "
            'e.g. `{"@{Lead:Field,}": 1}`.'
        ),
        "json-invalid": (
            "The `json` template is not valid JSON once each merge field is replaced by a "
            "neutral value (`x` inside a string, `0` at a value position), e.g. "
            '`{"a": @{Lead:Score,} "b": 1}` lacks a comma, and `NaN`/`Infinity` are not '
            "JSON. The error points at the first offending character. Fix: repair the JSON "
            "around the field as the message says."
        ),
        "json-too-deep": (
            "The `json` template nests arrays and objects more than 500 levels deep, which the "
            "JSON checker cannot prove valid without exhausting the Python stack. Fix: flatten "
            "the document."
        ),
    }
)
"""Error code -> what it means, an example and its fix (Go ``html/template`` style)."""

# URL parts as RFC 3986 splits them; `_SLASH` is one `/` seen where `//` would open an authority.
_START, _SCHEME, _AFTER_COLON, _SLASH, _AUTHORITY, _PATH, _QUERY, _FRAGMENT = range(8)

_URL_PART = {
    _AFTER_COLON: "url_path",
    _SLASH: "url_path",
    _AUTHORITY: "url_host",
    _PATH: "url_path",
    _QUERY: "url_query",
    _FRAGMENT: "url_fragment",
}
_JSON_URL_PART = {state: "json_" + name for state, name in _URL_PART.items()}
_JSON_URL_PART[_START] = "json_url"

# A JSON string that begins with a merge field is a whole URL only when its object key says so,
# as Go's html/template decides by attribute name (`href`, `src`): `"url"`, `"callbackUrl"`,
# `"photo_uri"`, `"href"`, `"link"`, `"src"`.  Any other string stays plain text.
_URL_KEY = re.compile(r"(?:url|uri|href|link|src)\Z", re.IGNORECASE)
_KEY_BEFORE = re.compile(r'"((?:[^"\\]|\\.)*)"[ \t\n\r]*:[ \t\n\r]*\Z')
# How far back a key is looked for: keys are short, and a bounded look keeps compile linear.
_KEY_WINDOW = 256

# A token fills in characters, so the machine can no longer be at a start, right after the
# scheme's colon or on a lone `/`: it is in the path.  A token that is the whole URL leaves the
# machine in the path too, so a following `?` opens the query and `#` the fragment.
_AFTER_TOKEN = {
    _START: _PATH,
    _AFTER_COLON: _PATH,
    _SLASH: _PATH,
    _AUTHORITY: _AUTHORITY,
    _PATH: _PATH,
    _QUERY: _QUERY,
    _FRAGMENT: _FRAGMENT,
}

# Browsers (WHATWG URL) and urllib.parse both drop leading C0 controls and spaces, and drop tab,
# CR and LF anywhere, so the machine skips them too: otherwise ` java\nscript:` would not be seen
# as the scheme it becomes.
_LEADING = re.compile(r"[\x00-\x20]*")
_TAB_NL = re.compile(r"[\t\n\r]*")
_SCHEME_CHARS = re.compile(r"[A-Za-z0-9+.\-\t\n\r]*")
_AUTHORITY_END = re.compile(r"[/?#]")


def _url_advance(state: int, text: str, pos: int, endpos: int) -> int:
    """Run the URL machine from ``state`` over ``text[pos:endpos]`` and return the new state."""
    i = pos
    while i < endpos:
        if state == _START:
            i = _LEADING.match(text, i, endpos).end()  # type: ignore[union-attr]
            if i == endpos:
                break
            ch = text[i]
            if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
                state, i = _SCHEME, i + 1
            elif ch == "/":
                state, i = _SLASH, i + 1
            else:
                state = _PATH
        elif state == _SCHEME:
            i = _SCHEME_CHARS.match(text, i, endpos).end()  # type: ignore[union-attr]
            if i == endpos:
                break
            if text[i] == ":":
                state, i = _AFTER_COLON, i + 1
            else:
                # `/`, `?`, `#` or any other character before a colon: a relative reference.
                state = _PATH
        elif state in (_AFTER_COLON, _SLASH):
            i = _TAB_NL.match(text, i, endpos).end()  # type: ignore[union-attr]
            if i == endpos:
                break
            if text[i] == "/":
                state, i = (_SLASH if state == _AFTER_COLON else _AUTHORITY), i + 1
            else:
                state = _PATH
        elif state == _AUTHORITY:
            m = _AUTHORITY_END.search(text, i, endpos)
            if m is None:
                break
            state = {"/": _PATH, "?": _QUERY}.get(m.group(), _FRAGMENT)
            i = m.end()
        elif state == _PATH:
            # Only the last delimiter matters from here on, so skip the character loop.
            if text.find("#", i, endpos) >= 0:
                return _FRAGMENT
            return _QUERY if text.find("?", i, endpos) >= 0 else _PATH
        elif state == _QUERY:
            return _FRAGMENT if text.find("#", i, endpos) >= 0 else _QUERY
        else:
            return state
    return state


def _compile_error(
    code: str, message: str, source: str, offset: int, end: int | None = None
) -> TemplateCompileError:
    return TemplateCompileError(message, source, offset, end, code=code)


def _classify_url(source: str, spans: Sequence[tuple[int, int]]) -> tuple[str, ...]:
    names: list[str] = []
    state = _START
    pos = 0
    for start, end in spans:
        state = _url_advance(state, source, pos, start)
        if state == _SCHEME:
            raise _compile_error(
                "url-scheme-slot",
                "merge field inside the URL scheme: put it after `://`, e.g. `https://@{...}`",
                source,
                start,
                end,
            )
        names.append("url" if state == _START else _URL_PART[state])
        state = _AFTER_TOKEN[state]
        pos = end
    return tuple(names)


_JSON_WS = re.compile(r"[ \t\n\r]*")
_STRING_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
# A whole string literal is skipped in one step; a lone `"` opens one that a token interrupts.
_OUTSIDE_STOP = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(")?|[{}\[\]]', re.DOTALL)
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_URL_STRING_PREFIXES = ("http://", "https://", "mailto:", "/")
_CONSTANT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(-?(?:NaN|Infinity))', re.DOTALL)
_MAX_DEPTH = 500
# `x` is neither an escape letter nor a hex digit, so a token after `\` or inside `\u00` stays an
# error as it would be for real values; `0` cannot merge with its neighbours because
# `_check_value_slot` already insists on a separator on each side.
_STRING_PLACEHOLDER = "x"
_VALUE_PLACEHOLDER = "0"
# Stand-in for "the previous significant thing was a merge field", never a JSON character.
_TOKEN = "\0"


def _unescape(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return chr(int(m.group(1), 16))
    return _SIMPLE_ESCAPES.get(m.group(2), m.group(0))


def _decode(text: str) -> str:
    """Decode JSON string escapes; malformed ones stay as written (the JSON check reports them)."""
    return _ESCAPE.sub(_unescape, text) if "\\" in text else text


def _describe(ch: str) -> str:
    if ch == _TOKEN:
        return "another merge field"
    return "the end" if ch == "" else f"`{ch}`"


class _ConstantFound(Exception):
    """Raised from the decoder's `parse_constant` hook: `NaN` and `Infinity` are not JSON."""


def _reject_constant(name: str) -> object:
    raise _ConstantFound(name)


def _ignore_number(text: str) -> object:
    # Converting is wasted work and int() refuses more than 4300 digits with a ValueError.
    return None


_DECODER = json.JSONDecoder(
    parse_constant=_reject_constant, parse_int=_ignore_number, parse_float=_ignore_number
)


class _JsonScanner:
    """Walk literal JSON text, tracking string literals and the stack of open brackets."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.in_string = False
        self.string_start = -1
        self.stack: list[str] = []

    def scan(self, i: int, stop: int) -> None:
        """Advance over ``source[i:stop]``, which holds no token."""
        source = self.source
        while i < stop:
            if self.in_string:
                # The body pattern steps over `\"` and `\\` as pairs, so an escaped quote never
                # ends the string; `\uXXXX` digits hold no quote or backslash.
                i = _STRING_BODY.match(source, i, stop).end()  # type: ignore[union-attr]
                if i == stop:
                    return
                if source[i] == "\\":
                    # A backslash right before a token escapes its `@`: the JSON check reports it.
                    return
                self.in_string = False
                i += 1
            else:
                m = _OUTSIDE_STOP.search(source, i, stop)
                if m is None:
                    return
                ch = m.group()
                i = m.end()
                if ch[0] == '"':
                    if m.group(1) is None:
                        # The string runs on to the next token (or never closes).
                        self.in_string, self.string_start = True, m.start()
                elif ch in "{[":
                    self.stack.append(ch)
                    if len(self.stack) > _MAX_DEPTH:
                        # json.loads would hit RecursionError; refuse with a position instead.
                        raise _compile_error(
                            "json-too-deep",
                            f"JSON nested more than {_MAX_DEPTH} levels deep: flatten the document",
                            source,
                            m.start(),
                        )
                elif self.stack:
                    self.stack.pop()


def _classify_json(source: str, spans: Sequence[tuple[int, int]]) -> tuple[str, ...]:
    names: list[str] = []
    placeholders: list[str] = []
    scanner = _JsonScanner(source)
    # URL state of the current string: None before its first token, -1 when it is no URL.
    url_state: int | None = None
    pos = 0
    for index, (start, end) in enumerate(spans):
        was_in_string = scanner.in_string
        previous_string = scanner.string_start
        scanner.scan(pos, start)
        if scanner.in_string:
            if not was_in_string or scanner.string_start != previous_string:
                url_state = None
            run = _decode(source[max(scanner.string_start + 1, pos) : start])
            if url_state is None:
                url_state = _string_url_state(run)
                if url_state < 0 and not run and _has_url_key(source, scanner.string_start):
                    url_state = _START
            elif url_state >= 0:
                url_state = _url_advance(url_state, run, 0, len(run))
            if url_state < 0:
                names.append("json_string")
            else:
                names.append(_JSON_URL_PART[url_state])
                url_state = _AFTER_TOKEN[url_state]
            placeholders.append(_STRING_PLACEHOLDER)
        else:
            _check_value_slot(source, spans, index, scanner.stack, pos)
            names.append("json_value")
            placeholders.append(_VALUE_PLACEHOLDER)
        pos = end
    scanner.scan(pos, len(source))
    _validate(source, spans, placeholders)
    return tuple(names)


def _has_url_key(source: str, string_start: int) -> bool:
    """Whether the JSON string opening at ``string_start`` is the value of a URL-named key."""
    window = source[max(0, string_start - _KEY_WINDOW) : string_start]
    match = _KEY_BEFORE.search(window)
    return match is not None and _URL_KEY.search(_decode(match.group(1))) is not None


def _string_url_state(prefix: str) -> int:
    """URL state at the first token of a JSON string whose decoded text before it is ``prefix``.

    The string is a URL when ``prefix``, leading blanks and C0 controls dropped as URL parsers
    do, starts with ``http://``, ``https://``, ``mailto:`` (any case) or ``/``; otherwise the
    result is -1.  A token at the very start of a string cannot be told apart from plain text
    (``"@{Lead:FirstName,} / @{Lead:LastName,}"``) by its text, so the caller asks the key
    (`_has_url_key`): under a URL-named key it is a whole-URL slot (``json_url``), under any
    other it and the rest of its string stay ``json_string``.
    """
    head = prefix[_LEADING.match(prefix).end() :].lower()  # type: ignore[union-attr]
    if not head.startswith(_URL_STRING_PREFIXES):
        return -1
    return _url_advance(_START, prefix, 0, len(prefix))


def _check_value_slot(
    source: str, spans: Sequence[tuple[int, int]], index: int, stack: list[str], pos: int
) -> None:
    """Raise unless the token at ``spans[index]``, outside any string, is a whole JSON value."""
    start, end = spans[index]
    before = source[pos:start].rstrip(" \t\n\r")
    if before:
        prev = before[-1]
    elif index:
        prev = _TOKEN
    else:
        prev = ""
    next_start = spans[index + 1][0] if index + 1 < len(spans) else len(source)
    j = _JSON_WS.match(source, end, next_start).end()  # type: ignore[union-attr]
    if j < next_start:
        after = source[j]
    elif index + 1 < len(spans):
        after = _TOKEN
    else:
        after = ""
    top = stack[-1] if stack else ""
    if prev == "{" or (prev == "," and top == "{") or after == ":":
        raise _compile_error(
            "json-key-slot",
            "merge field used as a JSON object key: keys must be strings, so quote it, "
            'e.g. `{"@{...}": 1}`',
            source,
            start,
            end,
        )
    if not (prev in ("", ":", "[") or (prev == "," and top == "[")):
        raise _compile_error(
            "json-glued",
            f"expected a JSON value around the merge field: outside a string it must be a whole "
            f"value after `:`, `[` or `,`, but it follows {_describe(prev)}; to join it with "
            'text, put both in one string, e.g. `"id-@{...}"`',
            source,
            start,
            end,
        )
    if after not in ("", ",", "}", "]"):
        raise _compile_error(
            "json-glued",
            f"expected `,`, `}}`, `]` or the end after the merge field, found {_describe(after)}: "
            "outside a string a merge field must be a whole value; to join it with text, put "
            'both in one string, e.g. `"@{...}-id"`',
            source,
            start,
            end,
        )


def _validate(source: str, spans: Sequence[tuple[int, int]], placeholders: list[str]) -> None:
    """Parse the template with each token replaced by its placeholder; map errors back."""
    parts: list[str] = []
    # new_starts[k]: offset of placeholder k in the substituted text; shifts[k]: what to add to
    # an offset in the substituted text after placeholder k to get the original offset.
    new_starts: list[int] = []
    shifts: list[int] = []
    pos = 0
    shift = 0
    for (start, stop), placeholder in zip(spans, placeholders, strict=True):
        parts.append(source[pos:start])
        new_starts.append(start - shift)
        parts.append(placeholder)
        shift += (stop - start) - len(placeholder)
        shifts.append(shift)
        pos = stop
    parts.append(source[pos:])
    doc = "".join(parts)

    def original(offset: int) -> tuple[int, int]:
        """Map an offset in ``doc`` to (offset, end) in ``source``; a placeholder to its token."""
        k = bisect_right(new_starts, offset) - 1
        if k < 0:
            return offset, offset + 1
        if offset < new_starts[k] + len(placeholders[k]):
            return spans[k]
        return offset + shifts[k], offset + shifts[k] + 1

    try:
        _DECODER.decode(doc)
    except json.JSONDecodeError as exc:
        where, until = original(exc.pos)
        raise _compile_error(
            "json-invalid", f"invalid JSON: {exc.msg}", source, where, until
        ) from None
    except _ConstantFound as exc:
        found = next(m for m in _CONSTANT.finditer(doc) if m.group(1))
        where, until = original(found.start())
        raise _compile_error(
            "json-invalid",
            f"invalid JSON: `{exc.args[0]}` is not JSON; use null, a number or a string",
            source,
            where,
            max(until, where + len(found.group(1))),
        ) from None
    except RecursionError:
        # Only reachable when the caller's own stack is already deep; the nesting limit above
        # keeps ordinary calls away from it.
        raise _compile_error(
            "json-too-deep", "JSON nested too deeply to check: flatten the document", source, 0
        ) from None


def classify(source: str, spans: Sequence[tuple[int, int]], kind: str) -> tuple[str, ...]:
    """Return the encoder name bound to each token of ``source``, in the order of ``spans``.

    ``spans`` holds the ``(start, end)`` offsets of each merge-field token (``start`` at its
    ``@``, ``end`` just past its ``}``), in order and not overlapping; everything between them
    is literal text.  ``kind`` is one of `KINDS`: ``form``, ``html`` and ``text`` give every
    token that encoder; ``url`` and ``json`` run a state machine over the literal text (see the
    module docstring).  Raises `TemplateCompileError` (with a ``code`` from `ERROR_CODES`) for
    an unsafe or ambiguous position or a ``json`` template that is not valid JSON around its
    tokens, and `ValueError` for an unknown ``kind`` or malformed ``spans``.
    """
    if kind not in KINDS:
        raise ValueError(
            f"unknown template kind {kind!r}: expected one of " + ", ".join(map(repr, KINDS))
        )
    previous_end = 0
    for start, end in spans:
        if not previous_end <= start < end <= len(source):
            raise ValueError(
                f"span ({start}, {end}) is out of order, empty, overlapping or outside the "
                f"source of length {len(source)}"
            )
        previous_end = end
    if kind == "url":
        return _classify_url(source, spans)
    if kind == "json":
        return _classify_json(source, spans)
    return (kind,) * len(spans)
