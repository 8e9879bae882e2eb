"""Tests of value rules: missing values, String/Number/Date formatting, JSON literals, PreEncoded.

Tables pin exact outputs (the SPEC section 3 examples among them); hypothesis checks that every
finite number renders positionally and parses back to the same number, that dates always match
their format, and that a JSON literal always parses.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import pickle
import re
import sys
import uuid
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import mergefield
from mergefield import PreEncoded, cli
from mergefield.errors import MergefieldError, RenderError
from mergefield.values import (
    DEFAULT_DATE_FORMAT,
    DEFAULT_OPTIONS,
    InvalidValue,
    ValueOptions,
    format_value,
    is_missing,
    join_text,
    json_literal,
)

UTC = dt.timezone.utc
KOLKATA = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


class FakeNA:
    """Behaves like pandas.NA: comparisons give NA back, which has no truth value."""

    def __ne__(self, other: object) -> Any:
        return self

    def __eq__(self, other: object) -> Any:
        return self

    def __bool__(self) -> bool:
        raise TypeError("boolean value of NA is ambiguous")

    __hash__ = object.__hash__


FakeNA.__name__ = "NAType"
FakeNA.__module__ = "pandas._libs.missing"


class NotNA(FakeNA):
    """Same behaviour under another name: not recognised as missing."""


NotNA.__name__ = "Other"
NotNA.__module__ = "elsewhere"


class Color(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 2


class Plain(enum.Enum):
    ONE = 1


# --- PreEncoded ---------------------------------------------------------------------------


def test_pre_encoded_is_a_str_with_a_telling_repr() -> None:
    value = PreEncoded("a&b")
    assert isinstance(value, str)
    assert value == "a&b"
    assert repr(value) == "PreEncoded('a&b')"
    assert type(value + "c") is str
    assert type(value[1:]) is str


def test_pre_encoded_pickles() -> None:
    copy = pickle.loads(pickle.dumps(PreEncoded("x<")))
    assert type(copy) is PreEncoded
    assert copy == "x<"


# --- is_missing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        (None, True),
        ("", True),
        (PreEncoded(""), True),
        (float("nan"), True),
        (Decimal("NaN"), True),
        (Decimal("sNaN"), True),
        (FakeNA(), True),
        (" ", False),
        ("None", False),
        (0, False),
        (0.0, False),
        (False, False),
        (Decimal(0), False),
        (float("inf"), False),
        ([], False),
        ({}, False),
        (NotNA(), False),
        (dt.date(2024, 1, 1), False),
    ],
)
def test_is_missing(value: object, missing: bool) -> None:
    assert is_missing(value) is missing


def test_is_missing_numpy() -> None:
    np = pytest.importorskip("numpy")
    assert is_missing(np.float64("nan"))
    assert is_missing(np.datetime64("NaT", "ns"))
    assert not is_missing(np.int64(0))
    assert not is_missing(np.array([1.0, float("nan")]))


# --- ValueOptions -------------------------------------------------------------------------


def test_value_options() -> None:
    assert ValueOptions() == DEFAULT_OPTIONS
    assert DEFAULT_OPTIONS.date_format == DEFAULT_DATE_FORMAT == "%Y-%m-%d %H:%M:%S"
    assert DEFAULT_OPTIONS.timezone is UTC
    options = ValueOptions("%d/%m/%Y", KOLKATA)
    assert pickle.loads(pickle.dumps(options)) == options
    with pytest.raises(AttributeError):
        options.date_format = "x"  # type: ignore[misc]
    with pytest.raises(TypeError, match=r"timezone must be a datetime\.tzinfo"):
        ValueOptions(timezone="UTC")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="date_format must be a str"):
        ValueOptions(date_format=None)  # type: ignore[arg-type]
    assert DEFAULT_OPTIONS.dayfirst is None
    dayfirst = ValueOptions(dayfirst=True)
    assert dayfirst != DEFAULT_OPTIONS != ValueOptions(dayfirst=False)
    assert pickle.loads(pickle.dumps(dayfirst)) == dayfirst
    with pytest.raises(TypeError, match="dayfirst must be True, False or None, not int"):
        ValueOptions(dayfirst=1)  # type: ignore[arg-type]


# --- String -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ana", "Ana"),
        ("\ud800", "\ud800"),
        (42, "42"),
        (1.5, "1.5"),
        (True, "True"),
        (False, "False"),
        (Decimal("1.10"), "1.10"),
        (Color.RED, "red"),
        (dt.date(2024, 1, 5), "2024-01-05"),
    ],
)
def test_string(value: object, expected: str) -> None:
    out = format_value(value, "String")
    assert out == expected
    assert type(out) is str


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-7, "-7"),
        (10**30, "1" + "0" * 30),
        (Decimal("1E+3"), "1E+3"),
        (Fraction(3, 4), "3/4"),
        (float("nan"), "nan"),
        (dt.datetime(2024, 1, 5, 10, 20, 30), "2024-01-05 10:20:30"),
        (dt.datetime(2024, 1, 5, tzinfo=UTC), "2024-01-05 00:00:00+00:00"),
        (uuid.UUID("fd95588c-5e4e-410b-b14c-f51964cd1715"), "fd95588c-5e4e-410b-b14c-f51964cd1715"),
        (Level.HIGH, "2"),
    ],
)
def test_string_accepts_numbers_booleans_dates_and_uuids(value: object, expected: str) -> None:
    assert format_value(value, "String", strict=True) == expected
    assert format_value(value, "String") == expected


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (b"bytes", "bytes"),
        (bytearray(b"x"), "bytearray"),
        (memoryview(b"x"), "memoryview"),
        (["x"], "list"),
        (("x",), "tuple"),
        ({"x"}, "set"),
        ({"a": 1}, "dict"),
        (1 + 2j, "complex"),
        (dt.time(10, 0), "time"),
        (dt.timedelta(days=1), "timedelta"),
        (Plain.ONE, "Plain"),
        (object(), "object"),
    ],
)
def test_string_refuses_other_types_in_strict_mode(value: object, name: str) -> None:
    # Strict mode used to render these by their repr (b'bytes', ['x']) in a String field.
    with pytest.raises(InvalidValue, match=rf"^{name} value .* is not text; a String field takes"):
        format_value(value, "String", strict=True)
    assert format_value(value, "String") == str(value)  # lax: str(), as documented
    assert json_literal(value, "String") == json.dumps(str(value), ensure_ascii=False)
    with pytest.raises(InvalidValue, match="is not text"):
        json_literal(value, "String", strict=True)


def test_refused_value_is_shown_short() -> None:
    with pytest.raises(InvalidValue) as info:
        format_value([0] * 100_000, "String", strict=True)
    assert len(str(info.value)) < 250


def test_string_str_is_returned_as_is() -> None:
    value = "x" * 100
    assert format_value(value, "String") is value
    assert format_value(value, "String", strict=True) is value


@pytest.mark.parametrize("type_", ["String", "Number", "Date"])
def test_pre_encoded_is_kept_for_every_type(type_: str) -> None:
    value = PreEncoded("not a <number>")
    assert format_value(value, type_, strict=True) is value
    assert json_literal(value, type_, strict=True) is value


def test_unknown_type() -> None:
    with pytest.raises(ValueError, match="unknown value type 'Bool'; expected one of String"):
        format_value(1, "Bool")


def test_value_type_may_be_a_str_enum() -> None:
    class ValueType(str, enum.Enum):
        NUMBER = "Number"

    assert format_value(1e-7, ValueType.NUMBER) == "0.0000001"


# --- Number -------------------------------------------------------------------------------

NUMBERS = [
    (0, "0"),
    (-12, "-12"),
    (10**30, "1000000000000000000000000000000"),
    (True, "1"),
    (False, "0"),
    (1.0, "1"),
    (-0.0, "0"),
    (2.5, "2.5"),
    (0.1, "0.1"),
    (1e-7, "0.0000001"),
    (-1.5e-10, "-0.00000000015"),
    (1.5e20, "150000000000000000000"),
    (1e16, "10000000000000000"),
    (1e23, "100000000000000000000000"),
    (1.7976931348623157e308, "17976931348623157" + "0" * 292),
    (123456789.125, "123456789.125"),
    (5e-324, "0." + "0" * 323 + "5"),
    (Decimal("1.50"), "1.50"),
    (Decimal("1E+3"), "1000"),
    (Decimal("1.23E-5"), "0.0000123"),
    (Decimal("-0"), "-0"),
    (Fraction(3, 4), "0.75"),
    ("12,5", "12,5"),
    ("1e5", "1e5"),
    ("", ""),
]


@pytest.mark.parametrize(("value", "expected"), NUMBERS)
def test_number(value: object, expected: str) -> None:
    assert format_value(value, "Number") == expected
    assert format_value(value, "Number", strict=True) == expected


@pytest.mark.parametrize("type_", ["String", "Number", "Date"])
def test_int_beyond_the_string_limit_is_invalid_in_every_type(type_: str) -> None:
    # Python refuses int -> str past 4300 digits because the conversion is quadratic: a
    # ValueError used to escape even in lax mode.  Now lax renders empty (null in JSON).
    big = 10**5000
    assert format_value(big, type_) == ""
    assert json_literal(big, type_) == "null"
    with pytest.raises(InvalidValue, match="more than 4300 digits") as info:
        format_value(big, type_, strict=True)
    assert len(str(info.value)) < 300  # the value itself is not spelled out
    with pytest.raises(InvalidValue, match="more than 4300 digits"):
        json_literal(big, type_, strict=True)


def test_int_at_the_string_limit_renders_digits() -> None:
    edge = 10**4299  # 4300 digits, the most Python converts by default
    for type_ in ("String", "Number"):
        assert format_value(edge, type_, strict=True) == "1" + "0" * 4299
        assert format_value(-edge, type_, strict=True) == "-1" + "0" * 4299
    assert json_literal(edge, "Number", strict=True) == "1" + "0" * 4299


def test_int_string_limit_follows_the_interpreter() -> None:
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # no limit
    try:
        assert format_value(10**5000, "String", strict=True) == "1" + "0" * 5000
        assert format_value(10**5000, "Number", strict=True) == "1" + "0" * 5000
        assert format_value(Decimal("1E+5000"), "Number", strict=True) == "1" + "0" * 5000
    finally:
        sys.set_int_max_str_digits(limit)


def test_int_subclass_beyond_the_limit_in_a_string_field() -> None:
    class Big(int):
        pass

    assert format_value(Big(10**5000), "String") == ""
    assert format_value(Big(42), "String", strict=True) == "42"
    with pytest.raises(InvalidValue, match="more than 4300 digits"):
        format_value(Big(10**5000), "String", strict=True)


@pytest.mark.parametrize("value", [Decimal("1E+999999999"), Decimal("1E-999999999")])
def test_decimal_too_long_to_write_positionally(value: Decimal) -> None:
    # Positional notation of these would be a gigabyte of zeros.
    assert format_value(value, "Number") == ""
    assert json_literal(value, "Number") == "null"
    with pytest.raises(InvalidValue, match="written positionally needs more than 4300 digits"):
        format_value(value, "Number", strict=True)
    assert format_value(value, "String", strict=True) == str(value)  # str() is short


def test_fraction_beyond_the_float_range() -> None:
    huge = Fraction(10**400, 3)
    assert format_value(huge, "Number") == str(huge)
    with pytest.raises(InvalidValue, match="beyond the float range"):
        format_value(huge, "Number", strict=True)


def test_number_numpy_scalars() -> None:
    np = pytest.importorskip("numpy")
    assert format_value(np.int64(7), "Number") == "7"
    assert format_value(np.float64(1e-7), "Number") == "0.0000001"
    assert format_value(np.float32(0.5), "Number") == "0.5"


@pytest.mark.parametrize(
    ("value", "lax", "message"),
    [
        (float("nan"), "nan", "nan is not a finite number"),
        (float("inf"), "inf", "inf is not a finite number"),
        (float("-inf"), "-inf", "-inf is not a finite number"),
        (Decimal("Infinity"), "Infinity", "Decimal\\('Infinity'\\) is not a finite number"),
        (Decimal("NaN"), "NaN", "is not a finite number"),
        (None, "None", "NoneType value None is not a number"),
        ([1], "[1]", "list value \\[1\\] is not a number"),
        (dt.date(2024, 1, 5), "2024-01-05", "date value .* is not a number"),
    ],
)
def test_number_non_finite_and_non_numbers(value: object, lax: str, message: str) -> None:
    assert format_value(value, "Number") == lax
    with pytest.raises(InvalidValue, match=message):
        format_value(value, "Number", strict=True)


def test_invalid_value_is_a_mergefield_value_error() -> None:
    assert issubclass(InvalidValue, MergefieldError)
    assert issubclass(InvalidValue, ValueError)


@settings(max_examples=2000)
@given(st.floats(allow_nan=False, allow_infinity=False))
@example(1e-7)
@example(-1e-300)
@example(1.7976931348623157e308)
def test_float_renders_positionally_and_round_trips(value: float) -> None:
    out = format_value(value, "Number")
    assert "e" not in out and "E" not in out
    assert re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?", out)
    assert float(out) == value
    # Shortest round-tripping digits, not the exact binary expansion (0.1 stays "0.1").
    assert Decimal(out) == Decimal(repr(value))
    if value.is_integer():
        assert "." not in out


@settings(max_examples=2000)
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_renders_positionally_and_round_trips(value: Decimal) -> None:
    out = format_value(value, "Number")
    assert "e" not in out and "E" not in out
    assert Decimal(out) == value


@settings(max_examples=2000)
@given(st.integers())
def test_int_renders_digits(value: int) -> None:
    out = format_value(value, "Number")
    assert out == str(value)
    assert Decimal(out) == Decimal(value)


# --- Date ---------------------------------------------------------------------------------

DATES = [
    (dt.datetime(2024, 1, 5, 10, 20, 30), "2024-01-05 10:20:30"),
    (dt.datetime(2024, 1, 5, 10, 20, 30, 999999), "2024-01-05 10:20:30"),
    (dt.datetime(2024, 1, 5, 10, 20, 30, tzinfo=KOLKATA), "2024-01-05 04:50:30"),
    (dt.datetime(2024, 7, 1, 0, 0, tzinfo=NEW_YORK), "2024-07-01 04:00:00"),
    (dt.date(2024, 1, 5), "2024-01-05 00:00:00"),
    (dt.datetime(5, 1, 1), "0005-01-01 00:00:00"),
    ("2024-01-05 10:20:30", "2024-01-05 10:20:30"),
    ("2024-01-05T10:20:30Z", "2024-01-05 10:20:30"),
    ("2024-01-05T10:20:30+05:30", "2024-01-05 04:50:30"),
    ("2024-01-05", "2024-01-05 00:00:00"),
    ("20240105", "2024-01-05 00:00:00"),
    ("Jan 5 2024", "2024-01-05 00:00:00"),
    ("5 January 2024 3pm", "2024-01-05 15:00:00"),
    ("01/13/2024", "2024-01-13 00:00:00"),
    ("05/05/2024", "2024-05-05 00:00:00"),
    ("Fri, 05 Jan 2024 10:20:30 GMT", "2024-01-05 10:20:30"),
    ("2024-01-05 10:20:30 UTC", "2024-01-05 10:20:30"),
    ("2024-01-05 10:20:30 -0800", "2024-01-05 18:20:30"),
    ("March 2024", "2024-03-01 00:00:00"),
    ("10:30", "1970-01-01 10:30:00"),
]


@pytest.mark.parametrize(("value", "expected"), DATES)
def test_date(value: object, expected: str) -> None:
    assert format_value(value, "Date") == expected
    assert format_value(value, "Date", strict=True) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2024, 1, 5, 10, 20, 30), "05/01/2024 15:50 +0530"),
        (dt.datetime(2024, 1, 5, 10, 20, 30, tzinfo=UTC), "05/01/2024 15:50 +0530"),
        ("2024-01-05T10:20:30Z", "05/01/2024 15:50 +0530"),
        # A calendar day is not shifted by the zone.
        (dt.date(2024, 1, 5), "05/01/2024 00:00 +0530"),
        ("2024-01-05", "05/01/2024 00:00 +0530"),
        ("Jan 5 2024", "05/01/2024 00:00 +0530"),
        ("Jan 5 2024 00:00", "05/01/2024 05:30 +0530"),
    ],
)
def test_date_with_options(value: object, expected: str) -> None:
    options = ValueOptions(date_format="%d/%m/%Y %H:%M %z", timezone=KOLKATA)
    assert format_value(value, "Date", options=options) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("garbage", "'garbage' is not a date"),
        ("2024-13-45", "is not a date"),
        ("2024-01-05 10:00 EST", "is not a date"),  # an unknown zone name is not guessed
        ("99999999999999999999", "is not a date"),
        ("1700000000", "is not a date"),
        ("\ud800", "is not a date"),
        (1700000000, "int value 1700000000 is not a date"),
        (1.5, "float value 1.5 is not a date"),
        (dt.time(10, 0), "time value .* is not a date"),
    ],
)
def test_date_unparseable(value: object, message: str) -> None:
    assert format_value(value, "Date") == str(value)
    with pytest.raises(InvalidValue, match=message):
        format_value(value, "Date", strict=True)


# The column: one day-first column read two ways by dateutil (May 3, March 13, Dec 3).
DAY_FIRST_COLUMN = ["05/03/2024", "13/03/2024", "12/03/2024 14:00", "5.3.24", "05-03-2024"]


def test_dayfirst_reads_every_numeric_date_day_first() -> None:
    options = ValueOptions(dayfirst=True)
    expected = [
        "2024-03-05 00:00:00",
        "2024-03-13 00:00:00",
        "2024-03-12 14:00:00",
        "2024-03-05 00:00:00",
        "2024-03-05 00:00:00",
    ]
    for strict in (False, True):
        got = [format_value(v, "Date", options=options, strict=strict) for v in DAY_FIRST_COLUMN]
        assert got == expected


@pytest.mark.parametrize("dayfirst", [False, None])
def test_month_first_never_swaps_an_impossible_month(dayfirst: bool | None) -> None:
    options = ValueOptions(dayfirst=dayfirst)
    # Read month first without exception: a 13th month is no date (kept as given in lax mode).
    assert format_value("05/03/2024", "Date", options=options) == "2024-05-03 00:00:00"
    assert format_value("12/03/2024 14:00", "Date", options=options) == "2024-12-03 14:00:00"
    assert format_value("13/03/2024", "Date", options=options) == "13/03/2024"
    with pytest.raises(InvalidValue, match="'13/03/2024' is not a date \\(read month first"):
        format_value("13/03/2024", "Date", options=options, strict=True)
    assert format_value("03/13/2024", "Date", options=options, strict=True) == (
        "2024-03-13 00:00:00"
    )


def test_dayfirst_never_swaps_an_impossible_month() -> None:
    options = ValueOptions(dayfirst=True)
    assert format_value("03/13/2024", "Date", options=options) == "03/13/2024"
    with pytest.raises(InvalidValue, match="is not a date \\(read day first\\)"):
        format_value("03/13/2024", "Date", options=options, strict=True)


@pytest.mark.parametrize("value", ["05/03/2024", "12/03/2024 14:00", "5.3.24", "Tue 05-03-2024"])
def test_strict_refuses_an_ambiguous_day_and_month_without_an_order(value: str) -> None:
    with pytest.raises(
        InvalidValue,
        match=r"is ambiguous: day .* dayfirst=True or False \(mergefield render --dayfirst",
    ):
        format_value(value, "Date", strict=True)
    for dayfirst in (True, False):
        options = ValueOptions(dayfirst=dayfirst)
        assert DATE_RE.fullmatch(format_value(value, "Date", options=options, strict=True))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024/05/03", "2024-05-03 00:00:00"),  # year first is always year-month-day
        ("2024.05.03", "2024-05-03 00:00:00"),
        ("2024-05-03", "2024-05-03 00:00:00"),
        ("07/07/2024", "2024-07-07 00:00:00"),  # the same either way
        ("5 March 2024", "2024-03-05 00:00:00"),  # a named month is never ambiguous
        ("March 5, 2024", "2024-03-05 00:00:00"),
    ],
)
def test_dates_that_read_one_way_ignore_the_order(value: str, expected: str) -> None:
    for dayfirst in (None, True, False):
        options = ValueOptions(dayfirst=dayfirst)
        assert format_value(value, "Date", options=options, strict=True) == expected


@pytest.mark.parametrize("value", ["00/03/2024", "05/00/2024", "32/01/2024", "31/02/2024"])
def test_impossible_numeric_dates_are_no_dates(value: str) -> None:
    options = ValueOptions(dayfirst=True)
    assert format_value(value, "Date", options=options) == value
    with pytest.raises(InvalidValue, match="is not a date"):
        format_value(value, "Date", options=options, strict=True)


@settings(max_examples=300)
@given(st.dates(min_value=dt.date(1000, 1, 1)), st.sampled_from(["/", ".", "-"]))
def test_a_numeric_date_reads_back_in_the_chosen_order(day: dt.date, sep: str) -> None:
    expected = f"{day.isoformat()} 00:00:00"
    day_first = f"{day.day:02d}{sep}{day.month:02d}{sep}{day.year}"
    month_first = f"{day.month:02d}{sep}{day.day:02d}{sep}{day.year}"
    for text, dayfirst in ((day_first, True), (month_first, False)):
        options = ValueOptions(dayfirst=dayfirst)
        assert format_value(text, "Date", options=options, strict=True) == expected


def test_date_out_of_range_conversion() -> None:
    options = ValueOptions(timezone=NEW_YORK)
    assert format_value(dt.datetime.min, "Date", options=options) == "0001-01-01 00:00:00"
    with pytest.raises(InvalidValue, match="out of range"):
        format_value(dt.datetime.min, "Date", options=options, strict=True)


def test_date_output_does_not_depend_on_today() -> None:
    # dateutil fills missing parts from today unless told otherwise.
    assert format_value("June", "Date") == "1970-06-01 00:00:00"


SAFE_DATETIMES = st.datetimes(
    min_value=dt.datetime(2, 1, 1),
    max_value=dt.datetime(9998, 12, 31),
    timezones=st.none() | st.timezones() | st.just(UTC),
)


@settings(max_examples=2000)
@given(SAFE_DATETIMES)
def test_datetime_matches_the_format_and_the_instant(value: dt.datetime) -> None:
    out = format_value(value, "Date")
    assert DATE_RE.fullmatch(out)
    expected = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    assert out == expected.strftime("%Y-%m-%d %H:%M:%S").rjust(19, "0")
    assert dt.datetime.fromisoformat(out) == expected.replace(tzinfo=None, microsecond=0)
    # The same instant written as ISO text renders the same.
    assert format_value(value.isoformat(), "Date") == out


@settings(max_examples=500)
@given(SAFE_DATETIMES, st.timezones())
def test_datetime_in_a_chosen_zone(value: dt.datetime, zone: dt.tzinfo) -> None:
    options = ValueOptions(timezone=zone)
    out = format_value(value, "Date", options=options)
    assert DATE_RE.fullmatch(out)
    instant = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    assert out == format_value(instant.astimezone(zone).replace(tzinfo=None), "Date")


@settings(max_examples=2000)
@given(st.text(st.characters(exclude_categories=())))
@example("Jan 5")
@example("0")
@example("00:00 +25:00")
def test_date_strings_render_the_format_or_stay_as_given(value: str) -> None:
    out = format_value(value, "Date")
    assert out == value or DATE_RE.fullmatch(out)
    try:
        strict = format_value(value, "Date", strict=True)
    except InvalidValue:
        assert out == value
    else:
        assert strict == out


# --- json_literal -------------------------------------------------------------------------

JSON_CASES = [
    (None, "Number", "null"),
    (None, "String", "null"),
    (None, "Date", "null"),
    (42, "Number", "42"),
    (True, "Number", "1"),
    (1e-7, "Number", "0.0000001"),
    (1.5e20, "Number", "150000000000000000000"),
    (Decimal("-0.50"), "Number", "-0.50"),
    ("12.5", "Number", "12.5"),
    ("-0", "Number", "-0"),
    ("1e5", "Number", "1e5"),
    ("1E-5", "Number", "1E-5"),
    ("Ana", "String", '"Ana"'),
    ('a"b\\\n\u2028\ud800', "String", '"a\\"b\\\\\\n\\u2028\\ud800"'),
    (42, "String", '"42"'),
    (True, "String", '"True"'),
    (dt.date(2024, 1, 5), "Date", '"2024-01-05 00:00:00"'),
    ("2024-01-05T10:00:00Z", "Date", '"2024-01-05 10:00:00"'),
]


@pytest.mark.parametrize(("value", "type_", "expected"), JSON_CASES)
def test_json_literal(value: object, type_: str, expected: str) -> None:
    assert json_literal(value, type_) == expected
    assert json_literal(value, type_, strict=True) == expected
    json.loads(expected)


@pytest.mark.parametrize(
    ("value", "type_", "lax", "message"),
    [
        ("12,5", "Number", '"12,5"', "'12,5' is not a JSON number"),
        (" 12", "Number", '" 12"', "is not a JSON number"),
        ("+1", "Number", '"+1"', "is not a JSON number"),
        ("01", "Number", '"01"', "is not a JSON number"),
        ("1.", "Number", '"1."', "is not a JSON number"),
        ("١٢", "Number", '"١٢"', "is not a JSON number"),
        ("NaN", "Number", '"NaN"', "is not a JSON number"),
        ("", "Number", '""', "is not a JSON number"),
        (float("nan"), "Number", "null", "nan is not a finite number"),
        (float("-inf"), "Number", "null", "-inf is not a finite number"),
        (Decimal("sNaN"), "Number", "null", "is not a finite number"),
        ([1, 2], "Number", '"[1, 2]"', "list value .* is not a number"),
        ("soon", "Date", '"soon"', "'soon' is not a date"),
    ],
)
def test_json_literal_lax_and_strict(value: object, type_: str, lax: str, message: str) -> None:
    assert json_literal(value, type_) == lax
    json.loads(lax)
    with pytest.raises(InvalidValue, match=message):
        json_literal(value, type_, strict=True)


def test_json_literal_unknown_type() -> None:
    with pytest.raises(ValueError, match="unknown value type"):
        json_literal("x", "Bool")


ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.text(st.characters(exclude_categories=())),
    st.from_regex(r"-?[0-9]{1,5}(\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?", fullmatch=True),
    SAFE_DATETIMES,
    st.dates(),
)


@settings(max_examples=2000)
@given(ANY_VALUE, st.sampled_from(["String", "Number", "Date"]))
def test_json_literal_always_parses(value: object, type_: str) -> None:
    out = json_literal(value, type_)
    parsed = json.loads(out)
    out.encode("utf-8")
    if value is None:
        assert parsed is None
    elif type_ != "Number":
        assert isinstance(parsed, str)
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if (isinstance(value, float) and math.isfinite(value)) or (
            isinstance(value, Decimal) and value.is_finite()
        ):
            assert Decimal(out) == Decimal(format_value(value, "Number"))
        elif isinstance(value, int):
            assert Decimal(out) == value
        else:
            assert parsed is None


@settings(max_examples=1000)
@given(st.text(st.characters(exclude_categories=())))
def test_json_literal_string_reads_back(value: str) -> None:
    out = json_literal(value, "String")
    expected = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    assert json.loads(out) == expected


# --- through a compiled template, on both cores ------------------------------------------------

BIG = 10**5000
BIG_TEMPLATES = [
    ("text", "@{Lead:FirstName,x}|@{Lead:Score,0}|@{Lead:CreatedOn,}", "||"),
    ("url", "https://x.test/?n=@{Lead:FirstName,}&s=@{Lead:Score,}", "https://x.test/?n=&s="),
    ("json", '{"n": @{Lead:FirstName,}, "s": @{Lead:Score,}}', '{"n": null, "s": null}'),
    ("json", '{"n": "@{Lead:FirstName,}", "s": "@{Lead:Score,}"}', '{"n": "", "s": ""}'),
]


@pytest.mark.parametrize(("kind", "source", "lax"), BIG_TEMPLATES)
def test_int_beyond_the_string_limit_renders_or_raises_a_render_error(
    core: str, kind: str, source: str, lax: str
) -> None:
    lead = {"FirstName": BIG, "Score": BIG, "CreatedOn": BIG}
    template = mergefield.compile(source, kind=kind)
    assert template.render(Lead=lead) == lax
    assert template.render_many([lead, lead]) == [lax, lax]
    columns = {key: [value, value] for key, value in lead.items()}
    assert template.render_columns(columns) == [lax, lax]
    strict = mergefield.compile(source, kind=kind, mode="strict")
    with pytest.raises(RenderError, match=r"^Lead:FirstName .*more than 4300 digits") as info:
        strict.render(Lead=lead)
    assert info.value.field == "FirstName"
    with pytest.raises(RenderError, match="more than 4300 digits"):
        strict.render_columns(columns)


@pytest.mark.parametrize("kind", ["text", "json"])
def test_ints_beyond_64_bits_render_digits_on_both_cores(core: str, kind: str) -> None:
    # The core encodes 64-bit ints itself (digits, or quoted digits in a JSON String value slot)
    # and hands larger ones to the policy.
    json_source = '{"s": @{Lead:Score,}, "q": @{Lead:FirstName,}, "n": "@{Lead:FirstName,}"}'
    source = json_source if kind == "json" else "@{Lead:Score,} @{Lead:FirstName,}"
    template = mergefield.compile(source, kind=kind, mode="strict")
    values = [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**4299]
    rendered = template.render_columns({"Score": values, "FirstName": values})
    assert rendered == template.render_many([{"Score": v, "FirstName": v} for v in values])
    for value, out in zip(values, rendered, strict=True):
        d = str(value)
        assert out == (f'{{"s": {d}, "q": "{d}", "n": "{d}"}}' if kind == "json" else f"{d} {d}")


@pytest.mark.parametrize(
    ("value", "lax"),
    [
        (b"bytes", "b%27bytes%27"),
        (["x"], "%5B%27x%27%5D"),
        ({"a": 1}, "%7B%27a%27%3A%201%7D"),
    ],
)
def test_strict_refuses_a_type_a_string_field_does_not_take(
    core: str, value: object, lax: str
) -> None:
    source = "https://x.test/?n=@{Lead:FirstName,}"
    template = mergefield.compile(source, kind="url")
    assert template.render(Lead={"FirstName": value}) == f"https://x.test/?n={lax}"
    strict = mergefield.compile(source, kind="url", mode="strict")
    name = type(value).__name__
    for render in (
        lambda: strict.render(Lead={"FirstName": value}),
        lambda: strict.render_many([{"FirstName": "ok"}, {"FirstName": value}]),
        lambda: strict.render_columns({"FirstName": ["ok", value]}),
    ):
        # A bulk call names the failed lead first (`lead 1: ...`); a single render does not.
        with pytest.raises(
            RenderError, match=rf"^(lead 1: )?Lead:FirstName .*: {name} value .* is not text"
        ):
            render()
    # The types a String field takes still render in strict mode.
    ok = [1, 1.5, True, Decimal("2.50"), dt.date(2024, 1, 5), uuid.UUID(int=1)]
    assert strict.render_columns({"FirstName": ok}) == [
        "https://x.test/?n=" + quote(str(v), safe="") for v in ok
    ]


def test_dayfirst_option_reads_one_column_one_way(core: str) -> None:
    source = "@{Lead:CreatedOn,}"
    column = {"CreatedOn": DAY_FIRST_COLUMN}
    day_first = mergefield.compile(source, mode="strict", dayfirst=True)
    assert day_first.options == ValueOptions(dayfirst=True)
    assert day_first.render_columns(column) == [
        "2024-03-05 00:00:00",
        "2024-03-13 00:00:00",
        "2024-03-12 14:00:00",
        "2024-03-05 00:00:00",
        "2024-03-05 00:00:00",
    ]
    rows = [{"CreatedOn": v} for v in DAY_FIRST_COLUMN]
    assert day_first.render_many(rows) == day_first.render_columns(column)
    # Lax without an order: month first for every value, never swapped.
    assert mergefield.compile(source).render_columns(column) == [
        "2024-05-03 00:00:00",
        "13/03/2024",
        "2024-12-03 14:00:00",
        "2024-05-03 00:00:00",
        "2024-05-03 00:00:00",
    ]
    with pytest.raises(RenderError, match=r"^lead 0: Lead:CreatedOn .*'05/03/2024' is ambiguous"):
        mergefield.compile(source, mode="strict").render_columns(column)


def test_dayfirst_is_part_of_a_template_s_identity() -> None:
    source = "@{Lead:CreatedOn,}"
    plain = mergefield.compile(source)
    day_first = mergefield.compile(source, dayfirst=True, date_format="%d.%m.%Y")
    month_first = mergefield.compile(source, dayfirst=False)
    assert plain != day_first != month_first != plain
    assert mergefield.compile(source, dayfirst=None) == plain
    for template in (day_first, month_first):
        copy = pickle.loads(pickle.dumps(template))
        assert copy == template
        assert copy.options.dayfirst is template.options.dayfirst
    assert pickle.loads(pickle.dumps(day_first)).render(Lead={"CreatedOn": "05/03/2024"}) == (
        "05.03.2024"
    )
    with pytest.raises(TypeError, match="dayfirst must be True, False or None"):
        mergefield.compile(source, dayfirst="yes")  # type: ignore[arg-type]


def test_cli_render_dayfirst(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("CreatedOn\n05/03/2024\n13/03/2024\n", encoding="utf-8")
    args = ["render", "@{Lead:CreatedOn,}", "--leads", str(leads)]
    assert cli.main([*args, "--dayfirst", "--strict"]) == 0
    assert capsys.readouterr().out.splitlines() == ["2024-03-05 00:00:00", "2024-03-13 00:00:00"]
    assert cli.main([*args, "--no-dayfirst"]) == 0
    assert capsys.readouterr().out.splitlines() == ["2024-05-03 00:00:00", "13/03/2024"]
    assert cli.main([*args, "--strict"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "is ambiguous" in captured.err


def test_join_text() -> None:
    assert join_text(["Ann", None, "", 42]) == "Ann 42"
    assert join_text([None, ""]) is None
    assert join_text([BIG, "Lee"]) == "Lee"
    assert join_text([b"A", "Lee"]) == "b'A' Lee"
    refused = [b"A"]
    assert join_text(["Ann", refused], strict=True) is refused  # left for the caller to refuse


def test_derived_field_parts_follow_the_string_rules(core: str) -> None:
    # User:FullName joined its parts with str(): a plain ValueError for a huge int, and bytes by
    # their repr in strict mode.
    source = "@{User:FullName,}|@{Lead:FirstName,}"
    lax = mergefield.compile(source)
    assert lax.render(User={"FirstName": BIG, "LastName": "Lee"}) == "Lee|"
    strict = mergefield.compile(source, mode="strict")
    assert strict.render(User={"FirstName": "Ann", "LastName": 7}) == "Ann 7|"
    for first in (b"Ann", BIG):
        with pytest.raises(RenderError, match=r"^User:FullName ") as info:
            strict.render_many([{"FirstName": "x"}], User={"FirstName": first, "LastName": "Lee"})
        assert info.value.field == "FullName"
