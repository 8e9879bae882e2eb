"""The first gate of reading a connector file: its bytes must be UTF-8 (a leading BOM is skipped).

A leaf below both the loader (`load`) and the never-raising front door (`check_file`), so that
neither imports the other for it.  A file that is not UTF-8 gives one ``not-utf8`` diagnostic
placed after the last character that decoded.
"""

from __future__ import annotations

from mergefield.codes import NOT_UTF8, diagnostic
from mergefield.diagnostics import Diagnostic

from .sourcemap import SourceMap

__all__ = ["decode"]


def decode(data: bytes) -> tuple[str | None, list[Diagnostic]]:
    """The text of a connector file's bytes and no diagnostics, or ``None`` and a ``not-utf8``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8")
        smap = SourceMap(prefix)
        line, column = smap.line_column(len(prefix))
        msg = f"the file is not UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}"
        diag = diagnostic(NOT_UTF8, msg, line, column, len(prefix), len(prefix) + 1, "")
        return None, [diag]
    # Editors on Windows write a BOM; it is not part of the JSON text.
    return text.removeprefix("\ufeff"), []
