"""Pure-Python twin of the compiled core `_fast.pyx`: tokenizing and bulk substitution.

Both files expose the same names with the same control flow, so that the differential tests can
hold them to identical output (the yarl pattern).  They only find tokens and failure points;
turning a failure into a message is policy and lives in `mergefield.syntax`.

`scan(source, strict)` returns ``(tokens, errors)``: each token is a tuple
``(resource, field, default, start, end)`` with the field name trimmed of blanks and ``default``
``None`` when the token has no comma; each error is ``(code, at, fail)``: the offset of the
malformed token's ``@``, the offset where it stopped being a token, and what was expected there
(one of the ``EXPECT_*`` codes).  In strict mode the scan stops at the first error.

`render_rows` substitutes one row of values after another between a template's literal texts;
it encodes plain strings itself and hands everything else to a Python callback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any
from urllib.parse import quote, quote_plus

from ._contract import batch_args, mark_row, resolved_not_str, step_arg

__all__ = [
    "EXPECT_CLOSE",
    "EXPECT_COLON",
    "EXPECT_FIELD",
    "EXPECT_RESOURCE",
    "FLUSH_BYTES",
    "STEP_FORM",
    "STEP_HTML",
    "STEP_JSON_NUMBER",
    "STEP_JSON_QUOTED",
    "STEP_JSON_STRING",
    "STEP_PERCENT",
    "STEP_TEXT",
    "encode_fast",
    "render_columns",
    "render_rows",
    "scan",
    "write_columns",
    "write_rows",
]

EXPECT_RESOURCE = 1
EXPECT_COLON = 2
EXPECT_FIELD = 3
EXPECT_CLOSE = 4

TokenTuple = tuple[str, str, "str | None", int, int]
ErrorTuple = tuple[int, int, int]


def _is_blank(ch: str) -> bool:
    return ch == " " or ch == "\t"


def _is_resource_start(ch: str) -> bool:
    return ("A" <= ch <= "Z") or ("a" <= ch <= "z")


def _is_resource_char(ch: str) -> bool:
    return ("A" <= ch <= "Z") or ("a" <= ch <= "z") or ("0" <= ch <= "9") or ch == "_"


def _is_field_char(ch: str) -> bool:
    return ch != "," and ch != "{" and ch != "}" and ch != "\r" and ch != "\n"


def scan(source: str, strict: bool) -> tuple[list[TokenTuple], list[ErrorTuple]]:
    """Find every merge field of ``source``; see the module docstring for the result."""
    tokens: list[TokenTuple] = []
    errors: list[ErrorTuple] = []
    n = len(source)
    pos = 0
    stop = -1  # the first `}`, CR or LF at or after the last default's start (or n)
    while True:
        at = source.find("@{", pos)
        if at < 0:
            break
        i = at + 2
        code = 0
        # Resource: blanks, then [A-Za-z][A-Za-z0-9_]*, then blanks.
        while i < n and _is_blank(source[i]):
            i += 1
        if i >= n or not _is_resource_start(source[i]):
            code = EXPECT_RESOURCE
        else:
            resource_start = i
            i += 1
            while i < n and _is_resource_char(source[i]):
                i += 1
            resource_end = i
            while i < n and _is_blank(source[i]):
                i += 1
            if i >= n or source[i] != ":":
                code = EXPECT_COLON
            else:
                i += 1
                field_open = i
                # The field name must hold a non-blank character; a failure points just
                # after the colon, where the name should begin.
                while i < n and _is_blank(source[i]):
                    i += 1
                if i >= n or not _is_field_char(source[i]):
                    code = EXPECT_FIELD
                    i = field_open
                else:
                    field_start = i
                    while i < n and _is_field_char(source[i]):
                        i += 1
                    field_end = i
                    while _is_blank(source[field_end - 1]):
                        field_end -= 1
                    default_start = -1
                    if i < n and source[i] == ",":
                        default_start = i + 1
                        # A default runs to the next `}`, CR or LF.  Defaults start in increasing
                        # order, so the stop found for an earlier one holds while it lies ahead:
                        # without it `"@{a:b," * n` rescans to the end n times.
                        if stop < default_start:
                            stop = default_start
                            while (
                                stop < n
                                and source[stop] != "}"
                                and source[stop] != "\r"
                                and source[stop] != "\n"
                            ):
                                stop += 1
                        i = stop
                    if i < n and source[i] == "}":
                        # Only a token's default is sliced: slicing a malformed one's is
                        # quadratic too.
                        default: str | None = None
                        if default_start >= 0:
                            default = source[default_start:i]
                        tokens.append(
                            (
                                source[resource_start:resource_end],
                                source[field_start:field_end],
                                default,
                                at,
                                i + 1,
                            )
                        )
                        pos = i + 1
                        continue
                    code = EXPECT_CLOSE
        errors.append((code, at, i))
        if strict:
            break
        # Lax mode: the `@` was literal text; look for the next opener after it.
        pos = at + 1
    return tokens, errors


# --- bulk substitution -------------------------------------------------------------------------

# Base step ids, as in `mergefield.encoding` (the policy-side reference) for 0-4, plus the two
# typed JSON value steps of the core.
STEP_TEXT = 0
STEP_PERCENT = 1
STEP_FORM = 2
STEP_HTML = 3
STEP_JSON_STRING = 4
STEP_JSON_NUMBER = 5
STEP_JSON_QUOTED = 6

# Rendered bytes are handed to the file in blocks of about this size.
FLUSH_BYTES = 1 << 16

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_ESCAPES = {
    **{chr(c): f"\\u{c:04x}" for c in range(0x20)},
    "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
    '"': '\\"', "\\": "\\\\", "\u2028": "\\u2028", "\u2029": "\\u2029",
}  # fmt: skip
_JSON_SPECIAL = re.compile('["\\\\\x00-\x1f\u2028\u2029]')


# ASCII percent-encoding as one `str.translate` (several times faster than `quote` on the short
# values leads hold); non-ASCII text goes through `quote`, which encodes UTF-8 first.
_PERCENT_ASCII = {
    c: chr(c) if chr(c).isalnum() or chr(c) in "-._~" else f"%{c:02X}" for c in range(128)
}
_FORM_ASCII = {**_PERCENT_ASCII, 32: "+"}


def _json_escape(match: re.Match[str]) -> str:
    return _JSON_ESCAPES[match.group()]


# One encoder per step for a non-empty str; each returns ``None`` on a lone surrogate (the
# policy's business).  Only a str that is not ASCII can hold a surrogate.


def _text(value: str) -> str | None:
    if not value.isascii() and _SURROGATE.search(value) is not None:
        return None
    return value


def _percent(value: str) -> str | None:
    if value.isascii():
        # Letters and digits are unreserved: most names and codes need no table at all.
        return value if value.isalnum() else value.translate(_PERCENT_ASCII)
    if _SURROGATE.search(value) is not None:
        return None
    return quote(value, safe="")


def _form(value: str) -> str | None:
    if value.isascii():
        return value if value.isalnum() else value.translate(_FORM_ASCII)
    if _SURROGATE.search(value) is not None:
        return None
    return quote_plus(value, safe="")


def _html(value: str) -> str | None:
    if not value.isascii() and _SURROGATE.search(value) is not None:
        return None
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def _json_string(value: str) -> str | None:
    if not value.isascii() and _SURROGATE.search(value) is not None:
        return None
    return _JSON_SPECIAL.sub(_json_escape, value)


def _json_quoted(value: str) -> str | None:
    escaped = _json_string(value)
    return None if escaped is None else '"' + escaped + '"'


def _decline(value: str) -> None:
    # Text in a JSON number slot, and every value of a step -1 slot, is the policy's to judge.
    return None


_STR_ENCODERS: tuple[Callable[[str], str | None], ...] = (
    _text,
    _percent,
    _form,
    _html,
    _json_string,
    _decline,  # STEP_JSON_NUMBER
    _json_quoted,
)


def _str_encoder(step: int) -> Callable[[str], str | None]:
    """The encoder of a known ``step`` (`step_arg` checked it); -1 declines every value."""
    return _STR_ENCODERS[step] if step >= 0 else _decline


def _encode_int(step: int, value: int) -> str | None:
    """The digits of an exact ``int``; ``None`` when it does not fit 64 bits."""
    if not _INT64_MIN <= value <= _INT64_MAX:
        return None
    digits = str(value)
    return '"' + digits + '"' if step == STEP_JSON_QUOTED else digits


def encode_fast(step: int, value: object) -> str | None:
    """Encode a plain str (or an exact int) by one base step; ``None`` when the policy must
    decide (a lone surrogate, an int beyond 64 bits, text in a JSON number slot).

    Digits and ``-`` are safe in every step, so an int needs no encoding beyond quoting.
    """
    if step_arg(step) < 0:
        return None
    if value.__class__ is str:
        return _str_encoder(step)(value) if value else None
    if value.__class__ is int:
        return _encode_int(step, value)
    return None


# A batch's plan: per slot its index, base step, str encoder, missing-value text and the literal
# after it.  Built once per call, as the compiled core builds its C plan.
Plan = tuple[tuple[int, int, Callable[[str], "str | None"], "str | None", str], ...]


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
                text = encode(value) if value else None
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
