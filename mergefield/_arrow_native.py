"""The compiled core's Arrow path: batches in, chunks rendered in C (in threads), rows out.

With pyarrow installed, pyarrow opens the data (``RecordBatchReader.from_stream``) and hands
each batch to the core through its ``__arrow_c_array__`` capsules, zero-copy, and converts the
columns the core does not read itself with ``to_pylist`` (and a chunk of a date, timestamp or
decimal column on the first value the core leaves to the Python policy, `_LazyValues`);
without pyarrow the core's own C stream reader opens it, and such values are an error saying
what to install.  Each chunk of ``chunk`` rows (`arrow.CHUNK`, which `arrow` passes in)
renders with the GIL released into its own buffer; with several threads the chunks of a small
window run at once and are taken in order, so the output keeps row order.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._arrow_input import INSTALL_HINT, column_reader, needed_columns, utf8_error
from ._batch import FAST_STEPS, ColumnRow, column_resolver
from ._contract import Step, mark_row
from .catalog import ValueType
from .values import DEFAULT_DATE_FORMAT, ValueOptions, is_missing

if TYPE_CHECKING:
    from ._batch import Batch
    from .template import Slot, Template

# Tests turn it off to run the core's own stream reader while pyarrow is installed.
USE_PYARROW = True


def _optional_pyarrow() -> Any:
    if not USE_PYARROW:
        return None
    try:
        import pyarrow
    except ImportError:
        return None
    return pyarrow


# The core's T_STRING, T_NUMBER, T_DATE (`_arrow.pxi`), in `ValueType`'s order.
_TYPE_CODES = {value_type.value: code for code, value_type in enumerate(ValueType)}


def _value_step(slot: Slot) -> int:
    """The core step that encodes a value's rendered text in ``slot``: its own step, and for a
    Date slot (whose step is -1: a str must be parsed first) the step of its encoder."""
    from .encoding import ENCODERS

    if slot.type != "Date" or slot.step >= 0:
        return slot.step
    if slot.encoder == "json_value":
        return int(Step.JSON_QUOTED)
    return int(FAST_STEPS.get(ENCODERS[slot.encoder].steps, Step.POLICY))


def _native_zone(options: ValueOptions) -> tuple[bool, int]:
    """Whether the core renders Date values of these options itself (the default format in UTC
    or a fixed offset of whole seconds), and that offset in seconds."""
    zone = options.timezone
    if options.date_format != DEFAULT_DATE_FORMAT or not isinstance(zone, dt.timezone):
        return False, 0
    offset = zone.utcoffset(None)
    if offset.microseconds:
        return False, 0
    return True, offset.days * 86400 + offset.seconds


def plan(core: ModuleType, template: Template, b: Batch) -> Any:
    """The core's plan of the call, or None when its texts are not UTF-8 (a lone surrogate in
    the template's literal text): the pure path then renders it and fails as it does."""
    types = [_TYPE_CODES[s.type] for s in b.slots]
    dates_native, offset = _native_zone(template.options)
    try:
        return core.ArrowPlan(
            b.literals, b.steps, b.missing, types, [_value_step(s) for s in b.slots],
            dates_native, offset,
        )  # fmt: skip
    except UnicodeEncodeError:
        return None


def _batches(core: ModuleType, sources: Iterable[object]) -> Iterator[tuple[Any, Any]]:
    """``(core batch, pyarrow batch or None)`` for every record batch of the sources."""
    pa = _optional_pyarrow()
    for source in sources:
        if pa is not None:
            if hasattr(source, "__arrow_c_stream__"):
                batches: Iterable[Any] = pa.RecordBatchReader.from_stream(source)
            else:
                batches = [pa.record_batch(source)]
            for batch in batches:
                yield core.arrow_batch(*batch.__arrow_c_array__()), batch
        elif hasattr(source, "__arrow_c_stream__"):
            for batch in core.arrow_stream_batches(source.__arrow_c_stream__()):
                yield batch, None
        else:
            yield core.arrow_batch(*source.__arrow_c_array__()), None  # type: ignore[attr-defined]


class _ChunkColumns(Mapping[str, Sequence[Any]]):
    """The Python values of a chunk's columns, converted on first use (derived fields)."""

    def __init__(self, get: Callable[[str], Sequence[Any]], names: Sequence[str]) -> None:
        self._get = get
        self._names = names
        self._cache: dict[str, Sequence[Any]] = {}

    def __getitem__(self, key: str) -> Sequence[Any]:
        if key not in self._cache:
            if key not in self._names:
                raise KeyError(key)
            self._cache[key] = self._get(key)
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class _LazyValues:
    """A chunk's Python values of a column the core reads itself (dates, timestamps, decimals),
    converted by pyarrow the first time the value policy needs one of them."""

    def __init__(self, values: Callable[[str], Sequence[Any]], name: str) -> None:
        self._values = values
        self._name = name
        self._list: Sequence[Any] | None = None

    def __getitem__(self, row: int) -> Any:
        if self._list is None:
            self._list = self._values(self._name)
        return self._list[row]


def _tasks(
    core: ModuleType,
    template: Template,
    b: Batch,
    sources: Iterable[object],
    core_plan: Any,
    chunk: int,
    lines: bool,
    separator: bytes,
) -> Iterator[Callable[[Any], Any]]:
    """One callable per chunk, in row order: ``task(out)`` renders the chunk into ``out``."""
    strict = template.mode == "strict"
    read = column_reader(b.slots, strict)
    names: list[str] | None = None
    indices: list[int] = []
    base = 0
    for batch, pa_batch in _batches(core, sources):
        if batch.names != names:
            names = list(batch.names)
            needed_columns(b.slots, names)
            indices = [names.index(s.key) if s.key in names else -1 for s in b.slots]
        columns = core.ArrowColumns(batch, indices)
        foreign = [i for i, s in enumerate(b.slots) if not columns.native(i)]
        if foreign and pa_batch is None:
            slot = b.slots[foreign[0]]
            kind = batch.types[indices[foreign[0]]]
            raise ImportError(
                f"column {slot.key!r} has Arrow type {kind!r}, which the compiled core reads "
                f"only through pyarrow: {INSTALL_HINT}"
            )
        for start in range(0, batch.num_rows, chunk):
            stop = min(batch.num_rows, start + chunk)
            yield _task(
                core, core_plan, b.slots, batch, pa_batch, columns, indices, foreign, read,
                start, stop, base, strict, lines, separator,
            )  # fmt: skip
        base += batch.num_rows


def _task(
    core: ModuleType,
    core_plan: Any,
    slots: Sequence[Slot],
    batch: Any,
    pa_batch: Any,
    columns: Any,
    indices: list[int],
    foreign: list[int],
    read: Callable[[Any, str, int], list[Any]],
    start: int,
    stop: int,
    base: int,
    strict: bool,
    lines: bool,
    separator: bytes,
) -> Callable[[Any], Any]:
    names = list(batch.names)

    def values(name: str) -> Sequence[Any]:
        if pa_batch is None:
            raise ImportError(
                f"column {name!r} as Python values (for a derived field or a value the core "
                f"leaves to the Python policy) needs pyarrow: {INSTALL_HINT}"
            )
        column = pa_batch.column(names.index(name)).slice(start, stop - start)
        return read(column, name, base + start)

    pylists: list[Any] = [None] * len(slots)
    for i in foreign:
        pylists[i] = values(slots[i].key)
    for i, slot in enumerate(slots):
        if columns.lazy(i):
            pylists[i] = _LazyValues(values, slot.key)
    chunk_columns = _ChunkColumns(values, names)
    policy = column_resolver(slots, chunk_columns)
    # The core flags the rows whose missing value it fills in itself.  The policy renders a
    # missing value (rather than refusing it: strict mode, a default its encoder refuses) only
    # for a derived field, which joins its parts, and in a column the core does not read, whose
    # Python values it never judged: the rows of those slots are checked here (`falls_back`).
    watched = frozenset(i for i, s in enumerate(slots) if s.derived_from or i in foreign)
    fell_back: list[int] = []  # the chunk's rows, counted from ``start``

    def resolve(i: int, value: object, row: int) -> str:
        try:
            return policy(i, value, row)
        except Exception as exc:
            # A bulk error names its lead by its row in the whole data (README, bulk errors).
            mark_row(exc, base + start + row, None)
            raise

    if watched:
        resolve_value = resolve

        def resolve(i: int, value: object, row: int) -> str:  # the check only where needed
            text = resolve_value(i, value, row)
            if i in watched:
                slot = slots[i]
                derived = slot.derived_from
                if is_missing(slot.read(ColumnRow(chunk_columns, row)) if derived else value):
                    fell_back.append(row)
            return text

    def on_invalid(i: int, raw: bytes, row: int) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if strict:
                error = utf8_error(slots[i], slots[i].key, row, exc)
                mark_row(error, row, None)
                raise error from None
            return raw.decode("utf-8", "replace")

    def task(out: Any) -> Any:
        first = len(out)
        core.arrow_render(
            core_plan, columns, start, stop, pylists, resolve, on_invalid, out, lines,
            separator, base,
        )  # fmt: skip
        if fell_back:
            out.mark_defaulted(first, fell_back)
            fell_back.clear()
        return out

    return task


def _outputs(
    core: ModuleType, tasks: Iterator[Callable[[Any], Any]], threads: int
) -> Iterator[Any]:
    """Each task's filled output, in order; up to ``threads`` tasks run at once.  The consumer
    empties each output (``clear``) before asking for the next: outputs are reused, so that
    the memory of one chunk is touched once, not once per chunk."""
    if threads == 1:
        out = core.ArrowOut()
        for task in tasks:
            yield task(out)
        return
    spare: list[Any] = []
    with ThreadPoolExecutor(threads) as pool:
        window: deque[Future[Any]] = deque()
        pending = iter(tasks)
        failure: Exception | None = None
        while True:
            try:
                task = next(pending)
            except StopIteration:
                break
            except Exception as exc:
                # A later batch failed to open: hand on the chunks before it first, as one
                # thread would have, then fail.  (A chunk's own error, from `result`, is raised
                # at once: it comes before every chunk still in the window.)
                failure = exc
                break
            window.append(pool.submit(task, spare.pop() if spare else core.ArrowOut()))
            if len(window) >= threads * 2:
                out = window.popleft().result()
                yield out
                spare.append(out)
        while window:
            yield window.popleft().result()
        if failure is not None:
            raise failure


def render(
    core: ModuleType,
    template: Template,
    b: Batch,
    sources: Iterable[object],
    threads: int,
    chunk: int,
    defaulted: list[bool] | None = None,
) -> Any:
    """The rendered rows, or None when the core cannot plan the call; with ``defaulted``, per
    row whether a token fell back to its default, flagged by the core (and by the policy for
    the values it rendered), appended to it."""
    core_plan = plan(core, template, b)
    if core_plan is None:
        return None
    tasks = _tasks(core, template, b, sources, core_plan, chunk, False, b"")
    result = core.ArrowOut()
    if threads == 1:
        for task in tasks:
            task(result)
    else:
        for out in _outputs(core, tasks, threads):
            result.extend(out)
            out.clear()
    if defaulted is not None:
        defaulted.extend(map(bool, result.defaulted_flags()))
    pa = _optional_pyarrow()
    return result if pa is None else pa.array(result)


def line_chunks(
    core: ModuleType,
    template: Template,
    b: Batch,
    sources: Iterable[object],
    threads: int,
    chunk: int,
    separator: bytes,
) -> Iterator[Any] | None:
    """Each chunk rendered as lines ended by ``separator``, in order, or None when the core
    cannot plan the call: an output whose length is its rows, ``defaulted`` the count of them
    that fell back to a default, and whose buffer is the UTF-8 text.  The consumer clears it
    (``out.clear()``) before asking for the next: outputs are reused (`_outputs`)."""
    core_plan = plan(core, template, b)
    if core_plan is None:
        return None
    tasks = _tasks(core, template, b, sources, core_plan, chunk, True, separator)
    return _outputs(core, tasks, threads)
