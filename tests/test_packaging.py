"""What users install holds what it should: one version, an sdist with the C, a bare wheel.

The listing tests read the artifacts of ``python -m build`` from the folder that
``MERGEFIELD_DIST`` names (`.ci/run` builds them and sets it); without it they skip, and the
checks on the source tree still run: every tracked top-level folder is in the sdist's manifest,
the version is written once.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import mergefield

from .conftest import REPO

DIST = os.environ.get("MERGEFIELD_DIST")
needs_dist = pytest.mark.skipif(not DIST, reason="MERGEFIELD_DIST names no folder of artifacts")
# Tracked but not shipped: CI and editor configuration.
NOT_IN_SDIST = (".github/", ".gitignore")


def artifact(pattern: str) -> Path:
    assert DIST is not None
    found = sorted(Path(DIST).glob(pattern))
    assert len(found) == 1, (pattern, found)
    return found[0]


def wheel_names() -> list[str]:
    with zipfile.ZipFile(artifact("mergefield-*.whl")) as whl:
        return whl.namelist()


def sdist_names() -> list[str]:
    with tarfile.open(artifact("mergefield-*.tar.gz")) as sdist:
        return [name.split("/", 1)[1] for name in sdist.getnames() if "/" in name]


def test_the_version_is_written_once() -> None:
    pyproject = (REPO / "pyproject.toml").read_text("utf-8")
    project = pyproject.split("\n[project]\n", 1)[1].split("\n[", 1)[0]
    assert re.search(r'^dynamic = \["version"\]', project, re.M)
    assert not re.search(r"^version = ", project, re.M)
    assert 'version = {attr = "mergefield.__version__"}' in pyproject
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?", mergefield.__version__)


def test_the_installed_metadata_has_that_version() -> None:
    try:
        installed = importlib.metadata.version("mergefield")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("mergefield is not installed, only importable")
    assert installed == mergefield.__version__


def test_the_changelog_has_the_version_and_the_policy() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text("utf-8")
    assert f"## {mergefield.__version__} - " in changelog or "## Unreleased" in changelog
    policy = changelog.split("## Version policy", 1)[1].split("\n## ", 1)[0]
    for breaking in ("token syntax", "safe sets", "codes"):
        assert breaking in policy, breaking


def test_every_tracked_folder_is_in_the_manifest() -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    manifest = (REPO / "MANIFEST.in").read_text("utf-8")
    shipped = set(re.findall(r"^graft (\S+)", manifest, re.M))
    included = {n for line in re.findall(r"^include (.+)", manifest, re.M) for n in line.split()}
    for name in tracked:
        top = name.split("/", 1)[0]
        if name.startswith(NOT_IN_SDIST) or top == "mergefield":
            continue
        assert top in shipped or name in included, f"{name} is tracked but not in MANIFEST.in"


@needs_dist
def test_the_wheel_holds_the_package_and_no_sources_or_tests() -> None:
    names = wheel_names()
    assert not [n for n in names if n.endswith((".pyx", ".c", ".h"))], names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "examples/", "fuzz/"))]
    assert all(n.startswith(("mergefield/", "mergefield-")) for n in names), names
    for data in ("py.typed", "grammar.lark", "_fast.pyi", "catalog/seed.json", "data/blns.json"):
        assert f"mergefield/{data}" in names, data
    assert any(n.endswith("dist-info/licenses/LICENSE") for n in names)
    pure = artifact("mergefield-*.whl").name.endswith("-py3-none-any.whl")
    compiled = [n for n in names if re.fullmatch(r"mergefield/_fast\..*\.(so|pyd)", n)]
    assert len(compiled) == (0 if pure else 1), compiled


@needs_dist
def test_the_sdist_holds_the_generated_c_and_what_the_tests_read() -> None:
    names = set(sdist_names())
    for needed in (
        "PKG-INFO", "LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "setup.py",
        "MANIFEST.in", "buildsys/mergefield_build.py", ".ci/run", "mkdocs.yml", "noxfile.py",
        "mergefield/_fast.pyx", "mergefield/_scan.pxi", "mergefield/_render.pxi",
        "mergefield/_arrow.pxi", "mergefield/_fast.c", "mergefield/data/blns.LICENSE",
        "tests/conftest.py", "tests/golden/syntax.json", "benchmarks/test_bench.py",
        "benchmarks/results/latest.md", "examples/leads.csv", "fuzz/fuzz_core.py", "docs/cli.md",
    ):  # fmt: skip
        assert needed in names, needed
    assert not [n for n in names if n.endswith((".so", ".pyd", ".pyc"))]
    with tarfile.open(artifact("mergefield-*.tar.gz")) as sdist:
        member = next(m for m in sdist.getmembers() if m.name.endswith("/mergefield/_fast.c"))
        extracted = sdist.extractfile(member)
        assert extracted is not None
        c = extracted.read().decode("utf-8", "replace")
    assert c.startswith("/* Generated by Cython")
    # Made with the build's directives (embedsignature): signatures are in the C.
    assert "render_rows(literals, keys, steps, missing, rows, resolve)" in c


@needs_dist
def test_the_sdist_holds_every_tracked_file() -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    names = set(sdist_names())
    missing = [n for n in tracked if not n.startswith(NOT_IN_SDIST) and n not in names]
    assert not missing, missing



# --- dependencies where they belong (issue 16, item 8) ----------------------------------------


def _requirements() -> dict[str, list[str]]:
    """pyproject.toml's requirement lists: ``""`` for the core dependencies, else the extra's
    name (read as text: Python 3.10 has no tomllib)."""
    pyproject = (REPO / "pyproject.toml").read_text("utf-8")
    project = pyproject.split("\n[project]\n", 1)[1].split("\n[project.scripts]", 1)[0]
    lists = {}
    for name, body in re.findall(r"^([\w-]+) = \[(.*?)\]$", project, re.M | re.S):
        lists["" if name == "dependencies" else name] = re.findall(r'"([^"]+)"', body)
    return lists


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_lark_and_tqdm_are_extras_not_core_dependencies() -> None:
    lists = _requirements()
    assert _names(lists[""]) == {"python-dateutil"}
    assert "lark" in _names(lists["test"]) and "lark" in _names(lists["fuzz"])
    assert _names(lists["cli"]) == {"tqdm"}
    assert any(r.startswith("mergefield[") and "cli" in r for r in lists["test"])


def _run_without(blocked: tuple[str, ...], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where importing any of ``blocked`` fails, as when the
    package was installed without them."""
    shim = "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in blocked)
    return subprocess.run(
        [sys.executable, "-c", shim + code], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_the_library_imports_and_renders_without_lark_and_tqdm() -> None:
    done = _run_without(
        ("lark", "tqdm"),
        "import mergefield, mergefield.testing, mergefield.strategies, mergefield.pytest_plugin\n"
        "t = mergefield.compile('https://x.test/?n=@{Lead:FirstName,}', kind='url')\n"
        "print(t.render(Lead={'FirstName': 'Zoë A'}))\n"
        "print(mergefield.check('@{Lead:FirstName}'))\n",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "https://x.test/?n=Zo%C3%AB%20A"


def test_the_reference_tokenizer_says_what_to_install_without_lark() -> None:
    done = _run_without(("lark",), "import mergefield.reference\n")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: mergefield.reference ") or last.startswith(
        "ModuleNotFoundError: mergefield.reference "
    ), done.stderr
    assert "pip install 'mergefield[test]'" in last


def test_the_render_command_works_without_tqdm(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    done = _run_without(
        ("tqdm",),
        "from mergefield.cli import main\n"
        "sys.exit(main(['render', 'Hi @{Lead:FirstName,there}', '--leads', "
        f"{str(REPO / 'examples' / 'leads.csv')!r}, '-o', {str(out)!r}]))\n",
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text("utf-8").startswith("Hi ")
    assert "leads read" in done.stderr
