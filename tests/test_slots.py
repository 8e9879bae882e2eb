"""`Template.slots` is the one answer to "which record key does a token read, and what does a
missing value become": public, immutable, used by every layer; only `template.py` reads a
Template's private attributes; `render_many(on_default=...)` reports the leads that fell back."""

from __future__ import annotations

import ast
import dataclasses
import pickle
from pathlib import Path

import pytest

import mergefield
from mergefield import RenderReport, Slot, Template

PACKAGE = Path(mergefield.__file__).resolve().parent


def _private_template_names() -> set[str]:
    names = {n for n in Template.__slots__ if n.startswith("_")}
    names |= {n for n in vars(Template) if n.startswith("_") and not n.startswith("__")}
    return names


def private_template_reads(path: Path) -> list[str]:
    """``X._name`` in ``path`` where ``_name`` is a private attribute of `Template`."""
    private = _private_template_names()
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in private:
            found.append(f"{path}:{node.lineno}: .{node.attr}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in private
        ):
            found.append(f"{path}:{node.lineno}: {node.args[1].value!r}")
    return found


def test_nothing_outside_template_reads_a_private_attribute_of_a_template() -> None:
    assert {"_literals", "_batch"} <= _private_template_names()
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "template.py"
        for hit in private_template_reads(path)
    ]
    assert not found, found


def test_the_private_read_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "probe.py"
    bad.write_text("def f(t):\n    return t._literals, getattr(t, '_batch')\n", "utf-8")
    assert len(private_template_reads(bad)) == 2


def test_slots_are_public_immutable_and_describe_each_token(core: str) -> None:
    t = mergefield.compile(
        "https://x/?n=@{Lead:FirstName,Friend}&u=@{User:FullName,}&s=@{Lead:Score}",
        kind="url",
    )
    assert isinstance(t.slots, tuple) and all(isinstance(s, Slot) for s in t.slots)
    first, user, score = t.slots
    assert (first.resource, first.field, first.key) == ("Lead", "FirstName", "FirstName")
    assert first.token_default == "Friend" and first.encoder == "url_query"
    assert (first.start, first.end) == (t.fields[0].start, t.fields[0].end)
    assert first.ref == t.fields[0]
    assert user.derived_from and user.token_default == ""
    assert score.token_default is None
    assert [s.ref for s in t.slots] == list(t.fields)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.key = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        t.slots = ()  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(t)).slots == t.slots


def test_slot_reads_and_falls_back_by_the_renderer_s_rule(core: str) -> None:
    t = mergefield.compile("@{User:FullName,} @{Lead:FirstName,Friend}")
    user, first = t.slots
    assert user.read({"FirstName": "Asha", "LastName": "Rao"}) == "Asha Rao"
    assert not user.falls_back({"FirstName": "Asha"})
    assert user.falls_back({}) and user.falls_back(None)
    assert first.text(None) == "Friend" and first.resolve("") == "Friend"
    assert first.text(5) == "5"


def test_render_report_says_which_leads_fell_back(core: str) -> None:
    t = mergefield.compile("Hi @{Lead:FirstName,Friend} @{Lead:City,}")
    leads = [{"FirstName": "Zoë", "City": "Pune"}, {"City": "Goa"}, {"FirstName": "A"}, {}]
    report = t.render_report(iter(leads))
    assert isinstance(report, RenderReport)
    assert report.texts == ["Hi Zoë Pune", "Hi Friend Goa", "Hi A ", "Hi Friend "]
    assert report.texts == t.render_many(leads)
    assert report.defaulted == [False, True, True, True]
    # A fixed record's missing value affects every lead alike; a derived field is missing only
    # when every field it is joined from is.
    u = mergefield.compile("@{Lead:FirstName,} @{User:FullName,}")
    for user, expected in (
        ({}, [True, True]),
        ({"LastName": "R"}, [False, True]),
        (None, [True, True]),
    ):
        assert u.render_report([{"FirstName": "a"}, {}], User=user).defaulted == expected, user


def test_render_report_refuses_what_render_many_refuses(core: str) -> None:
    t = mergefield.compile("@{Lead:Score}", mode="strict")
    with pytest.raises(mergefield.RenderError) as info:
        t.render_report([{"Score": "1"}, {}])
    assert info.value.row == 1
    with pytest.raises(TypeError, match="render_report"):
        t.render_report([], Usr={})
