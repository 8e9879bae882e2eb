"""Exceptions a user of mergefield can meet, all carrying the place they refer to.

Every error that points into a template (syntax, compile-time position checks) derives from
`TemplateError`, which knows the source, the offset of the offending part and where that part
ends; its `str()` shows the line, a caret under the part and what was expected, in the style of
jinja and python-liquid.  Offsets count code points from 0; lines count ``\\n`` from 1; columns
count code points from the last ``\\n``, from 1 (SPEC section 1).  `LineIndex`,
`line_and_column` and the caret block are `mergefield._messages`'s, shared with every other
diagnostic.
"""

from __future__ import annotations

from mergefield._messages import LineIndex, caret_block, line_and_column

__all__ = [
    "LineIndex",
    "MergefieldError",
    "RenderError",
    "TemplateCompileError",
    "TemplateError",
    "TemplateSyntaxError",
    "line_and_column",
]


class MergefieldError(Exception):
    """Base class of every exception raised by mergefield."""


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
        return caret_block(self.source, self.offset, self.end, self._lines)


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
