"""The never-raising front doors of the rules: ``check_text`` for text, ``check_file`` for a path.

Each reads the connector as far as it can (`load`'s gates: UTF-8, JSON, shape) and, when a model
could be built, adds the rules' diagnostics (`rules.check_connector`), all sorted by place in the
file; bad content never raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mergefield.diagnostics import Diagnostic

from .decode import decode
from .load import read_diagnostics
from .rules import check_connector, in_file_order

if TYPE_CHECKING:
    from mergefield.catalog import Catalog

__all__ = ["check_file", "check_text"]


def check_text(
    text: str,
    *,
    path: str | Path | None = None,
    base_dir: str | Path | None = None,
    catalog: Catalog | None = None,
) -> list[Diagnostic]:
    """Diagnostics for connector JSON ``text``; never raises for bad content.

    A text that is not JSON gives one ``json-syntax`` diagnostic; one of the wrong shape gives
    its shape diagnostics (and, if only unknown keys are wrong, the rules' too).
    """
    where = None if path is None else Path(path)
    connector, problems = read_diagnostics(text, where)
    if connector is None:
        return in_file_order(problems)
    return in_file_order(problems + check_connector(connector, base_dir=base_dir, catalog=catalog))


def check_file(path: str | Path, *, catalog: Catalog | None = None) -> list[Diagnostic]:
    """Diagnostics for the connector file at ``path``; never raises for bad content.

    Only reading the file can raise (``OSError``): a missing file is not a content problem.
    """
    where = Path(path)
    text, problems = decode(where.read_bytes())
    if text is None:
        return problems
    return check_text(text, path=where, catalog=catalog)
