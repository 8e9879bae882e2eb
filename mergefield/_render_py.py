"""The pure core's renderer: encoding and bulk substitution (the twin of `_render.pxi`).

The two renderers mirror by contract, not line for line: the same entry points, the same argument
checks (`_contract.batch_args`) in the same order, the same messages and the same results.  Here
each step's str encoder is the policy's own transform (`encoding.TRANSFORMS`), so an encoder is
written twice (that and the compiled core's tables), not three times.

`render_rows` substitutes one row of values after another between a template's literal texts;
it encodes plain strings and exact ints itself and hands everything else to a Python callback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from ._contract import (
    CORE_STEPS,
    FLUSH_BYTES,
    Step,
    batch_args,
    mark_row,
    resolved_not_str,
    step_arg,
)
from .encoding import TRANSFORMS

__all__ = [
    "encode_fast",
    "render_columns",
    "render_rows",
    "write_columns",
    "write_rows",
]

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_SURROGATE = re.compile("[\ud800-\udfff]")
# Plain ints for the per-value tests: an Enum attribute is a slower lookup than a global.
_JSON_QUOTED = int(Step.JSON_QUOTED)
_FIRST_STEP = CORE_STEPS.start

# The str encoder of each step the core runs: the policy's own transform (`encoding.TRANSFORMS`,
# strict, which never raises on a str without surrogates), or None where the core declines every
# str: `Step.POLICY`, and text in a JSON number slot (the policy judges it by the field's type).
_STR_ENCODERS: tuple[Callable[[str, bool], str] | None, ...] = tuple(
    TRANSFORMS.get(Step(step)) for step in CORE_STEPS
)


def _str_encoder(step: int) -> Callable[[str, bool], str] | None:
    """The transform of a known ``step`` (`step_arg` checked it)."""
    return _STR_ENCODERS[step - _FIRST_STEP]


def _encode_str(encode: Callable[[str, bool], str] | None, value: str) -> str | None:
    """A non-empty str by a step's transform; ``None`` when the step declines text or the value
    holds a lone surrogate (the policy's business).  Only a str that is not ASCII can hold one."""
    if encode is None or (not value.isascii() and _SURROGATE.search(value) is not None):
        return None
    return encode(value, True)


def _encode_int(step: int, value: int) -> str | None:
    """The digits of an exact ``int``; ``None`` when it does not fit 64 bits."""
    if not _INT64_MIN <= value <= _INT64_MAX:
        return None
    digits = str(value)
    return '"' + digits + '"' if step == _JSON_QUOTED else digits


def encode_fast(step: int, value: object) -> str | None:
    """Encode a plain str (or an exact int) by one base step; ``None`` when the policy must
    decide (a lone surrogate, an int beyond 64 bits, text in a JSON number slot).

    Digits and ``-`` are safe in every step, so an int needs no encoding beyond quoting.
    """
    if step_arg(step) < 0:
        return None
    if value.__class__ is str:
        return _encode_str(_str_encoder(step), value) if value else None
    if value.__class__ is int:
        return _encode_int(step, value)
    return None


# A batch's plan: per slot its index, base step, str encoder, missing-value text and the literal
# after it.  Built once per call, as the compiled core builds its C plan.
Plan = tuple[tuple[int, int, "Callable[[str, bool], str] | None", "str | None", str], ...]


def _plan(literals: Sequence[str], steps: Sequence[int], missing: Sequence[str | None]) -> Plan:
    # `batch_args` has checked the lengths and the step ids.
    return tuple(
        (i, step, _str_encoder(step), missing[i], literals[i + 1]) for i, step in enumerate(steps)
    )


def _fill_row(first: str, plan: Plan, values: Iterable[object], resolve: Resolve, row: Any) -> str:
    """One rendered row; ``values`` yields slot after slot's value, looked up as it is reached."""
    parts = [first]
    append = parts.append
    for (i, step, encode, text, literal), value in zip(plan, values, strict=True):
        if text is not None and (value is None or (value.__class__ is str and not value)):
            append(text)
        else:
            # `encode_fast`, inlined: this loop is the pure core's whole cost.
            if value.__class__ is str:
                text = None
                if (
                    value
                    and encode is not None
                    and (value.isascii() or _SURROGATE.search(value) is None)
                ):
                    text = encode(value, True)
            elif value.__class__ is int and step >= 0:
                text = _encode_int(step, value)
            else:
                text = None
            if text is None:
                text = resolve(i, value, row)
                if not isinstance(text, str):
                    raise resolved_not_str(text)
            append(text)
        append(literal)
    return "".join(parts)


def _getter(row: Any, number: int) -> Callable[[str], object]:
    if row is None:
        return _get_nothing
    try:
        get: Callable[[str], object] = row.get
    except AttributeError:
        raise TypeError(f"lead {number} is a {type(row).__name__}, not a mapping") from None
    return get


Resolve = Callable[[int, object, Any], str]


def _drive(
    literals: Sequence[str],
    keys: Sequence[str],
    columns: Sequence[Sequence[object] | None] | None,
    steps: Sequence[int],
    missing: Sequence[str | None],
    rows: Iterable[Mapping[str, object] | None] | None,
    nrows: int,
    resolve: Resolve,
    write: Callable[[bytes], object] | None,
    separator: bytes,
    columnar: bool,
    writing: bool,
) -> list[str] | int:
    """The one loop behind the four entry points.  Leads are the mappings of ``rows``, or row
    numbers into ``columns`` (``columnar``); the result is a list of str, or, when ``writing``,
    the number of rows written (UTF-8 lines handed to ``write`` in blocks).  An error in a row
    first hands ``write`` every complete line before it, then leaves marked (`mark_row`)."""
    lits, key_names, cols, step_ids, texts, iterator, count = batch_args(
        literals, keys, columns, steps, missing, rows, nrows, resolve, write, separator,
        columnar, writing,
    )  # fmt: skip
    plan = _plan(lits, step_ids, texts)
    first = lits[0]
    lines: Iterable[str]
    if cols is None:
        assert iterator is not None
        lines = (
            _fill_row(first, plan, map(_getter(row, number), key_names), resolve, row)
            for number, row in enumerate(iterator)
        )
    else:
        cells = [_ABSENT if column is None else column for column in cols]
        lines = (
            _fill_row(first, plan, map(itemgetter(number), cells), resolve, number)
            for number in range(count)
        )
    if not writing:
        out: list[str] = []
        try:
            out.extend(lines)
        except Exception as exc:
            mark_row(exc, len(out), None)  # extend keeps the rows it had: the failing row's number
            raise
        return out
    done = 0  # complete rows so far: the number of the row being rendered
    assert write is not None
    pending: list[bytes] = []
    size = 0
    flushed = 0  # complete lines `write` has taken
    try:
        for line in lines:
            data = line.encode("utf-8") + separator
            pending.append(data)
            size += len(data)
            done += 1
            if size >= FLUSH_BYTES:
                block = b"".join(pending)
                pending.clear()
                size = 0
                write(block)
                flushed = done
        if pending:
            block = b"".join(pending)
            pending.clear()
            write(block)
            flushed = done
    except Exception as exc:
        # A failed `write` took its block (pending is empty): the row is the first line the file
        # may lack.  A failed row: the lines before it go to the file first.
        row = flushed
        if pending:
            row = done
            try:
                write(b"".join(pending))
                flushed = done
            except Exception:
                pass  # the row's own error says more; `.written` counts what the file took
        mark_row(exc, row, flushed)
        raise
    return done


def render_rows(
    literals: Sequence[str],
    keys: Sequence[str],
    steps: Sequence[int],
    missing: Sequence[str | None],
    rows: Iterable[Mapping[str, object] | None],
    resolve: Resolve,
) -> list[str]:
    """Substitute each row's values between ``literals``; one string per row.

    ``keys[i]`` is the record key of slot ``i``; ``steps[i]`` the base step the core may run on
    a non-empty plain str or an exact int (``-1``: never); ``missing[i]`` the text of a missing
    (``None`` or ``""``) value when it is the same on every row (``None``: ask the policy).
    Everything else goes to ``resolve(i, value, row)``, the Python policy, whose result is
    inserted as is.
    """
    out = _drive(literals, keys, None, steps, missing, rows, 0, resolve, None, b"", False, False)
    assert isinstance(out, list)
    return out


def render_columns(
    literals: Sequence[str],
    columns: Sequence[Sequence[object] | None],
    steps: Sequence[int],
    missing: Sequence[str | None],
    nrows: int,
    resolve: Resolve,
) -> list[str]:
    """Like `render_rows` for columnar leads: slot ``i`` reads ``columns[i][row]`` (``None``:
    always missing) and ``resolve`` gets the row number in place of the row."""
    out = _drive(
        literals, (), columns, steps, missing, None, nrows, resolve, None, b"", True, False
    )
    assert isinstance(out, list)
    return out


def write_rows(
    literals: Sequence[str],
    keys: Sequence[str],
    steps: Sequence[int],
    missing: Sequence[str | None],
    rows: Iterable[Mapping[str, object] | None],
    resolve: Resolve,
    write: Callable[[bytes], object],
    separator: bytes,
) -> int:
    """Like `render_rows`, but hand UTF-8 lines, each followed by ``separator``, to ``write``
    in blocks; return the number of rows."""
    count = _drive(
        literals, keys, None, steps, missing, rows, 0, resolve, write, separator, False, True
    )
    assert isinstance(count, int)
    return count


def write_columns(
    literals: Sequence[str],
    columns: Sequence[Sequence[object] | None],
    steps: Sequence[int],
    missing: Sequence[str | None],
    nrows: int,
    resolve: Resolve,
    write: Callable[[bytes], object],
    separator: bytes,
) -> int:
    """`render_columns` written to ``write`` as `write_rows` does; return the number of rows."""
    count = _drive(
        literals, (), columns, steps, missing, None, nrows, resolve, write, separator, True, True
    )
    assert isinstance(count, int)
    return count


def _get_nothing(key: str) -> None:
    return None


class _Absent:
    """The column of a key the leads do not have: missing on every row."""

    def __getitem__(self, index: int) -> None:
        return None


_ABSENT = _Absent()
