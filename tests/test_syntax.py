"""Syntax: the Lark reference, the compiled core and the pure core agree on every input.

Golden cases pin the rules of SPEC section 1; hypothesis differential tests compare the three
scanners on arbitrary text and on text built from token fragments; exact error texts are pinned.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Extras this module needs: without them it is skipped, not a collection error.
pytest.importorskip("lark")

import mergefield
from mergefield import _fast_py, reference
from mergefield.errors import TemplateSyntaxError
from mergefield.syntax import scan, tokenize

from .conftest import CORES
from .scaling import line_steps, repeat

GOLDEN = json.loads((Path(__file__).parent / "golden" / "syntax.json").read_text(encoding="utf-8"))

ScanFn = Callable[[str, bool], Any]


def lark_in_small_pieces(source: str, strict: bool) -> Any:
    """The reference with a piece cut before every opener it may cut before."""
    least = reference.LEAST_PIECE
    reference.LEAST_PIECE = 0
    try:
        return reference.scan(source, strict)
    finally:
        reference.LEAST_PIECE = least


def scanners() -> dict[str, ScanFn]:
    found: dict[str, ScanFn] = {
        "lark": reference.scan,
        "lark-pieces": lark_in_small_pieces,
        "python": _fast_py.scan,
    }
    if CORES["cython"] is not None:
        found["cython"] = CORES["cython"].scan
    return found


SCANNERS = scanners()


@pytest.mark.parametrize("name", sorted(SCANNERS))
@pytest.mark.parametrize("case", GOLDEN, ids=[f"{c['note']}-{c['mode']}" for c in GOLDEN])
def test_golden(case: dict[str, Any], name: str) -> None:
    scanner = SCANNERS[name]
    strict = case["mode"] == "strict"
    if "error" in case:
        with pytest.raises(TemplateSyntaxError) as info:
            tokenize(case["template"], strict=strict, scanner=scanner)
        err = info.value
        got = {"offset": err.offset, "line": err.line, "column": err.column, "message": err.message}
        assert got == case["error"]
        return
    tokens = tokenize(case["template"], strict=strict, scanner=scanner)
    assert [t.__dict__ for t in tokens] == case["tokens"]
    if not strict:
        _, errors = scan(case["template"], scanner=scanner)
        got_errors = [
            {"offset": e.offset, "line": e.line, "column": e.column, "message": e.message}
            for e in errors
        ]
        assert got_errors == case["lax_errors"]


def test_golden_covers_both_modes_and_errors() -> None:
    assert {c["mode"] for c in GOLDEN} == {"lax", "strict"}
    assert sum("error" in c for c in GOLDEN) >= 15
    assert len(GOLDEN) >= 60


FRAGMENTS = [
    "@",
    "{",
    "}",
    ":",
    ",",
    " ",
    "\t",
    "\n",
    "\r",
    "@{",
    "@{Lead:",
    "Lead",
    "User",
    "Source Lead",
    "a",
    "Z",
    "_",
    "9",
    "é",
    "ß",
    "😀",
    "\ud800",
    "\udfff",
    "\x00",
    "x,y",
    "}}",
    "{{",
    "@@",
]
fragment_text = st.lists(st.sampled_from(FRAGMENTS), max_size=24).map("".join)
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=80)


def assert_all_agree(source: str) -> None:
    # The grammar read over the whole source at once is the judge; the reference's linear
    # reading (`reference.scan`) and both cores must give what it gives.
    for strict in (False, True):
        expected = reference.scan_whole(source, strict)
        for name, fn in SCANNERS.items():
            assert fn(source, strict) == expected, (name, strict, source)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragment_text)
def test_scanners_agree_on_fragments(source: str) -> None:
    assert_all_agree(source)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_scanners_agree_on_any_text(source: str) -> None:
    assert_all_agree(source)


# Units whose repetition made a scanner reread text (issue 12): malformed openers, a comma whose
# default runs on, and what ends a default.
HOSTILE_FRAGMENTS = ["@{a:b,", "@{a:b", "@{ ", "@{a", "@{a:", "@{a:b,}", "@{a: ", ",", " " * 20]
unit_text = st.lists(st.sampled_from(FRAGMENTS + HOSTILE_FRAGMENTS), min_size=1, max_size=6).map(
    "".join
)
tail_text = st.sampled_from(["", "}", "\n", "\r", " " * 200, "@{a:b,}"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=unit_text, tail=tail_text)
def test_scanners_agree_and_stay_linear_on_long_inputs(unit: str, tail: str) -> None:
    # Long enough to show super-linear time: four times the input must not run more than about
    # four times the pure core's lines (the old scan ran 14 times as many on "@{a:b," * n), and
    # the three scanners still agree (the reference's pieces are cut at this size).
    small, big = repeat(unit, 400, tail), repeat(unit, 1600, tail)
    steps_small = line_steps(_fast_py.scan, small, False)
    steps_big = line_steps(_fast_py.scan, big, False)
    assert steps_big <= 5 * steps_small + 100, (steps_small, steps_big)
    assert_all_agree(big)


@settings(max_examples=500, deadline=None)
@given(fragment_text)
def test_tokens_are_ordered_spans_that_reparse_alone(source: str) -> None:
    tokens, errors = scan(source)
    previous_end = 0
    for token in tokens:
        assert previous_end <= token.start < token.end
        text = source[token.start : token.end]
        assert text.startswith("@{") and text.endswith("}")
        assert tokenize(text, strict=True) == [
            type(token)(token.resource, token.field, token.default, 0, len(text))
        ]
        assert token.field == token.field.strip(" \t") != ""
        previous_end = token.end
    for err in errors:
        assert source.startswith("@{", err.offset)
        str(err)  # the caret block renders for every error


def test_strict_error_points_at_first_malformed_token_and_stops(core: str) -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        tokenize("ok @{Lead:X,} @{Lead:a@{Lead:b,}", strict=True)
    assert (info.value.offset, info.value.line, info.value.column) == (14, 1, 15)
    assert tokenize("@{Lead:a@{Lead:b,}") == tokenize("@{Lead:a@{Lead:b,}", strict=False)
    assert [t.field for t in tokenize("@{Lead:a@{Lead:b,}")] == ["b"]


def test_error_str_shows_line_and_caret() -> None:
    source = 'line one\n  "x": @{Lead:Email\nthree'
    with pytest.raises(TemplateSyntaxError) as info:
        tokenize(source, strict=True)
    assert str(info.value) == (
        "line 2, column 8: expected `}` to close `@{Lead:Email`, found a line break\n"
        '    "x": @{Lead:Email\n'
        "         ^~~~~~~~~~~~"
    )


def test_error_caret_keeps_tabs_and_windows_long_lines() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        tokenize("\t\t@{Lead}", strict=True)
    assert str(info.value).splitlines()[1:] == ["  \t\t@{Lead}", "  \t\t^~~~~~"]
    long_source = "x" * 500 + "@{}" + "y" * 500
    with pytest.raises(TemplateSyntaxError) as info:
        tokenize(long_source, strict=True)
    _, line, caret = str(info.value).splitlines()
    assert len(line) < 100
    assert line[caret.index("^") : caret.index("^") + 3] == "@{}"
    assert line.lstrip().startswith("…") and line.endswith("…")


def test_error_pickles() -> None:
    import pickle

    with pytest.raises(TemplateSyntaxError) as info:
        tokenize("@{Lead", strict=True)
    clone = pickle.loads(pickle.dumps(info.value))
    assert (clone.offset, clone.line, clone.column, str(clone)) == (
        info.value.offset,
        info.value.line,
        info.value.column,
        str(info.value),
    )


def test_grammar_is_package_data() -> None:
    text = resources.files("mergefield").joinpath("grammar.lark").read_text(encoding="utf-8")
    assert "MALFORMED_OPEN" in text
    assert reference.parser().parse("@{Lead:X,}", start="template").children


def test_grammar_names_every_terminal() -> None:
    names = {t.name for t in reference.parser().terminals}
    assert not [n for n in names if n.startswith("__ANON")]


def test_cython_core_is_active_when_required() -> None:
    # CI builds with MERGEFIELD_REQUIRE_EXTENSIONS=1: a silent fallback to pure Python must fail.
    if os.environ.get("MERGEFIELD_REQUIRE_EXTENSIONS") == "1":
        assert mergefield.IMPLEMENTATION == "cython"
    elif os.environ.get("MERGEFIELD_NO_EXTENSIONS") == "1":
        assert mergefield.IMPLEMENTATION == "python"
    else:
        assert mergefield.IMPLEMENTATION in ("cython", "python")
