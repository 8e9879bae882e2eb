"""The documentation covers the public API: every public name has a docstring and an API page.

The site (`mkdocs build --strict` in `.ci/run`) renders what these tests check is there: each
name of a public module's ``__all__`` must have its own docstring (a data constant: a string
right after its assignment, which mkdocstrings reads) and a ``::: module.name`` entry on a page
of ``docs/api/``; every entry there must still resolve; every README section a page includes
must still exist.  The compiled core keeps its signatures for ``inspect`` and ``help()``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import pydoc
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import mergefield
from mergefield import _fast_py

from .conftest import CORES, REPO

# The public modules, as the package docstring lists them (the one place they are written).
PUBLIC_MODULES = re.findall(
    r"`(mergefield[\w.]*)`",
    (mergefield.__doc__ or "").split("Public modules:", 1)[1].split(".  ")[0],
)
DOCS = REPO / "docs"
PACKAGE = Path(mergefield.__file__).resolve().parent


def public_names() -> Iterator[tuple[str, str]]:
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            yield module_name, name


def api_entries() -> set[str]:
    entries = set()
    for page in sorted((DOCS / "api").glob("*.md")):
        entries.update(re.findall(r"^::: *([\w.]+)", page.read_text("utf-8"), re.M))
    return entries


def attribute_docstrings() -> dict[str, set[str]]:
    """Top-level names of every module of the package followed by a string: name -> modules."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        body = ast.parse(path.read_text("utf-8")).body
        for node, after in itertools.pairwise(body):
            targets = (
                node.targets if isinstance(node, ast.Assign) else
                [node.target] if isinstance(node, ast.AnnAssign) else []
            )  # fmt: skip
            documented = (
                isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
                and after.value.value.strip()
            )
            for target in targets:
                if isinstance(target, ast.Name) and documented:
                    found.setdefault(target.id, set()).add(path.name)
    return found


def test_the_public_modules_are_listed() -> None:
    assert PUBLIC_MODULES[0] == "mergefield" and len(PUBLIC_MODULES) == 8
    for name in PUBLIC_MODULES:
        importlib.import_module(name)


def test_every_public_name_has_a_docstring() -> None:
    documented_data = attribute_docstrings()
    missing = []
    for module_name, name in public_names():
        obj = getattr(importlib.import_module(module_name), name)
        alias = typing.get_origin(obj) is not None  # `Literal[...]`: documented like data
        if not alias and (inspect.ismodule(obj) or inspect.isclass(obj) or callable(obj)):
            if not (obj.__doc__ or "").strip():
                missing.append(f"{module_name}.{name}")
        elif name not in documented_data:
            missing.append(f"{module_name}.{name} (a constant: write a docstring after it)")
    assert not missing, missing


def test_every_public_name_has_an_api_entry() -> None:
    entries = api_entries()
    missing = [f"{m}.{n}" for m, n in public_names() if f"{m}.{n}" not in entries]
    assert not missing, f"add a '::: name' line to a page of docs/api/ for {missing}"


def resolve(dotted: str) -> object:
    """The object a ``::: dotted.name`` entry documents: the longest importable module, then
    attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


def test_every_api_entry_resolves() -> None:
    entries = api_entries()
    assert len(entries) > 50
    for entry in sorted(entries):
        try:
            resolve(entry)
        except (ImportError, AttributeError) as exc:
            raise AssertionError(f"docs/api names {entry}, which does not exist") from exc


def included_sections() -> Iterator[tuple[str, Path, str]]:
    pattern = re.compile(r'\{%\s*include-markdown\s+"([^"]+)"(.*?)%\}', re.S)
    for page in sorted(DOCS.rglob("*.md")):
        for target, options in pattern.findall(page.read_text("utf-8")):
            path = (page.parent / target).resolve()
            for key in ("start", "end"):
                match = re.search(rf'{key}="([^"]*)"', options)
                if match:
                    yield page.name, path, match.group(1)
            if "start" not in options:
                yield page.name, path, ""


def test_every_included_section_exists() -> None:
    sections = list(included_sections())
    assert len(sections) > 10
    for page, path, delimiter in sections:
        assert path.is_file(), f"{page} includes {path}, which does not exist"
        assert delimiter in path.read_text("utf-8"), f"{page}: {delimiter!r} not in {path.name}"


def test_every_docs_page_is_in_the_nav() -> None:
    nav = (REPO / "mkdocs.yml").read_text("utf-8")
    for page in DOCS.rglob("*.md"):
        assert page.relative_to(DOCS).as_posix() in nav, page


COMPILED = CORES["cython"]


@pytest.mark.skipif(COMPILED is None, reason="the compiled core is not part of this run")
@pytest.mark.parametrize("name", _fast_py.__all__)
def test_compiled_functions_keep_their_signatures(name: str) -> None:
    compiled, twin = getattr(COMPILED, name), getattr(_fast_py, name)
    if not callable(twin):
        return  # a constant, equal on both cores (tested with the cores)
    signature = inspect.signature(compiled)
    assert list(signature.parameters) == list(inspect.signature(twin).parameters)
    # embedsignature: the docstring starts with the signature, for tools that read only that.
    doc = compiled.__doc__ or ""
    first = re.fullmatch(rf"{name}\((.*)\)", doc.split("\n", 1)[0])
    assert first is not None, doc
    assert [p.split(":")[0] for p in first.group(1).split(", ")] == list(signature.parameters)
    summary = doc.split("\n\n", 1)[1].strip().split("\n", 1)[0]
    assert summary, f"{name} has a signature but no docstring"
    text = pydoc.render_doc(compiled, renderer=pydoc.plaintext)
    assert f"{name}(" in text and summary in text


def module_of(core: str) -> ModuleType:
    module = CORES[core]
    assert module is not None
    return module


def test_help_of_render_many_is_useful_on_both_cores(core: str) -> None:
    assert module_of(core) is mergefield._core.core
    text = pydoc.render_doc(mergefield.Template.render_many, renderer=pydoc.plaintext)
    assert "render_many(self, leads: 'Iterable[Records]', /, **records: 'Records')" in text
    assert "One rendered string per lead" in text
    assert "User=" in text and "RenderError" in text
    leads = [{"FirstName": "Zoë"}, {}]
    t = mergefield.compile("Hi @{Lead:FirstName,Friend} from @{User:FirstName,}", kind="text")
    assert t.render_many(leads, User={"FirstName": "Asha"}) == [
        "Hi Zoë from Asha",
        "Hi Friend from Asha",
    ]
