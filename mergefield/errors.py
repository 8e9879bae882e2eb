"""Exceptions a user of mergefield can meet, all carrying the place they refer to.

Every error that points into a template (syntax, compile-time position checks) derives from
`TemplateError`, which knows the source, the offset of the offending part and where that part
ends; its `str()` shows the line, a caret under the part and what was expected, in the style of
jinja and python-liquid.  Offsets count code points from 0; lines count ``\\n`` from 1; columns
count code points from the last ``\\n``, from 1 (SPEC section 1).
"""

from __future__ import annotations

from bisect import bisect_right

__all__ = [
    "LineIndex",
    "MergefieldError",
    "RenderError",
    "TemplateCompileError",
    "TemplateError",
    "TemplateSyntaxError",
    "line_and_column",
]

# A caret block wider than this shows a window around the offending part instead of the whole
# line: templates of a megabyte on one line are normal in bulk work.
_WINDOW = 72


class MergefieldError(Exception):
    """Base class of every exception raised by mergefield."""


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


class TemplateError(MergefieldError, ValueError):
    """An error at a place in a template: ``offset``, ``end``, ``line``, ``column``, ``message``.

    ``code`` is a short stable name of the problem (``"syntax-error"``, ``"url-scheme-slot"``,
    ...) listed with examples in the README.  ``lines``, the `LineIndex` of ``source``, makes
    the line and column cheap when one source has many errors.
    """

    def __init__(
        self,
        message: str,
        source: str,
        offset: int,
        end: int | None = None,
        *,
        code: str | None = None,
        lines: LineIndex | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.source = source
        self.offset = offset
        self.end = max(offset + 1, end if end is not None else offset + 1)
        if lines is not None and lines.source is not source and lines.source != source:
            raise ValueError("lines is the LineIndex of another source")
        self._lines = lines
        if lines is None:
            self.line, self.column = line_and_column(source, offset)
        else:
            self.line, self.column = lines.place(offset)
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_template_error,
            (type(self), self.message, self.source, self.offset, self.end, self.code),
        )

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}\n{self.caret_block()}"

    def caret_block(self) -> str:
        """The source line of the error with a caret under the offending part."""
        if self._lines is not None:
            line_start, text_end = self._lines.text_span(self.line)
        else:
            line_start = self.source.rfind("\n", 0, self.offset) + 1
            line_end = self.source.find("\n", self.offset)
            if line_end == -1:
                line_end = len(self.source)
            text_end = _strip_crs(self.source, line_start, line_end)
        length = text_end - line_start
        col = self.offset - line_start
        width = max(1, min(self.end, text_end) - self.offset)
        if length > _WINDOW:
            # Show a window that keeps the caret in view; mark the cuts with an ellipsis.  Only
            # the window is sliced: a line can be megabytes long and have many errors.
            left = max(0, col - _WINDOW // 3)
            right = min(length, left + _WINDOW)
            prefix_cut = "…" if left > 0 else ""
            text = (
                prefix_cut
                + self.source[line_start + left : line_start + right]
                + ("…" if right < length else "")
            )
            col = col - left + len(prefix_cut)
            width = min(width, len(text) - col)
        else:
            text = self.source[line_start:text_end]
        # Keep tabs under tabs so the caret lines up in a terminal.
        pad = "".join("\t" if ch == "\t" else " " for ch in text[:col])
        printable = "".join(ch if ch.isprintable() or ch == "\t" else "\ufffd" for ch in text)
        return f"  {printable}\n  {pad}^{'~' * (max(1, width) - 1)}"


class TemplateSyntaxError(TemplateError):
    """A malformed ``@{Resource:Field,Default}`` token in strict mode (SPEC section 1)."""


class TemplateCompileError(TemplateError):
    """A template whose literal text makes a token's position unsafe or ambiguous.

    Examples: a merge field inside a URL scheme, or a ``json`` template that is not valid JSON
    around its tokens (SPEC section 4).
    """


class RenderError(MergefieldError, ValueError):
    """A value that strict mode refuses while rendering; names the token and the record field.

    From the bulk methods it also says which lead failed: ``row`` is its number from 0 in the
    leads given, and for the file writers ``written`` the number of complete lines the file
    holds (every line before the failing lead); both are None when they do not apply.
    """

    def __init__(
        self,
        message: str,
        *,
        resource: str,
        field: str,
        start: int,
        row: int | None = None,
        written: int | None = None,
    ) -> None:
        self.message = message
        self.resource = resource
        self.field = field
        self.start = start
        self.row = row
        self.written = written
        super().__init__(message)

    @staticmethod
    def where(row: int, written: int | None) -> str:
        """How a bulk error names its lead: ``lead 3`` (and ``, 3 lines written``)."""
        lines = "" if written is None else f", {written} line{'' if written == 1 else 's'} written"
        return f"lead {row}{lines}"

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return f"{self.where(self.row, self.written)}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_render_error,
            (self.message, self.resource, self.field, self.start, self.row, self.written),
        )


def _rebuild_template_error(
    cls: type[TemplateError], message: str, source: str, offset: int, end: int, code: str | None
) -> TemplateError:
    return cls(message, source, offset, end, code=code)


def _rebuild_render_error(
    message: str,
    resource: str,
    field: str,
    start: int,
    row: int | None = None,
    written: int | None = None,
) -> RenderError:
    return RenderError(
        message, resource=resource, field=field, start=start, row=row, written=written
    )
