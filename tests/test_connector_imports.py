"""The connector modules import each other along the pipeline, at the top, without a cycle.

Reading: sourcemap -> decode -> load (-> model -> rules) -> check; writing: canonical; requests
and send on top.  An import inside a function is how a cycle used to be hidden, so none of the
modules imports a sibling there; imports under ``TYPE_CHECKING`` (types only) do not count.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import mergefield

# Read as source, never imported: the connector's extras need not be installed for this test.
PACKAGE = Path(mergefield.__file__).resolve().parent / "connector"


def sibling_imports(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The sibling modules imported at the top (outside TYPE_CHECKING) and inside functions."""
    top: set[str] = set()
    local: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            top.add(node.module.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.level == 1:
                    local.add(inner.module or "")
    return top, local


def test_no_function_imports_a_sibling_and_the_graph_has_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        top, local = sibling_imports(ast.parse(path.read_text("utf-8")))
        assert not local, f"{path.name} imports {sorted(local)} inside a function"
        graph[path.stem] = top - {"__init__"}
    graph.pop("__init__")
    order = list(graphlib.TopologicalSorter(graph).static_order())  # raises CycleError
    assert order.index("model") > order.index("rules")  # Connector.check() calls the rules
    assert order.index("check") > order.index("load")
