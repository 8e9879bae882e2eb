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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from . import _core
from ._contract import mark_row
from .errors import RenderError

if TYPE_CHECKING:
    from .template import Records, Slot, Template, _Batch

__all__ = ["CHUNK", "INSTALL_HINT", "pandas_table", "render_arrow", "write_arrow"]

#: Rows rendered as one unit of work: a thread's share, and what `write_arrow` writes at once.
CHUNK = 65536

INSTALL_HINT = "install pyarrow (pip install 'mergefield[arrow]')"


def _pyarrow(why: str) -> Any:
    try:
        import pyarrow
    except ImportError:
        raise ImportError(f"{why} needs pyarrow: {INSTALL_HINT}") from None
    return pyarrow


def _threads(threads: int | None) -> int:
    if threads is None:
        return max(1, os.cpu_count() or 1)
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be a positive int or None, not {threads!r}")
    return threads


def _is_arrow(value: object) -> bool:
    return hasattr(value, "__arrow_c_stream__") or hasattr(value, "__arrow_c_array__")


def _sources(data: object) -> Iterator[object]:
    """The Arrow objects of ``data``: itself, or each item of an iterable of record batches."""
    if _is_arrow(data):
        yield data
        return
    if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Iterable):
        raise TypeError(
            "render_arrow needs Arrow data (an object with __arrow_c_stream__ or "
            f"__arrow_c_array__, or an iterable of record batches), not {type(data).__name__}"
        )
    for number, item in enumerate(data):
        if not _is_arrow(item):
            raise TypeError(
                f"item {number} of the Arrow data is a {type(item).__name__}, not a record batch"
            )
        yield item


def _needed(slots: Sequence[Slot], names: Sequence[str]) -> list[str]:
    """The columns the row slots read, in order; a column a slot needs but ``names`` lacks is
    an error naming it (a derived field is satisfied by any of the fields it joins)."""
    present = set(names)
    needed: list[str] = []
    for slot in slots:
        wanted = [slot.key, *slot.derived_from]
        if not any(name in present for name in wanted):
            ref = slot.ref
            shown = ", ".join(repr(n) for n in names) or "none"
            raise ValueError(
                f"{ref.resource}:{ref.field} (at offset {ref.start}) reads column {slot.key!r}, "
                f"which the Arrow data does not have (its columns: {shown})"
            )
        needed.extend(n for n in wanted if n in present and n not in needed)
    return needed


def _utf8_error(slot: Slot | None, name: str, row: int, exc: UnicodeDecodeError) -> RenderError:
    where = f"{slot.ref.resource}:{slot.ref.field} (at offset {slot.ref.start}): " if slot else ""
    return RenderError(
        f"{where}column {name!r} row {row}: invalid UTF-8 in an Arrow string ({exc.reason} at "
        f"byte {exc.start})",
        resource=slot.ref.resource if slot else "Lead",
        field=slot.ref.field if slot else name,
        start=slot.ref.start if slot else -1,
    )


def _reader(slots: Sequence[Slot], strict: bool) -> Callable[[Any, str, int], list[Any]]:
    """``read(column, name, base)``: a pyarrow column as Python values, as ``to_pylist`` gives
    them; invalid UTF-8 raises naming the column and row (``base`` is the chunk's first row) in
    strict mode and decodes with U+FFFD in lax mode."""
    by_key = {slot.key: slot for slot in reversed(slots)}

    def read(column: Any, name: str, base: int) -> list[Any]:
        try:
            values: list[Any] = list(column.to_pylist())
            return values
        except UnicodeDecodeError:
            pass
        pa = _pyarrow("reading Arrow strings")
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        raw: list[Any] = column.cast(pa.large_binary()).to_pylist()
        for row, value in enumerate(raw):
            if value is None:
                continue
            try:
                raw[row] = value.decode("utf-8")
            except UnicodeDecodeError as exc:
                if strict:
                    raise _utf8_error(by_key.get(name), name, base + row, exc) from None
                raw[row] = value.decode("utf-8", "replace")
        return raw

    return read


def _pure_chunks(data: object) -> Iterator[Any]:
    """pyarrow record batches of at most `CHUNK` rows, in order."""
    pa = _pyarrow("the pure-Python core's Arrow path")
    for source in _sources(data):
        if hasattr(source, "__arrow_c_stream__"):
            batches: Iterable[Any] = pa.RecordBatchReader.from_stream(source)
        else:
            batches = [pa.record_batch(source)]
        for batch in batches:
            if batch.num_rows == 0:
                yield batch
            for start in range(0, batch.num_rows, CHUNK):
                yield batch.slice(start, CHUNK)


def _pure_lines(template: Template, b: _Batch, data: object) -> Iterator[list[str]]:
    """Each chunk's rendered rows, through `render_columns` over ``to_pylist`` values."""
    from .template import _column_resolver

    read = _reader(b.slots, template.mode == "strict")
    base = 0
    names: list[str] | None = None
    needed: list[str] = []
    for chunk in _pure_chunks(data):
        if chunk.schema.names != names:
            names = chunk.schema.names
            needed = _needed(b.slots, names)
        columns = {name: read(chunk.column(name), name, base) for name in needed}
        lists = [columns.get(slot.key) for slot in b.slots]
        resolve = _column_resolver(b.slots, columns)
        try:
            lines = _core.core.render_columns(
                b.literals, lists, b.steps, b.missing, chunk.num_rows, resolve
            )
        except Exception as exc:
            row = getattr(exc, "row", None)
            if isinstance(row, int) and not isinstance(row, bool):
                mark_row(exc, base + row, None)  # the core counts rows from the chunk's first
            raise
        yield lines
        base += chunk.num_rows


def mark_written(exc: BaseException, lines: int) -> None:
    """Record on a bulk error the complete lines the file got before it (``.written``)."""
    row = getattr(exc, "row", None)
    if isinstance(row, int) and not isinstance(row, bool):
        mark_row(exc, row, lines)


def render_arrow(
    template: Template, data: object, *, threads: int | None, records: Mapping[str, Records]
) -> Any:
    """`Template.render_arrow`: one large_string array of the rendered rows."""
    from .template import batch_for

    count = _threads(threads)
    b = batch_for(template, records, "render_arrow")
    try:
        if hasattr(_core.core, "arrow_render"):
            from . import _arrow_native

            result = _arrow_native.render(_core.core, template, b, _sources(data), count)
            if result is not None:
                return result
        pa = _pyarrow("render_arrow on the pure-Python core")
        rows: list[str] = []
        for lines in _pure_lines(template, b, data):
            rows.extend(lines)
        return pa.array(rows, type=pa.large_string())
    except Exception as exc:
        from .template import _locate

        _locate(exc, 0)
        raise


def write_arrow(
    template: Template,
    data: object,
    file: BinaryIO,
    *,
    separator: bytes,
    threads: int | None,
    records: Mapping[str, Records],
) -> int:
    """`Template.write_arrow`: UTF-8 lines into ``file``, a chunk at a time; the count."""
    from .template import _write_all, batch_for

    count = _threads(threads)
    separator = bytes(separator)
    b = batch_for(template, records, "write_arrow")
    write = _write_all(file)
    total = 0
    try:
        if hasattr(_core.core, "arrow_render"):
            from . import _arrow_native

            written = _arrow_native.write(
                _core.core, template, b, _sources(data), count, write, separator
            )
            if written is not None:
                return written
        for lines in _pure_lines(template, b, data):
            if lines:
                write(separator.join([line.encode("utf-8") for line in lines]) + separator)
            total += len(lines)
    except Exception as exc:
        from .template import _locate

        if getattr(exc, "written", None) is None:
            mark_written(exc, total)
        _locate(exc, 0)
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
