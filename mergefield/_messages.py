"""The parts every diagnostic message is built from: where a problem is and what it names.

Where: `line_and_column` and `LineIndex` turn an offset into a line and column (SPEC section 1:
offsets count code points from 0, lines split on ``\\n`` only, both from 1), `caret_block` shows
a source line with a caret under the offending part, and `escape_pointer` / `pointer_join` build
RFC 6901 JSON pointers.  What: `did_you_mean` picks the name a user most likely meant and
`json_type_name` / `json_type_article` name JSON types in "expected ..., got ..." messages.
Each is written once here; templates, catalogs, connectors and the CLI import them, so that a
caret, a pointer or a suggestion looks the same wherever it is shown.  A leaf module.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping

__all__ = [
    "LineIndex",
    "caret_block",
    "did_you_mean",
    "escape_pointer",
    "json_type_article",
    "json_type_name",
    "line_and_column",
    "pointer_join",
]

# A caret block wider than this shows a window around the offending part instead of the whole
# line: templates of a megabyte on one line are normal in bulk work.
_WINDOW = 72


# --- lines and columns ------------------------------------------------------------------------


def line_and_column(source: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of ``offset`` in ``source`` (lines split on ``\\n``)."""
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


class LineIndex:
    """Where the lines of one source start, for line and column lookups in log time.

    `line_and_column` scans from the start of the source, which is quadratic for the many errors
    of one hostile template; build one index per source instead and pass it to every
    `TemplateError` of that source (``lines=``).  Same numbering as `line_and_column`.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        starts = [0]
        at = source.find("\n")
        while at != -1:
            starts.append(at + 1)
            at = source.find("\n", at + 1)
        self._starts = starts
        # Per line: the end of its text without trailing CRs (a caret block's line).
        self._text_ends: dict[int, int] = {}

    def place(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of ``offset``."""
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def offset(self, line: int, column: int) -> int:
        """The offset of ``line`` and ``column``, clamped to the last line and the source."""
        start = self._starts[min(max(line - 1, 0), len(self._starts) - 1)]
        return min(start + max(column, 1) - 1, len(self.source))

    def text_span(self, line: int) -> tuple[int, int]:
        """Start and end of line ``line``'s text: without its ``\\n`` and trailing ``\\r``."""
        start = self._starts[line - 1]
        end = self._text_ends.get(line)
        if end is None:
            end = len(self.source) if line == len(self._starts) else self._starts[line] - 1
            end = _strip_crs(self.source, start, end)
            self._text_ends[line] = end
        return start, end


def _strip_crs(source: str, start: int, end: int) -> int:
    while end > start and source[end - 1] == "\r":
        end -= 1
    return end


def caret_block(source: str, offset: int, end: int, lines: LineIndex | None = None) -> str:
    """The line of ``source`` that holds ``offset``, with a caret under ``offset``..``end``.

    ``lines`` (the `LineIndex` of ``source``) makes finding the line cheap when one source has
    many problems.  A line longer than 72 characters is shown as a window around the caret.
    """
    if lines is not None:
        line_start, text_end = lines.text_span(lines.place(offset)[0])
    else:
        line_start = source.rfind("\n", 0, offset) + 1
        line_end = source.find("\n", offset)
        if line_end == -1:
            line_end = len(source)
        text_end = _strip_crs(source, line_start, line_end)
    length = text_end - line_start
    col = offset - line_start
    width = max(1, min(end, text_end) - offset)
    if length > _WINDOW:
        # Show a window that keeps the caret in view; mark the cuts with an ellipsis.  Only
        # the window is sliced: a line can be megabytes long and have many errors.
        left = max(0, col - _WINDOW // 3)
        right = min(length, left + _WINDOW)
        prefix_cut = "…" if left > 0 else ""
        text = (
            prefix_cut
            + source[line_start + left : line_start + right]
            + ("…" if right < length else "")
        )
        col = col - left + len(prefix_cut)
        width = min(width, len(text) - col)
    else:
        text = source[line_start:text_end]
    # Keep tabs under tabs so the caret lines up in a terminal.
    pad = "".join("\t" if ch == "\t" else " " for ch in text[:col])
    printable = "".join(ch if ch.isprintable() or ch == "\t" else "\ufffd" for ch in text)
    return f"  {printable}\n  {pad}^{'~' * (max(1, width) - 1)}"


# --- JSON pointers ----------------------------------------------------------------------------


def escape_pointer(token: str) -> str:
    """Escape one reference token for a JSON pointer (RFC 6901: ``~`` → ``~0``, ``/`` → ``~1``)."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer_join(pointer: str, *tokens: str | int) -> str:
    """Append reference tokens (object keys or array indexes) to a JSON pointer."""
    return pointer + "".join("/" + escape_pointer(str(t)) for t in tokens)


# --- names ------------------------------------------------------------------------------------


_NOT_COMPARED = re.compile(r"[\s_\-]+")


def _loose(text: str) -> str:
    return _NOT_COMPARED.sub("", text).casefold()


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """The choice ``name`` most likely meant; ``None`` when nothing is close.

    A choice equal but for letter case wins, then one equal but for case, blanks, ``_`` and
    ``-``, then the closest by `difflib` (compared case-folded, so ``firstnme`` still finds
    ``FirstName``).
    """
    pool = list(choices)
    folded = name.casefold()
    for choice in pool:
        if choice.casefold() == folded:
            return choice
    loose = _loose(name)
    for choice in pool:
        if _loose(choice) == loose:
            return choice
    by_folded = {choice.casefold(): choice for choice in pool}
    matches = difflib.get_close_matches(folded, list(by_folded), n=1, cutoff=0.6)
    return by_folded[matches[0]] if matches else None


# --- JSON type names --------------------------------------------------------------------------


def json_type_name(value: object) -> str:
    """What a decoded JSON ``value`` is, for "got ..." messages: ``an object``, ``null``, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


_ARTICLES = {"object": "an object", "array": "an array", "integer": "an integer"}


def json_type_article(schema_type: object) -> str:
    """A JSON Schema ``type`` (a name or a list of names) with its article: ``an object``."""
    if isinstance(schema_type, str):
        return _ARTICLES.get(schema_type, f"a {schema_type}")
    if isinstance(schema_type, list):
        return " or ".join(json_type_article(t) for t in schema_type)
    return "?"
