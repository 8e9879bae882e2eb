"""The pure-Python core: the twin of the compiled `_fast.pyx`, selected by `mergefield._core`.

Both cores expose the same entry points and keep one contract (`mergefield._contract`: the step
ids, expectation codes and result tuples, the argument checks and their messages).  Each is split
by concern with matching names: the scanners (`_scan_py.py`, `_scan.pxi`) mirror each other line
for line; the renderers (`_render_py.py`, `_render.pxi`) mirror by contract, entry points,
argument checks, messages and results, since the compiled one encodes through C tables.
"""

from __future__ import annotations

from ._render_py import encode_fast, render_columns, render_rows, write_columns, write_rows
from ._scan_py import scan

__all__ = [
    "encode_fast",
    "render_columns",
    "render_rows",
    "scan",
    "write_columns",
    "write_rows",
]
