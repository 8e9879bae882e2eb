"""Values before encoding: what counts as missing, how each type renders, JSON literals.

SPEC section 3 fixes the rules: ``None``, ``""`` (and, for data frames, NaN and ``pandas.NA``)
are missing; a **String** renders ``str(value)`` of the types it accepts (`STRING_TYPES`); a
**Number** renders plain positional digits, never an exponent; a **Date** renders
``YYYY-MM-DD HH:MM:SS`` in UTC unless a :class:`ValueOptions` chooses another format, zone or
day/month order; a :class:`PreEncoded` value is inserted as is.  :func:`json_literal` turns a
value into a JSON value for a bare JSON slot.  Strict mode turns doubtful values (a type the
field does not accept, a non-finite number, a date that does not parse or whose day and month
could be read both ways, a number with more digits than Python's integer string limit) into
:class:`InvalidValue`; the renderer adds the field name.  Lax mode renders them as documented in
the README.  The common case (a str in a String field) is kept a near-zero-cost path.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import operator
import re
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import dateutil.parser

from mergefield._pre_encoded import PreEncoded
from mergefield.catalog import ValueType
from mergefield.encoding import escape_json_string
from mergefield.errors import MergefieldError

__all__ = [
    "DEFAULT_DATE_FORMAT",
    "DEFAULT_OPTIONS",
    "STRING_TYPES",
    "InvalidValue",
    "PreEncoded",
    "ValueOptions",
    "format_value",
    "is_missing",
    "join_text",
    "json_literal",
]

#: LeadSquared's API date format.
DEFAULT_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

_UTC = _dt.timezone.utc


class InvalidValue(MergefieldError, ValueError):
    """A value that strict mode refuses (not a number, not a date, NaN in a JSON number slot)."""


@dataclass(frozen=True)
class ValueOptions:
    """Per-template choices for rendering Date values: output format, time zone, input order.

    ``date_format`` is a ``strftime`` format; ``timezone`` is where aware and naive (taken as
    UTC) datetimes are converted to before formatting.  ``dayfirst`` is how a date written as
    numbers (``05/03/2024``) is read: ``True`` day first, ``False`` month first, ``None`` (not
    chosen) month first in lax mode and an error in strict mode when both readings are possible.
    Instances are immutable and pickle.
    """

    date_format: str = DEFAULT_DATE_FORMAT
    timezone: _dt.tzinfo = _UTC
    dayfirst: bool | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.date_format, str):
            raise TypeError(f"date_format must be a str, not {type(self.date_format).__name__}")
        if not isinstance(self.timezone, _dt.tzinfo):
            raise TypeError(
                f"timezone must be a datetime.tzinfo, not {type(self.timezone).__name__}"
            )
        if self.dayfirst is not None and not isinstance(self.dayfirst, bool):
            raise TypeError(
                f"dayfirst must be True, False or None, not {type(self.dayfirst).__name__}"
            )


#: The options every template uses unless it chooses others.
DEFAULT_OPTIONS = ValueOptions()


def is_missing(value: object) -> bool:
    """Whether a present value counts as missing: ``None``, ``""``, NaN, ``pandas.NA``, ``NaT``.

    An absent key is the caller's business.  Anything whose ``value != value`` is true (float and
    Decimal NaN, ``pandas.NaT``, numpy NaN) is missing, so data frame rows can be rendered
    directly; ``pandas.NA`` is recognised by its type without importing pandas.
    """
    if value is None:
        return True
    if isinstance(value, str):
        return not value
    if value.__class__ is int or value.__class__ is bool:
        return False
    if isinstance(value, Decimal):
        # A signalling NaN raises on comparison instead of comparing unequal.
        return value.is_nan()
    try:
        return bool(value != value)
    except Exception:
        # pandas.NA has no truth value and array-likes are ambiguous: only NA counts as missing.
        cls = value.__class__
        return cls.__name__ == "NAType" and cls.__module__.startswith("pandas")


def _fail(strict: bool, message: str, fallback: str) -> str:
    if strict:
        raise InvalidValue(message)
    return fallback


def _shown(value: object) -> str:
    """A short ``repr`` for a message: a 1 MB string or a 5,000-digit int must not fill it."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond the string conversion limit
        return f"<int of more than {sys.get_int_max_str_digits()} digits>"
    return text if len(text) <= 80 else text[:60] + "..." + text[-12:]


def _too_long(what: str) -> str:
    # Python refuses int -> str beyond this many digits (CVE-2020-10735: the conversion is
    # quadratic); a renderer that worked around it could be stalled by one value.
    return (
        f"{what} more than {sys.get_int_max_str_digits()} digits, beyond Python's integer "
        f"string limit (raise it with sys.set_int_max_str_digits)"
    )


def _int_str(value: int, strict: bool) -> str:
    """The digits of an exact ``int``; beyond Python's integer string limit an invalid value,
    rendered empty in lax mode."""
    try:
        return int.__repr__(value)
    except ValueError:
        return _fail(strict, _too_long("an int of"), "")


#: What a String field accepts besides ``str`` and ``int`` (see `format_value`): numbers,
#: booleans, dates and UUIDs, whose ``str`` is the text a reader expects.
STRING_TYPES: tuple[type, ...] = (float, numbers.Real, Decimal, _dt.date, uuid.UUID)


def _string_str(value: object, strict: bool) -> str:
    if isinstance(value, str):
        # A str subclass (a str enum, say) renders its text, not its own __str__.
        return str.__str__(value)
    if isinstance(value, int):
        # bool keeps its own str ("True"); an IntEnum renders its number.
        return str(value) if isinstance(value, bool) else _int_str(int(value), strict)
    if isinstance(value, STRING_TYPES):
        return str(value)
    return _fail(
        strict,
        f"{value.__class__.__name__} value {_shown(value)} is not text; a String field takes "
        f"str, int, float, Decimal, bool, date, datetime and UUID values",
        str(value),
    )


def _lax_text(value: object) -> str:
    """What lax mode renders for a value its field refuses: its String rendering."""
    return _string_str(value, False)


def join_text(parts: Iterable[object], *, strict: bool = False) -> object:
    """The value of a field derived from others (``User:FullName``): the present ``parts``
    joined by a blank in their String rendering, ``None`` when every part is missing.

    In strict mode a part a String field refuses is returned alone instead, so that rendering it
    raises the usual error with the derived field's name.
    """
    texts = []
    for part in parts:
        if is_missing(part):
            continue
        try:
            text = _string_str(part, strict)
        except InvalidValue:
            return part
        if text:  # lax mode renders a number too long to write empty: no stray blank
            texts.append(text)
    return " ".join(texts) or None


def _float_str(value: float, strict: bool) -> str:
    if not math.isfinite(value):
        return _fail(strict, f"{value!r} is not a finite number", float.__repr__(value))
    if value == 0:
        return "0"  # -0.0 included: a signed zero means nothing to a reader
    # The shortest digits that round-trip (what repr shows), never the exact binary expansion:
    # 0.1 renders "0.1" and 1e23 renders "1" and 23 zeros.  float.__repr__ because numpy's
    # float64 subclass has its own repr.
    shortest = float.__repr__(value)
    if "e" in shortest:
        return format(Decimal(shortest), "f")
    return shortest[:-2] if shortest.endswith(".0") else shortest


def _decimal_str(value: Decimal, strict: bool) -> str:
    if not value.is_finite():
        return _fail(strict, f"{_shown(value)} is not a finite number", str(value))
    limit = sys.get_int_max_str_digits()
    # Positional notation of 1E+999999999 would be a gigabyte of zeros: the same limit as ints.
    if limit and max(value.adjusted(), -int(value.as_tuple().exponent)) >= limit:
        return _fail(strict, _too_long(f"{_shown(value)} written positionally needs"), "")
    return format(value, "f")


def _number_str(value: object, strict: bool) -> str:
    cls = value.__class__
    if cls is int:
        return _int_str(value, strict)  # type: ignore[arg-type]
    if isinstance(value, float):
        return _float_str(value, strict)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, Decimal):
        return _decimal_str(value, strict)
    if isinstance(value, numbers.Integral):
        return _int_str(operator.index(value), strict)
    if isinstance(value, numbers.Real):
        try:
            as_float = float(value)
        except OverflowError:  # a Fraction beyond the float range
            return _fail(strict, f"{_shown(value)} is beyond the float range", _lax_text(value))
        return _float_str(as_float, strict)
    return _fail(strict, f"{cls.__name__} value {_shown(value)} is not a number", _lax_text(value))


def _tz_from_parse(name: str | None, offset: int | None) -> _dt.tzinfo | None:
    # dateutil would otherwise map a zone name equal to the machine's own zone to local time and
    # drop other names with a warning: both make the output depend on where it runs.
    if offset is not None:
        return _UTC if offset == 0 else _dt.timezone(_dt.timedelta(seconds=offset))
    if name is None:
        return None
    raise ValueError(f"unknown time zone name {name!r}")


# dateutil fills what a string leaves out from `default`; a fixed default keeps output independent
# of today's date, and a second default with a different time tells a date-only string apart.
_PARSE_DEFAULT = _dt.datetime(1970, 1, 1)
_PARSE_PROBE = _dt.datetime(1970, 1, 1, 1)

# A date written as numbers with the year last (05/03/2024, 5.3.24, 05-03-2024 14:00): day and
# month come in the writer's order.  dateutil reads them month first but swaps them when that is
# impossible, so one column would be read two ways; this pass names the month instead.
_NUMERIC_DATE = re.compile(
    r"(?<![0-9/.-])([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?![0-9/.-])"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day_month(text: str, dayfirst: bool | None, strict: bool) -> tuple[str | None, str]:
    """``text`` with a numeric day/month/year given its month by name, in the order chosen
    (``None``: month first), and a hint for the message when that order makes it no date.

    The text is ``None`` when the order makes it impossible (a 13th month); strict mode with no
    order chosen refuses a day and month that could be read both ways.
    """
    match = _NUMERIC_DATE.search(text)
    if match is None:
        return text, ""
    first, second = int(match[1]), int(match[3])
    if strict and dayfirst is None and first != second and 0 < first <= 12 and 0 < second <= 12:
        raise InvalidValue(
            f"{_shown(text)} is ambiguous: day {first} of month {second} or day {second} of "
            f"month {first}; choose the order with dayfirst=True or False (mergefield render "
            f"--dayfirst or --no-dayfirst)"
        )
    day, month = (first, second) if dayfirst else (second, first)
    order = "day first" if dayfirst else "month first"
    hint = f" (read {order}{'' if dayfirst is not None else '; choose with dayfirst'})"
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None, hint
    named = f"{day} {_MONTHS[month - 1]} {match[4]}"
    return text[: match.start()] + named + text[match.end() :], hint


def _parse_date(text: str, dayfirst: bool | None, strict: bool) -> tuple[_dt.date | None, str]:
    """The date or datetime ``text`` names (``None`` if none) and a hint for the message."""
    parsed: _dt.datetime
    try:
        parsed = _dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        # An ISO date without a time is at most 10 characters ("2024-01-05", "20240105").
        return (parsed.date() if len(text) <= 10 else parsed), ""
    named, hint = _day_month(text, dayfirst, strict)
    if named is None:
        return None, hint
    try:
        parsed = dateutil.parser.parse(named, default=_PARSE_DEFAULT, tzinfos=_tz_from_parse)
        if parsed.tzinfo is None and parsed.time() == _dt.time():
            probe = dateutil.parser.parse(named, default=_PARSE_PROBE, tzinfos=_tz_from_parse)
            if probe.time() != _dt.time():
                return parsed.date(), ""
    except (ValueError, OverflowError):
        return None, hint
    return parsed, ""


def _format_datetime(moment: _dt.datetime, date_format: str) -> str:
    if date_format == DEFAULT_DATE_FORMAT:
        # strftime drops the zero padding of years before 1000 on glibc; this does not.
        return (
            f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
        )
    return moment.strftime(date_format)


def _date_str(value: object, options: ValueOptions, strict: bool) -> str:
    if isinstance(value, str):
        parsed, hint = _parse_date(value, options.dayfirst, strict)
        if parsed is None:
            return _fail(strict, f"{_shown(value)} is not a date{hint}", value)
        value = parsed
    if isinstance(value, _dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=_UTC)
        try:
            moment = moment.astimezone(options.timezone)
        except OverflowError:
            if strict:
                raise InvalidValue(
                    f"{value!r} cannot be converted to {options.timezone}: out of range"
                ) from None
        return _format_datetime(moment, options.date_format)
    if isinstance(value, _dt.date):
        # A calendar day is not an instant: it renders at midnight with no zone conversion.
        midnight = _dt.datetime(value.year, value.month, value.day, tzinfo=options.timezone)
        return _format_datetime(midnight, options.date_format)
    return _fail(
        strict, f"{value.__class__.__name__} value {_shown(value)} is not a date", _lax_text(value)
    )


def format_value(
    value: object,
    type: str,
    *,
    options: ValueOptions = DEFAULT_OPTIONS,
    strict: bool = False,
) -> str:
    """Render a present, non-missing value of a field of ``type`` ("String", "Number", "Date").

    String: ``str(value)`` of a str (its text, for a subclass), an int (its digits), a float,
    Decimal or other real number, a bool (``"True"``), a date or datetime (ISO text) or a UUID;
    any other type (bytes, lists, dicts, other objects) raises :class:`InvalidValue` in strict
    mode and renders ``str(value)`` in lax mode.  Number: ints and bools as digits (``True`` is
    ``"1"``); floats in their shortest round-tripping digits, integral ones without ``.0`` and
    ``-0.0`` as ``0``; Decimals with their own digits; always positional, never an exponent
    (``1e-07`` renders ``0.0000001``, ``1e23`` a 1 and 23 zeros); a str is kept as given; NaN
    and infinities render ``str(value)`` in lax mode and raise in strict mode; any other object
    renders its String rendering (lax) or raises (strict).  In every type a number with more
    digits than ``sys.get_int_max_str_digits()`` (4300 by default) raises in strict mode and
    renders empty in lax mode.  Date: see SPEC section 3; a str is parsed (ISO first, then a
    numeric day and month in the order of ``options.dayfirst``, then dateutil with a fixed
    1970-01-01 default for missing parts) and an unparseable one, one naming an unknown time
    zone, or (strict mode, ``dayfirst=None``) one whose day and month could be read both ways,
    is kept (lax) or raises (strict).  A :class:`PreEncoded` value is returned unchanged
    whatever the type.
    """
    if value.__class__ is str:
        if type == "String":
            return value
    elif isinstance(value, PreEncoded):
        return value
    if type == "String":
        return _string_str(value, strict)
    if type == "Number":
        return _number_str(value, strict)
    if type == "Date":
        return _date_str(value, options, strict)
    known = ", ".join(t.value for t in ValueType)
    raise ValueError(f"unknown value type {type!r}; expected one of {known}")


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def _json_quoted(text: str) -> str:
    return '"' + escape_json_string(text) + '"'


def json_literal(
    value: object,
    type: str,
    *,
    options: ValueOptions = DEFAULT_OPTIONS,
    strict: bool = False,
) -> str:
    """Render a value as a JSON value for a bare JSON slot (``"score": @{Lead:Score,0}``).

    ``None`` is ``null``.  Number: a number renders as a JSON number (positional, as
    :func:`format_value`; ``True`` is ``1``); a str that is a valid JSON number is kept; any
    other str is a JSON string in lax mode and :class:`InvalidValue` in strict mode; NaN and
    infinities, which JSON cannot spell, and (in every type) numbers beyond Python's integer
    string limit are ``null`` in lax mode and an error in strict mode; another type renders its
    String rendering as a JSON string in lax mode.  String and Date: a quoted JSON string
    escaped like the ``json_string`` encoder.  A :class:`PreEncoded` value is inserted
    unchanged, as raw JSON.
    """
    if value is None:
        return "null"
    if isinstance(value, PreEncoded):
        return value
    if type == "Number":
        if isinstance(value, str):
            if _JSON_NUMBER.fullmatch(value):
                return str.__str__(value)
            if strict:
                raise InvalidValue(f"{_shown(value)} is not a JSON number")
            return _json_quoted(value)
        if (isinstance(value, float) and not math.isfinite(value)) or (
            isinstance(value, Decimal) and not value.is_finite()
        ):
            return _fail(strict, f"{_shown(value)} is not a finite number", "null")
        text = _number_str(value, strict)
        if not text:  # lax mode's rendering of a number too long to write
            return "null"
        if _JSON_NUMBER.fullmatch(text):
            return text
        return _json_quoted(text)
    text = format_value(value, type, options=options, strict=strict)
    if not text and not isinstance(value, str):
        return "null"  # lax mode's rendering of a number too long to write, as if missing
    return _json_quoted(text)
