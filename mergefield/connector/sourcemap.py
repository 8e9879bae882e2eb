"""Parse JSON text once with the standard library and map every JSON pointer to where it stands.

``parse(text)`` first hands the text to ``json.loads``, so
which documents are valid and what the syntax error says are exactly the standard library's;
only then does a small recursive pass, reusing ``json.decoder.scanstring`` and the scanner's own
number pattern, walk the now known-valid text (refusing the ``NaN`` and ``Infinity``
that ``json.loads`` lets through) and record for every value its span and, for an
object member, its key's span.  ``SourceMap`` answers "where is ``/grid_actions/0/url``" and
"where in the file is character 17 of that string", mapping through the string's escapes
(``\\"``, ``\\n``, ``\\u00e9``, surrogate pairs), and it lists duplicate keys, which
``json.loads`` silently collapses.  A number Python cannot hold (an integer longer than
``sys.get_int_max_str_digits()``, which ``json.loads`` refuses with a bare ``ValueError``, or a
float beyond the double range, which it turns into infinity) is a ``JsonNumberError`` with the
JSON pointer of the number.  Offsets count code points from 0; lines and columns follow
SPEC section 1 (lines split on ``\\n`` only, both from 1).
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]  # not in typeshed
from json.scanner import NUMBER_RE
from typing import Any

from mergefield._messages import LineIndex, escape_pointer, pointer_join

__all__ = [
    "JsonNumberError",
    "JsonSyntaxError",
    "SourceMap",
    "Span",
    "escape_pointer",
    "parse",
    "pointer_join",
]

# Real connectors nest four levels deep; a bound keeps the recursive pass (and jsonschema after
# it) far from the interpreter's recursion limit on hostile input.
MAX_DEPTH = 64

_WS = re.compile(r"[ \t\n\r]*")


class JsonSyntaxError(ValueError):
    """Text that is not JSON: ``message`` and the ``offset`` where reading stopped."""

    def __init__(self, message: str, offset: int) -> None:
        self.message = message
        self.offset = offset
        super().__init__(f"{message} (offset {offset})")


class JsonNumberError(JsonSyntaxError):
    """A valid JSON number no Python value can hold: at ``pointer``, from ``offset`` to ``end``."""

    def __init__(self, message: str, offset: int, end: int, pointer: str) -> None:
        self.end = end
        self.pointer = pointer
        super().__init__(message, offset)


class _Unheld:
    """Stands in for an integer ``json.loads`` cannot convert, until the walker places it."""


def _int_or_unheld(digits: str) -> int | _Unheld:
    try:
        return int(digits)
    except ValueError:
        return _Unheld()


def _number_problem(number: re.Match[str]) -> str | None:
    """Why the JSON number ``number`` (a ``NUMBER_RE`` match) has no Python value, if it has not."""
    integer, frac, exp = number.groups()
    if frac is None and exp is None:
        limit = sys.get_int_max_str_digits()
        digits = len(integer.lstrip("-"))
        if limit and digits > limit:
            return f"an integer of {digits} digits; Python reads at most {limit}"
        return None
    if math.isinf(float(number.group())):
        shown = number.group() if len(number.group()) <= 24 else number.group()[:20] + "..."
        return f"{shown} is beyond the range of a float (about 1.8e308)"
    return None


@dataclass(frozen=True)
class Span:
    """Where a value stands: ``start``/``end`` of the value, and of its key for an object member."""

    start: int
    end: int
    key_start: int | None = None
    key_end: int | None = None


def _parent(pointer: str) -> str:
    return pointer[: pointer.rfind("/")] if pointer else ""


@dataclass
class SourceMap:
    """Positions of every value of one JSON text, keyed by JSON pointer (``""`` is the root)."""

    text: str
    spans: dict[str, Span] = field(default_factory=dict)
    #: ``(pointer, key_start, key_end)`` of every key that repeats an earlier key of its object.
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)
    lines: LineIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.lines = LineIndex(self.text)

    def line_column(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of ``offset`` in the text."""
        return self.lines.place(offset)

    def nearest(self, pointer: str) -> tuple[str, Span]:
        """The span of ``pointer``, or of its closest ancestor that exists (for a missing key)."""
        while pointer not in self.spans and pointer:
            pointer = _parent(pointer)
        return pointer, self.spans.get(pointer, Span(0, len(self.text)))

    def value_offset(self, pointer: str) -> tuple[int, int]:
        """``(start, end)`` of the value at ``pointer`` (or of its nearest existing ancestor)."""
        span = self.nearest(pointer)[1]
        return span.start, span.end

    def key_offset(self, pointer: str) -> tuple[int, int]:
        """``(start, end)`` of the key of the member at ``pointer``, else of its value."""
        span = self.nearest(pointer)[1]
        if span.key_start is not None and span.key_end is not None:
            return span.key_start, span.key_end
        return span.start, span.end

    def string_offsets(self, pointer: str) -> list[int] | None:
        """File offset of each character of the string at ``pointer``, plus one past its end.

        ``None`` when ``pointer`` is not a string.  Index ``i`` of the decoded string begins at
        file offset ``result[i]``; an escape such as ``\\u00e9`` or a surrogate pair written as
        two escapes is one decoded character and maps to its backslash.
        """
        span = self.spans.get(pointer)
        if span is None or self.text[span.start] != '"':
            return None
        base = span.start + 1
        raw = self.text[base : span.end - 1]
        offsets: list[int] = []
        i = 0
        while i < len(raw):
            offsets.append(base + i)
            if raw[i] != "\\":
                i += 1
            elif raw[i + 1] != "u":
                i += 2
            else:
                i += 6
                # Mirror json.decoder: a high surrogate escape followed by a low one is one char.
                if 0xD800 <= int(raw[i - 4 : i], 16) <= 0xDBFF and raw[i : i + 2] == "\\u":
                    low = raw[i + 2 : i + 6]
                    if len(low) == 4 and 0xDC00 <= int(low, 16) <= 0xDFFF:
                        i += 6
        offsets.append(base + len(raw))
        return offsets


def _too_deep_at(text: str) -> int:
    """Offset of the bracket that first nests deeper than ``MAX_DEPTH`` (0 if none does)."""
    depth = 0
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
        elif token in "]}":
            depth -= 1
    return 0


class _Walker:
    """Records spans of an already validated JSON text."""

    def __init__(self, text: str, smap: SourceMap) -> None:
        self.text = text
        self.smap = smap

    def ws(self, i: int) -> int:
        match = _WS.match(self.text, i)
        assert match is not None
        return match.end()

    def value(self, i: int, pointer: str, depth: int, key: tuple[int, int] | None) -> int:
        text = self.text
        if depth > MAX_DEPTH:
            raise JsonSyntaxError(f"nesting deeper than {MAX_DEPTH} levels", i)
        c = text[i]
        if c == "{":
            end = self.members(i, pointer, depth)
        elif c == "[":
            end = self.items(i, pointer, depth)
        elif c == '"':
            end = scanstring(text, i + 1)[1]
        elif text.startswith(("true", "null"), i):
            end = i + 4
        elif text.startswith("false", i):
            end = i + 5
        else:
            number = NUMBER_RE.match(text, i)
            if number is None:
                # json.loads takes NaN and Infinity; JSON (RFC 8259) does not.
                name = re.match(r"-?\w*", text[i : i + 9])
                raise JsonSyntaxError(f"{name.group() if name else c} is not valid JSON", i)
            end = number.end()
            problem = _number_problem(number)
            if problem is not None:
                raise JsonNumberError(problem, i, end, pointer)
        self.smap.spans[pointer] = Span(i, end, *(key or (None, None)))
        return end

    def members(self, i: int, pointer: str, depth: int) -> int:
        text = self.text
        seen: set[str] = set()
        i = self.ws(i + 1)
        if text[i] == "}":
            return i + 1
        while True:
            key, key_end = scanstring(text, i + 1)
            child = pointer_join(pointer, key)
            if key in seen:
                self.smap.duplicates.append((child, i, key_end))
            seen.add(key)
            j = self.ws(key_end)
            j = self.ws(j + 1)  # past the colon
            j = self.ws(self.value(j, child, depth + 1, (i, key_end)))
            if text[j] == "}":
                return j + 1
            i = self.ws(j + 1)  # past the comma

    def items(self, i: int, pointer: str, depth: int) -> int:
        text = self.text
        i = self.ws(i + 1)
        if text[i] == "]":
            return i + 1
        index = 0
        while True:
            j = self.ws(self.value(i, pointer_join(pointer, index), depth + 1, None))
            if text[j] == "]":
                return j + 1
            i = self.ws(j + 1)
            index += 1


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError:
        # An integer over the digit limit; read again with such integers left unconverted, so
        # that the walker can say where the first one stands.
        return json.loads(text, parse_int=_int_or_unheld)


def parse(text: str) -> tuple[Any, SourceMap]:
    """Parse ``text`` as strict JSON and return the value with the positions of all its parts.

    Raises ``JsonSyntaxError`` with the offset where the standard library stopped (or where
    nesting passed ``MAX_DEPTH``).  ``NaN``, ``Infinity`` and ``-Infinity`` are refused, and the
    first number Python cannot hold is a ``JsonNumberError``.
    """
    try:
        value = _loads(text)
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(exc.msg, exc.pos) from None
    except RecursionError:
        raise JsonSyntaxError(
            f"nesting deeper than {MAX_DEPTH} levels", _too_deep_at(text)
        ) from None
    smap = SourceMap(text)
    walker = _Walker(text, smap)
    walker.value(walker.ws(0), "", 1, None)
    return value, smap
