"""``mergefield render``: one compiled template, rendered once per lead, streaming.

Leads come from CSV, JSON Lines or a JSON array (`mergefield.leads`) in chunks, so memory stays
flat however long the list is.  Before the first row the CSV header is compared with the record
keys the template reads (a missing column is a warning with a did-you-mean, an error with
``--strict``).  Every row read is accounted for in the summary on stderr: rendered, defaulted (a
token fell back to its default or to empty), failed; a run that stops (an undecodable byte, a
broken JSON array, ``--strict``, Ctrl-C, a full disk) says why in the same line.  ``-o FILE``
is replaced only by a finished run (`mergefield.cli_output`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from mergefield.catalog import Catalog
from mergefield.checker import check
from mergefield.cli_common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    PROG,
    fail,
    load_catalog,
    read_record,
    read_text_file,
)
from mergefield.cli_output import Output, OutputError
from mergefield.diagnostics import ERROR
from mergefield.errors import MergefieldError, RenderError, TemplateError
from mergefield.leads import (
    ArrowLeads,
    LeadReader,
    LeadRow,
    LeadsError,
    TextSource,
    arrow_format,
    did_you_mean,
    open_arrow_leads,
    open_leads,
)
from mergefield.template import FieldRef, Template, compile
from mergefield.values import is_missing

__all__ = ["ACTION_PARTS", "render"]

# Every character some reader takes as the end of a line (str.splitlines' set), not just LF:
# a rendered line holding any of them would turn into two "leads" for somebody downstream.
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

# JSON whitespace outside strings: what compacting a multi-line JSON body removes.
_JSON_SPACE = re.compile(r'("(?:[^"\\]|\\.)*")|[ \t\n\r]+', re.S)

# Leads handed to the renderer at once: enough to amortize the call into the core, few enough
# that memory does not depend on the number of leads.
_CHUNK = 512

# The columns a lead's id is taken from when --id-field is not given, in order of preference.
_ID_FIELDS = ("ProspectID", "Id")

# Which template of a grid action --part names, and its kind; the first listed is the default.
ACTION_PARTS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "call_api": (("url", "url"), ("body", "json")),
    "show_popup": (("iframe_url", "url"),),
    "open_in_new_window": (("web_url", "url"),),
}


def _slot_keys(template: Template) -> list[tuple[FieldRef, str, tuple[str, ...]]]:
    """Per token: its reference, the record key it reads and the keys it is derived from.

    The one place that reads `Template`'s private slots, until the template exposes this.
    """
    return [(slot.ref, slot.key, tuple(slot.derived_from)) for slot in template._slots]


# --- the template -----------------------------------------------------------------------------


@dataclass
class _Source:
    """The template to render and where it came from (for messages)."""

    text: str
    name: str
    context: str | None
    kind: str


def _template_source(args: argparse.Namespace) -> _Source:
    given = [
        name
        for name, value in (
            ("TEMPLATE", args.template),
            ("--template-file", args.template_file),
            ("--connector", args.connector),
        )
        if value is not None
    ]
    if len(given) != 1:
        fail(
            "give the template exactly once: inline as TEMPLATE, --template-file FILE, or "
            "--connector FILE --action LABEL" + (f" (got {' and '.join(given)})" if given else "")
        )
    if args.connector is None and (args.action is not None or args.part is not None):
        fail("--action and --part need --connector")
    if args.template is not None:
        return _Source(args.template, "<template>", args.context, args.kind or "text")
    if args.template_file is not None:
        text = read_text_file(args.template_file)
        # Editors end files with a line break; it is not part of the URL or message.
        text = text.removesuffix("\n").removesuffix("\r")
        return _Source(text, args.template_file, args.context, args.kind or "text")
    return _connector_source(args)


def _connector_source(args: argparse.Namespace) -> _Source:
    if args.action is None:
        fail("--connector needs --action LABEL (the label of a lead grid action)")
    if args.kind is not None or args.context is not None:
        fail("with --connector the context (grid) and the kind come from the connector")
    try:
        from mergefield.connector import ConnectorError, load
    except ImportError as exc:
        fail(f"--connector needs the connector extra ({exc.name} is missing)")
    try:
        connector = load(args.connector)
    except ConnectorError as exc:
        fail(f"{args.connector} is not a usable connector:\n{exc}")
    except OSError as exc:
        fail(f"cannot read {args.connector}: {exc.strerror or exc}")
    matches = [
        (i, a)
        for i, a in enumerate(connector.grid_actions)
        if a.label == args.action and (args.area is None or a.area == args.area)
    ]
    if not matches:
        labels = ", ".join(f"{a.label!r} ({a.area})" for a in connector.grid_actions) or "none"
        fail(f"no lead grid action labelled {args.action!r}; the connector has: {labels}")
    if len(matches) > 1:
        areas = ", ".join(a.area for _, a in matches)
        fail(f"{len(matches)} grid actions are labelled {args.action!r} ({areas}); add --area")
    index, action = matches[0]
    parts = ACTION_PARTS.get(action.type, ())
    part = args.part or (parts[0][0] if parts else None)
    kinds = dict(parts)
    if part not in kinds:
        fail(
            f"a {action.type} action has no template {part!r}; "
            f"choose --part from: {', '.join(kinds) or 'none'}"
        )
    text = getattr(action, part)
    if text is None:
        fail(f"grid action {args.action!r} has no {part}")
    return _Source(text, f"{args.connector}#/grid_actions/{index}/{part}", "grid", kinds[part])


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


# --- one run ----------------------------------------------------------------------------------


@dataclass
class _Counts:
    """What happened to every row read; ``defaulted`` is a subset of ``rendered``."""

    read: int = 0
    rendered: int = 0
    defaulted: int = 0
    failed: int = 0
    stopped: str | None = None


@dataclass
class _Job:
    """One render run: the template, the fixed records and where results go."""

    template: Template
    records: dict[str, dict[str, Any]]
    out: Output
    jsonl: bool
    strict: bool
    leads_name: str
    id_field: str | None
    compact: bool = False
    counts: _Counts = field(default_factory=_Counts)

    def __post_init__(self) -> None:
        lead_keys: list[tuple[str, tuple[str, ...]]] = []
        fixed_missing = False
        for ref, key, derived in _slot_keys(self.template):
            if ref.resource == "Lead":
                lead_keys.append((key, derived))
            elif _missing(self.records.get(ref.resource), key, derived):
                fixed_missing = True
        self.lead_keys = tuple(dict.fromkeys(lead_keys))
        # A gap in the User or Account record affects every lead alike.
        self.fixed_missing = fixed_missing

    def defaulted(self, record: Mapping[str, Any]) -> bool:
        """Whether some token of ``record``'s rendering fell back to a default or to empty."""
        if self.fixed_missing:
            return True
        return any(_missing(record, key, derived) for key, derived in self.lead_keys)

    def lead_id(self, row: LeadRow) -> object:
        """The lead's id for messages and JSON Lines: its id column, else its row number."""
        record = row.record
        if record is not None:
            names = (self.id_field,) if self.id_field is not None else _ID_FIELDS
            for name in names:
                value = record.get(name)
                if not is_missing(value):
                    return value
        return row.number

    def fail(self, row: LeadRow, message: str) -> None:
        """Report ``row`` as failed on stderr (and in the output for JSON Lines)."""
        self.counts.failed += 1
        lead_id = self.lead_id(row)
        who = f"row {row.number}" if lead_id == row.number else f"row {row.number} (id {lead_id})"
        where = f"{self.leads_name}:{row.line}" if row.line else self.leads_name  # 0: no lines
        print(f"{PROG}: {where}: {who}: {message}", file=sys.stderr)
        if self.jsonl:
            self.out.write(_jsonl({"row": row.number, "id": lead_id, "error": message}))

    def emit(self, row: LeadRow, text: str) -> None:
        """Write one rendered lead, or fail it when line output cannot hold it."""
        assert row.record is not None
        if self.jsonl:
            self.out.write(_jsonl({"row": row.number, "id": self.lead_id(row), "output": text}))
        else:
            if self.compact:
                text = _JSON_SPACE.sub(lambda m: m.group(1) or "", text)
            found = _LINE_BREAK.search(text)
            if found is not None:
                self.fail(
                    row,
                    f"the rendered text holds a line break (U+{ord(found.group()):04X}), which "
                    "would split this lead in two; use --format jsonl to keep it",
                )
                return
            self.out.write(text + "\n")
        self.counts.rendered += 1
        if self.defaulted(row.record):
            self.counts.defaulted += 1

    def run(self, rows: Iterable[LeadRow], progress: Callable[[int], object]) -> None:
        """Render every row of ``rows`` in chunks; stop at the first failure when strict."""
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, _CHUNK)):
            if not self._batch(batch):
                return
            progress(len(batch))

    def _batch(self, batch: list[LeadRow]) -> bool:
        good = [row.record for row in batch if row.record is not None]
        texts: Iterator[str | RenderError] | None = None
        try:
            texts = iter(self.template.render_many(good, **self.records))
        except RenderError:
            texts = None  # some row is bad: render them one by one to learn which
        for row in batch:
            self.counts.read += 1
            if row.record is None:
                assert row.error is not None
                self.fail(row, row.error)
                if row.fatal:
                    self.counts.stopped = f"stopped reading at row {row.number}: cannot go on"
                    return False
            else:
                result = next(texts) if texts is not None else self._one(row.record)
                if isinstance(result, RenderError):
                    self.fail(row, result.message)
                else:
                    self.emit(row, result)
            if self.strict and self.counts.failed:
                self.counts.stopped = f"stopped at row {row.number} (--strict)"
                return False
        return True

    def _one(self, record: Mapping[str, Any]) -> str | RenderError:
        try:
            return self.template.render_many([record], **self.records)[0]
        except RenderError as exc:
            return exc


def _missing(record: Mapping[str, Any] | None, key: str, derived: tuple[str, ...]) -> bool:
    if record is None:
        return True
    if not is_missing(record.get(key)):
        return False
    return not derived or all(is_missing(record.get(part)) for part in derived)


def _jsonl(value: Mapping[str, object]) -> str:
    return json.dumps(value, ensure_ascii=False, default=str) + "\n"


# --- the leads --------------------------------------------------------------------------------


def _delimiter(given: str | None) -> str | None:
    if given is None:
        return None
    named = {"tab": "\t", "\\t": "\t"}.get(given.lower(), given)
    if len(named) != 1:
        fail(f"--delimiter takes one character (or 'tab'), not {given!r}")
    return named


def _open_leads(args: argparse.Namespace) -> tuple[LeadReader, TextSource | ArrowLeads]:
    path = args.leads
    name = "<stdin>" if path == "-" else path
    try:
        # Closed by the caller, after the last lead.
        binary: IO[bytes] = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        fail(f"cannot read leads {path}: {exc.strerror or exc}")
    try:
        peek = getattr(binary, "peek", None)
        fmt = arrow_format(name, args.leads_format, peek(8)[:8] if peek is not None else b"")
        if fmt is not None:  # Parquet, Arrow IPC: read by pyarrow, rendered a batch at a time
            arrow_leads = open_arrow_leads(binary, fmt, name)
            return arrow_leads, arrow_leads
        source = TextSource(binary, args.encoding, name=name)
        reader = open_leads(source, args.leads_format, delimiter=_delimiter(args.delimiter))
    except LeadsError as exc:
        if path != "-":
            binary.close()
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot read leads {path}: {exc.strerror or exc}")
    return reader, source


def _refuse_overwriting_inputs(args: argparse.Namespace) -> None:
    """``-o`` naming an input (the leads above all) would replace it by the output."""
    if args.output in (None, "-") or not os.path.exists(args.output):
        return
    inputs = [
        ("the leads file", args.leads),
        ("the template file", args.template_file),
        ("the connector", args.connector),
        ("the User record", args.user),
        ("the Account record", args.account),
        *(("a --record file", spec.partition("=")[2]) for spec in args.record),
    ]
    target = os.stat(args.output)
    for what, path in inputs:
        if path is None:
            continue
        try:
            same = os.path.samestat(os.fstat(0) if path == "-" else os.stat(path), target)
        except OSError:
            continue
        if same:
            shown = "stdin" if path == "-" else path
            fail(f"-o {args.output} is {what} ({shown}); write the output to another file")


def _check_columns(
    reader: LeadReader, template: Template, source: _Source, args: argparse.Namespace, name: str
) -> bool:
    """Compare the CSV header with the keys the template reads, before the first row.

    Prints a warning per missing column (an error with --strict) with a did-you-mean against
    the header; an unknown --id-field is a usage error.  False when strict must stop.
    """
    columns = reader.columns
    if columns is None:
        return True
    if args.id_field is not None and args.id_field not in columns:
        hint = did_you_mean(args.id_field, columns)
        fail(
            f"--id-field {args.id_field!r} is not a column of {name}"
            + (f"; did you mean {hint!r}?" if hint else f"; the columns: {', '.join(columns)}")
        )
    present = set(columns)
    level = "error" if args.strict else "warning"
    problems = 0
    seen: set[str] = set()
    for ref, key, derived in _slot_keys(template):
        if ref.resource != "Lead" or key in present or key in seen:
            continue
        if derived and any(part in present for part in derived):
            continue  # FullName-like fields are made of other columns
        seen.add(key)
        problems += 1
        token = source.text[ref.start : ref.end]
        hint = did_you_mean(key, columns)
        if len(columns) == 1 and (delimiter := _delimiter_in(columns[0])):
            advice = (
                f"; the header is one column holding {delimiter!r}: try --delimiter {delimiter!r}"
            )
        elif hint is not None:
            advice = f"; did you mean {hint!r}?"
        else:
            advice = ""
        print(
            f"{PROG}: {level}: {name}:1: the header has no column {key!r}, which {token} "
            f"({source.name}:{_position(source.text, ref.start)}) reads{advice}",
            file=sys.stderr,
        )
    return not (problems and args.strict)


def _delimiter_in(column: str) -> str | None:
    return next((d for d in (";", "\t", "|", ",") if d in column), None)


def _decode_message(source: TextSource, row: int) -> str:
    failure = source.failure
    assert failure is not None
    return (
        f"{source.name} is not {failure.encoding} text: byte {failure.data.hex(' ')} at byte "
        f"offset {failure.offset} (line {failure.line}, row {row}) cannot be decoded; every row "
        "before it was read (an Excel export may need --encoding cp1252, latin-1 or utf-16)"
    )


# --- the command ------------------------------------------------------------------------------


def render(args: argparse.Namespace) -> int:
    """Run ``mergefield render``; the exit status."""
    catalog: Catalog = load_catalog(args.catalog)
    source = _template_source(args)
    compact = False
    if not args.jsonl and _LINE_BREAK.search(source.text):
        if source.kind != "json":
            fail(
                f"{source.name}: the template holds a line break, so its output cannot be one "
                "line per lead; use --format jsonl"
            )
        compact = True
    records: dict[str, dict[str, Any]] = {}
    for resource, path in (("User", args.user), ("Account", args.account)):
        if path is not None:
            records[resource] = read_record(resource, path)
    for spec in args.record:
        resource, sep, path = spec.partition("=")
        if not sep or not resource or not path:
            fail(f"--record takes RESOURCE=FILE, not {spec!r}")
        if resource == "Lead":
            fail("leads come from --leads, not --record")
        records[resource] = read_record(resource, path)
    mode = "strict" if args.strict else "lax"
    try:
        template = compile(
            source.text,
            context=source.context,
            kind=source.kind,
            mode=mode,
            catalog=catalog,
            dayfirst=args.dayfirst,
        )
    except TemplateError as exc:
        print(
            f"{PROG}: error: {source.name}:{exc.line}:{exc.column}: {exc.message}", file=sys.stderr
        )
        print(exc.caret_block(), file=sys.stderr)
        return EXIT_PROBLEMS
    except ValueError as exc:
        fail(str(exc))
    problems = [
        d
        for d in check(source.text, context=source.context, kind=source.kind, catalog=catalog)
        if d.severity == ERROR
    ]
    for d in problems:
        level = "error" if args.strict else "warning"
        print(
            f"{PROG}: {level}: {source.name}:{d.line}:{d.column}: {d.code} {d.message}",
            file=sys.stderr,
        )
    if problems and args.strict:
        # Strict output must not be 10,000 lines with a misspelt field left empty.
        return EXIT_PROBLEMS

    try:
        template.render_many([], **records)  # a --record that names no resource: say so now
    except TypeError as exc:
        fail(f"--record: {exc}")
    except MergefieldError:
        pass  # a fixed record's bad value: every lead reports it
    _refuse_overwriting_inputs(args)
    reader, text = _open_leads(args)
    try:
        return _render_leads(args, source, template, records, reader, text, compact)
    finally:
        if args.leads != "-":
            text.close()


def _render_leads(
    args: argparse.Namespace,
    source: _Source,
    template: Template,
    records: dict[str, dict[str, Any]],
    reader: LeadReader,
    text: TextSource | ArrowLeads,
    compact: bool,
) -> int:
    name = text.name
    if reader.sniffed and reader.delimiter != ",":
        print(f"{PROG}: {name}: delimiter {reader.delimiter!r} (sniffed; --delimiter sets it)",
              file=sys.stderr)  # fmt: skip
    if not _check_columns(reader, template, source, args, name):
        return EXIT_PROBLEMS
    rows = iter(reader)
    counts = _Counts()
    try:
        # For --id-field with JSON, before any output exists (Arrow leads have a header).
        first = None if isinstance(reader, ArrowLeads) else next(rows, None)
    except KeyboardInterrupt:
        counts.stopped = "interrupted (SIGINT)"
        _print_summary(counts)
        return EXIT_INTERRUPTED
    if (
        args.id_field is not None
        and reader.columns is None
        and first is not None
        and first.record is not None
        and args.id_field not in first.record
    ):
        hint = did_you_mean(args.id_field, list(first.record))
        fail(
            f"--id-field {args.id_field!r} is not a key of the first lead of {name}"
            + (f"; did you mean {hint!r}?" if hint else "")
        )
    if compact:
        print(f"{PROG}: note: {source.name} spans several lines; each lead's JSON is written on "
              "one line, without the whitespace between its tokens (--format jsonl keeps it)",
              file=sys.stderr)  # fmt: skip
    out: Output | None = None
    # Imported here: the library's other modules, and tests that import this one, need no tqdm.
    from tqdm import tqdm  # type: ignore[import-untyped]

    bar = tqdm(unit=" leads", disable=not sys.stderr.isatty(), file=sys.stderr, dynamic_ncols=True)
    status = EXIT_OK
    try:
        try:
            out = Output(args.output)
        except OutputError as exc:
            fail(str(exc))
        job = _Job(template, records, out, args.jsonl, args.strict, name, args.id_field, compact)
        job.counts = counts
        if isinstance(reader, ArrowLeads):
            from mergefield import cli_arrow

            if not cli_arrow.run(job, reader, bar.update):
                status = EXIT_USAGE  # the file broke off: counts.stopped says where
        else:
            job.run(itertools.chain([first] if first is not None else [], rows), bar.update)
        if isinstance(text, TextSource) and text.failure is not None:
            counts.stopped = _decode_message(text, counts.read + 1)
            status = EXIT_USAGE
        if counts.stopped is None:
            out.finish()
    except OutputError as exc:
        counts.stopped = str(exc)
        status = EXIT_USAGE
    except KeyboardInterrupt:
        counts.stopped = "interrupted (SIGINT)"
        status = EXIT_INTERRUPTED
    finally:
        bar.close()
    if counts.stopped is not None and out is not None:
        note = out.abandon()
        if note is not None:
            counts.stopped += f"; {note}"
    _print_summary(counts)
    if status == EXIT_OK and (counts.failed or counts.stopped):
        status = EXIT_PROBLEMS
    return status


def _print_summary(counts: _Counts) -> None:
    """The last line on stderr: what happened to every row read, and why the run stopped."""
    summary = (
        f"{PROG}: {counts.read} leads read: {counts.rendered} rendered "
        f"({counts.defaulted} defaulted), {counts.failed} failed"
    )
    if counts.stopped:
        summary += f"; {counts.stopped}"
    print(summary, file=sys.stderr)
