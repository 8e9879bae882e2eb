"""The URL state machine of every URL position: kind `url`, JSON URL strings, HTML URL attributes.

It walks literal URL text part by part as RFC 3986 and browsers split it (scheme, authority,
path, query, fragment), so the compiler knows which part each merge field fills in.  Two safety
rules of SPEC section 4 live here, once for all kinds: a value never chooses the scheme (a token
inside the scheme, or literal text that continues a scheme after a whole-URL token, is
``url-scheme-slot``), and literal text never writes an unsafe scheme (``javascript:``,
``vbscript:``, ``data:`` in any case, with the blanks and line breaks browsers ignore, is
``url-unsafe-scheme``).  States are small ints so callers can keep them between text runs.
`classify_url` runs the machine over a whole kind `url` template; `mergefield.escaping.json` and
`mergefield.escaping.html` run it over their URL strings and attributes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from mergefield import codes
from mergefield.encoding import UNSAFE_LITERAL_SCHEMES, url_scheme
from mergefield.errors import TemplateCompileError

__all__ = [
    "AFTER_COLON",
    "AFTER_TOKEN",
    "AUTHORITY",
    "FRAGMENT",
    "PART",
    "PATH",
    "QUERY",
    "SCHEME",
    "SCHEME_CONTINUED",
    "SLASH",
    "START",
    "URL_ENCODER",
    "WHOLE_TAIL",
    "advance",
    "check_entity_slot",
    "check_literal_scheme",
    "classify_url",
    "literal_start",
    "scheme_slot_error",
    "unsafe_literal_scheme",
]

# URL parts as RFC 3986 splits them; `SLASH` is one `/` seen where `//` would open an authority.
# `WHOLE_TAIL` is the text right after a whole-URL token, where a `:` would still complete the
# value's scheme; `SCHEME_CONTINUED` is what `advance` returns when it meets that `:`.
START, SCHEME, AFTER_COLON, SLASH, AUTHORITY, PATH, QUERY, FRAGMENT, WHOLE_TAIL = range(9)
SCHEME_CONTINUED = -2

#: Which URL part a token fills in, by the state the machine is in when it meets the token.
#: ``START`` (a whole-URL slot) and ``SCHEME`` (an error) are the caller's business.  A token
#: after a whole-URL token is path-encoded: it can hold no `/ ? # :` that would end the value.
PART = {
    AFTER_COLON: "path",
    SLASH: "path",
    AUTHORITY: "host",
    PATH: "path",
    QUERY: "query",
    FRAGMENT: "fragment",
    WHOLE_TAIL: "path",
}

#: The state after a token: it filled in characters, so the machine can no longer be at a start,
#: right after the scheme's colon or on a lone `/`.  After a whole-URL token the scheme may
#: still go on in the literal text, which `WHOLE_TAIL` watches for.
AFTER_TOKEN = {
    START: WHOLE_TAIL,
    AFTER_COLON: PATH,
    SLASH: PATH,
    AUTHORITY: AUTHORITY,
    PATH: PATH,
    QUERY: QUERY,
    FRAGMENT: FRAGMENT,
    WHOLE_TAIL: WHOLE_TAIL,
}

# Browsers (WHATWG URL) and urllib.parse both drop leading C0 controls and spaces, and drop tab,
# CR and LF anywhere, so the machine skips them too: otherwise ` java\nscript:` would not be seen
# as the scheme it becomes.
_LEADING = re.compile(r"[\x00-\x20]*")
_TAB_NL = re.compile(r"[\t\n\r]*")
_SCHEME_CHARS = re.compile(r"[A-Za-z0-9+.\-\t\n\r]*")
_AUTHORITY_END = re.compile(r"[/?#]")
_TAIL_END = re.compile(r"[:/?#]")
_TAIL_STATE = {"/": PATH, "?": QUERY, "#": FRAGMENT}


def advance(state: int, text: str, pos: int, endpos: int) -> int:
    """Run the machine from ``state`` over ``text[pos:endpos]`` and return the new state.

    Returns `SCHEME_CONTINUED` when ``state`` is `WHOLE_TAIL` and the text has a `:` before any
    `/`, `?` or `#`: the caller reports ``url-scheme-slot`` at the whole-URL token.
    """
    # Most tokens stand in a path or query: the loop answers those at once, from the last
    # delimiter, without reading the characters one by one.
    i = pos
    while i < endpos:
        if state == START:
            i = _LEADING.match(text, i, endpos).end()  # type: ignore[union-attr]
            if i == endpos:
                break
            ch = text[i]
            if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
                state, i = SCHEME, i + 1
            elif ch == "/":
                state, i = SLASH, i + 1
            else:
                state = PATH
        elif state == SCHEME:
            i = _SCHEME_CHARS.match(text, i, endpos).end()  # type: ignore[union-attr]
            if i == endpos:
                break
            if text[i] == ":":
                state, i = AFTER_COLON, i + 1
            else:
                # `/`, `?`, `#` or any other character before a colon: a relative reference.
                state = PATH
        elif state in (AFTER_COLON, SLASH):
            i = _TAB_NL.match(text, i, endpos).end()  # type: ignore[union-attr]
            if i == endpos:
                break
            if text[i] == "/":
                state, i = (SLASH if state == AFTER_COLON else AUTHORITY), i + 1
            else:
                state = PATH
        elif state == WHOLE_TAIL:
            m = _TAIL_END.search(text, i, endpos)
            if m is None:
                break
            if m.group() == ":":
                return SCHEME_CONTINUED
            state, i = _TAIL_STATE[m.group()], m.end()
        elif state == AUTHORITY:
            m = _AUTHORITY_END.search(text, i, endpos)
            if m is None:
                break
            state = {"/": PATH, "?": QUERY}.get(m.group(), FRAGMENT)
            i = m.end()
        elif state == PATH:
            # Only the last delimiter matters from here on, so skip the character loop.
            if text.find("#", i, endpos) >= 0:
                return FRAGMENT
            return QUERY if text.find("?", i, endpos) >= 0 else PATH
        elif state == QUERY:
            return FRAGMENT if text.find("#", i, endpos) >= 0 else QUERY
        else:
            return state
    return state


def unsafe_literal_scheme(text: str) -> str | None:
    """The unsafe scheme (``javascript``, ``vbscript``, ``data``) the literal URL text starts with.

    ``text`` is the literal start of a URL, up to its first token or its end.  It is read as a
    browser reads it (leading blanks and C0 controls dropped, tab, CR and LF dropped anywhere)
    and also with HTML character references decoded, because a URL may end up in an attribute
    where ``&#106;avascript:`` is ``javascript:``.  Returns None when the scheme is safe or absent.
    """
    if ":" not in text and "&" not in text:
        return None  # no scheme without a colon, and only a reference can spell one
    for view in (text, html.unescape(text)) if "&" in text else (text,):
        scheme = url_scheme(view)
        if scheme in UNSAFE_LITERAL_SCHEMES:
            return scheme
    return None


def literal_start(text: str) -> int:
    """The offset in ``text`` of its first character that is not a blank or C0 control."""
    return _LEADING.match(text).end()  # type: ignore[union-attr]


_SCHEME_SLOT = "merge field inside the URL scheme: put it after `://`, e.g. `https://@{...}`"
_SCHEME_CONTINUED = (
    "literal `:` after a merge field that starts the URL: its value would choose the scheme "
    "(`javascript` + `:...`); write the scheme literally before the field, e.g. "
    "`https://@{...}`, or put `/`, `?` or `#` before the `:`"
)


def scheme_slot_error(
    source: str, start: int, end: int, *, continued: bool = False
) -> TemplateCompileError:
    """The ``url-scheme-slot`` error for the token at ``start:end`` (every URL position)."""
    message = _SCHEME_CONTINUED if continued else _SCHEME_SLOT
    return TemplateCompileError(message, source, start, end, code=codes.URL_SCHEME_SLOT)


def check_literal_scheme(source: str, text: str, offset: int) -> None:
    """Raise ``url-unsafe-scheme`` when ``text``, the literal start of a URL at ``offset``, writes
    ``javascript:``, ``vbscript:`` or ``data:`` (see `mergefield.escaping.url`)."""
    scheme = unsafe_literal_scheme(text)
    if scheme is None:
        return
    at = offset + literal_start(text)
    colon = source.find(":", at, offset + len(text))
    raise TemplateCompileError(
        f"the URL's literal text starts with the unsafe scheme `{scheme}:`, which runs script "
        "or inlines a document: link to an http, https or mailto URL or a relative one",
        source,
        at,
        colon + 1 if colon >= 0 else at + 1,
        code=codes.URL_UNSAFE_SCHEME,
    )


# A token right after an unfinished numeric character reference completes it: `&#` + `106` +
# `;avascript:` reads as `javascript:` wherever the URL is later put into HTML.
_OPEN_REFERENCE = re.compile(r"&#[xX]?[0-9A-Fa-f]*\Z")
_URL_DELIMITERS = re.compile(r"[:/?#]")


def check_entity_slot(
    text: str, source: str, start: int, end: int, *, url_from: int | None = None
) -> None:
    """Raise ``entity-slot`` when ``text``, the literal text right before the token at
    ``start:end``, ends inside a numeric character reference such as ``&#``.

    ``url_from`` is the offset in ``source`` where the URL starts, for URLs that are not (yet)
    in HTML: there ``&#`` is also a path's `&` and a fragment's `#`, and the reference matters
    only while it could still spell the scheme, so the error needs the URL's text before the
    open reference to hold no `:`, `/`, `?` or `#` (the search stops at the first one).
    """
    match = _OPEN_REFERENCE.search(text[-12:]) if "&" in text[-12:] else None
    if match is None:
        return
    if url_from is not None and _URL_DELIMITERS.search(
        source, url_from, start - len(match.group())
    ):
        return
    raise TemplateCompileError(
        "merge field inside a character reference (`&#...;`): the value would choose the "
        "character; remove the `&` or write the reference literally",
        source,
        start,
        end,
        code=codes.ENTITY_SLOT,
    )


#: The kind `url` encoder of a token, by the state the machine is in when it meets the token.
URL_ENCODER = {state: "url_" + part for state, part in PART.items()}


def classify_url(source: str, spans: Sequence[tuple[int, int]]) -> tuple[str, ...]:
    """The encoder of each token of a kind `url` template (`URL_ENCODER`), in span order."""
    first = spans[0][0] if spans else len(source)
    check_literal_scheme(source, source[:first], 0)
    names: list[str] = []
    # Locals: this loop runs once per token of megabyte templates.
    step, after_token, part = advance, AFTER_TOKEN, URL_ENCODER
    start_state = START
    state = start_state
    pos = 0
    whole = (0, 0)
    for start, end in spans:
        if source.find("&", max(pos, start - 12), start) >= 0:
            check_entity_slot(source[max(pos, start - 12) : start], source, start, end, url_from=0)
        state = step(state, source, pos, start)
        name = part.get(state)
        if name is None:
            if state == start_state:
                name = "url"
                whole = (start, end)
            elif state == SCHEME:
                raise scheme_slot_error(source, start, end)
            else:
                raise scheme_slot_error(source, *whole, continued=True)
        names.append(name)
        state = after_token[state]
        pos = end
    if step(state, source, pos, len(source)) == SCHEME_CONTINUED:
        raise scheme_slot_error(source, *whole, continued=True)
    return tuple(names)
