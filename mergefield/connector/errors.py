"""`ConnectorError` and the one helper that turns "this JSON pointer is wrong" into a Diagnostic.

Every connector diagnostic carries the JSON pointer of what it is about in ``path`` and the
place in the connector *file* in ``line``/``column``/``offset``/``end``, so that an editor can
jump to it; ``located`` is the only place that computes that place, from a ``SourceMap``.
``ConnectorError`` is what ``load`` raises for a file it cannot turn into a connector at all
(not UTF-8, not JSON, or the wrong shape); it carries every such diagnostic, the first one's
place as attributes, and prints like a compiler error.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mergefield.codes import diagnostic
from mergefield.diagnostics import Diagnostic
from mergefield.errors import MergefieldError

from .sourcemap import SourceMap

__all__ = ["ConnectorError", "located"]


def located(
    code: str,
    message: str,
    smap: SourceMap,
    pointer: str,
    *,
    at_key: bool = False,
    offset: int | None = None,
    end: int | None = None,
) -> Diagnostic:
    """A diagnostic of ``code`` (its severity is the registry's) about ``pointer``, placed at
    its value (or key) in the file.

    An explicit ``offset``/``end`` (file offsets) overrides the span of the value, e.g. to point
    at one character inside a template string.  A pointer that does not exist in the file (a
    missing key) is placed at its closest existing ancestor.
    """
    start, stop = smap.key_offset(pointer) if at_key else smap.value_offset(pointer)
    if offset is not None:
        start = offset
        stop = end if end is not None else offset + 1
    line, column = smap.line_column(start)
    return diagnostic(code, message, line, column, start, stop, path=pointer)


class ConnectorError(MergefieldError, ValueError):
    """A connector file that cannot be loaded: not UTF-8, not JSON, or not a connector's shape.

    ``diagnostics`` lists every reason (codes ``not-utf8``, ``json-syntax``,
    ``number-too-large``, ``wrong-type``, ``missing-key``, ``unknown-key``); ``path``,
    ``line``, ``column`` and ``pointer`` tell where the first one is.  Problems a loaded
    connector can still have (limits, images, templates) are not errors here:
    ``Connector.check()`` reports them.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], path: str | Path | None = None) -> None:
        if not diagnostics:
            raise ValueError("a ConnectorError needs at least one diagnostic")
        self.diagnostics = list(diagnostics)
        self.path = None if path is None else Path(path)
        first = self.diagnostics[0]
        self.line = first.line
        self.column = first.column
        self.offset = first.offset
        self.pointer = first.path
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:" if self.path is not None else ""
        lines = [f"{where}{d.line}:{d.column}: {d.message} [{d.code}]" for d in self.diagnostics]
        return "\n".join(lines)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.diagnostics, self.path))
