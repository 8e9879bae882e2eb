"""The suite's own run options (tests/conftest.py) select what they say: `--fast` and `-m slow`
split a run in two, and `--compiled-only` leaves out exactly the pure halves of the `core`
fixture.  Checked on one module's collection, in a child pytest so the options are its own."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import REPO

# Four child pytests (about 4 s each) checking the suite's own options, which are the same on
# every Python: the full run on the main Python keeps them, the fast subset does not need them.
pytestmark = pytest.mark.slow

MODULE = "tests/test_render.py"


def collected(*options: str) -> list[str]:
    """The test ids pytest collects from MODULE with ``options``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERGEFIELD_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly",
         *options, MODULE],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith(MODULE + "::")]


def test_fast_and_slow_together_are_the_whole_module() -> None:
    every, fast, slow = collected(), collected("--fast"), collected("-m", "slow")
    assert slow and fast
    assert sorted(fast + slow) == sorted(every)


def test_compiled_only_leaves_out_the_pure_halves_only() -> None:
    every, compiled = collected(), collected("--compiled-only")
    left_out = set(every) - set(compiled)
    assert set(compiled) <= set(every)
    assert left_out, "the module runs tests on both cores, so some pure halves go"
    # Each pure half left out keeps its compiled twin; the twin is named with "cython" where
    # the left-out test is named with "python".
    for test in left_out:
        assert "python" in test.split("[", 1)[1]
        assert test.replace("python", "cython") in compiled
