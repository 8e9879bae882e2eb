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
# The fast subset (`--fast`: `-m "not slow" --hypothesis-profile=fast`, what nox's fast sessions
# run on the other Pythons) tries every property on a few examples: what differs between Pythons
# is the build, the stdlib and third-party versions, which a few examples reach; the full run
# searches.
FAST_PROFILE = "fast"
FAST_EXAMPLES = 10
settings.register_profile(
    FAST_PROFILE, parent=settings.get_profile("mergefield"), max_examples=FAST_EXAMPLES
)

# Set by pytest_configure: whether this run is the fast subset.
_fast_run = False


def pytest_addoption(parser: pytest.Parser) -> None:
    # The one spelling of the fast subset: nox, .ci/test-dist and cibuildwheel pass `--fast`.
    parser.addoption(
        "--fast",
        action="store_true",
        help="the fast subset: -m 'not slow' --hypothesis-profile=fast (every property on "
        f"{FAST_EXAMPLES} examples); the full run keeps every test",
    )
    # nox's compiled sessions on the Pythons other than CI's main one: the pure core is Python
    # code that already ran in full there, and what differs between versions is the build.
    parser.addoption(
        "--compiled-only",
        action="store_true",
        help="leave out the pure-core half of each test run on both cores (the `core` fixture)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """`--fast` leaves out the tests marked slow (besides any -m given) and loads the profile."""
    global _fast_run
    if config.getoption("fast"):
        given = config.option.markexpr
        config.option.markexpr = f"({given}) and not slow" if given else "not slow"
        settings.load_profile(FAST_PROFILE)
        _fast_run = True
    else:
        _fast_run = config.getoption("hypothesis_profile", None) == FAST_PROFILE


def examples(n: int) -> int:
    """``n``, capped at FAST_EXAMPLES in the fast subset: for `@settings(max_examples=...)` on a
    property built inside a test (the `core` fixture's pattern), which the cap below cannot see.

    A property whose assertion needs its full count (a strategy must reach every position) keeps
    a plain number and is marked slow instead.
    """
    return min(n, FAST_EXAMPLES) if _fast_run else n


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--compiled-only` deselects the pure-core halves; under the fast profile, cap the
    examples of the properties that ask for more.

    A profile sets only the default; `@settings(max_examples=2000)` on a test wins over it, so
    the cap is applied to each test's own settings here (`examples` does it for the properties
    a test builds when it runs).  Hypothesis keeps them on the test
    function (an attribute it reads at call time); if a future version moves them, the tests
    simply run their full counts.
    """
    if config.getoption("compiled_only"):
        pure = [item for item in items if _core_param(item) == "python"]
        if pure:
            config.hook.pytest_deselected(items=pure)
            items[:] = [item for item in items if _core_param(item) != "python"]
    if not _fast_run:
        return
    for item in items:
        function = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
        own = getattr(function, "_hypothesis_internal_use_settings", None)
        if isinstance(own, settings) and own.max_examples > FAST_EXAMPLES:
            capped = settings(own, max_examples=FAST_EXAMPLES)
            function._hypothesis_internal_use_settings = capped  # type: ignore[union-attr]


def _core_param(item: pytest.Item) -> object:
    """The `core` fixture's parameter of a collected test, or None when it has none."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("core") if callspec is not None else None


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
