"""``mergefield render``: one compiled template, rendered once per lead, streaming.

Leads come from CSV, JSON Lines or a JSON array (`mergefield.leads`) in chunks, so memory stays
flat however long the list is.  Before the first row the CSV header is compared with the record
keys the template reads (a missing column is a warning with a did-you-mean, an error with
``--strict``).  Every row read is accounted for in the summary on stderr: rendered, defaulted (a
token fell back to its default or to empty), failed; a run that stops (an undecodable byte, a
broken JSON array, ``--strict``, Ctrl-C, a full disk) says why in the same line.  ``-o FILE``
is replaced only by a finished run (`mergefield.cli.output`).  The run itself (chunks, ids,
output formats, counting) is `mergefield.run.RenderRun`; this module turns the arguments into
one and prints what it reports.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from mergefield._messages import did_you_mean, line_and_column
from mergefield._options import Kind
from mergefield.catalog import Catalog
from mergefield.checker import check
from mergefield.cli.common import (
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
from mergefield.cli.output import Output, OutputError
from mergefield.diagnostics import ERROR
from mergefield.errors import MergefieldError, TemplateError
from mergefield.leads import (
    ArrowLeads,
    LeadReader,
    LeadRow,
    LeadsError,
    TextSource,
    arrow_format,
    open_arrow_leads,
    open_leads,
)
from mergefield.run import LINE_BREAK, RenderRun, RunCounts
from mergefield.template import ROW_RESOURCE, Template, compile

__all__ = ["render"]


# --- the template -----------------------------------------------------------------------------


@dataclass
class _Source:
    """The template to render and where it came from (for messages)."""

    text: str
    name: str
    context: str | None
    kind: Kind


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
        from mergefield.connector import ACTIONS, ConnectorError, load
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
    # Which templates --part can name, their kind and context: the action type's, first by default.
    action_type = ACTIONS.get(action.type)
    kinds = {t.field: t for t in (action_type.templates if action_type is not None else ())}
    part = args.part or next(iter(kinds), None)
    if part not in kinds:
        fail(
            f"a {action.type} action has no template {part!r}; "
            f"choose --part from: {', '.join(kinds) or 'none'}"
        )
    text = getattr(action, part)
    if text is None:
        fail(f"grid action {args.action!r} has no {part}")
    where = f"{args.connector}#/grid_actions/{index}/{part}"
    return _Source(text, where, kinds[part].context, kinds[part].kind)


def _position(text: str, offset: int) -> str:
    line, column = line_and_column(text, offset)
    return f"{line}:{column}"


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
    for slot in template.slots:
        key = slot.key
        if slot.resource != ROW_RESOURCE or key in present or key in seen:
            continue
        if any(part in present for part in slot.derived_from):
            continue  # FullName-like fields are made of other columns
        seen.add(key)
        problems += 1
        token = source.text[slot.start : slot.end]
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
            f"({source.name}:{_position(source.text, slot.start)}) reads{advice}",
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
    compact = _compact(source, args.jsonl)
    records = _fixed_records(args)
    template = _compile(source, catalog, args)
    if template is None or not _check_template(source, catalog, args.strict):
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
        run = RenderRun(
            template,
            records,
            jsonl=args.jsonl,
            id_field=args.id_field,
            compact=compact,
            stop_on_failure=args.strict,
            name=text.name,
        )
        return _render_leads(args, source, run, reader, text)
    finally:
        if args.leads != "-":
            text.close()


def _compact(source: _Source, jsonl: bool) -> bool:
    """Whether each lead's JSON is put on one line: a multi-line template in line output."""
    if jsonl or not LINE_BREAK.search(source.text):
        return False
    if source.kind != "json":
        fail(
            f"{source.name}: the template holds a line break, so its output cannot be one "
            "line per lead; use --format jsonl"
        )
    return True


def _fixed_records(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The records of --user, --account and every --record, by resource."""
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
    return records


def _compile(source: _Source, catalog: Catalog, args: argparse.Namespace) -> Template | None:
    """The compiled template, or None after printing its syntax error with a caret."""
    try:
        return compile(
            source.text,
            context=source.context,
            kind=source.kind,
            mode="strict" if args.strict else "lax",
            catalog=catalog,
            dayfirst=args.dayfirst,
        )
    except TemplateError as exc:
        print(
            f"{PROG}: error: {source.name}:{exc.line}:{exc.column}: {exc.message}", file=sys.stderr
        )
        print(exc.caret_block(), file=sys.stderr)
        return None
    except ValueError as exc:
        fail(str(exc))


def _check_template(source: _Source, catalog: Catalog, strict: bool) -> bool:
    """Print the template's errors (`check`) as warnings, or as errors with --strict; False
    when strict must stop: strict output must not be 10,000 lines with a misspelt field left
    empty."""
    problems = [
        d
        for d in check(source.text, context=source.context, kind=source.kind, catalog=catalog)
        if d.severity == ERROR
    ]
    level = "error" if strict else "warning"
    for d in problems:
        print(
            f"{PROG}: {level}: {source.name}:{d.line}:{d.column}: {d.code} {d.message}",
            file=sys.stderr,
        )
    return not (problems and strict)


def _warn(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _render_leads(
    args: argparse.Namespace,
    source: _Source,
    run: RenderRun,
    reader: LeadReader,
    text: TextSource | ArrowLeads,
) -> int:
    name = text.name
    if reader.sniffed and reader.delimiter != ",":
        print(f"{PROG}: {name}: delimiter {reader.delimiter!r} (sniffed; --delimiter sets it)",
              file=sys.stderr)  # fmt: skip
    if not _check_columns(reader, run.template, source, args, name):
        return EXIT_PROBLEMS
    rows = iter(reader)
    counts = run.counts
    try:
        # For --id-field with JSON, before any output exists (Arrow leads have a header).
        first = None if isinstance(reader, ArrowLeads) else next(rows, None)
    except KeyboardInterrupt:
        counts.stopped = "interrupted (SIGINT)"
        _print_summary(counts)
        return EXIT_INTERRUPTED
    if args.id_field is not None and reader.columns is None:
        _check_id_key(args.id_field, first, name)
    if run.compact:
        print(f"{PROG}: note: {source.name} spans several lines; each lead's JSON is written on "
              "one line, without the whitespace between its tokens (--format jsonl keeps it)",
              file=sys.stderr)  # fmt: skip
    leads = itertools.chain([first] if first is not None else [], rows)
    status = _stream(run, leads, args.output, text)
    _print_summary(counts)
    if status == EXIT_OK and (counts.failed or counts.stopped):
        status = EXIT_PROBLEMS
    return status


def _check_id_key(id_field: str, first: LeadRow | None, name: str) -> None:
    """--id-field must be a key of the first JSON lead (a CSV header is checked before)."""
    if first is None or first.record is None or id_field in first.record:
        return
    hint = did_you_mean(id_field, list(first.record))
    fail(
        f"--id-field {id_field!r} is not a key of the first lead of {name}"
        + (f"; did you mean {hint!r}?" if hint else "")
    )


def _stream(
    run: RenderRun, leads: Iterable[LeadRow], output: str | None, text: TextSource | ArrowLeads
) -> int:
    """Render ``leads`` into ``output`` (stdout for None) with a progress bar on a terminal;
    ``EXIT_OK``, or the status of what stopped the run (said in ``run.counts.stopped``)."""
    counts = run.counts
    out: Output | None = None
    bar = _progress_bar()
    status = EXIT_OK
    try:
        try:
            out = Output(output)
        except OutputError as exc:
            fail(str(exc))
        if isinstance(text, ArrowLeads):
            from mergefield.cli import arrow as cli_arrow

            if not cli_arrow.run(run, text, out.write, out.write_bytes, _warn, bar.update):
                status = EXIT_USAGE  # the file broke off: counts.stopped says where
        else:
            run.run(leads, out.write, _warn, bar.update)
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
    return status


def _print_summary(counts: RunCounts) -> None:
    """The last line on stderr: what happened to every row read, and why the run stopped."""
    summary = (
        f"{PROG}: {counts.read} leads read: {counts.rendered} rendered "
        f"({counts.defaulted} defaulted), {counts.failed} failed"
    )
    if counts.stopped:
        summary += f"; {counts.stopped}"
    print(summary, file=sys.stderr)


class _NoBar:
    """What renders in place of the progress bar when tqdm (the `cli` extra) is not installed."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar() -> Any:
    """tqdm's bar, drawn when stderr is a terminal; without tqdm, no bar (and, on a terminal, a
    note saying what to install): rendering never depends on it."""
    # Imported here: the library's other modules, and tests that import this one, need no tqdm.
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
    except ImportError:
        if sys.stderr.isatty():
            print(f"{PROG}: note: no progress bar without tqdm: pip install 'mergefield[cli]'",
                  file=sys.stderr)  # fmt: skip
        return _NoBar()
    return tqdm(unit=" leads", disable=not sys.stderr.isatty(), file=sys.stderr, dynamic_ncols=True)
