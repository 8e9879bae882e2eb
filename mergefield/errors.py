"""Exceptions a user of mergefield can meet, all carrying the place they refer to.

Every error that points into a template (syntax, compile-time position checks) derives from
`TemplateError`, which knows the source, the offset of the offending part and where that part
ends; its `str()` shows the line, a caret under the part and what was expected, in the style of
jinja and python-liquid.  Offsets count code points from 0; lines count ``\\n`` from 1; columns
count code points from the last ``\\n``, from 1 (SPEC section 1).
"""

from __future__ import annotations

__all__ = [
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


class TemplateError(MergefieldError, ValueError):
    """An error at a place in a template: ``offset``, ``end``, ``line``, ``column``, ``message``.

    ``code`` is a short stable name of the problem (``"syntax-error"``, ``"url-scheme-slot"``,
    ...) listed with examples in the README.
    """

    def __init__(
        self,
        message: str,
        source: str,
        offset: int,
        end: int | None = None,
        *,
        code: str | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.source = source
        self.offset = offset
        self.end = max(offset + 1, end if end is not None else offset + 1)
        self.line, self.column = line_and_column(source, offset)
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
        line_start = self.source.rfind("\n", 0, self.offset) + 1
        line_end = self.source.find("\n", self.offset)
        if line_end == -1:
            line_end = len(self.source)
        text = self.source[line_start:line_end].rstrip("\r")
        col = self.offset - line_start
        width = max(1, min(self.end, line_start + len(text)) - self.offset)
        prefix_cut = ""
        if len(text) > _WINDOW:
            # Show a window that keeps the caret in view; mark the cuts with an ellipsis.
            left = max(0, col - _WINDOW // 3)
            right = min(len(text), left + _WINDOW)
            prefix_cut = "…" if left > 0 else ""
            text = prefix_cut + text[left:right] + ("…" if right < len(text) else "")
            col = col - left + len(prefix_cut)
            width = min(width, len(text) - col)
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
