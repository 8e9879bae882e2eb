"""The `Diagnostic` record that `check()` and connector checks report problems with.

It is a plain frozen value, independent of how a problem was found, so that template checks
and connector checks (which add a JSON-pointer ``path`` into the connector file) produce one
list that tools can sort, filter by ``severity`` and print.
"""

from __future__ import annotations

from dataclasses import dataclass

from mergefield._options import Severity

__all__ = ["ERROR", "WARNING", "Diagnostic"]

ERROR: Severity = "error"
"""The severity of a problem that breaks the template or its meaning."""

WARNING: Severity = "warning"
"""The severity of a form that works but is not LeadSquared's documented one."""


@dataclass(frozen=True)
class Diagnostic:
    """One problem at a place: ``code``, ``severity``, ``message`` and where it is.

    ``line`` and ``column`` count from 1 (SPEC section 1); ``offset`` and ``end`` delimit the
    offending text in code points; ``path`` is the JSON pointer of the template's value when
    the template comes from a connector file, else None.
    """

    code: str
    severity: Severity
    message: str
    line: int
    column: int
    offset: int = 0
    end: int = 0
    path: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:" if self.path is not None else ""
        return f"{where}{self.line}:{self.column}: {self.severity} {self.code}: {self.message}"
