"""Stream lead records from CSV, JSON Lines or a JSON array, one `LeadRow` at a time.

Bulk rendering must never hold a whole lead list in memory and must never lose a row without
saying so, so every reader here yields exactly one `LeadRow` per input record: either the
record as a ``dict`` or the reason it could not be read, with its 1-based row number and the
line where it starts.  CSV rows whose field count differs from the header's, JSON Lines that
are not JSON objects, and so on are reported and reading goes on; only a fault that leaves no
way to find the next record (a broken element inside a JSON array) ends the stream, with a
last row whose ``fatal`` flag is set.  CSV values are strings, and an empty string is a
missing value for the renderer, exactly like an absent key.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import IO, Any, NamedTuple

__all__ = ["FORMATS", "LeadRow", "format_from_name", "read_leads", "sniff_format"]

FORMATS = ("csv", "jsonl", "json")
"""The lead formats `read_leads` understands."""

_EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}

# JSON's own whitespace; str.isspace() would also skip characters JSON rejects.
_JSON_WS = re.compile(r"[ \t\n\r]*")
_READ_SIZE = 1 << 16


class LeadRow(NamedTuple):
    """One input record: ``number`` counts records from 1, ``line`` is where it starts.

    Exactly one of ``record`` and ``error`` is set.  ``fatal`` marks an error after which the
    reader cannot find further records, so the stream ends there.
    """

    number: int
    line: int
    record: dict[str, Any] | None
    error: str | None = None
    fatal: bool = False


def format_from_name(name: str) -> str | None:
    """The lead format a file name's extension implies (``.csv``, ``.jsonl``, ``.json``)."""
    lowered = name.lower()
    for extension, fmt in _EXTENSIONS.items():
        if lowered.endswith(extension):
            return fmt
    return None


def sniff_format(stream: io.BufferedReader) -> str:
    """Guess the format of a binary stream from its first bytes without consuming them.

    ``[`` starts a JSON array and ``{`` JSON Lines; anything else is taken as CSV.
    """
    head = stream.peek(_READ_SIZE).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        return "jsonl"
    return "csv"


def read_leads(stream: IO[str], fmt: str, *, delimiter: str = ",") -> Iterator[LeadRow]:
    """Yield one `LeadRow` per record of ``stream`` (a text stream) in format ``fmt``.

    For CSV, open the stream with ``newline=""`` so that quoted line breaks survive; the first
    row is the header.  A ``UnicodeDecodeError`` from the stream propagates: no record after
    undecodable bytes can be trusted.
    """
    if fmt == "csv":
        return _csv_rows(stream, delimiter)
    if fmt == "jsonl":
        return _jsonl_rows(stream)
    if fmt == "json":
        return _json_array_rows(stream)
    raise ValueError(f"unknown lead format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _csv_rows(stream: IO[str], delimiter: str) -> Iterator[LeadRow]:
    reader = csv.reader(stream, delimiter=delimiter)
    header: list[str] | None = None
    width = 0
    number = 0
    next_line = 1
    while True:
        start = next_line
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            next_line = reader.line_num + 1
            if header is None:
                number += 1
                yield LeadRow(number, start, None, f"unreadable CSV header: {exc}", fatal=True)
                return
            number += 1
            yield LeadRow(number, start, None, f"unreadable CSV row: {exc}")
            continue
        next_line = reader.line_num + 1
        if not values:
            continue  # a blank line is no record, as in csv.DictReader
        if header is None:
            header = values
            width = len(header)
            continue
        number += 1
        if len(values) != width:
            yield LeadRow(
                number,
                start,
                None,
                f"{len(values)} fields where the header has {width}",
            )
            continue
        yield LeadRow(number, start, dict(zip(header, values, strict=True)))


def _jsonl_rows(stream: IO[str]) -> Iterator[LeadRow]:
    number = 0
    for line_number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        number += 1
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield LeadRow(
                number, line_number, None, f"invalid JSON: {exc.msg} at column {exc.colno}"
            )
            continue
        if not isinstance(value, dict):
            yield LeadRow(
                number, line_number, None, f"a lead must be a JSON object, not {_json_type(value)}"
            )
            continue
        yield LeadRow(number, line_number, value)


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


class _Buffer:
    """A sliding window over a text stream that keeps line numbers of discarded text."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.text = ""
        self.pos = 0
        self.eof = False
        self.lines = 1  # the line number of self.text[counted]
        self.counted = 0

    def fill(self) -> bool:
        """Read more text, dropping what was consumed; False at the end of the stream."""
        if self.eof:
            return False
        chunk = self.stream.read(_READ_SIZE)
        self.line_at(self.pos)
        self.text = self.text[self.pos :] + chunk
        self.counted -= self.pos
        self.pos = 0
        if not chunk:
            self.eof = True
        return bool(chunk)

    def skip_ws(self) -> str:
        """Skip JSON whitespace and return the next character, or "" at the end."""
        while True:
            match = _JSON_WS.match(self.text, self.pos)
            assert match is not None  # the pattern matches the empty string
            self.pos = match.end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return ""

    def line_at(self, offset: int) -> int:
        """The line number of ``offset`` (which must not lie before the last one asked)."""
        self.lines += self.text.count("\n", self.counted, offset)
        self.counted = offset
        return self.lines


def _json_array_rows(stream: IO[str]) -> Iterator[LeadRow]:
    decoder = json.JSONDecoder()
    buf = _Buffer(stream)
    first = buf.skip_ws()
    if first == "":
        return  # an empty input holds no leads
    if first != "[":
        yield LeadRow(
            1, buf.line_at(buf.pos), None, "a JSON lead list must start with [", fatal=True
        )
        return
    buf.pos += 1
    number = 0
    expect_value = True
    while True:
        char = buf.skip_ws()
        if char == "]" and (not expect_value or number == 0):
            buf.pos += 1
            if buf.skip_ws() != "":
                line = buf.line_at(buf.pos)
                yield LeadRow(number + 1, line, None, "text after the closing ]", fatal=True)
            return
        number += 1
        line = buf.line_at(buf.pos)
        if not expect_value:
            if char != ",":
                found = "the end of the input" if char == "" else repr(char)
                message = f"expected , or ] after lead {number - 1}, found {found}"
                yield LeadRow(number, line, None, message, fatal=True)
                return
            buf.pos += 1
            buf.skip_ws()
            line = buf.line_at(buf.pos)
        while True:
            try:
                value, end = decoder.raw_decode(buf.text, buf.pos)
            except json.JSONDecodeError as exc:
                # Only an error at the window's edge (or in a string that runs past it) may be
                # a lead cut in two; anything earlier is really broken, so stop reading there
                # instead of pulling the rest of a large file into memory.
                cut = exc.pos >= len(buf.text) - 16 or exc.msg.startswith("Unterminated string")
                if cut and buf.fill():
                    continue
                yield LeadRow(number, line, None, f"invalid JSON: {exc.msg}", fatal=True)
                return
            # A number or literal cut by the window's edge parses too early: read on and retry.
            if end == len(buf.text) and buf.fill():
                continue
            break
        buf.pos = end
        expect_value = False
        if isinstance(value, dict):
            yield LeadRow(number, line, value)
        else:
            yield LeadRow(
                number, line, None, f"a lead must be a JSON object, not {_json_type(value)}"
            )
