"""Bulk APIs: rows, columns and straight-to-file give what `render` gives, on both cores.

Also the compiled core's leak test: rendering many times must not grow object counts or memory.
"""

from __future__ import annotations

import gc
import io
import pickle
import string
import sys
import tracemalloc
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mergefield
from mergefield import PreEncoded, _fast_py, encoding
from mergefield._contract import Step

from .conftest import CORES

FIELDS = ["FirstName", "Mobile", "Score Lead", "CreatedOn", "mx_City", "Notes"]
KEYS = ["FirstName", "Mobile", "Score", "CreatedOn", "mx_City", "Notes"]
token = st.builds(
    lambda res, field, default: f"@{{{res}:{field}{'' if default is None else ',' + default}}}",
    st.sampled_from(["Lead", "Lead", "User"]),
    st.sampled_from([*FIELDS, "FullName"]),
    st.one_of(st.none(), st.text(alphabet=string.ascii_letters + " é", max_size=3)),
)
literal = st.text(alphabet=st.sampled_from(list("ab/?&=#:. \né")), max_size=5)
templates = st.lists(st.one_of(token, literal), min_size=1, max_size=6).map("".join)
value = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=12),
    st.integers(),
    st.floats(allow_nan=True),
    st.datetimes(),
    st.builds(PreEncoded, st.text(max_size=4)),
)
# Up to 12 leads: the compiled core prefetches columnar values 8 rows ahead, and that path
# must be exercised too.
leads = st.lists(st.fixed_dictionaries({}, optional={k: value for k in KEYS}), max_size=12)
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def canonical(text: str) -> bool:
    """Whether ``text`` is stored in its narrowest form, as CPython requires of every str: the
    compiled core builds strs itself, and an ASCII text flagged Latin-1 compares equal but is
    broken (``isascii`` is wrong, hashing and interning may differ)."""
    # Sizes are compared on fresh strs: a str may carry a cached UTF-8 copy that getsizeof counts
    # (CPython 3.10 shares 1-char strs, so one cached anywhere showed here). Concatenation keeps
    # the storage width and flags of ``text``, so a wrongly stored text stays visible.
    probe = text + "\0"
    copy = probe.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")
    return sys.getsizeof(probe) == sys.getsizeof(copy) and text.isascii() == copy.isascii()


def columns_of(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    # A columnar source has every column, so the row count is known even for empty rows.
    return {k: [row.get(k) for row in rows] for k in KEYS}


@SETTINGS
@given(
    source=templates,
    kind=st.sampled_from(["url", "form", "html", "text"]),
    rows=leads,
    user=st.fixed_dictionaries({}, optional={"FirstName": value, "LastName": value}),
)
def test_bulk_apis_equal_render(
    core: str, source: str, kind: str, rows: list[dict[str, Any]], user: dict[str, Any]
) -> None:
    try:
        template = mergefield.compile(source, kind=kind)
    except mergefield.TemplateCompileError:
        return
    single = [template.render(Lead=row, User=user) for row in rows]
    many = template.render_many(rows, User=user)
    assert many == single
    assert all(canonical(line) for line in many)
    assert list(template.iter_render(iter(rows), User=user)) == single
    # Absent keys and None are both missing, so columns (which hold None for absent) agree.
    assert template.render_columns(columns_of(rows), User=user) == single
    out = io.BytesIO()
    assert template.write_many(rows, out, User=user, separator=b"\x00") == len(rows)
    # Outside JSON, lone surrogates became U+FFFD, so every line encodes as UTF-8.
    assert out.getvalue() == b"".join(line.encode("utf-8") + b"\x00" for line in single)
    columnar = io.BytesIO()
    template.write_columns(columns_of(rows), columnar, User=user, separator=b"\x00")
    assert columnar.getvalue() == out.getvalue()


def test_columns_accept_tuples_and_reject_ragged(core: str) -> None:
    template = mergefield.compile("@{Lead:FirstName,x}-@{Lead:Mobile,}")
    columns = {"FirstName": ("a", None), "Mobile": [1, 2.5]}
    assert template.render_columns(columns) == ["a-1", "x-2.5"]
    assert template.render_columns({}) == []
    with pytest.raises(ValueError, match="equal lengths"):
        template.render_columns({"FirstName": ["a"], "Mobile": [1, 2]})


def test_write_many_streams_in_blocks(core: str) -> None:
    template = mergefield.compile("https://x/?n=@{Lead:FirstName,}", kind="url")
    writes: list[int] = []

    class Sink:
        def write(self, data: bytes) -> int:
            writes.append(len(data))
            return len(data)

    leads = ({"FirstName": f"n{i}"} for i in range(20000))
    count = template.write_many(leads, Sink())  # type: ignore[arg-type]
    assert count == 20000
    assert len(writes) > 3 and max(writes) < 2 * 65536 + 100


def test_render_errors_stop_bulk_work_with_the_field_named(core: str) -> None:
    template = mergefield.compile("@{Lead:Mobile}", mode="strict")
    with pytest.raises(mergefield.RenderError, match="Lead:Mobile"):
        template.write_many([{"Mobile": "1"}, {}], io.BytesIO())


def test_lone_surrogate_in_literal_text_fails_alike_when_written(core: str) -> None:
    template = mergefield.compile("a\ud800@{Lead:X,}")
    with pytest.raises(UnicodeEncodeError):
        template.write_many([{"X": "1"}], io.BytesIO())


@pytest.mark.slow
def test_no_leak_in_the_core(core: str) -> None:
    template = mergefield.compile(
        '{"to": "@{Lead:Mobile,}", "n": "@{Lead:FirstName,F}", "s": @{Lead:Score Lead,0}, '
        '"u": "https://x/?q=@{Lead:Notes,}", "c": "@{Lead:CreatedOn,}"}',
        kind="json",
    )
    rows = [
        {
            "Mobile": "+91",
            "FirstName": "Zoë",
            "Score": 5,
            "Notes": "a&b",
            "CreatedOn": "2024-01-01",
        },
        {"Mobile": None, "FirstName": "a\ud800", "Score": "x"},
    ]
    columns = columns_of(rows)

    def work() -> None:
        for _ in range(2000):
            template.render_many(rows)
            template.render_columns(columns)
            template.write_many(rows, io.BytesIO())

    work()  # warm caches (dateutil, regexes) before measuring
    gc.collect()
    objects_before = len(gc.get_objects())
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(10):
        work()  # 100,000 renders in all across the three APIs
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(gc.get_objects()) - objects_before < 100
    assert after - before < 64 * 1024
    assert sys.getrefcount(template) < 10


@pytest.mark.slow
@pytest.mark.skipif(CORES["cython"] is None, reason="the compiled core is not part of this run")
@settings(max_examples=2000, deadline=None)
@given(
    step=st.integers(min_value=0, max_value=6),
    value=st.one_of(
        st.text(alphabet=st.characters(exclude_categories=()), max_size=20),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 0, -1]),
    ),
)
def test_core_steps_agree_with_each_other_and_the_policy(step: int, value: str | int) -> None:
    compiled = CORES["cython"].encode_fast(step, value)
    assert compiled == _fast_py.encode_fast(step, value)
    if compiled is None:
        return
    if isinstance(value, int):
        digits = str(value)
        assert compiled == (f'"{digits}"' if step == Step.JSON_QUOTED else digits)
    else:
        assert compiled == encoding.apply_step(step, value, strict=True)


@pytest.mark.skipif(CORES["cython"] is None, reason="the compiled core is not part of this run")
@pytest.mark.parametrize("step", range(7))
def test_core_steps_agree_on_every_latin1_character_at_every_word_offset(step: int) -> None:
    # The compiled core copies plain text a word (8 bytes) at a time and spells the rest through
    # a table: put each 1-byte code point before, inside, across and after word boundaries.
    for code in range(256):
        char = chr(code)
        for value in (
            char,
            char * 9,
            "abcdefg" + char,
            "abcdefgh" + char + "ijklmno",
            "x" * 13 + char + "y" * 5 + char,
            char + "plain text, sixteen+" * 2,
        ):
            compiled = CORES["cython"].encode_fast(step, value)
            assert compiled == _fast_py.encode_fast(step, value), (step, code, value)
            assert compiled is None or canonical(compiled), (step, code, value)
            if compiled is not None:
                assert compiled == encoding.apply_step(step, value, strict=True), (step, code)


def test_file_output_survives_short_writes(core: str) -> None:
    template = mergefield.compile("https://x/?n=@{Lead:FirstName,}&m=@{Lead:Mobile,}", kind="url")
    leads = [{"FirstName": f"Zoë {i}", "Mobile": i} for i in range(5000)]

    class Trickle(io.RawIOBase):
        """A raw file that takes at most 997 bytes per call, as pipes and sockets may."""

        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, chunk: Any) -> int:
            taken = bytes(chunk[:997])
            self.data += taken
            return len(taken)

    raw = Trickle()
    assert template.write_many(leads, raw) == len(leads)  # type: ignore[arg-type]
    expected = "".join(line + "\n" for line in template.render_many(leads)).encode("utf-8")
    assert bytes(raw.data) == expected
    columnar = Trickle()
    columns = {"FirstName": [r["FirstName"] for r in leads], "Mobile": [r["Mobile"] for r in leads]}
    template.write_columns(columns, columnar)  # type: ignore[arg-type]
    assert bytes(columnar.data) == expected


def test_one_template_renders_from_many_threads_at_once(core: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    template = mergefield.compile(
        '{"u": "https://x/?q=@{Lead:Notes,}", "n": "@{Lead:FirstName,}", '
        '"s": @{Lead:Score Lead,0}}',
        kind="json",
    )
    batches = [
        [{"Notes": f"a&b {t} {i} é€😀", "FirstName": f'n{t}"{i}', "Score": i} for i in range(300)]
        for t in range(8)
    ]
    expected = [template.render_many(batch) for batch in batches]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            got = list(pool.map(template.render_many, batches))
            assert got == expected
            streamed = list(pool.map(lambda b: list(template.iter_render(b)), batches))
            assert streamed == expected


def test_core_refuses_literals_that_do_not_fit_the_slots(core: str) -> None:
    from mergefield import _core

    with pytest.raises(ValueError, match="n \\+ 1 literals"):
        _core.core.render_rows(["a"], ["k"], [0], [None], [{}], lambda i, v, r: "")


@pytest.mark.parametrize(
    ("keys", "missing", "message"),
    [
        (["k"], [None, None], "n missing-value texts"),
        (["k", "j"], [None], "n keys \\(or columns\\)"),
        ([], [None], "n keys \\(or columns\\)"),
    ],
)
def test_core_refuses_keys_and_missing_texts_that_do_not_fit_the_slots(
    core: str, keys: list[str], missing: list[str | None], message: str
) -> None:
    # Both cores check the plan before the first row: the compiled one would otherwise read
    # past the end of a list.
    from mergefield import _core

    c = _core.core
    out = io.BytesIO()
    with pytest.raises(ValueError, match=message):
        c.render_rows(["<", ">"], keys, [0], missing, [{"k": "v"}], lambda i, v, r: "")
    with pytest.raises(ValueError, match=message):
        c.write_rows(["<", ">"], keys, [0], missing, [{}], lambda i, v, r: "", out.write, b"")
    columns: list[list[object] | None] = [["v"] for _ in keys]
    with pytest.raises(ValueError, match=message):
        c.render_columns(["<", ">"], columns, [0], missing, 1, lambda i, v, r: "")
    with pytest.raises(ValueError, match=message):
        c.write_columns(["<", ">"], columns, [0], missing, 1, lambda i, v, r: "", out.write, b"")
    assert out.getvalue() == b""


def test_core_reads_columns_of_any_sequence_and_refuses_short_ones(core: str) -> None:
    # The compiled core reads rows without bounds checks: a short column must be refused before
    # the first row, not read past its end.
    from mergefield import _core

    c = _core.core
    lits, steps, missing = ["<", "|", ">"], [0, 0], [None, None]
    words = [f"w{n}" for n in range(20)]
    out = c.render_columns(lits, [words, tuple(words)], steps, missing, 20, lambda i, v, r: "?")
    assert out == [f"<{w}|{w}>" for w in words]
    sink = io.BytesIO()
    with pytest.raises(ValueError, match="column 1 has 15 values for 20 rows"):
        c.render_columns(lits, [words, words[:15]], steps, missing, 20, lambda i, v, r: "?")
    with pytest.raises(ValueError, match="column 0 has 0 values for 20 rows"):
        c.write_columns(lits, [[], None], steps, missing, 20, lambda i, v, r: "?", sink.write, b"")
    assert sink.getvalue() == b""


# --- issue 12: columns by position, what a column is, stuck files, which lead failed ----------

FULL_NAME = mergefield.FieldSpec(
    resource="Lead",
    name="FullName",
    label="Full name",
    type=mergefield.ValueType.STRING,
    derived_from=("FirstName", "LastName"),
)


@pytest.mark.parametrize("index", [[2, 1, 0], [10, 11, 12], ["c", "a", "b"]])
def test_derived_fields_read_series_by_position_not_label(core: str, index: list[Any]) -> None:
    pd = pytest.importorskip("pandas")
    catalog = mergefield.DEFAULT_CATALOG.with_fields(FULL_NAME)
    template = mergefield.compile("@{Lead:FullName,}/@{Lead:FirstName,}", catalog=catalog)
    first = ["Ann", "Bo", None]
    last = ["Lee", None, "Cruz"]
    leads = [{"FirstName": f, "LastName": n} for f, n in zip(first, last, strict=True)]
    expected = template.render_many(leads)
    assert expected == ["Ann Lee/Ann", "Bo/Bo", "Cruz/"]
    columns = {
        "FirstName": pd.Series(first, index=index, dtype=object),
        "LastName": pd.Series(last, index=index, dtype=object),
    }
    assert template.render_columns(columns) == expected
    sink = io.BytesIO()
    assert template.write_columns(columns, sink) == 3
    assert sink.getvalue() == "".join(f"{line}\n" for line in expected).encode()


def test_columns_of_any_sequence_of_values_render_alike(core: str) -> None:
    import array

    np = pytest.importorskip("numpy")
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    template = mergefield.compile("@{Lead:Score Lead,}")
    expected = ["1", "2", "3"]
    for column in (
        [1, 2, 3],
        (1, 2, 3),
        range(1, 4),
        array.array("q", [1, 2, 3]),
        np.array([1, 2, 3]),
        pd.Series([1, 2, 3], index=[7, 8, 9]),
        pa.array([1, 2, 3]),
        pa.chunked_array([[1], [2, 3]]),
    ):
        assert template.render_columns({"Score": column}) == expected, type(column)


@pytest.mark.parametrize(
    ("column", "kind"),
    [("abc", "str"), (b"abc", "bytes"), ({0: "a"}, "dict"), (5, "int"), (None, "NoneType")],
)
def test_a_column_that_is_not_a_sequence_of_values_is_a_type_error(
    core: str, column: object, kind: str
) -> None:
    np = pytest.importorskip("numpy")
    template = mergefield.compile("@{Lead:FirstName,}")
    message = f"column 'FirstName' is a {kind}, not a sequence of values"
    with pytest.raises(TypeError, match=message):
        template.render_columns({"FirstName": column})
    with pytest.raises(TypeError, match=message):
        template.write_columns({"FirstName": column}, io.BytesIO())
    with pytest.raises(TypeError, match="column 'FirstName' is a ndarray"):
        template.render_columns({"FirstName": np.array(5)})  # 0-d: one value, not a column
    with pytest.raises(TypeError, match="columns must be a mapping"):
        template.render_columns([["a"]])  # type: ignore[arg-type]


class StuckFile:
    """A file whose write takes nothing; bounded, so the old endless loop fails the test."""

    name = "stuck.txt"

    def __init__(self, result: int) -> None:
        self.result = result
        self.calls = 0

    def write(self, data: bytes) -> int:
        self.calls += 1
        if self.calls > 1000:
            raise AssertionError("write() called again and again")
        return self.result


@pytest.mark.parametrize("result", [0, -1])
def test_a_file_that_takes_nothing_is_an_os_error_naming_it(core: str, result: int) -> None:
    template = mergefield.compile("@{Lead:FirstName,}")
    for call in (
        lambda f: template.write_many([{"FirstName": "a"}], f),
        lambda f: template.write_columns({"FirstName": ["a"]}, f),
    ):
        stuck = StuckFile(result)
        with pytest.raises(OSError, match=f"stuck.txt: write\\(\\) returned {result} for 2 bytes"):
            call(stuck)
        assert stuck.calls == 1


STRICT = "@{Lead:FirstName,}:@{Lead:Mobile}"
LEADS = [{"FirstName": f"n{i}", "Mobile": str(i)} for i in range(3000)]
FAILING = 2500


def _failing_leads() -> list[dict[str, Any]]:
    leads = [dict(lead) for lead in LEADS]
    del leads[FAILING]["Mobile"]
    return leads


def _columns(leads: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {k: [lead.get(k) for lead in leads] for k in ("FirstName", "Mobile")}


def test_bulk_render_errors_name_the_failing_lead(core: str) -> None:
    template = mergefield.compile(STRICT, mode="strict")
    leads = _failing_leads()
    for call in (
        lambda: template.render_many(leads),
        lambda: list(template.iter_render(leads)),  # chunks of 512: the row counts them all
        lambda: list(template.iter_render(iter(leads))),
        lambda: template.render_columns(_columns(leads)),
    ):
        with pytest.raises(mergefield.RenderError) as caught:
            call()
        error = caught.value
        assert (error.row, error.written, error.field) == (FAILING, None, "Mobile")
        assert str(error).startswith(f"lead {FAILING}: Lead:Mobile (at offset 19)")
        copy = pickle.loads(pickle.dumps(error))
        assert (copy.row, copy.written, str(copy)) == (error.row, error.written, str(error))
    with pytest.raises(mergefield.RenderError) as caught:
        template.render(Lead={"FirstName": "a"})
    assert caught.value.row is None and str(caught.value).startswith("Lead:Mobile")


def test_file_writers_leave_every_line_before_the_failing_lead(core: str, tmp_path: Any) -> None:
    template = mergefield.compile(STRICT, mode="strict")
    leads = _failing_leads()
    expected = "".join(f"{line}\n" for line in template.render_many(leads[:FAILING])).encode()
    for name, call in (
        ("write_many", lambda f: template.write_many(leads, f)),
        ("write_many_iter", lambda f: template.write_many(iter(leads), f)),
        ("write_columns", lambda f: template.write_columns(_columns(leads), f)),
    ):
        path = tmp_path / f"{name}.txt"
        with open(path, "wb") as f, pytest.raises(mergefield.RenderError) as caught:
            call(f)
        error = caught.value
        assert (error.row, error.written) == (FAILING, FAILING), name
        assert str(error).startswith(f"lead {FAILING}, {FAILING} lines written: Lead:Mobile")
        assert path.read_bytes() == expected, name
        copy = pickle.loads(pickle.dumps(error))
        assert (copy.row, copy.written) == (FAILING, FAILING)


def test_other_errors_in_a_lead_carry_its_number_too(core: str) -> None:
    template = mergefield.compile("@{Lead:FirstName,}")

    class Broken:
        def __str__(self) -> str:
            raise ZeroDivisionError("no name")

    leads: list[Any] = [{"FirstName": "a"}, {"FirstName": "b"}, {"FirstName": Broken()}]
    with pytest.raises(ZeroDivisionError) as caught:
        template.render_many(leads)
    assert (caught.value.row, caught.value.written) == (2, None)  # type: ignore[attr-defined]
    if sys.version_info >= (3, 11):
        assert caught.value.__notes__ == ["lead 2"]
    sink = io.BytesIO()
    with pytest.raises(TypeError, match="lead 1 is a int, not a mapping") as type_error:
        template.write_many([{"FirstName": "a"}, 5], sink)
    assert (type_error.value.row, type_error.value.written) == (1, 1)  # type: ignore[attr-defined]
    assert sink.getvalue() == b"a\n"


def test_a_file_that_fails_says_how_many_lines_it_took(core: str) -> None:
    template = mergefield.compile("@{Lead:FirstName,}")

    class Full:
        """Takes two blocks, then fails as a full disk does."""

        def __init__(self) -> None:
            self.lines = 0

        def write(self, data: bytes) -> int:
            if self.lines >= 2 * 10_000:
                raise OSError(28, "No space left on device")
            self.lines += bytes(data).count(b"\n")
            return len(data)

    leads = [{"FirstName": "x" * 20} for _ in range(100_000)]
    full = Full()
    with pytest.raises(OSError, match="No space left") as caught:
        template.write_many(leads, full)  # type: ignore[arg-type]
    assert caught.value.written == full.lines > 0  # type: ignore[attr-defined]
    assert caught.value.row == full.lines  # type: ignore[attr-defined]
