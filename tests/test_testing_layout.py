"""The test tooling sits in one package, `mergefield.testing`, at the end of the pipeline (issue 16,
item 7): nothing in the library imports it, importing the library loads neither it nor
hypothesis nor pytest, and the public paths users have (``mergefield.testing``,
``mergefield.strategies``, ``mergefield.pytest_plugin`` and its ``pytest11`` entry point) hand
out the package's own objects."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from .conftest import REPO
from .test_imports import import_graph

# The package and the two thin public modules that re-export it.
TOOLING = ("mergefield.testing", "mergefield.strategies", "mergefield.pytest_plugin")
# Where each public module's names are written.
HOMES = {
    "mergefield.testing": ("mergefield.testing.assertions",),
    "mergefield.strategies": (
        "mergefield.testing.strategies",
        "mergefield.testing.connector_strategies",
    ),
    "mergefield.pytest_plugin": ("mergefield.testing.plugin",),
}


def is_tooling(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in TOOLING)


def test_nothing_in_the_library_imports_the_test_tooling() -> None:
    graph = import_graph()
    assert {m for m in graph if is_tooling(m)} >= {h for homes in HOMES.values() for h in homes}
    back = [
        f"{module} imports {target} (line {line})"
        for module, edges in graph.items()
        if not is_tooling(module)
        for target, line in edges.items()
        if is_tooling(target)
    ]
    assert not back, back


def test_the_public_modules_only_re_export_the_package() -> None:
    graph = import_graph()
    for public, homes in HOMES.items():
        if public != "mergefield.testing":
            assert set(graph[public]) == set(homes), public


@pytest.mark.parametrize("public", sorted(HOMES))
def test_the_public_paths_hand_out_the_package_s_objects(public: str) -> None:
    module = importlib.import_module(public)
    homes = [importlib.import_module(home) for home in HOMES[public]]
    assert module.__all__
    for name in module.__all__:
        written = [home for home in homes if name in home.__all__]
        assert len(written) == 1, f"{public}.{name} is written in {len(written)} modules"
        assert getattr(module, name) is getattr(written[0], name), f"{public}.{name}"
    assert sorted(module.__all__) == sorted(n for home in homes for n in home.__all__)


def run_child(code: str) -> str:
    """What a fresh interpreter running ``code`` prints (stripped); it must exit 0."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_library_loads_no_test_tooling() -> None:
    code = (
        "import sys, mergefield, mergefield.connector, mergefield.cli, mergefield.catalog\n"
        "mergefield.compile('@{Lead:FirstName,}', kind='url').render(Lead={})\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('hypothesis', 'pytest')\n"
        "    or m.startswith(('mergefield.testing', 'mergefield.strategies',\n"
        "                     'mergefield.pytest_plugin')))\n"
        "print(loaded)\n"
    )
    assert run_child(code) == "[]"


def test_the_assertions_load_without_hypothesis_and_pytest() -> None:
    # `fuzz_template` imports hypothesis when called; the rest of `mergefield.testing` needs
    # neither (the ``testing`` extra is for the strategies and the plugin).
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\nsys.modules['pytest'] = None\n"
        "from mergefield.testing import assert_renders_safely\n"
        "assert_renders_safely('https://x.test/?q=@{Lead:FirstName,}', {'Lead': {}}, kind='url')\n"
        "print('ok')\n"
    )
    assert run_child(code) == "ok"


def test_the_entry_point_loads_the_plugin_and_its_hook() -> None:
    found = [ep for ep in entry_points(group="pytest11") if ep.name == "mergefield"]
    if not found:
        pytest.skip("mergefield is not installed (pip install -e .[test]): no entry point")
    (entry,) = found
    assert entry.value == "mergefield.pytest_plugin"
    plugin = entry.load()
    home = importlib.import_module("mergefield.testing.plugin")
    assert plugin.pytest_addoption is home.pytest_addoption
    assert plugin.connector_tests is home.connector_tests
