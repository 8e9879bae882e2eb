"""The ``mergefield`` command line: ``check`` templates and connectors, list ``fields``, ``render``.

``check`` prints one ``FILE:LINE:COL: CODE message`` line per problem (``--verbose`` adds the
source line with a caret, ``--format json`` a document for machines) and exits 0 when clean, 1
when problems were found and 2 for usage or I/O errors.  ``fields`` lists the merge fields a
context offers, like the portal's "View Merge Fields".  ``render`` streams leads from CSV, JSON
Lines or a JSON array through one compiled template in chunks, so memory stays flat however
long the list is; it writes one line per lead (or JSON Lines with each lead's id), reports every
row it cannot render with its row number, and ends with a summary on stderr that accounts for
every row read: rendered, defaulted (a token fell back to its default or to empty), failed.
``docs/cli.md`` documents every flag with real output.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn, cast

from tqdm import tqdm  # type: ignore[import-untyped]

from mergefield import IMPLEMENTATION, __version__
from mergefield.catalog import CONTEXTS, DEFAULT_CATALOG, Catalog, CatalogError
from mergefield.checker import check
from mergefield.diagnostics import ERROR, WARNING, Diagnostic
from mergefield.errors import LineIndex, MergefieldError, RenderError, TemplateError
from mergefield.leads import FORMATS, LeadRow, format_from_name, read_leads, sniff_format
from mergefield.template import KINDS, Template, compile
from mergefield.values import is_missing

__all__ = ["main"]

PROG = "mergefield"

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2

# Every character some reader takes as the end of a line (str.splitlines' set), not just LF:
# a rendered line holding any of them would turn into two "leads" for somebody downstream.
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

# Leads handed to the renderer at once: enough to amortize the call into the core, few enough
# that memory does not depend on the number of leads.
_CHUNK = 512

# The columns a lead's id is taken from when --id-field is not given, in order of preference.
_ID_FIELDS = ("ProspectID", "Id")

# Which template of a grid action --part names, and its kind; the first listed is the default.
_ACTION_PARTS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "call_api": (("url", "url"), ("body", "json")),
    "show_popup": (("iframe_url", "url"),),
    "open_in_new_window": (("web_url", "url"),),
}


class UsageError(Exception):
    """A problem with the command line or an input file that stops the command (exit 2)."""


def _fail(message: str) -> NoReturn:
    raise UsageError(message)


# --- shared helpers ---------------------------------------------------------------------------


def _load_catalog(path: str | None) -> Catalog:
    if path is None:
        return DEFAULT_CATALOG
    try:
        return Catalog.from_json(path)
    except CatalogError as exc:
        _fail(f"bad catalog: {exc}")
    except OSError as exc:
        _fail(f"cannot read catalog {path}: {exc.strerror or exc}")


def _read_text(path: str) -> str:
    """A whole text file (or stdin for ``-``) as UTF-8, a UsageError when it cannot be read."""
    try:
        if path == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        _fail(f"{path} is not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")


def _read_record(resource: str, path: str) -> dict[str, Any]:
    text = _read_text(path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON in the {resource} record: {exc.msg}")
    if not isinstance(value, dict):
        _fail(f"{path}: the {resource} record must be a JSON object")
    return value


def _caret(lines: LineIndex, line: int, column: int, width: int) -> str:
    """Line ``line`` of ``lines.source`` with a caret under ``width`` characters from ``column``.

    One `LineIndex` per file: finding each line from the start is quadratic in the problems.
    """
    offset = lines.offset(line, column)
    # TemplateError already knows how to window long lines and keep tabs aligned.
    text = lines.source
    return TemplateError("", text, offset, offset + max(width, 1), lines=lines).caret_block()


def _write_stdout_utf8() -> None:
    # A pipe's locale encoding may be ASCII; lead names are not.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")


# --- check ------------------------------------------------------------------------------------


@dataclass
class _Found:
    """The diagnostics of one checked file and the text they point into."""

    file: str
    text: str
    diagnostics: list[Diagnostic]


def _check_connector(path: str, catalog: Catalog) -> _Found:
    try:
        from mergefield.connector import check_file
    except ImportError as exc:
        _fail(
            f"checking connector files needs the connector extra ({exc.name} is missing): "
            "pip install 'mergefield[connector]'"
        )
    try:
        diagnostics = check_file(path, catalog=catalog)
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
    return _Found(path, text, diagnostics)


def _check_template(
    path: str, text: str, context: str | None, kind: str, catalog: Catalog
) -> _Found:
    return _Found(path, text, check(text, context=context, kind=kind, catalog=catalog))


def _is_connector(path: str, kind: str | None) -> bool:
    return kind is None and path.lower().endswith(".json")


def _cmd_check(args: argparse.Namespace) -> int:
    catalog = _load_catalog(args.catalog)
    ignored = set(args.ignore)
    results: list[_Found] = []
    io_errors: list[str] = []
    for path in args.files:
        try:
            if _is_connector(path, args.kind):
                results.append(_check_connector(path, catalog))
            else:
                text = _read_text(path)
                kind = args.kind or "text"
                results.append(_check_template(path, text, args.context, kind, catalog))
        except UsageError as exc:
            # One unreadable file must not hide the problems of the others.
            io_errors.append(str(exc))
            print(f"{PROG}: error: {exc}", file=sys.stderr)
    for found in results:
        found.diagnostics = [d for d in found.diagnostics if d.code not in ignored]
    errors = sum(d.severity == ERROR for f in results for d in f.diagnostics)
    warnings = sum(d.severity == WARNING for f in results for d in f.diagnostics)
    if args.format == "json":
        _print_check_json(results, io_errors, errors, warnings)
    else:
        _print_check_text(results, args.verbose)
        if errors or warnings:
            print(
                f"{errors + warnings} problem{'s' if errors + warnings != 1 else ''} "
                f"({errors} error{'s' if errors != 1 else ''}, "
                f"{warnings} warning{'s' if warnings != 1 else ''}) "
                f"in {sum(bool(f.diagnostics) for f in results)} of {len(args.files)} files",
                file=sys.stderr,
            )
    if io_errors:
        return EXIT_USAGE
    return EXIT_PROBLEMS if errors or warnings else EXIT_OK


def _print_check_text(results: Iterable[_Found], verbose: bool) -> None:
    for found in results:
        lines = LineIndex(found.text) if verbose and found.diagnostics else None
        for d in found.diagnostics:
            print(f"{found.file}:{d.line}:{d.column}: {d.code} {d.message}")
            if lines is not None:
                print(_caret(lines, d.line, d.column, d.end - d.offset))
                where = f" at {d.path}" if d.path is not None else ""
                print(f"  {d.severity}{where}")


def _print_check_json(
    results: Iterable[_Found], io_errors: list[str], errors: int, warnings: int
) -> None:
    document = {
        "diagnostics": [
            {
                "file": found.file,
                "line": d.line,
                "column": d.column,
                "offset": d.offset,
                "end": d.end,
                "code": d.code,
                "severity": d.severity,
                "message": d.message,
                "path": d.path,
            }
            for found in results
            for d in found.diagnostics
        ],
        "errors": errors,
        "warnings": warnings,
        "io_errors": io_errors,
    }
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
    print()


# --- fields -----------------------------------------------------------------------------------


def _cmd_fields(args: argparse.Namespace) -> int:
    catalog = _load_catalog(args.catalog)
    allowed = catalog.allowed_resources(args.context)
    resources = [r for r in _resource_order(catalog) if r in allowed]
    if args.resource is not None:
        if args.resource not in catalog.resources():
            hint = catalog.suggest(args.resource)
            known = ", ".join(resources)
            _fail(
                f"unknown resource {args.resource!r}"
                + (f"; did you mean {hint}?" if hint else f"; known: {known}")
            )
        if args.resource not in allowed:
            _fail(
                f"resource {args.resource!r} is not allowed in the {args.context} context; "
                f"allowed: {', '.join(resources)}"
            )
        resources = [args.resource]
    rows = [
        {
            "resource": spec.resource,
            "field": spec.name,
            "token": f"@{{{spec.resource}:{spec.name},}}",
            "label": spec.label,
            "type": spec.type.value,
            "description": spec.description,
            "default": spec.default,
            "aliases": list(spec.aliases),
        }
        for resource in resources
        for spec in catalog.fields(resource)
    ]
    custom = "Lead" in resources
    if args.format == "json":
        json.dump(
            {"context": args.context, "fields": rows, "lead_custom_fields": custom},
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        print()
        return EXIT_OK
    width = max([len("MERGE FIELD"), *(len(str(r["token"])) for r in rows)])
    print(f"{'MERGE FIELD':<{width}}  {'TYPE':<6}  DESCRIPTION")
    for r in rows:
        description = str(r["description"])
        if r["aliases"]:
            description += f" (also written {', '.join(r['aliases'])})"
        print(f"{r['token']:<{width}}  {r['type']:<6}  {description}".rstrip())
    if custom:
        print(f"{'@{Lead:mx_<SchemaName>,}':<{width}}  {'String':<6}  Any Lead custom field")
    return EXIT_OK


def _resource_order(catalog: Catalog) -> list[str]:
    # The catalog's own order (the seed's tables) reads better than the alphabet.
    return list(dict.fromkeys(spec.resource for spec in catalog))


# --- render -----------------------------------------------------------------------------------


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
        _fail(
            "give the template exactly once: inline as TEMPLATE, --template-file FILE, or "
            "--connector FILE --action LABEL" + (f" (got {' and '.join(given)})" if given else "")
        )
    if args.connector is None and (args.action is not None or args.part is not None):
        _fail("--action and --part need --connector")
    if args.template is not None:
        return _Source(args.template, "<template>", args.context, args.kind or "text")
    if args.template_file is not None:
        text = _read_text(args.template_file)
        # Editors end files with a line break; it is not part of the URL or message.
        text = text.removesuffix("\n").removesuffix("\r")
        return _Source(text, args.template_file, args.context, args.kind or "text")
    return _connector_source(args)


def _connector_source(args: argparse.Namespace) -> _Source:
    if args.action is None:
        _fail("--connector needs --action LABEL (the label of a lead grid action)")
    if args.kind is not None or args.context is not None:
        _fail("with --connector the context (grid) and the kind come from the connector")
    try:
        from mergefield.connector import ConnectorError, load
    except ImportError as exc:
        _fail(f"--connector needs the connector extra ({exc.name} is missing)")
    try:
        connector = load(args.connector)
    except ConnectorError as exc:
        _fail(f"{args.connector} is not a usable connector:\n{exc}")
    except OSError as exc:
        _fail(f"cannot read {args.connector}: {exc.strerror or exc}")
    matches = [
        (i, a)
        for i, a in enumerate(connector.grid_actions)
        if a.label == args.action and (args.area is None or a.area == args.area)
    ]
    if not matches:
        labels = ", ".join(f"{a.label!r} ({a.area})" for a in connector.grid_actions) or "none"
        _fail(f"no lead grid action labelled {args.action!r}; the connector has: {labels}")
    if len(matches) > 1:
        areas = ", ".join(a.area for _, a in matches)
        _fail(f"{len(matches)} grid actions are labelled {args.action!r} ({areas}); add --area")
    index, action = matches[0]
    parts = _ACTION_PARTS.get(action.type, ())
    part = args.part or (parts[0][0] if parts else None)
    kinds = dict(parts)
    if part not in kinds:
        _fail(
            f"a {action.type} action has no template {part!r}; "
            f"choose --part from: {', '.join(kinds) or 'none'}"
        )
    text = getattr(action, part)
    if text is None:
        _fail(f"grid action {args.action!r} has no {part}")
    return _Source(text, f"{args.connector}#/grid_actions/{index}/{part}", "grid", kinds[part])


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
    out: IO[str]
    jsonl: bool
    strict: bool
    leads_name: str
    id_field: str | None
    counts: _Counts = field(default_factory=_Counts)

    def __post_init__(self) -> None:
        lead_keys: list[tuple[str, tuple[str, ...]]] = []
        fixed_missing = False
        for ref in self.template.fields:
            spec = self.template.catalog.lookup(ref.resource, ref.field)
            key = spec.key if spec is not None else ref.field
            derived = spec.derived_from if spec is not None else ()
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
        print(f"{PROG}: {self.leads_name}:{row.line}: {who}: {message}", file=sys.stderr)
        if self.jsonl:
            self.out.write(_jsonl({"row": row.number, "id": lead_id, "error": message}))

    def emit(self, row: LeadRow, text: str) -> None:
        """Write one rendered lead, or fail it when line output cannot hold it."""
        assert row.record is not None
        if self.jsonl:
            self.out.write(_jsonl({"row": row.number, "id": self.lead_id(row), "output": text}))
        else:
            found = _LINE_BREAK.search(text)
            if found is not None:
                self.fail(
                    row,
                    f"the rendered text holds a line break (U+{ord(found.group()):04X}), which "
                    "would split this lead in two; use --format jsonl to keep it",
                )
                return
            self.out.write(text)
            self.out.write("\n")
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


def _open_leads(path: str, fmt: str | None) -> tuple[IO[bytes], str]:
    try:
        # Closed by the caller, after the last lead.
        raw = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
        binary = cast(io.BufferedReader, raw)
    except OSError as exc:
        _fail(f"cannot read leads {path}: {exc.strerror or exc}")
    if fmt is None:
        fmt = format_from_name(path) if path != "-" else None
    if fmt is None:
        fmt = sniff_format(binary)
    return binary, fmt


def _cmd_render(args: argparse.Namespace) -> int:
    catalog = _load_catalog(args.catalog)
    source = _template_source(args)
    if not args.jsonl and _LINE_BREAK.search(source.text):
        _fail(
            f"{source.name}: the template holds a line break, so its output cannot be one line "
            "per lead; use --format jsonl"
        )
    records: dict[str, dict[str, Any]] = {}
    for resource, path in (("User", args.user), ("Account", args.account)):
        if path is not None:
            records[resource] = _read_record(resource, path)
    for spec in args.record:
        resource, sep, path = spec.partition("=")
        if not sep or not resource or not path:
            _fail(f"--record takes RESOURCE=FILE, not {spec!r}")
        if resource == "Lead":
            _fail("leads come from --leads, not --record")
        records[resource] = _read_record(resource, path)
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
        _fail(str(exc))
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
        _fail(f"--record: {exc}")
    except MergefieldError:
        pass  # a fixed record's bad value: every lead reports it
    binary, fmt = _open_leads(args.leads, args.leads_format)
    leads_name = "<stdin>" if args.leads == "-" else args.leads
    out: IO[str]
    try:
        if args.output in (None, "-"):
            out = sys.stdout
        else:
            out = open(args.output, "w", encoding="utf-8", errors="backslashreplace", newline="")  # noqa: SIM115
    except OSError as exc:
        _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    job = _Job(template, records, out, args.jsonl, args.strict, leads_name, args.id_field)
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    bar = tqdm(unit=" leads", disable=not sys.stderr.isatty(), file=sys.stderr, dynamic_ncols=True)
    status = EXIT_OK
    try:
        job.run(read_leads(text, fmt, delimiter=args.delimiter), bar.update)
    except UnicodeDecodeError:
        job.counts.stopped = f"{leads_name} is not UTF-8 after row {job.counts.read}"
        status = EXIT_USAGE
    finally:
        bar.close()
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()
        if args.leads != "-":
            text.close()
        else:
            text.detach()
    counts = job.counts
    summary = (
        f"{PROG}: {counts.read} leads read: {counts.rendered} rendered "
        f"({counts.defaulted} defaulted), {counts.failed} failed"
    )
    if counts.stopped:
        summary += f"; {counts.stopped}"
    print(summary, file=sys.stderr)
    if status == EXIT_OK and (counts.failed or counts.stopped):
        status = EXIT_PROBLEMS
    return status


# --- parser -----------------------------------------------------------------------------------


def _add_catalog(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        metavar="FILE",
        help="a catalog JSON file of the account's own fields and resources, added to the seed's",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mergefield`` command and its three subcommands."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check, list and render CRM merge-field templates: @{Lead:FirstName,Friend}.",
    )
    parser.add_argument(
        "--version",
        action="version",
        # Name the core: a build without a C compiler falls back to pure Python quietly.
        version=f"%(prog)s {__version__} ({IMPLEMENTATION} core)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    contexts = list(CONTEXTS)

    p = sub.add_parser(
        "check",
        help="check connector files and template files",
        description=(
            "Check connector files (*.json without --kind) or raw template files. Prints "
            "FILE:LINE:COL: CODE message per problem; exits 0 when clean, 1 when problems "
            "were found, 2 for usage or I/O errors."
        ),
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="files to check; - reads a template from stdin"
    )
    p.add_argument(
        "--context", choices=contexts, help="context of raw templates (default: any resource)"
    )
    p.add_argument(
        "--kind",
        choices=KINDS,
        help="kind of raw templates (default text); with --kind, *.json files are templates too",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("-v", "--verbose", action="store_true", help="show the source line and a caret")
    p.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODE",
        help="leave out diagnostics with this code (repeatable), e.g. missing-comma",
    )
    _add_catalog(p)
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "fields",
        help="list the merge fields a context offers",
        description="List merge fields with types and descriptions (View Merge Fields).",
    )
    p.add_argument("--context", choices=contexts, help="only the resources this context allows")
    p.add_argument("--resource", help="only this resource (Lead, User, Account, ...)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    _add_catalog(p)
    p.set_defaults(func=_cmd_fields)

    p = sub.add_parser(
        "render",
        help="render a template once per lead",
        description=(
            "Render a template once per lead, streaming. Exits 0 when every lead rendered, "
            "1 when some failed or the template is invalid, 2 for usage or I/O errors."
        ),
    )
    p.add_argument("template", nargs="?", metavar="TEMPLATE", help="the template text")
    p.add_argument("--template-file", metavar="FILE", help="read the template from FILE")
    p.add_argument("--connector", metavar="FILE", help="take the template from a connector file")
    p.add_argument("--action", metavar="LABEL", help="the grid action of --connector to render")
    p.add_argument(
        "--area", choices=("row", "bulk", "list"), help="the action's UI area, when labels repeat"
    )
    p.add_argument(
        "--part",
        choices=("url", "body", "iframe_url", "web_url"),
        help="which template of the action (default: its URL)",
    )
    p.add_argument(
        "--context", choices=contexts, help="where the template is used (for name checks)"
    )
    p.add_argument("--kind", choices=KINDS, help="url, json, form, html or text (default text)")
    p.add_argument("--leads", required=True, metavar="FILE", help="the leads; - for stdin")
    p.add_argument(
        "--leads-format",
        choices=FORMATS,
        help="csv, jsonl or json (default: from the extension, else guessed from the first byte)",
    )
    p.add_argument("--delimiter", default=",", help="CSV field delimiter (default ,)")
    p.add_argument("--user", metavar="FILE", help="the User record, a JSON object")
    p.add_argument("--account", metavar="FILE", help="the Account record, a JSON object")
    p.add_argument(
        "--record",
        action="append",
        default=[],
        metavar="RESOURCE=FILE",
        help="another fixed record, e.g. Automation=automation.json (repeatable)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument(
        "--format",
        choices=("lines", "jsonl"),
        default="lines",
        help="one rendered line per lead, or JSON Lines {row, id, output|error}",
    )
    p.add_argument(
        "--id-field", metavar="NAME", help="the lead column holding its id (default ProspectID, Id)"
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="compile in strict mode, refuse unknown names, and stop at the first failed row",
    )
    p.add_argument(
        "--dayfirst",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read dates like 05/03/2024 day first (--no-dayfirst: month first; without "
        "either, month first, and --strict refuses a date that reads both ways)",
    )
    _add_catalog(p)
    p.set_defaults(func=_cmd_render)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mergefield`` command with ``argv`` (default: ``sys.argv[1:]``); the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage or help already
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if getattr(args, "format", None) in ("lines", "jsonl"):
        args.jsonl = args.format == "jsonl"
    _write_stdout_utf8()
    try:
        status: int = args.func(args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): not an error of ours, and nothing more to say.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PROBLEMS
    return status
