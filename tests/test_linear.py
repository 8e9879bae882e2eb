"""Scanning, compiling and checking take linear time on every input, hostile ones above all.

Issue 12 item 2: a lax scan reread the rest of the template for every malformed ``@{a:b,``
opener, and `check()` found each error's line from the start, so one template of a user could
stall a service for minutes.  Each test compares the time of an input with that of one four
times larger (`tests.scaling`): quadratic work takes 16 times as long, the limit is 8.  The
pure core is also held to an exact count of the lines it runs.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

# Extras this module needs: without them it is skipped, not a collection error.
pytest.importorskip("lark")

import mergefield
from mergefield import _fast_py, check, cli, reference
from mergefield.errors import LineIndex, TemplateSyntaxError, line_and_column
from mergefield.syntax import scan

from .conftest import CORES
from .scaling import assert_linear, line_steps, repeat

# Every kind of malformed opener, and the inputs that made a scanner or a check reread text:
# a default that runs to a far line break, errors that share one end after a long blank run,
# openers whose candidate text runs to one far `}`, long blank runs inside openers.
HOSTILE: dict[str, Callable[[int], str]] = {
    "comma": lambda n: repeat("@{a:b,", n),
    "field": lambda n: repeat("@{a:b", n),
    "open": lambda n: repeat("@{", n),
    "open-blank": lambda n: repeat("@{ ", n),
    "resource": lambda n: repeat("@{a", n),
    "colon": lambda n: repeat("@{a:", n),
    "token": lambda n: repeat("@{a:b,}", n),
    "comma-line": lambda n: repeat("@{a:b,x\n", n),
    "comma-cr": lambda n: repeat("@{a:b,\r", n),
    "comma-then-blanks": lambda n: repeat("@{a:b,", n // 2) + " " * (n // 2),
    "comma-then-crs": lambda n: repeat("@{a:b,", n // 2) + "\r" * (n // 2),
    "opens-then-brace": lambda n: repeat("@{", n - 1) + "}",
    "comma-then-brace": lambda n: repeat("@{a:b,", n - 1) + "}",
    "blank-runs": lambda n: repeat("@{" + " " * 40 + "a" + " " * 40 + ":" + " " * 40 + "\t", n),
    "blank-fields": lambda n: repeat("@{a:" + " " * 100, n),
}
WORST = ["comma", "open", "opens-then-brace"]


def core_scanners() -> dict[str, Callable[[str, bool], object]]:
    found: dict[str, Callable[[str, bool], object]] = {"python": _fast_py.scan}
    if CORES["cython"] is not None:
        found["cython"] = CORES["cython"].scan
    return found


CORE_SCANNERS = core_scanners()


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(HOSTILE))
@pytest.mark.parametrize("name", sorted(CORE_SCANNERS))
def test_core_scan_is_linear(name: str, shape: str) -> None:
    scanner = CORE_SCANNERS[name]
    # Large enough that one call outlasts the noise of a busy machine (0.5 ms was not).
    size = 80_000 if name == "cython" else 5_000
    assert_linear(lambda s: scanner(s, False), HOSTILE[shape], size)


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_pure_core_scan_runs_linear_steps(shape: str) -> None:
    # Exact and immune to a busy machine: four times the input runs under five times the lines
    # (the old scan ran 14 times as many on "comma").
    small = line_steps(_fast_py.scan, HOSTILE[shape](600), False)
    big = line_steps(_fast_py.scan, HOSTILE[shape](2400), False)
    assert big < 5 * small, (small, big)


@pytest.mark.slow
@pytest.mark.parametrize("shape", WORST)
def test_reference_scan_is_linear(shape: str) -> None:
    # Lark is slow: only "comma" needs this size to show the old quadratic time.
    size = 10_000 if shape == "comma" else 4_000
    assert_linear(lambda s: reference.scan(s, False), HOSTILE[shape], size, runs=2)


@pytest.mark.slow
def test_strict_scan_stops_at_the_first_error() -> None:
    for scanner in CORE_SCANNERS.values():
        assert_linear(lambda s, scan=scanner: scan(s, True), HOSTILE["comma"], 100_000)


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_check_is_linear(shape: str) -> None:
    assert_linear(check, HOSTILE[shape], 10_000, runs=3)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["text", "url", "html"])
@pytest.mark.parametrize("shape", WORST)
def test_compile_is_linear(core: str, shape: str, kind: str) -> None:
    # The compiled core needs 80,000 characters as its scan test does: at 20,000 the small input's
    # objects fit in memory a long test session had already freed while the large one's did not,
    # and Python 3.10 took 10 to 13 times as long for 4 times the input in CI.
    size = 80_000 if core == "cython" else 20_000
    assert_linear(lambda s: mergefield.compile(s, kind=kind), HOSTILE[shape], size)


def cli_check(path: Path, *options: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert cli.main(["check", *options, str(path)]) == 1
    assert "syntax-error" in out.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("options", [(), ("--verbose",), ("--format", "json")])
@pytest.mark.parametrize("shape", ["comma", "open", "comma-then-crs"])
def test_cli_check_is_linear(tmp_path: Path, shape: str, options: tuple[str, ...]) -> None:
    def write(size: int) -> Path:
        path = tmp_path / f"{size}.txt"
        path.write_text(HOSTILE[shape](size), encoding="utf-8", newline="")
        return path

    assert_linear(lambda path: cli_check(path, *options), write, 5_000, runs=3)


def test_check_places_every_error_of_many_openers() -> None:
    # 10 MB of `@{` did not finish in 100 s: here 100,000 errors, each placed.
    source = "@{" * 100_000
    found = check(source)
    assert len(found) == 100_000
    assert (found[-1].line, found[-1].column) == (1, len(source) - 1)


# --- the line index gives what line_and_column gives --------------------------------------------


@pytest.mark.parametrize(
    "source",
    ["", "a", "\n", "@{\n@{", "ab\ncd\n\nef", "\r\n\r\n", "x\r\r\n\ny", "é\n😀\n"],
)
def test_line_index_places_every_offset_like_line_and_column(source: str) -> None:
    lines = LineIndex(source)
    for offset in range(len(source) + 1):
        assert lines.place(offset) == line_and_column(source, offset)
        line, column = lines.place(offset)
        assert lines.offset(line, column) == offset


def test_errors_with_a_line_index_read_like_errors_without() -> None:
    long_line = "x" * 200
    source = f"a @{{Lead\n{long_line}@{{ :b,\t\r\r\n@{{L:f ,\n@{{\r\n{long_line}@{{Lead:X  \r"
    _, raw_errors = _fast_py.scan(source, False)
    assert len(raw_errors) == 5
    lines = LineIndex(source)
    for _code, at, fail in raw_errors:
        plain = TemplateSyntaxError("m", source, at, fail, code="syntax-error")
        indexed = TemplateSyntaxError("m", source, at, fail, code="syntax-error", lines=lines)
        assert (indexed.line, indexed.column, indexed.end) == (plain.line, plain.column, plain.end)
        assert str(indexed) == str(plain)
    _, errors = scan(source)
    assert [str(e) for e in errors] == [
        str(TemplateSyntaxError(e.message, source, e.offset, e.end, code=e.code)) for e in errors
    ]


def test_a_line_index_of_another_source_is_refused() -> None:
    with pytest.raises(ValueError, match="another source"):
        TemplateSyntaxError("m", "@{", 0, 2, lines=LineIndex("@{x"))


def test_check_never_counts_lines_from_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # Exact where timing is not: below a megabyte the C loop of `line_and_column` hides under
    # the cost of each error, and 10 MB took minutes.  Every error of one source shares its
    # line index instead.
    def from_the_start(source: str, offset: int) -> tuple[int, int]:
        raise AssertionError("line_and_column scans the source from its start")

    monkeypatch.setattr("mergefield.errors.line_and_column", from_the_start)
    total = 0
    for shape in sorted(HOSTILE):
        source = HOSTILE[shape](2_000)
        errors = len(_fast_py.scan(source, False)[1])
        assert len(scan(source)[1]) == errors
        assert sum(d.code == "syntax-error" for d in check(source)) == errors
        total += errors
    assert total > 5_000
