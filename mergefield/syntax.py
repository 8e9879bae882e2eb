"""Merge-field syntax: tokens with their spans, and the messages of malformed tokens.

The scanning loop lives in the selected core (`_fast` or `_fast_py`); this module turns its
tuples into `Token` objects and its failure codes into `TemplateSyntaxError`s that say what was
expected, so both cores and the Lark reference share one wording (SPEC section 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import _core, codes
from ._contract import ErrorTuple, Expect, TokenTuple
from .errors import LineIndex, TemplateSyntaxError

__all__ = ["Token", "scan", "syntax_error", "tokenize"]

ScanFunction = Callable[[str, bool], "tuple[list[TokenTuple], list[ErrorTuple]]"]

# Long snippets are cut in messages; the caret block still shows the place.
_SNIPPET = 32


@dataclass(frozen=True)
class Token:
    """One well-formed merge field: ``@{resource:field,default}`` at ``source[start:end]``.

    ``field`` is trimmed of blanks; ``default`` is ``None`` when the token has no comma and
    ``""`` when the comma is followed directly by ``}``.
    """

    resource: str
    field: str
    default: str | None
    start: int
    end: int


def _found(source: str, fail: int) -> str:
    """Describe what stands where the token broke off (skipping blanks, which are allowed)."""
    i = fail
    while i < len(source) and source[i] in " \t":
        i += 1
    if i >= len(source):
        return "end of input"
    ch = source[i]
    if ch in "\r\n":
        return "a line break"
    if not ch.isprintable():
        return f"U+{ord(ch):04X}"
    return f"`{ch}`"


def _trimmed(source: str, fail: int) -> int:
    """``fail`` less the blanks before it (they stop at the token's ``@`` at the latest)."""
    while fail > 0 and source[fail - 1] in " \t":
        fail -= 1
    return fail


def _snippet(source: str, at: int, end: int) -> str:
    # Only the part shown is sliced: a lax scan's errors can share the end of a long default.
    if end - at > _SNIPPET:
        return source[at : at + _SNIPPET - 1] + "…"
    return source[at:end]


def syntax_error(
    source: str,
    code: int,
    at: int,
    fail: int,
    *,
    lines: LineIndex | None = None,
    trimmed: dict[int, int] | None = None,
) -> TemplateSyntaxError:
    """Build the error for a malformed token at ``at`` that broke off at ``fail``.

    ``lines`` (the `LineIndex` of ``source``) and ``trimmed`` (a memo of `_trimmed` by
    ``fail``) keep the many errors of one source linear in its length.
    """
    found = _found(source, fail)
    if trimmed is None:
        end = _trimmed(source, fail)
    else:
        end = trimmed.get(fail, -1)
        if end < 0:
            end = trimmed[fail] = _trimmed(source, fail)
    snippet = _snippet(source, at, max(at, end))
    if code == Expect.RESOURCE:
        message = f"expected a resource name after `@{{`, found {found}"
    elif code == Expect.COLON:
        message = f"expected `:` after `{snippet}`, found {found}"
    elif code == Expect.FIELD:
        message = f"expected a field name after `{snippet}`, found {found}"
    else:
        message = f"expected `}}` to close `{snippet}`, found {found}"
    return TemplateSyntaxError(message, source, at, fail, code=codes.SYNTAX_ERROR, lines=lines)


def scan(
    source: str, *, scanner: ScanFunction | None = None, lines: LineIndex | None = None
) -> tuple[list[Token], list[TemplateSyntaxError]]:
    """Every well-formed token of ``source`` and an error for every malformed one (lax rules).

    ``scanner`` selects another implementation (the tests pass the Lark reference and both
    cores); by default the selected core runs.  ``lines``, the `LineIndex` of ``source``, is
    built here when not given and there are errors.
    """
    raw_tokens, raw_errors = (scanner or _core.core.scan)(source, False)
    if raw_errors and lines is None:
        lines = LineIndex(source)
    trimmed: dict[int, int] = {}
    return (
        [Token(*raw) for raw in raw_tokens],
        [syntax_error(source, *raw, lines=lines, trimmed=trimmed) for raw in raw_errors],
    )


def tokenize(
    source: str, *, strict: bool = False, scanner: ScanFunction | None = None
) -> list[Token]:
    """The tokens of ``source``; in strict mode the first malformed token raises.

    Raises `TemplateSyntaxError` (strict mode only) pointing at the ``@`` of the first
    malformed token, with what was expected there.
    """
    raw_tokens, raw_errors = (scanner or _core.core.scan)(source, strict)
    if strict and raw_errors:
        raise syntax_error(source, *raw_errors[0])
    return [Token(*raw) for raw in raw_tokens]
