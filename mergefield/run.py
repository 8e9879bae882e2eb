"""One render run: a template and its fixed records over a stream of leads, every row accounted for.

`RenderRun` is what the ``mergefield render`` command and `mergefield.dask` share.  It holds the
compiled template, the fixed records (User, Account, ...) and the options of the output, and
knows which lead columns the template reads (`RenderRun.lead_columns`, from `Template.slots`).
`RenderRun.run` renders `mergefield.leads.LeadRow` rows in chunks of `CHUNK`, writes one line
per lead (or a JSON Lines object ``{row, id, output|error}``), reports each row it cannot render
with its row number and id, and counts what happened in `RunCounts`: rendered, defaulted (some
token fell back to its default or to empty, as `Template.render_report` reports it), failed,
and why the run stopped.  It takes plain callables for output, messages and progress, so tests
call it without argparse, files or a terminal.  Dask renders whole partitions with
`RenderRun.render_columns` / `RenderRun.write`.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from ._batch import Records
from .errors import RenderError
from .leads import LeadRow
from .template import ROW_RESOURCE, RenderReport, Template
from .values import is_missing

__all__ = ["CHUNK", "ID_FIELDS", "LINE_BREAK", "LINE_BREAKS", "RenderRun", "RunCounts"]

CHUNK = 512
"""Leads handed to the renderer at once: enough to amortize the call into the core, few enough
that memory does not depend on the number of leads."""

ID_FIELDS = ("ProspectID", "Id")
"""The columns a lead's id is taken from when no id field is given, in order of preference."""

LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
LINE_BREAK = re.compile(f"[{LINE_BREAKS}]")
"""Every character some reader takes as the end of a line (str.splitlines' set), not just LF:
a rendered line holding any of them would turn into two "leads" for somebody downstream."""

# JSON whitespace outside strings: what compacting a multi-line JSON body removes.
_JSON_SPACE = re.compile(r'("(?:[^"\\]|\\.)*")|[ \t\n\r]+', re.S)


@dataclass
class RunCounts:
    """What happened to every row read; ``defaulted`` is a subset of ``rendered``; ``stopped``
    says why the run ended early (``None`` when it read every row)."""

    read: int = 0
    rendered: int = 0
    defaulted: int = 0
    failed: int = 0
    stopped: str | None = None


def _no_progress(count: int) -> None:
    pass


class RenderRun:
    """A template with its fixed ``records``, rendered over leads; see the module docstring.

    ``jsonl`` writes JSON Lines instead of one line per lead; ``id_field`` names the lead key
    holding its id (default: `ID_FIELDS`, else the row number); ``compact`` removes the JSON
    whitespace between tokens of a multi-line JSON template in line output; ``stop_on_failure``
    ends the run at the first failed row (``--strict``); ``name`` is the leads' name in messages.
    ``counts`` accumulates over every `run`.
    """

    def __init__(
        self,
        template: Template,
        records: Mapping[str, Records] | None = None,
        *,
        jsonl: bool = False,
        id_field: str | None = None,
        compact: bool = False,
        stop_on_failure: bool = False,
        name: str = "<leads>",
    ) -> None:
        if not isinstance(template, Template):
            raise TypeError(
                f"expected a compiled mergefield.Template, not {type(template).__name__}"
            )
        records = dict(records or {})
        if ROW_RESOURCE in records:
            raise TypeError(f"the leads are rendered one by one; do not pass {ROW_RESOURCE}=")
        self.template = template
        self.records = records
        self.jsonl = jsonl
        self.id_field = id_field
        self.compact = compact
        self.stop_on_failure = stop_on_failure
        self.name = name
        self.counts = RunCounts()

    @property
    def lead_columns(self) -> tuple[str, ...]:
        """The lead record keys the template reads, in template order, each once; a derived
        field (a FullName made of FirstName and LastName) brings the keys it is made of."""
        keys: dict[str, None] = {}
        for slot in self.template.slots:
            if slot.resource == ROW_RESOURCE:
                keys.update(dict.fromkeys((slot.key, *slot.derived_from)))
        return tuple(keys)

    # --- whole partitions (Dask) ----------------------------------------------------------------

    def render(self, leads: Iterable[Records]) -> list[str]:
        """`Template.render_many` of ``leads`` with the fixed records."""
        return self.template.render_many(leads, **self.records)

    def render_columns(self, columns: Mapping[str, Sequence[Any]]) -> list[str]:
        """`Template.render_columns` of ``columns`` with the fixed records."""
        return self.template.render_columns(columns, **self.records)

    def write(
        self,
        leads: Iterable[Records] | Mapping[str, Sequence[Any]],
        file: BinaryIO,
        separator: bytes = b"\n",
    ) -> int:
        """Write ``leads`` (rows, or columns as a mapping of key to column) into the binary
        ``file`` as `Template.write_many` / `Template.write_columns` do; the count."""
        if isinstance(leads, Mapping):
            return self.template.write_columns(leads, file, separator=separator, **self.records)
        return self.template.write_many(leads, file, separator=separator, **self.records)

    # --- a stream of lead rows (the command line) -----------------------------------------------

    def lead_id(self, row: LeadRow) -> object:
        """The lead's id for messages and JSON Lines: its id column, else its row number."""
        record = row.record
        if record is not None:
            names = (self.id_field,) if self.id_field is not None else ID_FIELDS
            for name in names:
                value = record.get(name)
                if not is_missing(value):
                    return value
        return row.number

    def run(
        self,
        rows: Iterable[LeadRow],
        write: Callable[[str], object],
        warn: Callable[[str], object],
        progress: Callable[[int], object] = _no_progress,
    ) -> RunCounts:
        """Render every row of ``rows`` in chunks, ``write`` each output line (with its line
        end), ``warn`` each failed row (``NAME:LINE: row N (id X): message``) and call
        ``progress`` with the rows of each chunk; stop at a fatal row error or, with
        ``stop_on_failure``, at the first failure.  Returns `counts`."""
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, CHUNK)):
            if not self._chunk(batch, write, warn):
                break
            progress(len(batch))
        return self.counts

    def _chunk(
        self, batch: list[LeadRow], write: Callable[[str], object], warn: Callable[[str], object]
    ) -> bool:
        counts = self.counts
        good = [row.record for row in batch if row.record is not None]
        report: RenderReport | None
        try:
            report = self.template.render_report(good, **self.records)
        except RenderError:
            report = None  # some row is bad: render them one by one to learn which
        index = 0
        for row in batch:
            counts.read += 1
            if row.record is None:
                assert row.error is not None
                self.fail(row, row.error, write, warn)
                if row.fatal:
                    counts.stopped = f"stopped reading at row {row.number}: cannot go on"
                    return False
            else:
                if report is not None:
                    result: str | RenderError = report.texts[index]
                    defaulted = report.defaulted[index]
                else:
                    result, defaulted = self._one(row.record)
                index += 1
                if isinstance(result, RenderError):
                    self.fail(row, result.message, write, warn)
                else:
                    self.emit(row, result, defaulted, write, warn)
            if self.stop_on_failure and counts.failed:
                counts.stopped = f"stopped at row {row.number} (--strict)"
                return False
        return True

    def _one(self, record: Mapping[str, Any]) -> tuple[str | RenderError, bool]:
        try:
            report = self.template.render_report([record], **self.records)
        except RenderError as exc:
            return exc, False
        return report.texts[0], report.defaulted[0]

    def fail(
        self,
        row: LeadRow,
        message: str,
        write: Callable[[str], object],
        warn: Callable[[str], object],
    ) -> None:
        """Report ``row`` as failed (and in the output for JSON Lines)."""
        self.counts.failed += 1
        lead_id = self.lead_id(row)
        who = f"row {row.number}" if lead_id == row.number else f"row {row.number} (id {lead_id})"
        where = f"{self.name}:{row.line}" if row.line else self.name  # 0: a file without lines
        warn(f"{where}: {who}: {message}")
        if self.jsonl:
            write(_jsonl({"row": row.number, "id": lead_id, "error": message}))

    def emit(
        self,
        row: LeadRow,
        text: str,
        defaulted: bool,
        write: Callable[[str], object],
        warn: Callable[[str], object],
    ) -> None:
        """Write one rendered lead, or fail it when line output cannot hold it."""
        if self.jsonl:
            write(_jsonl({"row": row.number, "id": self.lead_id(row), "output": text}))
        else:
            if self.compact:
                text = _JSON_SPACE.sub(lambda m: m.group(1) or "", text)
            found = LINE_BREAK.search(text)
            if found is not None:
                self.fail(
                    row,
                    f"the rendered text holds a line break (U+{ord(found.group()):04X}), which "
                    "would split this lead in two; use --format jsonl to keep it",
                    write,
                    warn,
                )
                return
            write(text + "\n")
        self.counts.rendered += 1
        if defaulted:
            self.counts.defaulted += 1


def _jsonl(value: Mapping[str, object]) -> str:
    return json.dumps(value, ensure_ascii=False, default=str) + "\n"
