"""``mergefield render`` over Parquet and Arrow IPC leads: a record batch at a time, in C.

The leads file is read a batch of at most `BATCH` rows at a time (only the columns the template
and the lead id read), and the batches are rendered in one pass of chunks
(`mergefield.arrow.line_chunks`, as `Template.write_arrow_report` renders them: one thread
pool and its buffers for the whole file) whose UTF-8 bytes go to the output as they are, never
decoded: memory is a few batches, whatever the file's size, and no Python object is made per
lead.  A line break inside a rendered row would make two "leads" of it: when the template
cannot produce one (its literal text holds none and every lead slot percent-encodes,
`_may_break`) nothing is checked, otherwise each chunk's bytes are (`_one_per_line`) and a chunk
holding one goes row by row.  The "defaulted" count is the renderer's report, never worked out
here.  The accounting is the CSV path's (`mergefield.run.RenderRun`): a row that fails to render
is reported with its row number and id and the rows around it are rendered (``--strict`` stops
there); ``--format jsonl`` and a compacted JSON template go batch by batch, row by row.  A
column the template reads that the file lacks reads as null (the header check has already
warned, or stopped with ``--strict``).  A file damaged part way stops the run after every row
before the damage, naming the file.
"""

from __future__ import annotations

import contextlib
import io
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from mergefield._arrow_input import require_pyarrow
from mergefield._contract import Step
from mergefield.arrow import CHUNK, line_chunks, thread_count
from mergefield.errors import MergefieldError, RenderError
from mergefield.leads import ArrowLeads, LeadRow, LeadsError
from mergefield.run import ID_FIELDS, LINE_BREAK, LINE_BREAKS, RenderRun
from mergefield.template import ROW_RESOURCE, batch_for

if TYPE_CHECKING:
    from mergefield._batch import Batch

__all__ = ["BATCH", "run"]

#: Rows read from the file at once (the renderer cuts them into chunks of `CHUNK` rows).
BATCH = 4 * CHUNK

# Every line break but the "\n" that ends each rendered line, as UTF-8; the ASCII ones alone.
_BREAKS = [char.encode("utf-8") for char in LINE_BREAKS if char != "\n"]
_ASCII_BREAKS = [pattern for pattern in _BREAKS if pattern.isascii()]

# First steps of an encoder whose output is unreserved ASCII, "%" and "+" only (`Step`).
_ONE_LINE_STEPS = ((Step.PERCENT,), (Step.FORM,))

Write = Callable[[str], object]
WriteBytes = Callable[[bytes], object]


def _lead_keys(run: RenderRun) -> list[tuple[str, tuple[str, ...]]]:
    """Each lead slot's record key and the keys a derived field is made of, once each."""
    keys = [(s.key, s.derived_from) for s in run.template.slots if s.resource == ROW_RESOURCE]
    return list(dict.fromkeys(keys))


def run(
    job: RenderRun,
    leads: ArrowLeads,
    write: Write,
    write_bytes: WriteBytes,
    warn: Write,
    progress: Callable[[int], object],
) -> bool:
    """Render every row of ``leads`` with ``job``, ``write`` each output line (or
    ``write_bytes`` a batch of them, UTF-8) and ``warn`` each failed row, as `RenderRun.run`
    does; False when the file broke off part way."""
    lead_keys = _lead_keys(job)
    present = set(leads.columns or ())
    wanted = [k for key, derived in lead_keys for k in (key, *derived)]
    wanted += [job.id_field] if job.id_field is not None else list(ID_FIELDS)
    read = [name for name in dict.fromkeys(wanted) if name in present]
    # A lead key none of whose columns exist reads as null, as an absent CSV column does.
    absent = [key for key, derived in lead_keys if not present & {key, *derived}]
    pa = require_pyarrow("reading Arrow leads")
    batches = _Batches(job, write, write_bytes, warn)

    def source() -> Iterator[Any]:
        for batch in leads.batches(read, BATCH):
            for key in absent:
                batch = batch.append_column(key, pa.nulls(batch.num_rows))
            yield batch

    try:
        if batches.plan is not None and batches.checked is not None:
            batches.stream(source(), progress)
            return True
        number = 1
        for batch in source():
            if not batches.render(batch, number):
                return True
            number += batch.num_rows
            progress(batch.num_rows)
    except LeadsError as exc:
        job.counts.stopped = str(exc)
        return False
    return True


class _Batches:
    """Renders record batches into one run's output and counts."""

    def __init__(self, run: RenderRun, write: Write, write_bytes: WriteBytes, warn: Write) -> None:
        self.run = run
        self.write = write
        self.write_bytes = write_bytes
        self.warn = warn
        # The plan of the render (None: a fixed record's value fails every row, which the
        # batch by batch path reports) and whether the rendered bytes need `_one_per_line`
        # (None: JSON Lines or compacted JSON, row by row only).
        self.plan: Batch | None = None
        with contextlib.suppress(MergefieldError):
            self.plan = batch_for(run.template, run.records, "write_arrow_report")
        self.checked: bool | None = None
        if not run.jsonl and not run.compact:
            self.checked = self.plan is None or _may_break(self.plan)

    def stream(self, batches: Iterator[Any], progress: Callable[[int], object]) -> bool:
        """Render ``batches`` in one pass of chunks (`arrow.line_chunks`: one thread pool and its
        buffers for the whole file, the next batch read while the last renders), writing each
        chunk's bytes as they come; a chunk holding a line break goes row by row, and after a
        failed row (reported as `render` does) a new pass starts at the next row.  The batches
        read and not all written are kept to slice those rows from.  False when ``--strict``
        stops."""
        run = self.run
        assert self.plan is not None
        threads = thread_count(None)
        kept: deque[tuple[int, Any]] = deque()  # (its first row, batch), rows from 0
        read = 0  # rows read into `kept`
        done = 0  # rows written or reported

        def feed(first: list[Any]) -> Iterator[Any]:
            nonlocal read
            yield from first
            for batch in batches:
                kept.append((read, batch))
                read += batch.num_rows
                yield batch

        def rows(start: int, stop: int) -> list[Any]:
            """Slices of the kept batches holding rows ``start`` to ``stop``, in order."""
            parts = []
            for first, batch in kept:
                low, high = max(start, first), min(stop, first + batch.num_rows)
                if low < high:
                    parts.append(batch.slice(low - first, high - low))
            return parts

        def advance(to: int) -> None:
            nonlocal done
            progress(to - done)
            done = to
            while kept and kept[0][0] + kept[0][1].num_rows <= done:
                kept.popleft()

        pending: list[Any] = []
        while True:
            base = done
            chunks = line_chunks(run.template, self.plan, feed(pending), b"\n", threads)
            try:
                for count, defaulted, text in chunks:
                    data = bytes(text) if self.checked else text
                    if self.checked and not _one_per_line(data, count):
                        at = done
                        for part in rows(done, done + count):
                            if not self._rows(part, at + 1):
                                return False
                            at += part.num_rows
                    else:
                        if count:
                            self.write_bytes(data)
                        self._count(count, defaulted)
                    advance(done + count)
                return True
            except RenderError as exc:
                error = exc
            finally:
                chunks.close()  # a pass given up: its threads end before the next starts
            row = error.row
            if not isinstance(row, int) or not done <= base + row < read:
                raise error
            failed = base + row
            # The rows of the failed chunk before the failing one, then it, then a new pass.
            at = done
            for part in rows(done, failed):
                if not self.render(part, at + 1):
                    return False
                at += part.num_rows
            record = rows(failed, failed + 1)[0].to_pylist()[0]
            run.counts.read += 1
            run.fail(LeadRow(failed + 1, 0, record), error.message, self.write, self.warn)
            advance(failed + 1)
            if run.stop_on_failure:
                run.counts.stopped = f"stopped at row {failed + 1} (--strict)"
                return False
            pending = rows(failed + 1, read)

    def render(self, batch: Any, number: int) -> bool:
        """Render ``batch`` (its first row is lead ``number``); False when ``--strict`` stops."""
        run = self.run
        start = 0
        while start < batch.num_rows:
            part = batch.slice(start)
            try:
                return self._emit(part, number + start)
            except RenderError as exc:
                error = exc
            row = error.row
            if not isinstance(row, int) or not 0 <= row < part.num_rows:
                raise error
            # The rows before the failing one that are not out yet (a batch written straight
            # to the output has its chunks before the failing one's there already), then it.
            done = getattr(error, "done", 0)
            if row > done and not self._emit(part.slice(done, row - done), number + start + done):
                return False
            run.counts.read += 1
            failed = number + start + row
            record = part.slice(row, 1).to_pylist()[0]
            run.fail(LeadRow(failed, 0, record), error.message, self.write, self.warn)
            if run.stop_on_failure:
                run.counts.stopped = f"stopped at row {failed} (--strict)"
                return False
            start += row + 1
        return True

    def _emit(self, part: Any, number: int) -> bool:
        """Write the rendered rows of ``part``; False when ``--strict`` stops at a failed row.
        A `RenderError` carries in ``done`` the rows of ``part`` already written and counted."""
        run = self.run
        rows = part.num_rows
        records: Any = run.records  # resource -> record: never an option's name
        if self.checked is False:
            # No line break can come out: the chunks go to the output as they are rendered.
            try:
                sink = cast(BinaryIO, _Sink(self.write_bytes))
                counted = run.template.write_arrow_report(part, sink, **records)
            except RenderError as exc:
                done = exc.written if isinstance(exc.written, int) else 0
                if done:  # out already: count them as a finished batch
                    head = part.slice(0, done)
                    flags = run.template.render_arrow_report(head, **records).defaulted
                    self._count(done, sum(flags))
                exc.done = done  # type: ignore[attr-defined]
                raise
            self._count(rows, counted.defaulted)
            return True
        if self.checked:
            buffer = io.BytesIO()
            written = run.template.write_arrow_report(part, buffer, **records)
            data = buffer.getvalue()
            if _one_per_line(data, rows):
                self.write_bytes(data)
                self._count(rows, written.defaulted)
                return True
        return self._rows(part, number)

    def _rows(self, part: Any, number: int) -> bool:
        """Row by row: a line break to refuse, JSON Lines to write, or JSON to compact."""
        run = self.run
        records: Any = run.records
        report = run.template.render_arrow_report(part, **records)
        texts, defaulted = report.texts.to_pylist(), report.defaulted
        for offset, (record, text) in enumerate(zip(part.to_pylist(), texts, strict=True)):
            run.counts.read += 1
            lead = LeadRow(number + offset, 0, record)
            run.emit(lead, text, defaulted[offset], self.write, self.warn)
            if run.stop_on_failure and run.counts.failed:
                run.counts.stopped = f"stopped at row {number + offset} (--strict)"
                return False
        return True

    def _count(self, rows: int, defaulted: int) -> None:
        counts = self.run.counts
        counts.read += rows
        counts.rendered += rows
        counts.defaulted += defaulted


class _Sink:
    """A binary file for `Template.write_arrow_report` that hands each block to ``write``."""

    def __init__(self, write: WriteBytes) -> None:
        self._write = write

    def write(self, data: bytes) -> int:
        self._write(data)
        return len(data)


def _may_break(b: Batch) -> bool:
    """Whether a row rendered by the plan ``b`` could hold a line break: the literal text (with
    the fixed records in it) holds one, or a lead slot's encoder can let one through.  An
    encoder whose first step percent-encodes (`_ONE_LINE_STEPS`) writes unreserved ASCII and
    ``%XX`` only, which the steps after it leave alone, for every value and default alike."""
    if any(LINE_BREAK.search(text) for text in b.literals):
        return True
    return any(slot.encode.steps[:1] not in _ONE_LINE_STEPS for slot in b.slots)


def _one_per_line(data: bytes, rows: int) -> bool:
    """Whether ``data``, ``rows`` rendered rows each ended by ``\\n``, holds no other line break:
    counted and searched on the bytes (a break outside ASCII only in a batch that is not)."""
    if data.count(b"\n") != rows:
        return False
    breaks = _ASCII_BREAKS if data.isascii() else _BREAKS
    return all(data.find(pattern) < 0 for pattern in breaks)
