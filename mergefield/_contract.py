"""The contract both cores share: their argument checks, the messages, and a failed row's mark.

`_fast.pyx` and `_fast_py.py` both call `batch_args` (and `step_arg`) on entry, so a wrong
argument raises the same exception with the same message whichever core runs.  It returns
tuples made here: from then on a core indexes only containers it owns, which nothing the caller
does, in a value's ``__str__`` or from another thread, can shorten mid-call (the compiled core
reads them without bounds checks).  `mark_row` is how both cores say which row an error broke
and how many complete lines the file had been handed by then.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeGuard

__all__ = [
    "STEP_MAX",
    "STEP_MIN",
    "Batch",
    "batch_args",
    "column_values",
    "mark_row",
    "not_a_column",
    "resolved_not_str",
    "rows_iterator",
    "step_arg",
]

# The base step ids a core knows (`_fast_py.STEP_*`); -1 means "always ask the policy".
STEP_MIN = -1
STEP_MAX = 6

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
    """``step`` as a known base step id, or the TypeError / ValueError both cores raise."""
    if type(step) is not int and (not isinstance(step, int) or isinstance(step, bool)):
        raise TypeError(f"a step must be an int, not {_name(step)}")
    if not STEP_MIN <= step <= STEP_MAX:
        raise ValueError(f"unknown base transform {step}")
    return int(step)


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
