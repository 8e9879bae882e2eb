"""``mergefield check``: connector files and template files, one line per problem.

Prints one ``FILE:LINE:COL: CODE message`` line per problem (``--verbose`` adds the source line
with a caret, ``--format json`` a document for machines) and returns 0 when clean, 1 when
problems were found and 2 for usage or I/O errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mergefield._messages import LineIndex, caret_block, did_you_mean
from mergefield._options import Kind
from mergefield.catalog import Catalog
from mergefield.checker import check
from mergefield.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    PROG,
    UsageError,
    fail,
    load_catalog,
    read_text_file,
)
from mergefield.codes import CODES
from mergefield.diagnostics import ERROR, WARNING, Diagnostic

__all__ = ["run_check"]


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
    path: str, text: str, context: str | None, kind: Kind, catalog: Catalog
) -> _Found:
    return _Found(path, text, check(text, context=context, kind=kind, catalog=catalog))


def _is_connector(path: str, kind: str | None) -> bool:
    return kind is None and path.lower().endswith(".json")


def run_check(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    ignored = set(args.ignore)
    known = list(CODES)
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
                kind: Kind = args.kind or "text"
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
                # One LineIndex per file: finding each line from the start is quadratic.
                offset = lines.offset(d.line, d.column)
                print(caret_block(lines.source, offset, offset + max(d.end - d.offset, 1), lines))
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
