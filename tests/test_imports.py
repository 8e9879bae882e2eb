"""The package's import graph has no cycle: modules import along the pipeline, never back.

Every ``.py`` module of ``mergefield`` is parsed with `ast` and every import of a ``mergefield``
module is an edge: at module level, inside functions (the usual way a cycle is hidden), absolute
and relative.  An import under ``if TYPE_CHECKING:`` is not: it never runs (annotations are
strings), and a model and its checker naming each other's types is no dependency of one on the
other's code.  ``from package import name`` points at the
submodule when ``name`` is one, else at the package.  A cycle is a strongly connected component
of two or more modules (or a module importing itself) and is reported as one path through it.
"""

from __future__ import annotations

import ast
import itertools
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import mergefield

PACKAGE = Path(mergefield.__file__).resolve().parent

# Known cycles, each to be removed, never added to.  The connector ones go with the `connector`
# branch of issue 16 (load -> model -> rules -> load, rules importing load's `_decode`;
# requests -> mergefield -> connector, requests calling the top-level `compile`): the lead deletes
# them here after merging it.  The Arrow one (template -> arrow -> _arrow_native -> arrow) is
# gone: the batch plan both sides use lives in `_batch` and the Arrow input helpers in
# `_arrow_input`, below both.  `test_the_allowed_cycles_still_exist` fails once one is gone, so
# this cannot go stale.
ALLOWED_CYCLES: list[frozenset[str]] = []


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> list[Path]:
    """Every module's source: Python, and Cython (the compiled core imports policy modules)."""
    return sorted([*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.pyx")])


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sources()}


# Cython is no Python `ast` can read: its imports are found by pattern (``cimport`` is C-level).
_PYX_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+\(?([\w\s,]+)|import[ \t]+([\w.]+))", re.M
)


def _syntax(path: Path) -> ast.AST:
    text = path.read_text("utf-8")
    if path.suffix == ".py":
        return ast.parse(text, str(path))
    lines = []
    for module, names, plain in _PYX_IMPORT.findall(text):
        if plain:
            lines.append(f"import {plain}")
        else:
            lines.append(f"from {module} import {', '.join(names.replace(',', ' ').split())}")
    return ast.parse("\n".join(lines), str(path))


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def imported(name: str, path: Path, known: Mapping[str, Path]) -> Iterator[tuple[str, int]]:
    """The ``mergefield`` modules that module ``name`` imports anywhere, with the line."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = _syntax(path)
    typing_only = {
        id(inner)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and _is_type_checking(block.test)
        for statement in block.body
        for inner in ast.walk(statement)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target not in known:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if sub in known else target), node.lineno


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {imported module: line of the first such import}."""
    known = modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        edges = graph.setdefault(name, {})
        for target, line in imported(name, path, known):
            edges.setdefault(target, line)
    return graph


def cycles(graph: Mapping[str, Mapping[str, int]]) -> list[frozenset[str]]:
    """The modules of every strongly connected component of more than one module, and every
    module that imports itself (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, {})))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, {}):
                    components.append(frozenset(component))
    return components


def path_through(graph: Mapping[str, Mapping[str, int]], component: frozenset[str]) -> list[str]:
    """The shortest cycle from the component's first module back to it, inside the component."""
    start = min(component)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if child in component and child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle through {component}")  # a component always has one


def describe(graph: Mapping[str, Mapping[str, int]], component: frozenset[str]) -> str:
    """One cycle through ``component`` with the line of each import, then all its modules."""
    cycle = path_through(graph, component)
    steps = " -> ".join(f"{a} (line {graph[a][b]})" for a, b in itertools.pairwise(cycle))
    return f"{steps} -> {cycle[-1]}   [cycle of {', '.join(sorted(component))}]"


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    found = [c for c in cycles(graph) if c not in ALLOWED_CYCLES]
    assert not found, "import cycles:\n" + "\n".join(describe(graph, c) for c in found)


def test_the_allowed_cycles_still_exist() -> None:
    present = set(cycles(import_graph()))
    gone = [sorted(allowed) for allowed in ALLOWED_CYCLES if allowed not in present]
    assert not gone, f"remove these from ALLOWED_CYCLES, they are gone: {gone}"


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert len(graph) == len(sources()) > 40
    # the compiled core's Cython source
    assert "mergefield._contract" in graph["mergefield._fast"]
    # relative, at module level
    assert "mergefield.template" in graph["mergefield"]
    # `from package import submodule`
    assert "mergefield.escaping.url" in graph["mergefield.escaping.html"]
    # `from package import name`: the package
    assert "mergefield.escaping" in graph["mergefield.checker"]
    # inside a function
    assert "mergefield.testing.strategies" in graph["mergefield.testing.assertions"]
    # not under `if TYPE_CHECKING:` (annotations only): the package names the connector's types
    assert "mergefield.connector" not in graph["mergefield"]
    assert "if TYPE_CHECKING:" in (PACKAGE / "__init__.py").read_text("utf-8")


def test_a_cycle_is_found_and_named() -> None:
    graph = {
        "a": {"b": 3},
        "b": {"c": 5},
        "c": {"a": 7, "d": 1},
        "d": {},
        "e": {"e": 2},
    }
    found = cycles(graph)
    assert sorted(map(sorted, found)) == [["a", "b", "c"], ["e"]]
    assert describe(graph, frozenset("abc")) == (
        "a (line 3) -> b (line 5) -> c (line 7) -> a   [cycle of a, b, c]"
    )


def test_encoding_and_values_are_imported_without_each_other() -> None:
    """The leaf modules stay leaves: `PreEncoded` and the option aliases import nothing of the
    package, and neither `encoding` nor `values` needs the other's import inside a function."""
    graph = import_graph()
    assert graph["mergefield._pre_encoded"] == {}
    assert graph["mergefield._options"] == {}
    assert "mergefield.values" not in graph["mergefield.encoding"]


def test_fuzz_kinds_are_the_package_kinds() -> None:
    # fuzz_core.py writes KINDS out because it may not import mergefield before instrumenting.
    from mergefield._options import KINDS

    source = (PACKAGE.parent / "fuzz" / "fuzz_core.py").read_text("utf-8")
    assigned = next(
        node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "KINDS" for t in node.targets)
    )
    assert ast.literal_eval(assigned) == KINDS
    assert sys.modules["mergefield._options"].KINDS is KINDS
