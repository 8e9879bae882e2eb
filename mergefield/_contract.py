"""The contract both cores share: their constants, argument checks, messages and result shapes.

This is the one home of what the compiled core (`_fast.pyx`) and its pure twin (`_fast_py.py`)
must agree on, and of what the policy layer hands them: the encoder `Step` ids, the scanner's
`Expect` codes, the scan result tuples and `FLUSH_BYTES`.  The compiled core holds the same
numbers as C constants and checks them against these at import (`check_core_constants`).  Both
cores call `scan_args`, `batch_args` (and `step_arg`) on entry, so a wrong argument raises the
same exception with the same message whichever core runs.  `batch_args` returns
tuples made here: from then on a core indexes only containers it owns, which nothing the caller
does, in a value's ``__str__`` or from another thread, can shorten mid-call (the compiled core
reads them without bounds checks).  `mark_row` is how both cores say which row an error broke
and how many complete lines the file had been handed by then.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Iterable, Iterator, Mapping
from enum import IntEnum
from typing import Any, TypeGuard

__all__ = [
    "CORE_STEPS",
    "FLUSH_BYTES",
    "Batch",
    "ErrorTuple",
    "Expect",
    "Step",
    "TokenTuple",
    "batch_args",
    "check_core_constants",
    "column_values",
    "mark_row",
    "not_a_column",
    "resolved_not_str",
    "rows_iterator",
    "scan_args",
    "step_arg",
]


class Step(IntEnum):
    """Every encoder step (base transform) by id: the policy's encoders are pipelines of them
    (`encoding.ENCODERS`) and the cores run the ones up to `JSON_QUOTED` on plain values.

    To add a step: add it here and give it a transform in `encoding.TRANSFORMS`.  A step the
    cores run is numbered within `CORE_STEPS` (the policy-only ones come after them): the pure
    core then runs its transform as it is, and the compiled core needs a C constant and a branch
    in `_render.pxi` (its import check names the constant it lacks).
    """

    POLICY = -1  # a slot the core never encodes: every value goes to the policy's callback
    TEXT = 0  # as is (a lone surrogate is the policy's to judge)
    PERCENT = 1  # a URL part: everything but RFC 3986 unreserved ASCII as UTF-8 %XX
    FORM = 2  # as PERCENT, blank as `+`
    HTML = 3  # `& < > " '` as entities
    JSON_STRING = 4  # the inside of a JSON string literal
    JSON_NUMBER = 5  # a whole JSON value of a Number field: an int's digits; text asks the policy
    JSON_QUOTED = 6  # a whole JSON value of any other field: a quoted JSON string
    WHOLE_URL = 7  # policy only: a whole URL, its scheme checked


#: The steps a core accepts: from `Step.POLICY` up to the first policy-only one, `WHOLE_URL`.
CORE_STEPS = range(Step.POLICY, Step.WHOLE_URL)


class Expect(IntEnum):
    """What the scanner expected where a malformed token stopped (an `ErrorTuple`'s code)."""

    RESOURCE = 1  # a resource name after `@{`
    COLON = 2  # `:` after the resource
    FIELD = 3  # a field name after the colon
    CLOSE = 4  # `}` to close the token


#: A token as `scan` returns it: ``(resource, field, default, start, end)``, the field trimmed
#: of blanks and ``default`` None when the token has no comma.
TokenTuple = tuple[str, str, "str | None", int, int]
#: A malformed token as `scan` returns it: ``(code, at, fail)``, an `Expect` code, the offset
#: of its ``@`` and the offset where it stopped being a token.
ErrorTuple = tuple[int, int, int]

#: The file writers hand rendered bytes to the file in blocks of about this size.
FLUSH_BYTES = 1 << 16


def check_core_constants(core: str, constants: Mapping[str, int]) -> None:
    """Raise RuntimeError unless every ``"Step.NAME"`` / ``"Expect.NAME"`` / ``"FLUSH_BYTES"``
    in ``constants`` (a core's compiled-in values) equals the contract's, and every core step is
    there.  Not an ImportError: the selector would quietly fall back to the pure core."""
    expected = {f"Step.{s.name}": int(s) for s in Step if s in CORE_STEPS}
    expected.update({f"Expect.{e.name}": int(e) for e in Expect})
    expected["FLUSH_BYTES"] = FLUSH_BYTES
    wrong = sorted(
        f"{name} is {constants.get(name)}, the contract says {value}"
        for name, value in expected.items()
        if constants.get(name) != value
    )
    extra = sorted(set(constants) - set(expected))
    if wrong or extra:
        raise RuntimeError(
            f"the {core} core was built against another contract: "
            + "; ".join(wrong + [f"{name} is not in the contract" for name in extra])
            + " (rebuild it: python setup.py build_ext --inplace)"
        )


# A str, bytes or mapping iterates, but as characters, ints or keys: never a column of values.
_NOT_A_SEQUENCE = (str, bytes, bytearray, memoryview, Mapping)

Batch = tuple[
    tuple[str, ...],  # literals
    tuple[str, ...],  # keys (rows mode)
    "tuple[tuple[Any, ...] | None, ...] | None",  # columns (columnar mode)
    tuple[int, ...],  # steps
    "tuple[str | None, ...]",  # missing-value texts
    "Iterator[Any] | None",  # an iterator over the rows (rows mode)
    int,  # nrows (columnar mode)
]


def _name(value: object) -> str:
    return type(value).__name__


def _is_sequence(value: object) -> TypeGuard[Iterable[Any]]:
    """Whether ``value`` iterates as a sequence of items: not a str, bytes or mapping.  A list
    or tuple is answered first: the ABC checks cost more than a single render's own work."""
    if type(value) is list or type(value) is tuple:
        return True
    return not isinstance(value, _NOT_A_SEQUENCE) and isinstance(value, Iterable)


def step_arg(step: object) -> int:
    """``step`` as a step id a core runs (`CORE_STEPS`), or the TypeError / ValueError both
    cores raise."""
    if type(step) is not int and (not isinstance(step, int) or isinstance(step, bool)):
        raise TypeError(f"a step must be an int, not {_name(step)}")
    if step not in CORE_STEPS:
        raise ValueError(f"unknown base transform {step}")
    return int(step)


def scan_args(source: object, strict: object) -> tuple[str, bool]:
    """`scan`'s arguments as an exact str and a bool, or the TypeError both cores raise.  A str
    subclass (a str Enum, `PreEncoded`) is scanned as its plain text."""
    if type(source) is not str:
        if not isinstance(source, str):
            raise TypeError(f"source must be a str, not {_name(source)}")
        source = str.__str__(source)  # str's own: a subclass's __str__ may say something else
    if type(strict) is not bool:
        raise TypeError(f"strict must be a bool, not {_name(strict)}")
    return source, strict


def _sequence(name: str, values: object) -> tuple[Any, ...]:
    if not _is_sequence(values):
        raise TypeError(f"{name} must be a sequence, not {_name(values)}")
    return tuple(values)


def _strings(name: str, values: object, *, optional: bool = False) -> tuple[Any, ...]:
    items = _sequence(name, values)
    for i, item in enumerate(items):
        if not isinstance(item, str) and not (optional and item is None):
            expected = "str or None" if optional else "str"
            raise TypeError(f"{name}[{i}] must be {expected}, not {_name(item)}")
    return items


def rows_iterator(rows: object) -> Iterator[Any]:
    """An iterator over the leads ``rows``; a str, bytes, mapping or non-iterable is a TypeError
    (their iteration would give characters, ints or keys, never leads)."""
    if not _is_sequence(rows):
        raise TypeError(
            f"leads must be an iterable of mappings (a list of dicts), not {_name(rows)}"
        )
    return iter(rows)


def not_a_column(column: object, name: object) -> TypeError:
    """The error for a column that is not a sequence of values; ``name`` is its key or index."""
    return TypeError(
        f"column {name!r} is a {_name(column)}, not a sequence of values "
        "(a list, tuple, range, array or Series)"
    )


def column_values(column: object, name: object) -> tuple[Any, ...]:
    """A column as a tuple of its values; a str, bytes, mapping or non-iterable is a TypeError
    naming the column (``name``: its key, or its index in the core)."""
    if not _is_sequence(column):
        raise not_a_column(column, name)
    return tuple(column)


def batch_args(
    literals: object,
    keys: object,
    columns: object,
    steps: object,
    missing: object,
    rows: object,
    nrows: object,
    resolve: object,
    write: object,
    separator: object,
    columnar: bool,
    writing: bool,
) -> Batch:
    """Check one call's arguments in a fixed order and return the tuples the core works on.

    Rows mode (``columnar`` false) reads ``keys`` and ``rows``; columnar mode ``columns`` and
    ``nrows``.  Only the file writers (``writing``) read ``write`` and ``separator``.
    """
    lits: tuple[str, ...] = _strings("literals", literals)
    step_ids = tuple([step_arg(step) for step in _sequence("steps", steps)])
    texts: tuple[str | None, ...] = _strings("missing", missing, optional=True)
    n = len(step_ids)
    if len(lits) != n + 1:
        raise ValueError("a template with n slots has n + 1 literals")
    if len(texts) != n:
        raise ValueError("a template with n slots has n missing-value texts")
    key_names: tuple[str, ...] = ()
    cols: tuple[tuple[Any, ...] | None, ...] | None = None
    iterator: Iterator[Any] | None = None
    count = 0
    if not columnar:
        key_names = _strings("keys", keys)
        if len(key_names) != n:
            raise ValueError("a template with n slots has n keys (or columns)")
        iterator = rows_iterator(rows)
    else:
        given = _sequence("columns", columns)
        if len(given) != n:
            raise ValueError("a template with n slots has n keys (or columns)")
        if isinstance(nrows, bool):
            raise TypeError("nrows must be an int, not bool")
        try:
            count = operator.index(nrows)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(f"nrows must be an int, not {_name(nrows)}") from None
        if not 0 <= count <= sys.maxsize:
            raise ValueError(f"nrows must be from 0 to {sys.maxsize}, not {count}")
        cols = tuple(None if c is None else column_values(c, i) for i, c in enumerate(given))
        for i, column in enumerate(cols):
            if column is not None and len(column) < count:
                raise ValueError(f"column {i} has {len(column)} values for {count} rows")
    if not callable(resolve):
        raise TypeError(f"resolve must be callable, not {_name(resolve)}")
    if writing:
        if not callable(write):
            raise TypeError(f"write must be callable, not {_name(write)}")
        if not isinstance(separator, bytes):
            raise TypeError(f"separator must be bytes, not {_name(separator)}")
    return lits, key_names, cols, step_ids, texts, iterator, count


def resolved_not_str(text: object) -> TypeError:
    """The error for a ``resolve`` callback that returned something other than a str."""
    return TypeError(f"resolve must return str, not {_name(text)}")


def mark_row(exc: BaseException, row: int, written: int | None) -> None:
    """Record on ``exc`` the row it broke (``.row``, from 0) and, for the file writers, the
    complete lines handed to the file before it (``.written``); the policy layer words it."""
    if isinstance(exc, Exception):
        try:
            exc.row = row  # type: ignore[attr-defined]
            exc.written = written  # type: ignore[attr-defined]
        except (AttributeError, TypeError):  # an exception type that takes no attributes
            pass
