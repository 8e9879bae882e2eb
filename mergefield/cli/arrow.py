"""``mergefield render`` over Parquet and Arrow IPC leads: a record batch at a time, in C.

The leads file is read a batch of at most `BATCH` rows at a time (only the columns the template
and the lead id read), each batch is rendered by `Template.write_arrow_report` into bytes, and
the bytes go to the output whole when every line is one lead: memory is one batch, whatever the
file's size, and no Python object is made per lead.  The "defaulted" count is the renderer's
report (`write_arrow_report`, `render_arrow_report` row by row), never worked out here.  The
accounting is the CSV path's (`mergefield.run.RenderRun`): a row that fails to render is
reported with its row number and id and the rows around it are rendered (``--strict`` stops
there); a rendered text holding a line break, ``--format jsonl`` and a compacted JSON template
take the row-by-row path for that batch.  A column the template reads that the file lacks reads
as null (the header check has already warned, or stopped with ``--strict``).  A file damaged
part way stops the run after every row before the damage, naming the file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from mergefield._arrow_input import require_pyarrow
from mergefield.arrow import CHUNK
from mergefield.errors import RenderError
from mergefield.leads import ArrowLeads, LeadRow, LeadsError
from mergefield.run import ID_FIELDS, LINE_BREAK, RenderRun
from mergefield.template import ROW_RESOURCE

__all__ = ["BATCH", "run"]

#: Rows read and rendered at once: a few of the Arrow path's chunks, so threads have work.
BATCH = 4 * CHUNK

# Every line break but the "\n" that ends each rendered line.
_OTHER_BREAK = re.compile(LINE_BREAK.pattern.replace("\n", ""))


Write = Callable[[str], object]


def _lead_keys(run: RenderRun) -> list[tuple[str, tuple[str, ...]]]:
    """Each lead slot's record key and the keys a derived field is made of, once each."""
    keys = [(s.key, s.derived_from) for s in run.template.slots if s.resource == ROW_RESOURCE]
    return list(dict.fromkeys(keys))


def run(
    job: RenderRun,
    leads: ArrowLeads,
    write: Write,
    warn: Write,
    progress: Callable[[int], object],
) -> bool:
    """Render every row of ``leads`` with ``job``, ``write`` each output line and ``warn`` each
    failed row, as `RenderRun.run` does; False when the file broke off part way."""
    lead_keys = _lead_keys(job)
    present = set(leads.columns or ())
    wanted = [k for key, derived in lead_keys for k in (key, *derived)]
    wanted += [job.id_field] if job.id_field is not None else list(ID_FIELDS)
    read = [name for name in dict.fromkeys(wanted) if name in present]
    # A lead key none of whose columns exist reads as null, as an absent CSV column does.
    absent = [key for key, derived in lead_keys if not present & {key, *derived}]
    pa = require_pyarrow("reading Arrow leads")
    batches = _Batches(job, write, warn)
    number = 1
    try:
        for batch in leads.batches(read, BATCH):
            for key in absent:
                batch = batch.append_column(key, pa.nulls(batch.num_rows))
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

    def __init__(self, run: RenderRun, write: Write, warn: Write) -> None:
        self.run = run
        self.write = write
        self.warn = warn

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
            # Render the rows before the failing one, report it, and go on after it.
            if row and not self._emit(part.slice(0, row), number + start):
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
        """Write the rendered rows of ``part``; False when ``--strict`` stops at a failed row."""
        run = self.run
        rows = part.num_rows
        records: Any = run.records  # resource -> record: never an option's name
        if not run.jsonl and not run.compact:
            buffer = io.BytesIO()
            written = run.template.write_arrow_report(part, buffer, **records)
            text = buffer.getvalue().decode("utf-8")
            if text.count("\n") == rows and not _OTHER_BREAK.search(text):
                self.write(text)
                run.counts.read += rows
                run.counts.rendered += rows
                run.counts.defaulted += written.defaulted
                return True
        # Row by row: a line break to refuse, JSON Lines to write, or JSON to compact.
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
