"""Pick the compiled core or its pure-Python twin, once, at import (the yarl selector).

`MERGEFIELD_NO_EXTENSIONS=1` forces the pure core; interpreters other than CPython always get
it; a missing or broken extension falls back to it.  Type checkers see the Python twin, whose
signatures the compiled module mirrors (`_fast.pyi`).
"""

from __future__ import annotations

import os
import platform
from typing import TYPE_CHECKING

NO_EXTENSIONS = os.environ.get("MERGEFIELD_NO_EXTENSIONS", "") not in ("", "0")

if TYPE_CHECKING:
    from . import _fast_py as core
else:
    core = None
    if not NO_EXTENSIONS and platform.python_implementation() == "CPython":
        try:
            from . import _fast as core
        except ImportError:  # not built: a pure install, or no compiler on the machine
            core = None
    if core is None:
        from . import _fast_py as core

IMPLEMENTATION: str = "python" if core.__name__.endswith("_fast_py") else "cython"
"""The core in use: ``"cython"`` (compiled) or ``"python"`` (the pure twin)."""

__all__ = ["IMPLEMENTATION", "NO_EXTENSIONS", "core"]
