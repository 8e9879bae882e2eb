"""`mergefield.leads` at the edges of its blocks: lines, bad bytes and JSON leads cut anywhere.

The readers decode and scan the input a block at a time; shrinking the blocks to a few bytes
puts every line end, multi-byte character, escape and bracket on a block edge somewhere, and
the results must equal what reading the whole input at once gives.
"""

from __future__ import annotations

import io
import json

import pytest

from mergefield import leads
from mergefield.leads import TextSource, open_leads

TEXT = 'Id,Notes\r\n1,"two\r\nlines"\n2,a\u2028b\x0bc\x85d\r3,Zoë 😀\n\n4,"x""y"\r\n5,last'


@pytest.fixture(params=[1, 2, 3, 5, 7, 64])
def small_blocks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    size: int = request.param
    monkeypatch.setattr(leads, "_DECODE_SIZE", size)
    monkeypatch.setattr(leads, "_READ_SIZE", size)
    return size


def test_lines_split_like_newline_empty(small_blocks: int) -> None:
    expected = list(io.TextIOWrapper(io.BytesIO(TEXT.encode()), encoding="utf-8", newline=""))
    assert list(TextSource(io.BytesIO(TEXT.encode()))) == expected
    utf16 = TextSource(io.BytesIO(TEXT.encode("utf-16")), "utf-16")
    assert list(utf16) == expected


def test_csv_rows_are_the_same_in_any_blocks(small_blocks: int) -> None:
    rows = [r.record for r in open_leads(TextSource(io.BytesIO(TEXT.encode()), name="x.csv"))]
    assert rows == [
        {"Id": "1", "Notes": "two\r\nlines"},
        {"Id": "2", "Notes": "a\u2028b\x0bc\x85d"},
        {"Id": "3", "Notes": "Zoë 😀"},
        {"Id": "4", "Notes": 'x"y'},
        {"Id": "5", "Notes": "last"},
    ]


@pytest.mark.parametrize("at", [0, 1, 9, 10, 11, 12, 16, 17, 26])
def test_a_bad_byte_is_found_at_its_offset(small_blocks: int, at: int) -> None:
    data = "Id,Name\nA,Zoë\nB,b\nC,c\nD,d\n".encode()
    data = data[:at] + b"\xff" + data[at:]
    source = TextSource(io.BytesIO(data), name="x.csv")
    lines = list(source)
    assert source.failure is not None
    assert source.failure.offset == at and source.failure.data == b"\xff"
    assert source.failure.line == data[:at].count(b"\n") + 1
    # Exactly the whole lines before the bad byte, never the line holding it.
    whole = data[: data.rfind(b"\n", 0, at) + 1].decode()
    assert "".join(lines) == whole


def test_a_truncated_character_at_the_end_is_a_bad_byte(small_blocks: int) -> None:
    source = TextSource(io.BytesIO(b"Id\n1\nZo" + "ë".encode()[:1]))
    assert list(source) == ["Id\n", "1\n"]
    assert source.failure is not None and source.failure.offset == 7


def test_bad_bytes_in_other_encodings() -> None:
    cp1252 = TextSource(io.BytesIO(b"Id\n1\n\x81\n"), "cp1252")  # 0x81 is undefined there
    assert list(cp1252) == ["Id\n", "1\n"]
    assert cp1252.failure is not None and cp1252.failure.offset == 5
    lone = "Id\n1\n".encode("utf-16-le") + b"\x00\xd8" + "x\n".encode("utf-16-le")
    utf16 = TextSource(io.BytesIO(b"\xff\xfe" + lone), "utf-16")
    assert list(utf16) == ["Id\n", "1\n"]
    assert utf16.failure is not None and utf16.failure.offset == 12


LEADS = [
    {"a": 'quote " and \\ backslash', "b": ["]", "}", "[{"], "c": {"d": [1, 2.5e3, None]}},
    {"e": "\\", "f": '\\\\"', "g": "😀 \u2028"},
    {"h": -12, "i": True, "j": False, "k": "x" * 40},
]


def test_json_array_leads_cut_anywhere(small_blocks: int) -> None:
    text = json.dumps([*LEADS, 7, "s", [1], {"z": 1}], indent=1, ensure_ascii=False)
    rows = list(open_leads(TextSource(io.BytesIO(text.encode()), name="x.json")))
    assert [r.record for r in rows] == [*LEADS, None, None, None, {"z": 1}]
    assert [r.error for r in rows[3:6]] == [
        "a lead must be a JSON object, not a number",
        "a lead must be a JSON object, not a string",
        "a lead must be a JSON object, not an array",
    ]
    lines = text.split("\n")  # not splitlines: a lead holds U+2028
    first_lines = [lines.index(" 7,") + 1, lines.index(' "s",') + 1]
    assert [r.line for r in rows[3:5]] == first_lines


def test_a_broken_bracket_ends_the_array(small_blocks: int) -> None:
    rows = list(
        open_leads(TextSource(io.BytesIO(b'[{"a": 1}, {"b": [1}, {"c": 2}]'), name="x.json"))
    )
    assert rows[0].record == {"a": 1}
    assert rows[1].fatal and rows[1].error == "invalid JSON: } closes nothing open"
    assert len(rows) == 2


def test_a_bad_json_lead_is_one_failed_row(small_blocks: int) -> None:
    data = b'[{"a": 1}, {"b": tru}, {"c": "x\\q"}, {"d": 2}]'
    rows = list(open_leads(TextSource(io.BytesIO(data), name="x.json")))
    assert [r.record for r in rows] == [{"a": 1}, None, None, {"d": 2}]
    assert all(r.error.startswith("invalid JSON: ") for r in rows[1:3] if r.error)
