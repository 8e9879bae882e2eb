"""Contextual escaping for kind `json`: which encoder each merge field gets, and proof of JSON.

A scanner walks the literal JSON text once at compile time and knows, at every token, whether it
stands inside a string literal, inside a string that is itself a URL (by its key, as Go's
``html/template`` decides by attribute name, or by its text), or alone at a value position; URL
strings run the shared URL machine (`mergefield.escaping.url`).  A token glued to JSON text, used
as an unquoted key or standing bare under a URL key is a `TemplateCompileError`; at the end the
template, each token replaced by a neutral placeholder, must parse as JSON, and a parse error is
mapped back to the template's own offsets.  The pass is linear in the size of the source.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Sequence

from mergefield import codes
from mergefield.errors import TemplateCompileError
from mergefield.escaping import url as um

__all__ = ["URL_KEY_WORDS", "classify_json", "is_url_key"]

_JSON_URL_PART = {state: "json_url_" + part for state, part in um.PART.items()}
_JSON_URL_PART[um.START] = "json_url"

# A JSON string is a URL when its object key says so, as Go's html/template decides by
# attribute name (`href`, `src`): the key, or the key of the array the string is in, ends with
# one of these words in any case (`url`, `callbackUrl`, `photo_uri`, `redirect`, `links`).
URL_KEY_WORDS: tuple[str, ...] = (
    "url",
    "uri",
    "href",
    "link",
    "src",
    "redirect",
    "website",
    "callback",
    "webhook",
    "endpoint",
    "image",
    "avatar",
    "photo",
    "icon",
    "logo",
)
"""Words that make a JSON key a URL key when the key ends with one (a trailing `s` allowed)."""
_URL_KEY = re.compile(r"(?:" + "|".join(URL_KEY_WORDS) + r")s?\Z", re.IGNORECASE)
# How far back a key is looked for: keys are short, and a bounded look keeps compile linear.
_KEY_WINDOW = 256


def _key_before(source: str, at: int) -> str | None:
    """The raw text of the object key whose value starts at ``at``, or None when there is none.

    Walks back over blanks, the `:` and the key's closing quote, then finds its opening quote
    (one not escaped by an odd run of backslashes), at most `_KEY_WINDOW` characters back: a
    backwards scan costs the key's length, where a regex search would try every offset.
    """
    j = at - 1
    while j >= 0 and source[j] in _BLANK_CHARS:
        j -= 1
    if j < 0 or source[j] != ":":
        return None
    j -= 1
    while j >= 0 and source[j] in _BLANK_CHARS:
        j -= 1
    if j < 0 or source[j] != '"':
        return None
    end = k = j
    limit = max(0, end - _KEY_WINDOW)
    while True:
        k = source.rfind('"', limit, k)
        if k < 0:
            return None
        b = k
        while b > limit and source[b - 1] == "\\":
            b -= 1
        if (k - b) % 2 == 0:
            return source[k + 1 : end]


_BLANK_CHARS = " \t\n\r"


def is_url_key(key: str) -> bool:
    """Whether a JSON object key names a URL (see `URL_KEY_WORDS`); the rule `testing` uses too."""
    return _URL_KEY.search(key) is not None


def _compile_error(
    code: str, message: str, source: str, offset: int, end: int | None = None
) -> TemplateCompileError:
    return TemplateCompileError(message, source, offset, end, code=code)


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
# Stack entry of an array whose strings are URLs (it stands under a URL key).
_URL_ARRAY = "[url"
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
                    elif ":" in ch:
                        self._check_literal_url(m.start(), ch)
                elif ch in "{[":
                    if ch == "[" and self.is_url_string(m.start()):
                        # An array under a URL key holds URLs, and so do arrays nested in it.
                        ch = _URL_ARRAY
                    self.stack.append(ch)
                    if len(self.stack) > _MAX_DEPTH:
                        # json.loads would hit RecursionError; refuse with a position instead.
                        raise _compile_error(
                            codes.JSON_TOO_DEEP,
                            f"JSON nested more than {_MAX_DEPTH} levels deep: flatten the document",
                            source,
                            m.start(),
                        )
                elif self.stack:
                    self.stack.pop()

    def is_url_string(self, at: int) -> bool:
        """Whether the JSON value starting at ``at`` is a URL by its key (`URL_KEY_WORDS`)."""
        if self.stack and self.stack[-1] == _URL_ARRAY:
            return True
        key = _key_before(self.source, at)
        return key is not None and is_url_key(_decode(key))

    def _check_literal_url(self, at: int, literal: str) -> None:
        """Raise ``url-unsafe-scheme`` for a whole literal URL string such as ``"javascript:x"``."""
        body = literal[1:-1]
        if um.unsafe_literal_scheme(_decode(body)) is not None and self.is_url_string(at):
            um.check_literal_scheme(self.source, _decode(body), at + 1)


def classify_json(
    source: str, spans: Sequence[tuple[int, int]], url_fields: Sequence[bool]
) -> tuple[str, ...]:
    """The encoder of each token of a kind `json` template, in span order; ``url_fields`` says
    per token whether its catalog field holds URLs (a whole-URL slot at a string's start)."""
    names: list[str] = []
    placeholders: list[str] = []
    scanner = _JsonScanner(source)
    # URL state of the current string: None before its first token, -1 when it is no URL.
    url_state: int | None = None
    whole = (0, 0)
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
                url_state = _string_url_state(source, run, scanner, url_fields[index])
            elif url_state >= 0:
                url_state = um.advance(url_state, run, 0, len(run))
            if url_state == um.SCHEME_CONTINUED:
                raise um.scheme_slot_error(source, *whole, continued=True)
            if url_state == um.SCHEME:
                raise um.scheme_slot_error(source, start, end)
            if url_state >= 0 and "&" in run:
                um.check_entity_slot(run, source, start, end, url_from=scanner.string_start + 1)
            if url_state < 0:
                names.append("json_string")
            else:
                names.append(_JSON_URL_PART[url_state])
                if url_state == um.START:
                    whole = (start, end)
                url_state = um.AFTER_TOKEN[url_state]
                if url_state == um.WHOLE_TAIL:
                    _check_tail(source, spans, index, whole)
            placeholders.append(_STRING_PLACEHOLDER)
        else:
            _check_value_slot(source, spans, index, scanner.stack, pos)
            if scanner.is_url_string(start):
                raise _compile_error(
                    codes.JSON_BARE_URL,
                    "merge field as a bare value under a URL key: it would be inserted as a "
                    'string without the URL filter; quote it, e.g. `"url": "@{...}"`',
                    source,
                    start,
                    end,
                )
            names.append("json_value")
            placeholders.append(_VALUE_PLACEHOLDER)
        pos = end
    scanner.scan(pos, len(source))
    _validate(source, spans, placeholders)
    return tuple(names)


def _check_tail(
    source: str, spans: Sequence[tuple[int, int]], index: int, whole: tuple[int, int]
) -> None:
    """Raise ``url-scheme-slot`` when the string text after token ``index`` continues the scheme
    of the whole-URL token at ``whole`` (a `:` before any `/`, `?` or `#`)."""
    end = spans[index][1]
    limit = spans[index + 1][0] if index + 1 < len(spans) else len(source)
    body_end = _STRING_BODY.match(source, end, limit).end()  # type: ignore[union-attr]
    tail = _decode(source[end:body_end])
    if um.advance(um.WHOLE_TAIL, tail, 0, len(tail)) == um.SCHEME_CONTINUED:
        raise um.scheme_slot_error(source, *whole, continued=True)


def _string_url_state(source: str, prefix: str, scanner: _JsonScanner, url_field: bool) -> int:
    """URL state at the first token of a JSON string whose decoded text before it is ``prefix``.

    The string is a URL when its key, or the key of the array it is in, names a URL
    (`URL_KEY_WORDS`): then the machine runs from the string's start, and a literal unsafe
    scheme is an error.  It is also a URL when ``prefix``, leading blanks and C0 controls
    dropped as URL parsers do, starts with ``http://``, ``https://``, ``mailto:`` (any case) or
    ``/``, or when it is blank and the token's catalog field holds URLs (``url_field``): then the
    token is a whole-URL slot.  Otherwise the result is -1 (plain text): a token at the start of
    a string cannot be told apart from text (``"@{Lead:FirstName,} / @{Lead:LastName,}"``).
    """
    start = um.literal_start(prefix) if prefix else 0
    if prefix[start : start + 8].lower().startswith(_URL_STRING_PREFIXES):
        # A URL by its text, with a safe scheme: the key cannot change what the machine says.
        return um.advance(um.START, prefix, 0, len(prefix))
    if scanner.is_url_string(scanner.string_start):
        um.check_literal_scheme(source, prefix, scanner.string_start + 1)
        return um.advance(um.START, prefix, 0, len(prefix))
    if start == len(prefix):
        return um.START if url_field else -1
    return -1


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
    top = stack[-1][:1] if stack else ""
    if prev == "{" or (prev == "," and top == "{") or after == ":":
        raise _compile_error(
            codes.JSON_KEY_SLOT,
            "merge field used as a JSON object key: keys must be strings, so quote it, "
            'e.g. `{"@{...}": 1}`',
            source,
            start,
            end,
        )
    if not (prev in ("", ":", "[") or (prev == "," and top == "[")):
        raise _compile_error(
            codes.JSON_GLUED,
            f"expected a JSON value around the merge field: outside a string it must be a whole "
            f"value after `:`, `[` or `,`, but it follows {_describe(prev)}; to join it with "
            'text, put both in one string, e.g. `"id-@{...}"`',
            source,
            start,
            end,
        )
    if after not in ("", ",", "}", "]"):
        raise _compile_error(
            codes.JSON_GLUED,
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
            codes.JSON_INVALID, f"invalid JSON: {exc.msg}", source, where, until
        ) from None
    except _ConstantFound as exc:
        found = next(m for m in _CONSTANT.finditer(doc) if m.group(1))
        where, until = original(found.start())
        raise _compile_error(
            codes.JSON_INVALID,
            f"invalid JSON: `{exc.args[0]}` is not JSON; use null, a number or a string",
            source,
            where,
            max(until, where + len(found.group(1))),
        ) from None
    except RecursionError:
        # Only reachable when the caller's own stack is already deep; the nesting limit above
        # keeps ordinary calls away from it.
        raise _compile_error(
            codes.JSON_TOO_DEEP,
            "JSON nested too deeply to check: flatten the document",
            source,
            0,
        ) from None
