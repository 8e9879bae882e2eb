"""The plan of one bulk render call and the helpers on both sides of the core.

A bulk call (`Template.render_many`, `render_columns`, the write methods, and the Arrow path of
`mergefield.arrow`) first makes a `Batch`: the literal text with the fixed records (User,
Account, ...) folded in, and per row slot its record key, the core step (`FAST_STEPS`: the
encoder pipelines the core runs itself) and its missing-value text.  The core then calls back
the resolvers here for a value only Python renders, a file is written through `write_all`,
and an error the core marked with a row is worded by `locate_row`.  This module sits below both
`template` and `arrow`, so that each imports it and neither imports the other's internals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from ._contract import Step
from .errors import RenderError

if TYPE_CHECKING:
    from .template import Slot

# Encoder pipelines the core can run itself on a plain str, by the base transform it runs.  A
# PERCENT output is unreserved ASCII and `%`, which JSON string and HTML escaping leave alone.
FAST_STEPS: Mapping[tuple[Step, ...], Step] = {
    (Step.TEXT,): Step.TEXT,
    (Step.PERCENT,): Step.PERCENT,
    (Step.FORM,): Step.FORM,
    (Step.HTML,): Step.HTML,
    (Step.JSON_STRING,): Step.JSON_STRING,
    (Step.PERCENT, Step.JSON_STRING): Step.PERCENT,
    (Step.PERCENT, Step.HTML): Step.PERCENT,
}

Records = Mapping[str, Any] | None


class Batch(NamedTuple):
    """One call's plan for the core: literals with the fixed records folded in, and per row
    slot its record key, core step and missing-value text."""

    literals: list[str]
    slots: list[Slot]
    keys: list[str]
    steps: list[int]
    missing: list[str | None]
    defaulted: bool  # some token of the fixed records fell back to its default


def locate_row(exc: Exception, first: int | None) -> None:
    """Word the row a core marked on ``exc`` (`_contract.mark_row`): ``first`` is the number of
    the call's first lead in the caller's sequence; None (a single `render`) drops the mark.
    A `RenderError` shows it in its message; any other error gets a note (Python 3.11+)."""
    row = getattr(exc, "row", None)
    if not isinstance(row, int) or isinstance(row, bool):
        return
    if first is None:
        exc.row = exc.written = None  # type: ignore[attr-defined]
        return
    exc.row = row = row + first  # type: ignore[attr-defined]
    written = getattr(exc, "written", None)
    if isinstance(written, int):
        exc.written = written = written + first  # type: ignore[attr-defined]
    if not isinstance(exc, RenderError) and hasattr(exc, "add_note"):
        exc.add_note(RenderError.where(row, written))


def write_all(file: BinaryIO) -> Callable[[bytes], None]:
    """``file.write`` that insists: a raw (unbuffered) file may take only part of a block, and
    one that takes nothing (0, a negative count) would be called forever."""
    write = file.write

    def write_whole(data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = write(view)
            if written is None:  # a non-blocking file that took nothing
                raise BlockingIOError(f"{file!r} accepted no bytes; give a blocking file")
            if (
                not isinstance(written, int)
                or isinstance(written, bool)
                or not (0 < written <= len(view))
            ):
                name = getattr(file, "name", None)
                raise OSError(
                    f"{name if isinstance(name, str) else repr(file)}: write() returned "
                    f"{written!r} for {len(view)} bytes; expected the number of bytes it took "
                    f"(1 to {len(view)})"
                )
            view = view[written:]

    return write_whole


def row_resolver(slots: Sequence[Slot]) -> Callable[[int, object, Records], str]:
    def resolve(index: int, value: object, row: Records) -> str:
        slot = slots[index]
        if slot.derived_from:
            value = slot.read(row)
        return slot.resolve(value)

    return resolve


def column_resolver(
    slots: Sequence[Slot], columns: Mapping[str, Sequence[Any]]
) -> Callable[[int, object, int], str]:
    """``columns`` are the converted tuples: a derived field reads them by position."""

    def resolve(index: int, value: object, row: int) -> str:
        slot = slots[index]
        if slot.derived_from:
            value = slot.read(ColumnRow(columns, row))
        return slot.resolve(value)

    return resolve


class ColumnRow(Mapping[str, Any]):
    """A read-only view of one row of the converted columns, for derived fields."""

    def __init__(self, columns: Mapping[str, Sequence[Any]], index: int) -> None:
        self._columns = columns
        self._index = index

    def __getitem__(self, key: str) -> Any:
        return self._columns[key][self._index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)
