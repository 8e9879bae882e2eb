"""The Arrow path's encoders against the pure core, byte by byte where their fast paths split.

The compiled core encodes Arrow text several bytes at a time (whole words of plain bytes, a
short value read as two overlapping halves, the last word overlapping bytes already written)
and checks UTF-8 only for values with a byte >= 0x80.  A wrong word test or a wrong boundary
shows up only for some lengths and positions, so for every encoder (PERCENT, FORM, HTML, JSON
inside quotes and a quoted JSON value) each value of length 0 to 40 gets one byte or character
that needs spelling (or is non-ASCII, or sits next to a plain range) at every position, in
sliced arrays whose offsets do not start at 0; `render_arrow` must equal `render_many` over
``to_pylist()``.  Invalid UTF-8 at every position must still be an error naming the column
and row in strict mode and U+FFFD in lax mode.
"""

from __future__ import annotations

from typing import Any

import pytest

import mergefield

pa = pytest.importorskip("pyarrow")

# Templates by encoder: a URL query (PERCENT), a form body (FORM), HTML, JSON inside a string
# and a JSON value the encoder quotes itself.
TEMPLATES = {
    "percent": ("https://x.example/s?to=@{Lead:FirstName,}&n=1", "url"),
    "form": ("a=@{Lead:FirstName,}&b=2", "form"),
    "html": ("<p title='@{Lead:FirstName,}'>", "html"),
    "json_string": ('{"a":"@{Lead:FirstName,}"}', "json"),
    "json_quoted": ('{"a":@{Lead:FirstName,}}', "json"),
}
# Plain for every encoder, and the neighbours of the plain ranges of each.
FILLER = "aZ0-._~z9A"
SPECIALS = [
    *" +/%&<>\"'\\:;=?@[]^`{|},!#$*()\x00\x01\x1f\x7f\t\n",
    *("é", "ÿ", "€", "\u2027", "\u2028", "\u2029", "\U0001f600", "\u00e2", "\u0080"),
    *"-._~09AZaz",
]
LENGTHS = range(41)


def values_with_one_special() -> list[str]:
    values = [""]
    for length in LENGTHS:
        base = (FILLER * 5)[:length]
        values.append(base)
        for position in range(length):
            for special in SPECIALS:
                values.append(base[:position] + special + base[position + 1 :])
    return values


@pytest.mark.parametrize("encoder", sorted(TEMPLATES))
def test_every_length_and_position_renders_as_the_pure_core(core: str, encoder: str) -> None:
    source, kind = TEMPLATES[encoder]
    template = mergefield.compile(source, kind=kind)
    values = values_with_one_special()
    column = pa.array(["pad", "x" * 9, *values, "tail"], pa.string())
    for start in (2, 1, 0):
        # Sliced: the array's offset is `start` within buffers that begin earlier.
        table = pa.table({"FirstName": column.slice(start)})
        expected = template.render_many(table.to_pylist())
        assert template.render_arrow(table).to_pylist() == expected
    for type_ in (pa.large_string(), pa.string_view()):
        table = pa.table({"FirstName": pa.array(values, type_).slice(1)})
        assert template.render_arrow(table).to_pylist() == template.render_many(table.to_pylist())


# Not UTF-8: a stray continuation or high byte, a truncated sequence, an overlong form and an
# encoded surrogate, each at every position of plain ASCII.
INVALID = (b"\xff", b"\x80", b"\xe2\x80", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80")


def _strings(raw: list[bytes]) -> Any:
    offsets = [0]
    for value in raw:
        offsets.append(offsets[-1] + len(value))
    return pa.Array.from_buffers(
        pa.string(),
        len(raw),
        [
            None,
            pa.py_buffer(pa.array(offsets, pa.int32()).buffers()[1]),
            pa.py_buffer(b"".join(raw)),
        ],
    )


def invalid_values() -> list[bytes]:
    raw = []
    for length in range(0, 20):
        base = (FILLER * 2)[:length].encode()
        for position in range(length + 1):
            for bad in INVALID:
                raw.append(base[:position] + bad + base[position:])
    return raw


@pytest.mark.parametrize("encoder", sorted(TEMPLATES))
def test_invalid_utf8_at_every_position(core: str, encoder: str) -> None:
    source, kind = TEMPLATES[encoder]
    raw = invalid_values()
    column = _strings([b"ok", *raw])
    lax = mergefield.compile(source, kind=kind)
    expected = lax.render_many([{"FirstName": v.decode("utf-8", "replace")} for v in [b"ok", *raw]])
    assert lax.render_arrow(pa.table({"FirstName": column})).to_pylist() == expected
    strict = mergefield.compile(source, kind=kind, mode="strict")
    assert strict.render_arrow(pa.table({"FirstName": column.slice(0, 1)})).to_pylist() == [
        expected[0]
    ]
    error = r"column 'FirstName' row {}: invalid UTF-8"
    with pytest.raises(mergefield.RenderError, match=error.format(1)):
        strict.render_arrow(pa.table({"FirstName": column}))
    for row in (1, 7, len(raw)):
        # Each invalid value alone, at a sliced offset: the error counts from the slice.
        with pytest.raises(mergefield.RenderError, match=error.format(0)):
            strict.render_arrow(pa.table({"FirstName": column.slice(row, 1)}))
