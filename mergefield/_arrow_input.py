"""Reading Arrow data for the renderer, shared by the pure path (`mergefield.arrow`) and the
compiled one (`mergefield._arrow_native`): the record batches of what the caller passed, the
columns the row slots need (a missing one is an error naming it), a column's Python values as
``to_pylist`` gives them with invalid UTF-8 refused or replaced, and the ``.written`` count a
bulk error carries.  It sits below both paths, which import it and never each other's internals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._contract import mark_row
from .errors import RenderError

if TYPE_CHECKING:
    from .template import Slot

INSTALL_HINT = "install pyarrow (pip install 'mergefield[arrow]')"


def require_pyarrow(why: str) -> Any:
    try:
        import pyarrow
    except ImportError:
        raise ImportError(f"{why} needs pyarrow: {INSTALL_HINT}") from None
    return pyarrow


def is_arrow(value: object) -> bool:
    return hasattr(value, "__arrow_c_stream__") or hasattr(value, "__arrow_c_array__")


def arrow_sources(data: object) -> Iterator[object]:
    """The Arrow objects of ``data``: itself, or each item of an iterable of record batches."""
    if is_arrow(data):
        yield data
        return
    if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Iterable):
        raise TypeError(
            "render_arrow needs Arrow data (an object with __arrow_c_stream__ or "
            f"__arrow_c_array__, or an iterable of record batches), not {type(data).__name__}"
        )
    for number, item in enumerate(data):
        if not is_arrow(item):
            raise TypeError(
                f"item {number} of the Arrow data is a {type(item).__name__}, not a record batch"
            )
        yield item


def needed_columns(slots: Sequence[Slot], names: Sequence[str]) -> list[str]:
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


def utf8_error(slot: Slot | None, name: str, row: int, exc: UnicodeDecodeError) -> RenderError:
    where = f"{slot.ref.resource}:{slot.ref.field} (at offset {slot.ref.start}): " if slot else ""
    return RenderError(
        f"{where}column {name!r} row {row}: invalid UTF-8 in an Arrow string ({exc.reason} at "
        f"byte {exc.start})",
        resource=slot.ref.resource if slot else "Lead",
        field=slot.ref.field if slot else name,
        start=slot.ref.start if slot else -1,
    )


def column_reader(slots: Sequence[Slot], strict: bool) -> Callable[[Any, str, int], list[Any]]:
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
        pa = require_pyarrow("reading Arrow strings")
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
                    raise utf8_error(by_key.get(name), name, base + row, exc) from None
                raw[row] = value.decode("utf-8", "replace")
        return raw

    return read


def mark_written(exc: BaseException, lines: int) -> None:
    """Record on a bulk error the complete lines the file got before it (``.written``)."""
    row = getattr(exc, "row", None)
    if isinstance(row, int) and not isinstance(row, bool):
        mark_row(exc, row, lines)
