"""``mergefield render`` over Parquet and Arrow IPC leads: a record batch at a time, in C.

The leads file is read a batch of at most `BATCH` rows at a time (only the columns the template
and the lead id read), each batch is rendered by `Template.write_arrow` into bytes, and the
bytes go to the output whole when every line is one lead: memory is one batch, whatever the
file's size, and no Python object is made per lead.  The accounting is the CSV path's
(`cli_render._Job`): a row that fails to render is reported with its row number and id and
the rows around it are rendered (``--strict`` stops there); a rendered text holding a line
break, ``--format jsonl`` and a compacted JSON template take the row-by-row path for that batch.
A column the template reads that the file lacks reads as null (the header check has already
warned, or stopped with ``--strict``).  A file damaged part way stops the run after every row
before the damage, naming the file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from mergefield.arrow import CHUNK, _pyarrow
from mergefield.cli_render import _ID_FIELDS, _LINE_BREAK, _Job
from mergefield.errors import RenderError
from mergefield.leads import ArrowLeads, LeadRow, LeadsError

__all__ = ["BATCH", "run"]

#: Rows read and rendered at once: a few of the Arrow path's chunks, so threads have work.
BATCH = 4 * CHUNK

# Every line break but the "\n" that ends each rendered line.
_OTHER_BREAK = re.compile(_LINE_BREAK.pattern.replace("\n", ""))


def run(job: _Job, leads: ArrowLeads, progress: Callable[[int], object]) -> bool:
    """Render every row of ``leads`` into ``job``; False when the file broke off part way."""
    present = set(leads.columns or ())
    wanted = [k for key, derived in job.lead_keys for k in (key, *derived)]
    wanted += [job.id_field] if job.id_field is not None else list(_ID_FIELDS)
    read = [name for name in dict.fromkeys(wanted) if name in present]
    # A lead key none of whose columns exist reads as null, as an absent CSV column does.
    absent = [key for key, derived in job.lead_keys if not present & {key, *derived}]
    pa = _pyarrow("reading Arrow leads")
    number = 1
    try:
        for batch in leads.batches(read, BATCH):
            for key in absent:
                batch = batch.append_column(key, pa.nulls(batch.num_rows))
            if not _batch(job, batch, number):
                return True
            number += batch.num_rows
            progress(batch.num_rows)
    except LeadsError as exc:
        job.counts.stopped = str(exc)
        return False
    return True


def _batch(job: _Job, batch: Any, number: int) -> bool:
    """Render ``batch`` (its first row is lead ``number``); False when ``--strict`` stops."""
    start = 0
    while start < batch.num_rows:
        part = batch.slice(start)
        try:
            return _emit(job, part, number + start)
        except RenderError as exc:
            error = exc
        row = error.row
        if not isinstance(row, int) or not 0 <= row < part.num_rows:
            raise error
        # Render the rows before the failing one, report it, and go on after it.
        if row and not _emit(job, part.slice(0, row), number + start):
            return False
        job.counts.read += 1
        failed = number + start + row
        job.fail(LeadRow(failed, 0, part.slice(row, 1).to_pylist()[0]), error.message)
        if job.strict:
            job.counts.stopped = f"stopped at row {failed} (--strict)"
            return False
        start += row + 1
    return True


def _emit(job: _Job, part: Any, number: int) -> bool:
    """Write the rendered rows of ``part``; False when ``--strict`` stops at a failed row."""
    rows = part.num_rows
    records: Any = job.records  # resource -> record: never an option's name
    if not job.jsonl and not job.compact:
        buffer = io.BytesIO()
        job.template.write_arrow(part, buffer, **records)
        text = buffer.getvalue().decode("utf-8")
        if text.count("\n") == rows and not _OTHER_BREAK.search(text):
            job.out.write(text)
            job.counts.read += rows
            job.counts.rendered += rows
            job.counts.defaulted += _defaulted(job, part)
            return True
    # Row by row: a line break to refuse, JSON Lines to write, or JSON to compact.
    texts = job.template.render_arrow(part, **records).to_pylist()
    for offset, (record, text) in enumerate(zip(part.to_pylist(), texts, strict=True)):
        job.counts.read += 1
        job.emit(LeadRow(number + offset, 0, record), text)
        if job.strict and job.counts.failed:
            job.counts.stopped = f"stopped at row {number + offset} (--strict)"
            return False
    return True


def _defaulted(job: _Job, part: Any) -> int:
    """How many rows of ``part`` had some token fall back to its default (`_Job.defaulted`)."""
    if job.fixed_missing:
        return int(part.num_rows)
    import pyarrow.compute as pc

    any_missing: Any = None
    for key, derived in job.lead_keys:
        mask = _missing(part, key)
        for name in derived:
            mask = pc.and_(mask, _missing(part, name))
        any_missing = mask if any_missing is None else pc.or_(any_missing, mask)
    if any_missing is None:
        return 0
    return int(pc.sum(any_missing).as_py() or 0)


def _missing(part: Any, name: str) -> Any:
    """Per row, whether column ``name`` is missing there (`values.is_missing` of its value)."""
    pa = _pyarrow("reading Arrow leads")
    import pyarrow.compute as pc

    if name not in part.schema.names:
        return pa.array([True] * part.num_rows)
    column = part.column(name)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    mask = pc.is_null(column, nan_is_null=True)
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        mask = pc.or_(mask, pc.fill_null(pc.equal(column, ""), False))
    return mask
