"""Arrow in, rendered column or UTF-8 lines out: the policy behind `Template.render_arrow`.

``data`` is anything that speaks the Arrow PyCapsule interface (``__arrow_c_stream__`` or
``__arrow_c_array__``: a pyarrow Table, RecordBatch or RecordBatchReader, a Polars or pandas
DataFrame, a DuckDB relation) or an iterable of such record batches.  Each column is read by the
record key of the template's Lead slots, exactly as `Template.render_columns` reads a mapping,
so the result equals `render_many` over the rows of ``to_pylist()``.  The work is cut into
chunks of at most `CHUNK` rows.  The compiled core reads the Arrow C Data Interface itself and
renders the types it knows (strings, dictionary strings, integers, floats, bools, nulls, dates,
timestamps, decimals) without a Python object per value and without the GIL, several chunks at
once with ``threads``; a value only Python renders (a Date field's own format or zone with
rules, say) and every other column (lists, structs, ...) is converted with pyarrow's
``to_pylist`` and rendered by the Python value policy.  The pure-Python core does the whole
job through pyarrow.  A column the template reads but the data lacks is an error naming it; so
is invalid UTF-8 in a string column in strict mode (lax mode decodes it with U+FFFD).
`write_arrow` writes whole chunks only, so a failure never leaves a partial line in the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from . import _core
from ._arrow_input import (
    INSTALL_HINT,
    arrow_sources,
    column_reader,
    mark_written,
    needed_columns,
    require_pyarrow,
)
from ._batch import ColumnRow, column_resolver, locate_row
from ._contract import mark_row

if TYPE_CHECKING:
    from ._batch import Batch
    from .template import Template

__all__ = [
    "CHUNK",
    "INSTALL_HINT",
    "line_chunks",
    "pandas_table",
    "render_planned",
    "thread_count",
    "write_planned",
]

#: Rows rendered as one unit of work: a thread's share, and what `write_arrow` writes at once.
CHUNK = 65536


def _pure_chunks(data: object) -> Iterator[Any]:
    """pyarrow record batches of at most `CHUNK` rows, in order."""
    pa = require_pyarrow("the pure-Python core's Arrow path")
    for source in arrow_sources(data):
        if hasattr(source, "__arrow_c_stream__"):
            batches: Iterable[Any] = pa.RecordBatchReader.from_stream(source)
        else:
            batches = [pa.record_batch(source)]
        for batch in batches:
            if batch.num_rows == 0:
                yield batch
            for start in range(0, batch.num_rows, CHUNK):
                yield batch.slice(start, CHUNK)


def _pure_lines(
    template: Template, b: Batch, data: object, defaulted: list[bool] | None = None
) -> Iterator[list[str]]:
    """Each chunk's rendered rows, through `render_columns` over ``to_pylist`` values; with
    ``defaulted``, per row whether some token fell back to its default (`Slot.falls_back`)."""
    read = column_reader(b.slots, template.mode == "strict")
    base = 0
    names: list[str] | None = None
    needed: list[str] = []
    for chunk in _pure_chunks(data):
        if chunk.schema.names != names:
            names = chunk.schema.names
            needed = needed_columns(b.slots, names)
        columns = {name: read(chunk.column(name), name, base) for name in needed}
        lists = [columns.get(slot.key) for slot in b.slots]
        resolve = column_resolver(b.slots, columns)
        try:
            lines = _core.core.render_columns(
                b.literals, lists, b.steps, b.missing, chunk.num_rows, resolve
            )
        except Exception as exc:
            row = getattr(exc, "row", None)
            if isinstance(row, int) and not isinstance(row, bool):
                mark_row(exc, base + row, None)  # the core counts rows from the chunk's first
            raise
        if defaulted is not None:
            defaulted.extend(
                any(slot.falls_back(ColumnRow(columns, row)) for slot in b.slots)
                for row in range(chunk.num_rows)
            )
        yield lines
        base += chunk.num_rows


def thread_count(threads: int | None) -> int:
    """The number of threads ``threads`` asks for (None: one per core); refuses anything else."""
    if threads is None:
        return max(1, os.cpu_count() or 1)
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be a positive int or None, not {threads!r}")
    return threads


def render_planned(
    template: Template,
    b: Batch,
    data: object,
    threads: int,
    defaulted: list[bool] | None = None,
) -> Any:
    """The work of `Template.render_arrow` once it has planned the call (``b``) and checked
    ``threads``: one large_string array of the rendered rows.  With ``defaulted``, per row
    whether a default was used in it is appended to it (`render_arrow_report`): every row's
    when a fixed record's was (``b.defaulted``), the rule `line_chunks` applies to writing."""
    try:
        texts = None
        if hasattr(_core.core, "arrow_render"):
            from . import _arrow_native

            texts = _arrow_native.render(
                _core.core, template, b, arrow_sources(data), threads, CHUNK, defaulted
            )
        if texts is None:
            pa = require_pyarrow("render_arrow on the pure-Python core")
            rows: list[str] = []
            for lines in _pure_lines(template, b, data, defaulted):
                rows.extend(lines)
            texts = pa.array(rows, type=pa.large_string())
    except Exception as exc:
        locate_row(exc, 0)
        raise
    if defaulted is not None and b.defaulted:
        defaulted[:] = [True] * len(defaulted)
    return texts


def line_chunks(
    template: Template, b: Batch, data: object, separator: bytes, threads: int
) -> Generator[tuple[int, int, Any], None, None]:
    """The rows of ``data`` rendered as UTF-8 lines ended by ``separator``, a chunk at a time
    in row order: ``(rows, defaulted, text)``, ``defaulted`` the count of the rows a default
    was used in (every row when a fixed record's was, ``b.defaulted``) and ``text`` a
    bytes-like object valid until the next chunk is asked for.  What `write_planned` writes and
    the command line's Arrow path consumes; an error's ``row`` counts from the call's first."""
    if hasattr(_core.core, "arrow_render"):
        from . import _arrow_native

        outs = _arrow_native.line_chunks(
            _core.core, template, b, arrow_sources(data), threads, CHUNK, separator
        )
        if outs is not None:
            for out in outs:
                rows = len(out)
                yield rows, rows if b.defaulted else out.defaulted, out
                out.clear()
            return
    flags: list[bool] = []
    for lines in _pure_lines(template, b, data, flags):
        rows = len(lines)
        text = separator.join([line.encode("utf-8") for line in lines]) + separator if rows else b""
        yield rows, rows if b.defaulted else sum(flags), text
        flags.clear()  # a chunk's flags: memory stays one chunk's


def write_planned(
    template: Template,
    b: Batch,
    data: object,
    write: Callable[[bytes], None],
    separator: bytes,
    threads: int,
    defaulted: list[int] | None = None,
) -> int:
    """The work of `Template.write_arrow` once it has planned the call and checked its
    arguments: UTF-8 lines through ``write`` (`_batch.write_all`), a chunk at a time; the count.
    With ``defaulted``, the count of rows a default was used in is appended to it (a chunk at a
    time: `write_arrow_report` sums them)."""
    total = 0
    try:
        for rows, count, text in line_chunks(template, b, data, separator, threads):
            if rows:
                write(text)  # through the buffer protocol: no copy
            total += rows
            if defaulted is not None:
                defaulted.append(count)
    except Exception as exc:
        mark_written(exc, total)
        locate_row(exc, 0)
        raise
    return total


def pandas_table(frame: Any, keys: Sequence[str]) -> Any:
    """Columns ``keys`` of the pandas DataFrame ``frame`` as a pyarrow Table for `render_arrow`,
    or None when the Arrow path would not see what ``frame.to_dict("records")`` gives.

    Every column must hold values Arrow keeps as they are: numbers, bools, datetimes (naive or
    zoned), pandas strings and Arrow dtypes.  An ``object`` or categorical column (Python
    objects, which Arrow would convert: a mix of ints and floats, say) keeps the caller's Python
    path, as does a frame without pyarrow or a template that reads no column.  A key the frame
    lacks is a column of nulls, missing on every row as an absent key is in `render_many`.
    """
    if not keys:
        return None
    try:
        import pandas as pd
        import pyarrow as pa
    except ImportError:
        return None
    arrays = {}
    for key in keys:
        if key not in frame.columns:
            arrays[key] = pa.nulls(len(frame))
            continue
        column = frame[key]
        dtype = getattr(column, "dtype", None)  # a DataFrame when the name is not unique
        native = isinstance(dtype, (pd.ArrowDtype, pd.StringDtype, pd.DatetimeTZDtype))
        if not native and getattr(dtype, "kind", "O") not in "biufM":
            return None
        arrays[key] = pa.array(column, from_pandas=True)
    return pa.table(arrays)
