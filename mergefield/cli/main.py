"""The ``mergefield`` command line's entry point: the argument parser and `main`.

Each command lives in its own module (`check`, `fields`, `render`); this one parses the
arguments, dispatches and turns a `UsageError`, Ctrl-C or a closed pipe into the exit status.
What each command does and prints is said in the package's docstring (`mergefield.cli`).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence

from mergefield import IMPLEMENTATION, __version__
from mergefield._options import KINDS
from mergefield.catalog import CONTEXTS
from mergefield.cli.check import run_check
from mergefield.cli.common import EXIT_INTERRUPTED, EXIT_PROBLEMS, EXIT_USAGE, PROG, UsageError
from mergefield.cli.fields import run_fields
from mergefield.cli.render import render
from mergefield.leads import ENCODINGS, FORMATS

__all__ = ["main"]


def _write_stdout_utf8() -> None:
    # A pipe's locale encoding may be ASCII; lead names are not.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")


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
    p.set_defaults(func=run_check)

    p = sub.add_parser(
        "fields",
        help="list the merge fields a context offers",
        description="List merge fields with types and descriptions (View Merge Fields).",
    )
    p.add_argument("--context", choices=contexts, help="only the resources this context allows")
    p.add_argument("--resource", help="only this resource (Lead, User, Account, ...)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    _add_catalog(p)
    p.set_defaults(func=run_fields)

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
        metavar="FIELD",  # checked against the action type's templates (connector ACTIONS)
        help="which template field of the action (default: its type's first, the URL)",
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
