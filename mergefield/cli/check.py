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
from mergefield.diagnostics import ERROR, WARNING, Diagnostic
from mergefield.errors import LineIndex, TemplateError
from mergefield.leads import did_you_mean

__all__ = ["run_check"]


def _caret(lines: LineIndex, line: int, column: int, width: int) -> str:
    """Line ``line`` of ``lines.source`` with a caret under ``width`` characters from ``column``.

    One `LineIndex` per file: finding each line from the start is quadratic in the problems.
    """
    offset = lines.offset(line, column)
    # TemplateError already knows how to window long lines and keep tabs aligned.
    text = lines.source
    return TemplateError("", text, offset, offset + max(width, 1), lines=lines).caret_block()


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


def run_check(args: argparse.Namespace) -> int:
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
