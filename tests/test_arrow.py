"""The Arrow path: `render_arrow` and `write_arrow` give what `render_many` gives over the
``to_pylist()`` rows, on both cores, for random templates of every kind and random Arrow tables
of every column type (nulls, empty strings, non-ASCII and astral text, sliced arrays, chunked
columns, zero-row batches, dictionary arrays); the errors name the column; memory does not leak.
"""

from __future__ import annotations

import datetime as dt
import decimal
import gc
import io
import math
import os
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import mergefield
from mergefield import arrow
from mergefield.catalog import DEFAULT_CATALOG
from mergefield.strategies import templates
from mergefield.template import ROW_RESOURCE

from .conftest import REPO

pa = pytest.importorskip("pyarrow")

USER = {"FirstName": "Ü & <b>", "LastName": None}
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_TEXT = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8),
    st.sampled_from(["", " ", "&", "a b", "\u2028x", "\U0001f600", "é", '"\\', "%41", "\x00\n"]),
)
_INT_BOUNDS = {
    "int8": 7, "int16": 15, "int32": 31, "int64": 63,
    "uint8": 8, "uint16": 16, "uint32": 32, "uint64": 64,
}  # fmt: skip
_FLOATS64 = st.one_of(
    st.floats(),
    st.sampled_from([0.0, -0.0, 1.0, 0.5, 2.0**60, 1e23, 1e-7, 123.456, 1e16, 1e15, -2.5]),
)


_MOMENTS = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.timezone.utc)


def _utc_ms(moment: dt.datetime) -> dt.datetime:
    return _utc(moment.replace(microsecond=moment.microsecond // 1000 * 1000))


def _ints(name: str) -> st.SearchStrategy[int]:
    bits = _INT_BOUNDS[name]
    if name.startswith("u"):
        return st.integers(0, 2**bits - 1)
    return st.integers(-(2**bits), 2**bits - 1)


# Each column type: (pyarrow type, strategy of its non-null values).
COLUMN_TYPES: dict[str, tuple[Any, st.SearchStrategy[Any]]] = {
    "string": (pa.string(), _TEXT),
    "large_string": (pa.large_string(), _TEXT),
    "string_view": (pa.string_view(), _TEXT),
    "dictionary": (pa.dictionary(pa.int32(), pa.string()), _TEXT),
    "dictionary8": (pa.dictionary(pa.int8(), pa.large_string()), _TEXT),
    **{name: (getattr(pa, name)(), _ints(name)) for name in _INT_BOUNDS},
    "float64": (pa.float64(), _FLOATS64),
    "float32": (pa.float32(), st.floats(width=32)),
    "bool": (pa.bool_(), st.booleans()),
    "null": (pa.null(), st.none()),
    "date32": (pa.date32(), st.dates()),
    "timestamp": (
        pa.timestamp("us"),
        st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    ),
    "timestamp_tz": (
        pa.timestamp("ms", tz="+05:30"),
        st.datetimes(
            min_value=dt.datetime(1900, 1, 1),
            max_value=dt.datetime(2200, 1, 1),
            timezones=st.just(dt.timezone.utc),
        ).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)),
    ),
    "decimal": (pa.decimal128(12, 3), st.decimals(places=3, min_value=-(10**8), max_value=10**8)),
    # Rendered in C too (dates, timestamps and decimals of every unit, zone and width):
    "date64": (pa.date64(), st.dates()),
    "timestamp_s": (pa.timestamp("s"), _MOMENTS.map(lambda d: d.replace(microsecond=0))),
    "timestamp_utc": (pa.timestamp("us", tz="UTC"), _MOMENTS.map(_utc)),
    "timestamp_ns": (pa.timestamp("ns", tz="-08:00"), _MOMENTS.map(_utc)),
    "timestamp_named": (pa.timestamp("ms", tz="Europe/Berlin"), _MOMENTS.map(_utc_ms)),
    "decimal_tiny": (pa.decimal128(38, 10), st.decimals(places=10, min_value=-1, max_value=1)),
    "decimal_int": (
        pa.decimal128(38, 0),
        st.decimals(places=0, min_value=-(10**37), max_value=10**37),
    ),
    "decimal256": (
        pa.decimal256(60, 5),
        st.decimals(places=5, min_value=-(10**50), max_value=10**50),
    ),
}
# What a template's Date fields render in: the default (UTC), fixed offsets, a zone with rules
# (the Python policy's), a format of its own (the Python policy's).
DATE_OPTIONS: list[dict[str, Any]] = [
    {},
    {"timezone": dt.timezone(dt.timedelta(hours=5, minutes=30))},
    {"timezone": dt.timezone(dt.timedelta(hours=-11))},
    {"timezone": ZoneInfo("America/New_York")},
    {"date_format": "%d/%m/%Y %H:%M"},
]


def _array(type_name: str, values: list[Any]) -> Any:
    arrow_type, _ = COLUMN_TYPES[type_name]
    if type_name.startswith("dictionary"):
        return pa.array(values, type=arrow_type.value_type).dictionary_encode().cast(arrow_type)
    return pa.array(values, type=arrow_type)


@st.composite
def tables(draw: st.DrawFn, keys: list[str], kinds: Sequence[str] = ()) -> Any:
    """A table with a column of a random type (of ``kinds``, default all) per key (and a
    row-count column), built from random record batches (zero-row ones too) of arrays that may
    be slices of longer ones."""
    names = [*keys, "_n"]
    types = {key: draw(st.sampled_from(sorted(kinds or COLUMN_TYPES))) for key in keys}
    types["_n"] = "int64"
    nrows = draw(st.integers(0, 14))
    columns: dict[str, list[Any]] = {}
    for name in names:
        values = COLUMN_TYPES[types[name]][1]
        columns[name] = draw(st.lists(st.one_of(st.none(), values), min_size=nrows, max_size=nrows))
    cuts = sorted(draw(st.lists(st.integers(0, nrows), max_size=3)))
    batches = []
    for start, stop in zip([0, *cuts], [*cuts, nrows], strict=True):
        arrays = []
        for name in names:
            pad = draw(st.integers(0, 2))
            # Pad both ends, then slice the pad off: the array has a non-zero offset.
            values = [None] * pad + columns[name][start:stop] + [None] * pad
            arrays.append(_array(types[name], values).slice(pad, stop - start))
        batches.append(pa.record_batch(arrays, names=names))
    schema = batches[0].schema
    return pa.Table.from_batches(batches, schema=schema)


def lead_keys(template: mergefield.Template) -> list[str]:
    keys = []
    for ref in template.fields:
        if ref.resource == ROW_RESOURCE:
            spec = DEFAULT_CATALOG.lookup(ref.resource, ref.field)
            key = spec.key if spec is not None else ref.field
            if key not in keys:
                keys.append(key)
    return keys


def outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        return ("ok", call())
    except mergefield.RenderError as exc:
        # The lead that failed, counted over the whole data, and what it says about it; the
        # lines a writer got before it differ (write_arrow writes whole chunks) and are checked
        # on their own.
        return ("error", type(exc), exc.message, exc.row)
    except UnicodeEncodeError as exc:
        return ("error", type(exc), "", None)


def expected_rows(template: mergefield.Template, table: Any) -> tuple[Any, ...]:
    result = outcome(lambda: template.render_many(table.to_pylist(), User=USER))
    if result[0] == "ok":
        # An Arrow string array holds UTF-8: a row a lone surrogate made unencodable cannot be.
        try:
            for row in result[1]:
                row.encode("utf-8")
        except UnicodeEncodeError:
            return ("error", UnicodeEncodeError, "", None)
    return result


def draw_case(data: st.DataObject) -> tuple[mergefield.Template, Any, int, int]:
    """A random template of any kind, mode and date options, a table of the columns it reads,
    and a chunk size and thread count for the Arrow path."""
    kind = data.draw(st.sampled_from(["url", "json", "form", "html", "text"]))
    mode = data.draw(st.sampled_from(["lax", "strict"]))
    source = data.draw(templates(kind=kind))
    options = data.draw(st.sampled_from(DATE_OPTIONS))
    try:
        template = mergefield.compile(source, kind=kind, mode=mode, **options)
    except mergefield.TemplateError:
        assume(False)
    table = data.draw(tables(lead_keys(template)))
    chunk = data.draw(st.sampled_from([2, 5, arrow.CHUNK]))
    threads = data.draw(st.sampled_from([1, 3]))
    return template, table, chunk, threads


@SETTINGS
@given(data=st.data())
def test_render_arrow_equals_render_many(core: str, data: st.DataObject) -> None:
    template, table, chunk, threads = draw_case(data)
    saved, arrow.CHUNK = arrow.CHUNK, chunk
    try:
        expected = expected_rows(template, table)
        got = outcome(lambda: template.render_arrow(table, threads=threads, User=USER).to_pylist())
        assert got == expected
        file = io.BytesIO()
        written = outcome(lambda: template.write_arrow(table, file, threads=threads, User=USER))
        if expected[0] == "ok":
            assert written == ("ok", len(expected[1]))
            assert file.getvalue() == b"".join(row.encode() + b"\n" for row in expected[1])
        else:
            assert written == expected
    finally:
        arrow.CHUNK = saved


# The column types the compiled core renders in C since dates, timestamps and decimals moved
# there, and a template per kind with a String, a Number and a Date field (twice in JSON: as a
# bare value and inside a string).
TEMPORAL = sorted(k for k in COLUMN_TYPES if k.startswith(("date", "timestamp", "decimal")))
TYPED_TEMPLATES = {
    "text": "@{Lead:FirstName,} | @{Lead:Score,} | @{Lead:CreatedOn,}",
    "html": "<p title='@{Lead:FirstName,}'>@{Lead:Score,} @{Lead:CreatedOn,}</p>",
    "url": "https://x.test/?a=@{Lead:FirstName,}&b=@{Lead:Score,}&c=@{Lead:CreatedOn,}",
    "form": "a=@{Lead:FirstName,}&b=@{Lead:Score,}&c=@{Lead:CreatedOn,}",
    "json": '{"a": @{Lead:FirstName,}, "b": @{Lead:Score,}, "c": @{Lead:CreatedOn,}, '
    '"d": "@{Lead:CreatedOn,} @{Lead:Score,}"}',
}


@SETTINGS
@given(data=st.data())
def test_dates_timestamps_and_decimals_equal_render_many(core: str, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(sorted(TYPED_TEMPLATES)))
    options = data.draw(st.sampled_from(DATE_OPTIONS))
    mode = data.draw(st.sampled_from(["lax", "strict"]))
    template = mergefield.compile(TYPED_TEMPLATES[kind], kind=kind, mode=mode, **options)
    table = data.draw(tables(["FirstName", "Score", "CreatedOn"], TEMPORAL))
    threads = data.draw(st.sampled_from([1, 2]))
    expected = expected_rows(template, table)
    got = outcome(lambda: template.render_arrow(table, threads=threads, User=USER).to_pylist())
    assert got == expected


@pytest.fixture
def policy_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """The values the Python value policy (`Slot.resolve`) was asked to render."""
    from mergefield.template import Slot

    calls: list[object] = []
    resolve = Slot.resolve

    def counted(slot: Slot, value: object) -> str:
        calls.append(value)
        return resolve(slot, value)

    monkeypatch.setattr(Slot, "resolve", counted)
    yield calls


@pytest.mark.parametrize("kind", sorted(TYPED_TEMPLATES))
@pytest.mark.parametrize(
    "zone", [dt.timezone.utc, dt.timezone(dt.timedelta(hours=-9, minutes=-30))]
)
def test_the_compiled_core_renders_dates_timestamps_and_decimals_in_c(
    core: str, kind: str, zone: dt.tzinfo, policy_calls: list[object]
) -> None:
    moments = [
        dt.datetime(2024, 2, 29, 23, 59, 58, 250000),
        dt.datetime(1, 1, 1, 12),
        dt.datetime(1969, 12, 31, 23, 59, 59, 999000),
        dt.datetime(9999, 12, 30),
    ]
    days = [dt.date(2024, 2, 29), dt.date(1, 1, 1), dt.date(999, 12, 31), dt.date(9999, 12, 31)]
    decimals = [decimal.Decimal(v) for v in ("1.50", "-0.01", "0.00", "-12345678901234567.89")]
    tiny = [decimal.Decimal(v) for v in ("1E-10", "0E-10", "-0.0000123456", "123.4567890123")]
    columns = {
        # A Date slot reads every date and timestamp, whatever its unit or zone.
        "CreatedOn": [
            pa.array(days, pa.date32()), pa.array(days, pa.date64()),
            *(pa.array(moments, pa.timestamp(unit)) for unit in ("s", "ms", "us")),
            pa.array(moments[:1] * 4, pa.timestamp("ns", tz="America/New_York")),
            pa.array([m.replace(tzinfo=dt.timezone.utc) for m in moments[:1] + moments[2:3]] * 2,
                     pa.timestamp("ms", tz="+05:45")),
        ],
        # A String slot reads dates, timestamps (but nanoseconds, named zones) and decimals.
        "FirstName": [
            pa.array(days, pa.date32()), pa.array(days, pa.date64()),
            pa.array([*moments[:3], None], pa.timestamp("ms")),
            pa.array(moments[:1] + moments[2:3], pa.timestamp("us", tz="UTC")),
            pa.array(moments[:1] + moments[2:3], pa.timestamp("s", tz="-03:00")),
            pa.array(decimals, pa.decimal128(30, 2)), pa.array(tiny, pa.decimal128(38, 10)),
            pa.array(decimals, pa.decimal256(60, 2)),
        ],
        # A Number slot reads decimals.
        "Score": [pa.array(decimals, pa.decimal128(20, 2)), pa.array(tiny, pa.decimal128(38, 10)),
                  pa.array(decimals, pa.decimal256(50, 2))],
    }  # fmt: skip
    template = mergefield.compile(TYPED_TEMPLATES[kind], kind=kind, timezone=zone)
    for key, arrays in columns.items():
        for array in arrays:
            other = {k: pa.nulls(len(array)) for k in columns if k != key}
            table = pa.table({key: array, **other})
            expected = template.render_many(table.to_pylist())
            policy_calls.clear()
            assert template.render_arrow(table).to_pylist() == expected, (key, array.type)
            if core == "cython":
                assert [v for v in policy_calls if v is not None] == [], (key, array.type)


def test_what_only_python_renders_still_goes_through_the_policy(
    core: str, policy_calls: list[object]
) -> None:
    template = mergefield.compile("@{Lead:FirstName,}|@{Lead:CreatedOn,}", date_format="%d.%m.%Y")
    named = pa.array([dt.datetime(2024, 7, 1, 12)], pa.timestamp("us", tz="Europe/Berlin"))
    nanos = pa.array([dt.datetime(2024, 7, 1, 12)], pa.timestamp("ns"))
    table = pa.table({"FirstName": named, "CreatedOn": nanos})
    expected = template.render_many(table.to_pylist())
    assert expected == ["2024-07-01 14:00:00+02:00|01.07.2024"]
    policy_calls.clear()
    assert template.render_arrow(table).to_pylist() == expected
    assert len(policy_calls) == 2  # a zone with rules; the template's own date format
    # A year that moves out of 1-9999 in the template's zone: Python's answer, on both cores.
    late = mergefield.compile("@{Lead:CreatedOn,}", timezone=dt.timezone(dt.timedelta(hours=5)))
    edge = pa.table({"CreatedOn": pa.array([dt.datetime(9999, 12, 31, 22)], pa.timestamp("s"))})
    assert late.render_arrow(edge).to_pylist() == late.render_many(edge.to_pylist())


def _decimal_floats() -> list[float]:
    """Floats read from decimals of 1 to 17 significant digits at scales 1e-12 to 1e16 (money,
    measurements), and the neighbours of the 15-digit bound where the short search stops."""
    values = []
    for digits in range(1, 18):
        for scale in range(-12, 17):
            mantissa = int("123456789" * 2) % 10**digits or 7
            mantissa = mantissa // 10 * 10 + 7  # no trailing zero: exactly ``digits`` digits
            value = float(f"{mantissa}e{scale - digits}")
            values += [value, -value, value * 3, 0.1 * digits, 1 / (digits + 2)]
    bound = [999999999999999.9, 99999999999999.99, 123456789012345.6, 1e15 + 0.5, 0.1 + 0.2]
    return values + bound + [-v for v in bound] + [1e-320, 5e-324, 2.2250738585072014e-308]


def test_floats_read_from_decimals_render_as_python_does(
    core: str, policy_calls: list[object]
) -> None:
    # The compiled core finds a float's shortest digits by scaling when they are 15 or fewer,
    # else by formatting; either way the text is Python's (repr for a String, positional for a
    # Number), in every kind, asking the value policy only for powers of two (whose shortest
    # digits need not be the correctly rounded ones).
    values = _decimal_floats()
    table = pa.table({"FirstName": pa.array(values), "Score": pa.array(values)})
    for kind, source in TYPED_TEMPLATES.items():
        template = mergefield.compile(source.replace("CreatedOn", "Score"), kind=kind)
        expected = template.render_many(table.to_pylist())
        policy_calls.clear()
        assert template.render_arrow(table).to_pylist() == expected, kind
        if core == "cython":
            asked = {v for v in policy_calls if v is not None}
            assert asked and all(abs(math.frexp(v)[0]) == 0.5 for v in asked), (kind, asked)


@pytest.mark.parametrize("threads", [1, 3])
def test_a_failed_lead_is_named_by_its_row_and_the_file_holds_whole_chunks(
    core: str, threads: int
) -> None:
    template = mergefield.compile("n=@{Lead:FirstName}", mode="strict")
    names: list[str | None] = [f"n{i}" for i in range(12)]
    names[7] = None
    table = pa.table({"FirstName": names})
    saved, arrow.CHUNK = arrow.CHUNK, 5
    try:
        with pytest.raises(mergefield.RenderError) as rendered:
            template.render_arrow(table, threads=threads)
        assert (rendered.value.row, rendered.value.written) == (7, None)
        assert str(rendered.value).startswith("lead 7: Lead:FirstName")
        file = io.BytesIO()
        with pytest.raises(mergefield.RenderError) as written:
            template.write_arrow(table, file, threads=threads)
        assert (written.value.row, written.value.written) == (7, 5)
        assert str(written.value).startswith("lead 7, 5 lines written: Lead:FirstName")
        assert file.getvalue() == b"".join(f"n=n{i}\n".encode() for i in range(5))
    finally:
        arrow.CHUNK = saved


def test_result_is_a_large_string_array(core: str) -> None:
    template = mergefield.compile("Hi @{Lead:FirstName,Friend}")
    result = template.render_arrow(pa.table({"FirstName": ["Ann", None, ""]}))
    assert isinstance(result, pa.Array)
    assert result.type == pa.large_string()
    assert result.to_pylist() == ["Hi Ann", "Hi Friend", "Hi Friend"]


def test_sources_of_every_shape(core: str) -> None:
    template = mergefield.compile("https://x.test/?n=@{Lead:FirstName,}", kind="url")
    table = pa.table({"FirstName": ["a b", "é", None, "c"]})
    expected = [
        "https://x.test/?n=a%20b", "https://x.test/?n=%C3%A9", "https://x.test/?n=", "https://x.test/?n=c"
    ]  # fmt: skip
    batches = table.to_batches(max_chunksize=3)
    assert len(batches) == 2
    for data in (table, batches[0], table.to_reader(), batches, iter(batches), []):
        want = expected if data is not batches[0] else expected[:3]
        if isinstance(data, list) and not data:
            want = []
        assert template.render_arrow(data).to_pylist() == want


def test_missing_column_is_named(core: str) -> None:
    template = mergefield.compile("@{Lead:FirstName,} @{Lead:Score Lead,0}")
    with pytest.raises(ValueError, match=r"Lead:Score Lead .*column 'Score'.*'FirstName'"):
        template.render_arrow(pa.table({"FirstName": ["a"]}))
    # A later batch that lacks the column is refused too, before any of it is written.
    good = pa.record_batch({"FirstName": ["a"], "Score": [1]})
    bad = pa.record_batch({"FirstName": ["b"]})
    file = io.BytesIO()
    with pytest.raises(ValueError, match="column 'Score'"):
        template.write_arrow([good, bad], file)
    assert file.getvalue() == b"a 1\n"


def test_unsupported_type_goes_through_the_value_policy(core: str) -> None:
    template = mergefield.compile("@{Lead:FirstName,} @{Lead:CreatedOn,}|@{Lead:Score Lead,}")
    table = pa.table(
        {
            "FirstName": pa.array([[1, 2], None], pa.list_(pa.int64())),
            "CreatedOn": pa.array([dt.datetime(2024, 1, 5, 10, 30), None]),
            "Score": pa.array([decimal.Decimal("1.50"), decimal.Decimal("-0.001")]),
        }
    )
    expected = template.render_many(table.to_pylist())
    assert expected == ["[1, 2] 2024-01-05 10:30:00|1.500", " |-0.001"]
    assert template.render_arrow(table).to_pylist() == expected


def invalid_utf8() -> Any:
    offsets = pa.py_buffer(bytes([0, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0]))
    return pa.Array.from_buffers(pa.string(), 2, [None, offsets, pa.py_buffer(b"okA\xffB")])


def test_invalid_utf8_strict_names_column_and_row(core: str) -> None:
    template = mergefield.compile("@{Lead:FirstName,}", mode="strict")
    with pytest.raises(mergefield.RenderError, match=r"column 'FirstName' row 1: invalid UTF-8"):
        template.render_arrow(pa.table({"FirstName": invalid_utf8()}))


def test_invalid_utf8_lax_is_replacement_character(core: str) -> None:
    template = mergefield.compile("[@{Lead:FirstName,}]")
    result = template.render_arrow(pa.table({"FirstName": invalid_utf8()}))
    assert result.to_pylist() == ["[ok]", "[A\ufffdB]"]


def test_failed_batch_leaves_only_whole_lines(core: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrow, "CHUNK", 4)
    template = mergefield.compile("<@{Lead:FirstName}>", mode="strict")
    names = ["a", "b", "c", "d", "e", "f", None, "h"]
    file = io.BytesIO()
    with pytest.raises(mergefield.RenderError, match="FirstName"):
        template.write_arrow(pa.table({"FirstName": names}), file)
    assert file.getvalue() == b"<a>\n<b>\n<c>\n<d>\n"


def test_threads_give_the_same_bytes(core: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrow, "CHUNK", 1000)
    template = mergefield.compile(
        '{"n": "@{Lead:FirstName,Friend}", "s": @{Lead:Score Lead,0}, "u": "https://x/@{Lead:mx_City,}"}',
        kind="json",
    )
    n = 10_000
    table = pa.table(
        {
            "FirstName": [None if i % 7 == 0 else f"n\u00e9 {i} \U0001f600" for i in range(n)],
            "Score": [i * 1.5 if i % 5 else None for i in range(n)],
            "mx_City": pa.array([f"c{i % 13}" for i in range(n)]).dictionary_encode(),
        }
    )
    outputs = []
    for threads in (1, 4):
        file = io.BytesIO()
        assert template.write_arrow(table, file, threads=threads) == n
        outputs.append(file.getvalue())
    assert outputs[0] == outputs[1]
    assert outputs[0] == b"".join(
        r.encode() + b"\n" for r in template.render_many(table.to_pylist())
    )
    assert (
        template.render_arrow(table, threads=4).to_pylist()
        == template.render_arrow(table, threads=1).to_pylist()
    )


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_threads_must_be_positive(core: str, threads: Any) -> None:
    template = mergefield.compile("x")
    with pytest.raises(ValueError, match="threads"):
        template.render_arrow(pa.table({"a": [1]}), threads=threads)


def test_not_arrow_data_is_a_type_error(core: str) -> None:
    template = mergefield.compile("x")
    with pytest.raises(TypeError, match="Arrow data"):
        template.render_arrow({"FirstName": ["a"]})
    with pytest.raises(TypeError, match="item 1"):
        template.render_arrow([pa.record_batch({"a": [1]}), {"a": 2}])


def test_repeated_calls_do_not_leak(core: str) -> None:
    template = mergefield.compile(
        "https://x.test/@{Lead:FirstName,}?s=@{Lead:Score Lead,}&d=@{Lead:CreatedOn,}", kind="url"
    )
    table = pa.table(
        {
            "FirstName": [f"n\u00e9{i}" for i in range(300)],
            "Score": list(range(300)),
            "CreatedOn": [dt.date(2024, 1, 1 + i % 28) for i in range(300)],
        }
    )

    def run() -> None:
        template.render_arrow(table)
        template.write_arrow(table, io.BytesIO())

    for _ in range(3):
        run()
    gc.collect()
    tracemalloc.start()
    try:
        run()
        gc.collect()
        first, _ = tracemalloc.get_traced_memory()
        for _ in range(20):
            run()
        gc.collect()
        last, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 20 more calls: keeping one call's Python objects (300 rows) would show as ~0.5 MB.
    assert last - first < 200_000


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_output_buffers_are_freed(core: str) -> None:
    """The compiled core's output lives in C buffers tracemalloc cannot see: RSS must not grow
    by the ~6 MB each call renders."""
    if core != "cython":
        pytest.skip("the pure core's output is Python objects, which the tracemalloc test sees")
    template = mergefield.compile("https://x.test/@{Lead:FirstName,}?n=@{Lead:Score Lead,}")
    n = 50_000
    table = pa.table({"FirstName": [f"name {i} \u00e9" for i in range(n)], "Score": range(n)})

    def run() -> None:
        result = template.render_arrow(table, threads=2)
        assert len(result) == n
        template.write_arrow(table, io.BytesIO(), threads=2)

    for _ in range(3):
        run()
    gc.collect()
    before = _rss()
    for _ in range(15):
        run()
    gc.collect()
    assert _rss() - before < 30 * 2**20


def test_core_stream_reader_without_pyarrow(core: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled core opens ``__arrow_c_stream__`` and ``__arrow_c_array__`` data itself
    when pyarrow is not used, for every type it renders natively."""
    if core != "cython":
        pytest.skip("the pure core always reads through pyarrow")
    from mergefield import _arrow_native

    monkeypatch.setattr(_arrow_native, "USE_PYARROW", False)
    template = mergefield.compile(
        '{"n": "@{Lead:FirstName,}", "s": @{Lead:Score Lead,}, "b": "@{Lead:mx_B,}", '
        '"v": "@{Lead:mx_V,}", "d": "@{Lead:mx_D,}", "z": "@{Lead:mx_Z,}"}',
        kind="json",
    )
    table = pa.table(
        {
            "FirstName": pa.array(['a\u2028"b', None, "\U0001f600" * 5], pa.large_string()),
            "Score": pa.array([1.25, float("nan"), -(2.0**70)]),
            "mx_B": pa.array([True, False, None]),
            "mx_V": pa.array(["short", "a string longer than twelve bytes", ""], pa.string_view()),
            "mx_D": pa.array(["x", "y", "x"]).dictionary_encode(),
            "mx_Z": pa.array([None, None, None], pa.null()),
        }
    )
    expected = template.render_many(table.to_pylist())
    result = template.render_arrow(table)
    assert not isinstance(result, pa.Array)  # the core's own array, exported by capsule
    assert len(result) == 3
    assert pa.array(result).to_pylist() == expected
    assert pa.array(result).to_pylist() == expected  # exported twice, buffers shared
    assert template.render_arrow(table.to_batches()[0]) is not None
    file = io.BytesIO()
    assert template.write_arrow(table.to_batches(), file) == 3
    assert file.getvalue() == b"".join(r.encode() + b"\n" for r in expected)
    # Dates, timestamps and decimals the core renders itself, without pyarrow...
    dated = table.set_column(0, "FirstName", pa.array([dt.date(2024, 1, 1)] * 3))
    assert pa.array(template.render_arrow(dated)).to_pylist() == template.render_many(
        dated.to_pylist()
    )
    # ...but a value only Python renders, or a type the core does not read, needs pyarrow.
    own_format = mergefield.compile("@{Lead:CreatedOn,}", date_format="%d.%m.%Y")
    with pytest.raises(ImportError, match=r"'CreatedOn' as Python values.*mergefield\[arrow\]"):
        own_format.render_arrow(pa.table({"CreatedOn": pa.array([dt.date(2024, 1, 1)])}))
    listed = table.set_column(0, "FirstName", pa.array([[1]] * 3))
    with pytest.raises(ImportError, match=r"'FirstName' has Arrow type '\+l'.*mergefield\[arrow\]"):
        template.render_arrow(listed)


def test_derived_field_reads_its_parts(core: str) -> None:
    catalog = DEFAULT_CATALOG.with_fields(
        mergefield.FieldSpec(
            "Lead", "mx_Full", "Full", "String", derived_from=("FirstName", "LastName")
        )
    )
    template = mergefield.compile("<@{Lead:mx_Full,}>", catalog=catalog)
    table = pa.table({"FirstName": ["Ann", None, "Bo"], "LastName": ["Lee", "Kim", None]})
    expected = template.render_many(table.to_pylist())
    assert expected == ["<Ann Lee>", "<Kim>", "<Bo>"]
    assert template.render_arrow(table).to_pylist() == expected


def readme_examples() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Arrow", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_has_the_three_arrow_examples() -> None:
    blocks = readme_examples()
    assert [b for b in blocks if "import polars" in b]
    assert [b for b in blocks if "import pandas" in b]
    assert [b for b in blocks if "import duckdb" in b]


@pytest.mark.parametrize("number", range(3))
def test_readme_arrow_example_runs(core: str, number: int) -> None:
    """Each Polars / pandas / DuckDB example of the README, executed as written (its own
    asserts check the output); skipped when that library is not installed."""
    block = readme_examples()[number]
    for module in ("polars", "pandas", "duckdb"):
        if f"import {module}" in block:
            pytest.importorskip(module)
    exec(compile(block, f"README Arrow example {number}", "exec"), {})


def _shorten_child(capsules: tuple[Any, Any], child: int, length: int) -> tuple[Any, Any]:
    """Make column ``child`` of an exported record batch claim only ``length`` values, as a
    faulty producer might (pyarrow itself refuses to build such a batch)."""
    import ctypes

    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    array = get(capsules[1], b"arrow_array")
    # struct ArrowArray: five int64 (length first), then buffers, then children.
    children = ctypes.cast(array + 48, ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p)))[0]
    ctypes.cast(children[child], ctypes.POINTER(ctypes.c_int64))[0] = length
    return capsules


def test_short_column_is_named(core: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if core != "cython":
        pytest.skip("pyarrow refuses such a batch before the pure core sees it")
    from mergefield import _arrow_native

    monkeypatch.setattr(_arrow_native, "USE_PYARROW", False)
    batch = pa.record_batch({"FirstName": ["a", "b", "c"], "mx_B": ["p", "q", "r"]})

    class Faulty:
        def __arrow_c_array__(self, requested_schema: Any = None) -> tuple[Any, Any]:
            return _shorten_child(batch.__arrow_c_array__(), 1, 1)

    template = mergefield.compile("@{Lead:FirstName,} @{Lead:mx_B,}")
    with pytest.raises(ValueError, match="column 'mx_B' has 1 values for a batch of 3 rows"):
        template.render_arrow(Faulty())


_STREAM = """
import decimal, sys
import pyarrow as pa
import mergefield

batches, size = int(sys.argv[1]), int(sys.argv[2])
template = mergefield.compile(
    "https://x.test/?n=@{Lead:FirstName,}&d=@{Lead:CreatedOn,}&s=@{Lead:Score,}", kind="url"
)
batch = pa.record_batch({
    "FirstName": pa.array([f"name {i} \\u00e9" for i in range(size)]),
    "CreatedOn": pa.array([i * 1000 for i in range(size)], pa.timestamp("s")),
    "Score": pa.array([decimal.Decimal(i) / 100 for i in range(size)], pa.decimal128(12, 2)),
})

class Sink:
    bytes = 0
    def write(self, data):
        n = memoryview(data).nbytes
        self.bytes += n
        return n

def peak():
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's (the pytest process).
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))

sink = Sink()
before = peak()
rows = template.write_arrow((batch for _ in range(batches)), sink, threads=2)
print(rows, sink.bytes, peak() - before)
"""


# slow: a large input (the pure core streams it for seconds); the fast subset checks that output
# buffers are freed (test_output_buffers_are_freed) and that repeated calls do not leak.
@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux VmHWM")
def test_streaming_many_rows_keeps_peak_memory_flat(core: str) -> None:
    # write_arrow over a stream of batches holds a window of chunks, never the data or the
    # output: 8x the rows must not grow the peak RSS of a fresh process by more than half.
    env = dict(os.environ)
    env.pop("MERGEFIELD_REQUIRE_EXTENSIONS", None)
    if core == "python":
        env["MERGEFIELD_NO_EXTENSIONS"] = "1"

    def growth(batches: int) -> int:
        done = subprocess.run(
            [sys.executable, "-c", _STREAM, str(batches), "8192"],
            capture_output=True, text=True, env=env, timeout=600, check=True,
        )  # fmt: skip
        rows, size, grown = map(int, done.stdout.split())
        assert rows == batches * 8192 and size > rows * 40
        return grown

    small, large = growth(4), growth(32)
    assert large <= 1.5 * max(small, 4 << 20), (small, large)


_TEN_MILLION = """
import os, sys
import pyarrow.parquet as pq
import mergefield

def status(name):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(name + ":"))

path, render = sys.argv[1], sys.argv[2] == "render"
template = mergefield.compile(
    "https://x.test/?to=@{Lead:Mobile,}&n=@{Lead:FirstName,Friend}&s=@{Lead:Score,}", kind="url"
)
batches = pq.ParquetFile(path).iter_batches(batch_size=65536)
try:  # start the peak afresh (Linux >= 4.0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
except OSError:
    pass
before = max(status("VmRSS"), status("VmHWM"))
with open(os.devnull, "wb") as sink:
    rows = template.write_arrow(batches, sink) if render else sum(b.num_rows for b in batches)
print(rows, status("VmHWM") - before)
"""


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux VmHWM")
@pytest.mark.skipif(
    mergefield.IMPLEMENTATION != "cython",
    reason="10 million rows in pure Python take minutes; the ratio test above covers its stream",
)
def test_ten_million_rows_from_parquet_grow_peak_memory_by_less_than_100_mb(
    tmp_path: Any,
) -> None:
    # The budget: write_arrow streaming 10,000,000 rows from a Parquet file grows the
    # peak RSS of a fresh process by less than 100 MB beyond what reading the same batches
    # alone grows it by (the reader's own buffers).  The file is written a row group at a time.
    # The peak is VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's (this
    # pytest process, with its tables), which would hide any growth below it.
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    group, groups = 1_000_000, 10
    names = pa.array(["Ana", "Zoë", "राहुल", "李娜", "", None, "O'Brien & Sons", "Ana 🌸"])
    numbers = pa.array(range(group), pa.int64())
    path = tmp_path / "leads.parquet"
    base = pa.table({"FirstName": names.take(pc.bit_wise_and(numbers, 7))})
    schema = pa.schema([*base.schema, ("Mobile", pa.string()), ("Score", pa.int64())])
    with pq.ParquetWriter(path, schema) as writer:
        for g in range(groups):
            ids = pc.add(numbers, g * group)
            mobile = pc.binary_join_element_wise("+91 ", pc.cast(ids, pa.string()), "")
            writer.write_table(base.append_column("Mobile", mobile).append_column("Score", ids))

    def grown(mode: str) -> int:
        done = subprocess.run(
            [sys.executable, "-c", _TEN_MILLION, str(path), mode],
            capture_output=True, text=True, timeout=600, check=True,
        )  # fmt: skip
        rows, growth = map(int, done.stdout.split())
        assert rows == group * groups
        return growth

    reader, rendering = grown("read"), grown("render")
    assert rendering - reader < 100 << 20, (reader, rendering)
