"""What every ``mergefield`` subcommand shares: exit statuses, the usage error, reading files.

`read_text_file` is the one way the command line reads a text file (a template, a record, a
template on stdin): UTF-8, with a leading byte order mark dropped as the leads reader drops it,
so a file saved by Notepad or Excel renders exactly like one saved without a BOM.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from mergefield.catalog import DEFAULT_CATALOG, Catalog, CatalogError

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "PROG",
    "UsageError",
    "fail",
    "load_catalog",
    "read_record",
    "read_text_file",
]

PROG = "mergefield"

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


class UsageError(Exception):
    """A problem with the command line or an input file that stops the command (exit 2)."""


def fail(message: str) -> NoReturn:
    raise UsageError(message)


def load_catalog(path: str | None) -> Catalog:
    if path is None:
        return DEFAULT_CATALOG
    try:
        return Catalog.from_json(path)
    except CatalogError as exc:
        fail(f"bad catalog: {exc}")
    except OSError as exc:
        fail(f"cannot read catalog {path}: {exc.strerror or exc}")


def read_text_file(path: str) -> str:
    """A whole text file (or stdin for ``-``) as UTF-8 without a leading BOM; a `UsageError`
    naming the byte when it is not UTF-8 or the file cannot be read."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        # utf-8-sig drops one BOM at the start, exactly what editors and Excel write.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{path} is not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")


def read_record(resource: str, path: str) -> dict[str, Any]:
    """The JSON object in ``path`` that stands for ``resource`` (User, Account...) on every lead."""
    text = read_text_file(path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON in the {resource} record: {exc.msg}")
    except (ValueError, RecursionError):
        fail(f"{path}: the {resource} record holds a number or nesting Python cannot decode")
    if not isinstance(value, dict):
        fail(f"{path}: the {resource} record must be a JSON object")
    return value
