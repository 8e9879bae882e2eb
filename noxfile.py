"""Run the test suite on every CPython the package claims, on both cores (`nox -l` lists them).

`nox -s tests-3.12` installs the package with its `test` extra into a fresh venv (compiling the
Cython core for that Python, required to build) and runs the whole suite on the compiled core,
then again with `MERGEFIELD_NO_EXTENSIONS=1` on the pure-Python core.  `nox -s fast-3.12` does
the same with the fast subset (`--fast`, an option of tests/conftest.py: no test marked slow,
each property on a few examples), spread over the cores with pytest-xdist (`-n auto`), and
`nox -s compiled-3.12` runs that subset on the compiled core only, which `.ci/run` uses for the
Pythons other than its main one.  Arguments after `--`
go to pytest.  Interpreters are looked up on PATH and, failing that, in pyenv's versions folder,
so a machine with pyenv needs no shims selected.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
# The fast subset: no test marked slow, and every property on a few examples (`--fast` is
# `-m "not slow" --hypothesis-profile=fast`, tests/conftest.py); the full run on the main Python
# does the searching.
FAST = ["--fast"]
# The fast subset runs on every core (pytest-xdist, in the `test` extra): its tests are many and
# short, so two workers halve the wall time on CI's two cores.  The whole suite stays on one
# worker: its slow tests compare timings over input sizes and peak memory, which a second worker
# competing for the same cores would only make noisier.
PARALLEL = ["-n", "auto"]

nox.options.sessions = ["fast"]
nox.options.reuse_existing_virtualenvs = False
# uv makes the venv and installs into it when it is installed (.ci/run installs it beside nox):
# the same packages as pip, resolved and installed in a fraction of the time, from one cache
# shared by the sessions.  Without uv, virtualenv and pip.
nox.options.default_venv_backend = "uv|virtualenv"
# Use the interpreters on the machine; never download one (nor lets uv download one).
nox.options.download_python = "never"
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")


def _add_pyenv_to_path() -> None:
    """Put each pyenv CPython's bin folder on PATH, so "3.10" finds python3.10."""
    try:
        root = subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return
    bins = sorted(str(p) for p in Path(root, "versions").glob("3.*/bin") if p.is_dir())
    # Before the pyenv shims, which answer "command not found" for a version not selected.
    os.environ["PATH"] = os.pathsep.join([*bins, os.environ.get("PATH", "")])


_add_pyenv_to_path()


def _run_suite(session: nox.Session, marks: list[str], *, pure: bool = True) -> None:
    session.install("--quiet", "-e", ".[test]", env={"MERGEFIELD_REQUIRE_EXTENSIONS": "1"})
    session.run("python", "-c", "import mergefield; assert mergefield.IMPLEMENTATION == 'cython'")
    args = ["-q", *marks, *session.posargs]
    session.run("python", "-m", "pytest", *args, env={"MERGEFIELD_REQUIRE_EXTENSIONS": "1"})
    if pure:
        session.run("python", "-m", "pytest", *args, env={"MERGEFIELD_NO_EXTENSIONS": "1"})


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite on both cores."""
    _run_suite(session, [])


@nox.session(python=PYTHONS)
def fast(session: nox.Session) -> None:
    """The suite without the tests marked slow, on both cores."""
    _run_suite(session, [*FAST, *PARALLEL])


@nox.session(python=PYTHONS)
def compiled(session: nox.Session) -> None:
    """The suite without the tests marked slow, on the compiled core only (what `.ci/run` runs
    on the Pythons other than its own, where the pure core already ran in full): no run with
    `MERGEFIELD_NO_EXTENSIONS=1`, and `--compiled-only` (tests/conftest.py) leaves out the pure
    half of each test the `core` fixture runs on both cores."""
    _run_suite(session, [*FAST, *PARALLEL, "--compiled-only"], pure=False)
