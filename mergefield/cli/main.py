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
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mergefield import IMPLEMENTATION, __version__
from mergefield.catalog import CONTEXTS, Catalog
from mergefield.checker import check
from mergefield.cli_common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    PROG,
    UsageError,
    fail,
    load_catalog,
    read_text_file,
)
from mergefield.cli_render import render
from mergefield.diagnostics import ERROR, WARNING, Diagnostic
from mergefield.errors import LineIndex, TemplateError
from mergefield.leads import ENCODINGS, FORMATS, did_you_mean
from mergefield.template import KINDS

__all__ = ["main"]


# --- shared helpers ---------------------------------------------------------------------------


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
        fail(
            f"checking connector files needs the connector extra ({exc.name} is missing): "
            "pip install 'mergefield[connector]'"
        )
    try:
        diagnostics = check_file(path, catalog=catalog)
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    return _Found(path, text, diagnostics)


def _check_template(
    path: str, text: str, context: str | None, kind: str, catalog: Catalog
) -> _Found:
    return _Found(path, text, check(text, context=context, kind=kind, catalog=catalog))


def _is_connector(path: str, kind: str | None) -> bool:
    return kind is None and path.lower().endswith(".json")


def _known_codes() -> list[str]:
    """Every diagnostic code `check` can print: the template checker's and the compile codes,
    and the connector rules' (their documented table) when the connector extra is installed."""
    import re

    from mergefield import checker
    from mergefield.positions import ERROR_CODES

    codes = [getattr(checker, name) for name in checker.__all__ if name.isupper()]
    codes = [c for c in codes if isinstance(c, str)] + [*ERROR_CODES, "compile-error"]
    try:
        from mergefield.connector import rules
    except ImportError:
        return codes
    return codes + re.findall(r"^``([a-z0-9-]+)``\s+(?:error|warning)\b", rules.__doc__ or "", re.M)


def _cmd_check(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    ignored = set(args.ignore)
    known = _known_codes()
    for code in sorted(ignored - set(known)):
        hint = did_you_mean(code, known)
        fail(
            f"--ignore {code}: no such code"
            + (f"; did you mean {hint}?" if hint else f"; the codes: {', '.join(sorted(known))}")
        )
    results: list[_Found] = []
    io_errors: list[str] = []
    for path in args.files:
        try:
            if _is_connector(path, args.kind):
                results.append(_check_connector(path, catalog))
            else:
                text = read_text_file(path)
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
    catalog = load_catalog(args.catalog)
    allowed = catalog.allowed_resources(args.context)
    resources = [r for r in _resource_order(catalog) if r in allowed]
    if args.resource is not None:
        if args.resource not in catalog.resources():
            hint = catalog.suggest(args.resource)
            known = ", ".join(resources)
            fail(
                f"unknown resource {args.resource!r}"
                + (f"; did you mean {hint}?" if hint else f"; known: {known}")
            )
        if args.resource not in allowed:
            fail(
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
    p.add_argument(
        "--delimiter",
        help="CSV field delimiter, one character or 'tab' (default: sniffed among , ; tab |)",
    )
    p.add_argument(
        "--encoding",
        choices=ENCODINGS,
        default="utf-8",
        help="encoding of the leads (default utf-8, BOM allowed; utf-16 needs a BOM)",
    )
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
    p.set_defaults(func=render)
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
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): not an error of ours, and nothing more to say.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PROBLEMS
    return status
