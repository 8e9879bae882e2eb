"""Stream lead records from CSV, JSON Lines or a JSON array, one `LeadRow` at a time.

Bulk rendering must never hold a whole lead list in memory and must never lose a row without
saying so, so every reader here yields exactly one `LeadRow` per input record: either the
record as a ``dict`` or the reason it could not be read, with its 1-based row number and the
line where it starts.  CSV rows whose field count differs from the header's, a quoted CSV field
that never closes, JSON leads that are not objects or that Python cannot decode (a number of
more than 4,300 digits, nesting too deep) are reported and reading goes on; only a fault that
leaves no way to find the next record (a broken bracket inside a JSON array) ends the stream,
with a last row whose ``fatal`` flag is set.  `TextSource` decodes the bytes (UTF-8 with or
without a BOM, Latin-1, cp1252, UTF-16 with a BOM) and ends the text at the line before the
first undecodable byte, so every whole row before it is read and the place of the bad byte is
known.  CSV values are strings, and an empty string is a missing value for the renderer,
exactly like an absent key.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, NamedTuple, Protocol

from mergefield._messages import did_you_mean, json_type_name

__all__ = [
    "ENCODINGS",
    "FORMATS",
    "ArrowLeads",
    "DecodeFailure",
    "LeadReader",
    "LeadRow",
    "LeadsError",
    "TextSource",
    "arrow_format",
    "binary_kind",
    "did_you_mean",
    "format_from_name",
    "open_arrow_leads",
    "open_leads",
    "read_leads",
    "sniff_delimiter",
    "sniff_format",
    "supported_formats",
]

ENCODINGS = ("utf-8", "latin-1", "cp1252", "utf-16")
"""The encodings a leads file may be in; UTF-8 (the default) may start with a BOM, UTF-16 must."""

# JSON's own whitespace; str.isspace() would also skip characters JSON rejects.
_JSON_WS = re.compile(r"[ \t\n\r]*")
_READ_SIZE = 1 << 16
# Bytes decoded at a time: 64 KB blocks interleaved with the lines cut from them fragment the
# C heap (RSS grew with the number of leads); 16 KB keeps it flat at the same speed.
_DECODE_SIZE = 1 << 14
# The delimiters sniffed when none is given, in order of preference on a tie.
_DELIMITERS = (",", ";", "\t", "|")
# After this many never-closed quoted fields the CSV is not worth reading on.
_MAX_BROKEN_QUOTES = 100
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

# Binary formats people pass for leads that mergefield does not read, by their first bytes (the
# Arrow formats it reads have their magic in `_FORMATS`).
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive"),
    (b"Obj\x01", "an Avro file"),
    (b"ORC", "an ORC file"),
    (b"SQLite format 3", "an SQLite database"),
)


class LeadsError(Exception):
    """A leads file that cannot be read at all: unsupported format, broken or duplicate header,
    wrong encoding.  The message names the file's place and what was expected."""


class DecodeFailure(NamedTuple):
    """Where the first undecodable byte of a leads file is: ``offset`` counts bytes from 0,
    ``line`` from 1; ``data`` is the bad byte sequence."""

    offset: int
    line: int
    data: bytes
    encoding: str


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


class _Text(Protocol):
    def read(self, size: int = -1, /) -> str: ...

    def __iter__(self) -> Iterator[str]: ...


# --- decoding ----------------------------------------------------------------------------------


class TextSource:
    """The decoded text of a binary stream, read like a file opened with ``newline=""``.

    The text ends before the first undecodable byte: iteration drops the partial line that
    holds it, so line readers see only whole lines, and ``failure`` tells where the byte is.
    A UTF-8 BOM is dropped; ``utf-16`` needs a BOM (Excel writes one) to know the byte order.
    """

    def __init__(self, binary: IO[bytes], encoding: str = "utf-8", *, name: str = "") -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"unknown encoding {encoding!r}; expected one of {ENCODINGS}")
        self.name = name
        self.encoding = encoding
        self.failure: DecodeFailure | None = None
        self._binary = binary
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._fed = 0  # bytes read from the binary stream
        self._newlines = 0  # "\n" in the text decoded so far
        self._eof = False
        self._first = True
        self._text = ""
        self._pos = 0
        # The first block, for sniffing and BOM checks: at least the longest magic number.
        self.head = self._read_bytes()
        while 0 < len(self.head) < 16 and (more := self._read_bytes()):
            self.head += more
        if encoding == "utf-16" and not self.head.startswith(_UTF16_BOMS):
            raise LeadsError(
                f"{name}: --encoding utf-16 needs a byte order mark (FF FE or FE FF) at the start"
            )
        if encoding != "utf-16" and self.head.startswith(_UTF16_BOMS):
            raise LeadsError(
                f"{name}: the file starts with a UTF-16 byte order mark; use --encoding utf-16"
            )

    def _read_bytes(self) -> bytes:
        # read1 returns what a pipe holds now instead of waiting for a whole block.
        read = getattr(self._binary, "read1", self._binary.read)
        data = read(_DECODE_SIZE)
        return data if isinstance(data, bytes) else b""

    def _chunk(self) -> str:
        """The next piece of decoded text, "" at the end or after the first bad byte."""
        text = ""
        while not text and not self._eof:
            # A block may end inside a character (a pipe can hand over one byte): read on.
            text = self._decode_block()
        return text

    def _decode_block(self) -> str:
        if self.head:
            block, self.head = self.head, b""
        else:
            block = self._read_bytes()
        state = self._decoder.getstate()
        try:
            text = self._decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            pending = len(state[0])
            offset = self._fed - pending + exc.start
            self._decoder.setstate(state)
            text = self._decoder.decode(block[: max(exc.start - pending, 0)])
            line = self._newlines + text.count("\n") + 1
            self.failure = DecodeFailure(
                offset, line, exc.object[exc.start : exc.end], exc.encoding
            )
            self._eof = True
        self._fed += len(block)
        if not block:
            self._eof = True
        if self._first and text:
            self._first = False
            text = text.removeprefix("\ufeff")
        self._newlines += text.count("\n")
        return text

    def peek(self, size: int) -> str:
        """Up to ``size`` characters of what comes next, without consuming them."""
        while len(self._text) - self._pos < size and not self._eof:
            self._text = self._text[self._pos :] + self._chunk()
            self._pos = 0
        return self._text[self._pos : self._pos + size]

    def read(self, size: int = -1, /) -> str:
        """Up to ``size`` characters (all that is left when negative); "" at the end."""
        if self._pos < len(self._text):
            end = len(self._text) if size < 0 else self._pos + size
            piece = self._text[self._pos : end]
            self._pos += len(piece)
            return piece
        if size < 0:
            return "".join(iter(self._chunk, ""))
        return self._chunk()

    def __iter__(self) -> Iterator[str]:
        """The lines that follow, each with its line end (\\n, \\r\\n or \\r, as ``newline=""``
        splits); the partial line holding an undecodable byte is not yielded."""
        parts: list[str] = []
        text = self._text[self._pos :]
        self._text, self._pos = "", 0
        while True:
            if not text:
                text = self._chunk()
                if not text:
                    break
            # Up to the last line end that is surely whole ("\r" may be half of "\r\n").
            cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1))
            if cut < 0:
                parts.append(text)
                text = ""
                continue
            whole, text = text[: cut + 1], text[cut + 1 :]
            if parts:
                whole = "".join(parts) + whole
                parts = []
            held = ""
            # splitlines also splits at \v, \f, \x1c-\x1e, \x85, U+2028/9: join those back.
            for piece in whole.splitlines(keepends=True):
                if piece[-1] in "\r\n":
                    yield held + piece
                    held = ""
                else:
                    held += piece
        rest = "".join(parts)
        if rest and self.failure is None:
            yield rest

    def close(self) -> None:
        self._binary.close()


# --- formats -----------------------------------------------------------------------------------


class LeadReader:
    """The rows of one leads file; ``columns`` is the CSV header (``None`` for JSON)."""

    columns: tuple[str, ...] | None = None
    delimiter: str | None = None
    sniffed: bool = False

    def __init__(self, rows: Iterator[LeadRow]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[LeadRow]:
        return self._rows


class _Format(NamedTuple):
    label: str
    extensions: tuple[str, ...]
    open: Callable[[_Text, str | None], LeadReader] | None
    # Arrow formats: read from the binary file by pyarrow (`open_arrow_leads`), not as text.
    open_arrow: Callable[[IO[bytes], str], ArrowLeads] | None = None
    magic: bytes | None = None


def _open_csv(stream: _Text, delimiter: str | None) -> LeadReader:
    return _CsvReader(stream, delimiter)


def _open_jsonl(stream: _Text, delimiter: str | None) -> LeadReader:
    return LeadReader(_jsonl_rows(stream))


def _open_json(stream: _Text, delimiter: str | None) -> LeadReader:
    return LeadReader(_json_array_rows(stream))


def _open_parquet(binary: IO[bytes], name: str) -> ArrowLeads:
    return _ParquetLeads(binary, name)


def _open_ipc(binary: IO[bytes], name: str) -> ArrowLeads:
    return _IpcLeads(binary, name)


# The one table of lead formats: a new format is one line here (and its reader).
_FORMATS: dict[str, _Format] = {
    "csv": _Format("CSV", (".csv", ".tsv"), _open_csv),
    "jsonl": _Format("JSON Lines", (".jsonl", ".ndjson"), _open_jsonl),
    "json": _Format("a JSON array", (".json",), _open_json),
    "parquet": _Format("Parquet", (".parquet", ".pq"), None, _open_parquet, b"PAR1"),
    "arrow": _Format(
        "Arrow IPC", (".arrow", ".arrows", ".feather", ".ipc"), None, _open_ipc, b"ARROW1"
    ),
}

FORMATS = tuple(_FORMATS)
"""The lead formats `read_leads` understands."""


def supported_formats() -> str:
    """The supported formats for messages: ``CSV (.csv, .tsv), JSON Lines (...) ...``."""
    return ", ".join(f"{f.label} ({', '.join(f.extensions)})" for f in _FORMATS.values())


def format_from_name(name: str) -> str | None:
    """The lead format a file name's extension implies (``.csv``, ``.jsonl``, ``.json``...)."""
    lowered = name.lower()
    for fmt, spec in _FORMATS.items():
        if lowered.endswith(spec.extensions):
            return fmt
    return None


def arrow_format(name: str, fmt: str | None, head: bytes) -> str | None:
    """The Arrow format (``parquet``, ``arrow``) a leads file is read in, or ``None`` for text:
    ``fmt`` when given, else the file name's extension, else the file's first bytes."""
    fmt = fmt or format_from_name(name)
    if fmt is None:
        fmt = next((f for f, s in _FORMATS.items() if s.magic and head.startswith(s.magic)), None)
    return fmt if fmt is not None and _FORMATS[fmt].open_arrow is not None else None


def binary_kind(head: bytes) -> str | None:
    """What a file starting with ``head`` is when it is a known binary format, or binary at all
    (a NUL byte, which no CSV or JSON text in UTF-8, Latin-1 or cp1252 holds); else ``None``."""
    for fmt, spec in _FORMATS.items():
        if spec.magic and head.startswith(spec.magic):
            return f"a {spec.label} file (read it with --leads-format {fmt})"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if b"\x00" in head[:8192]:
        return "a binary file (it holds NUL bytes)"
    return None


def sniff_format(source: TextSource) -> str:
    """Guess the format of decoded text from its first characters without consuming them.

    ``[`` starts a JSON array and ``{`` JSON Lines; anything else is taken as CSV.
    """
    head = source.peek(4096).lstrip(" \t\r\n")
    if head.startswith("["):
        return "json"
    if head.startswith("{"):
        return "jsonl"
    return "csv"


def open_leads(
    source: TextSource, fmt: str | None = None, *, delimiter: str | None = None
) -> LeadReader:
    """A `LeadReader` over ``source`` in format ``fmt`` (default: the file name's extension,
    else sniffed).  Raises `LeadsError` for a binary file, an unknown format or a CSV header
    that cannot be used (unreadable, duplicate names)."""
    what = binary_kind(source.head) if source.encoding != "utf-16" else None
    if what is not None:
        raise LeadsError(
            f"{source.name} is {what}, not a leads file mergefield can read; "
            f"supported: {supported_formats()}"
        )
    if fmt is None:
        fmt = format_from_name(source.name) or sniff_format(source)
    spec = _FORMATS.get(fmt)
    if spec is None:
        raise LeadsError(f"unknown lead format {fmt!r}; supported: {supported_formats()}")
    if spec.open is None:
        raise LeadsError(f"{source.name}: {spec.label} leads are read with open_arrow_leads")
    return spec.open(source, delimiter)


def open_arrow_leads(binary: IO[bytes], fmt: str, name: str) -> ArrowLeads:
    """An `ArrowLeads` over the binary file ``binary`` in Arrow format ``fmt`` (``parquet``,
    ``arrow``); `LeadsError` names the file when pyarrow is missing or cannot open it."""
    spec = _FORMATS.get(fmt)
    if spec is None or spec.open_arrow is None:
        raise LeadsError(f"{fmt!r} is not an Arrow lead format; supported: {supported_formats()}")
    return spec.open_arrow(binary, name)


def read_leads(stream: _Text, fmt: str, *, delimiter: str = ",") -> Iterator[LeadRow]:
    """Yield one `LeadRow` per record of ``stream`` (a text stream) in format ``fmt``.

    For CSV, open the stream with ``newline=""`` so that quoted line breaks survive; the first
    row is the header.  A ``UnicodeDecodeError`` from the stream propagates; read through a
    `TextSource` to have the rows before a bad byte and its place instead.
    """
    spec = _FORMATS.get(fmt)
    if spec is None:
        raise ValueError(f"unknown lead format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if spec.open is None:
        raise ValueError(f"{spec.label} is binary: read it with open_arrow_leads, not as text")
    try:
        return iter(spec.open(stream, delimiter))
    except LeadsError as exc:
        return iter([LeadRow(1, 1, None, str(exc), fatal=True)])


def _failed(stream: _Text) -> bool:
    """Whether ``stream`` ended early at an undecodable byte (its reader reports that)."""
    return getattr(stream, "failure", None) is not None


# --- CSV -----------------------------------------------------------------------------------------


class _LineFeed:
    """The lines handed to `csv.reader`, remembering the current record's lines and taking
    lines back, so a record broken by a stray quote can be cut and the rest read again."""

    def __init__(self, stream: _Text) -> None:
        self._source = iter(stream)
        self._pushed: deque[str] = deque()
        self.record: list[str] = []

    def lines(self) -> Iterator[str]:
        """The lines for a new `csv.reader`: those pushed back first, then the stream's."""
        record, pushed = self.record, self._pushed
        while pushed:
            line = pushed.popleft()
            record.append(line)
            yield line
        for line in self._source:
            record.append(line)
            yield line

    def push_back(self, lines: Sequence[str]) -> None:
        self._pushed.extendleft(reversed(lines))


def _quote_opened(lines: Sequence[str], delimiter: str) -> tuple[int, int, bool]:
    """Where the last quoted field of a CSV record opened (line index, 1-based column) and
    whether it is still open at the end of ``lines``; ``(-1, 0, False)`` when none opened."""
    where = (-1, 0)
    state = 0  # 0 start of field, 1 unquoted field, 2 quoted field, 3 quote inside quoted field
    for index, line in enumerate(lines):
        for column, char in enumerate(line, 1):
            if state == 2:
                if char == '"':
                    state = 3
            elif state == 3 and char == '"':
                state = 2  # a doubled quote stands for one
            elif char == delimiter or char in "\r\n":
                state = 0
            elif state == 0 and char == '"':
                state, where = 2, (index, column)
            else:
                state = 1
    return where[0], where[1], state == 2


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV text among ``, ; TAB |``: the one the header line uses, or, when
    it uses several, the one `csv.Sniffer` finds consistent over the first lines."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines.pop()  # a cut line would confuse the sniffer
    header = lines[0] if lines else ""
    present = [d for d in _DELIMITERS if d in header]
    if len(present) <= 1:
        return present[0] if present else ","
    try:
        found = csv.Sniffer().sniff("".join(lines[:20]), delimiters="".join(present)).delimiter
    except csv.Error:
        found = ""
    return found if found in present else max(present, key=header.count)


class _CsvReader(LeadReader):
    """CSV rows after a header, with never-closed quotes cut at the line where they opened."""

    def __init__(self, stream: _Text, delimiter: str | None) -> None:
        self._stream = stream
        if delimiter is None:
            peek = getattr(stream, "peek", None)
            delimiter = sniff_delimiter(peek(65536)) if peek is not None else ","
            self.sniffed = True
        self.delimiter = delimiter
        self._feed = _LineFeed(stream)
        self._reader = self._new_reader()
        self._broken = 0
        self._done = 0  # lines read into records so far
        header = self._header()
        self.columns = tuple(header) if header is not None else None
        super().__init__(self._records())

    def _new_reader(self) -> Iterator[list[str]]:
        # strict: a quote that never closes is an error here, not the rest of the file.
        return csv.reader(self._feed.lines(), delimiter=self.delimiter or ",", strict=True)

    def _header(self) -> list[str] | None:
        name = getattr(self._stream, "name", "") or "<leads>"
        while True:
            self._feed.record.clear()
            start = self._done + 1
            try:
                values = next(self._reader)
                self._done += len(self._feed.record)
            except StopIteration:
                return None
            except csv.Error as exc:
                index, column, _ = _quote_opened(self._feed.record, self.delimiter or ",")
                where = f" (the quoted field at line {start + index}, column {column})"
                raise LeadsError(
                    f"{name}:{start}: unreadable CSV header: {exc}" + (where if column else "")
                ) from None
            if values:
                break
        seen: dict[str, int] = {}
        for position, value in enumerate(values, 1):
            if value in seen:
                raise LeadsError(
                    f"{name}:{start}: the header names column {value!r} twice "
                    f"(columns {seen[value]} and {position}); a lead could hold only one of them"
                )
            seen[value] = position
        return values

    def _records(self) -> Iterator[LeadRow]:
        header = self.columns
        if header is None:
            return
        width = len(header)
        number = 0
        feed = self._feed
        record = feed.record
        while True:
            record.clear()
            start = self._done + 1
            try:
                values = next(self._reader)
                self._done += len(record)
            except StopIteration:
                return
            except csv.Error as exc:
                lines = list(record)
                self._done += len(lines)
                self._reader = self._new_reader()
                index, column, still_open = _quote_opened(lines, self.delimiter or ",")
                if still_open and _failed(self._stream):
                    return  # cut by the undecodable byte, which the caller reports
                if len(lines) <= 1 and not still_open:
                    # A quote inside one line ("a"b): read it as csv's lax dialect does.
                    values = next(csv.reader(lines, delimiter=self.delimiter or ","))
                else:
                    number += 1
                    self._broken += 1
                    opened = start + max(index, 0)
                    again = lines[index + 1 :] if index >= 0 else []
                    feed.push_back(again)
                    self._done -= len(again)
                    if "field limit" in str(exc):
                        why = f"runs past {csv.field_size_limit():,} characters without closing"
                    else:
                        why = "is never closed" if still_open else f"breaks the row ({exc})"
                    message = f"the quoted field opened at line {opened}, column {column} {why}"
                    if self._broken >= _MAX_BROKEN_QUOTES:
                        message += f"; {self._broken} broken quotes, so reading stops here"
                        yield LeadRow(number, start, None, message, fatal=True)
                        return
                    message += f"; the lines after line {opened} are read again as rows"
                    yield LeadRow(number, start, None, message)
                    continue
            if not values:
                continue  # a blank line is no record, as in csv.DictReader
            number += 1
            if len(values) != width:
                message = f"{len(values)} fields where the header has {width}"
                yield LeadRow(number, start, None, message)
                continue
            yield LeadRow(number, start, dict(zip(header, values, strict=True)))


# --- JSON ---------------------------------------------------------------------------------------


def _json_error(exc: ValueError | RecursionError, line: int = 1) -> str:
    """Why a JSON lead could not be decoded, for a failed row (``line`` of its start)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} (line {line + exc.lineno - 1})"
    if isinstance(exc, RecursionError):
        return "invalid JSON: nested too deeply to decode"
    # int() refuses more than sys.get_int_max_str_digits() digits (CVE-2020-10735).
    return "invalid JSON: a number has too many digits to decode (over 4,300)"


def _jsonl_rows(stream: _Text) -> Iterator[LeadRow]:
    number = 0
    for line_number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        number += 1
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as exc:
            if isinstance(exc, json.JSONDecodeError):
                message = f"invalid JSON: {exc.msg} at column {exc.colno}"
            else:
                message = _json_error(exc)
            yield LeadRow(number, line_number, None, message)
            continue
        if not isinstance(value, dict):
            what = json_type_name(value)
            yield LeadRow(number, line_number, None, f"a lead must be a JSON object, not {what}")
            continue
        yield LeadRow(number, line_number, value)


class _Buffer:
    """A sliding window over a text stream that keeps line numbers of discarded text."""

    def __init__(self, stream: _Text) -> None:
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

    def take(self, extent: _Extent) -> str | None:
        """The JSON value starting at ``pos``, its end found by ``extent`` chunk by chunk (each
        character is looked at once); ``None`` when the input ends first."""
        line = self.line_at(self.pos)
        pieces: list[str] = []
        text, start = self.text, self.pos
        while True:
            end = extent.feed(text, start)
            if end >= 0:
                pieces.append(text[start:end])
                break
            pieces.append(text[start:])
            text, start = self.stream.read(_READ_SIZE), 0
            if not text:
                self.eof = True
                if not extent.scalar:
                    return None
                end = 0
                break
        value = "".join(pieces)
        self.text, self.pos = text, end
        self.lines, self.counted = line + value.count("\n"), end
        return value


class _Broken(Exception):
    """A bracket that closes nothing or the wrong thing: the array cannot be read on."""


_STRUCTURE = re.compile(r'["\[\]{}]')
_STRING_STOP = re.compile(r'["\\]')
_SCALAR_END = re.compile(r"[^0-9A-Za-z+\-.]")
_CLOSES = {"]": "[", "}": "{"}


class _Extent:
    """Finds where one JSON value ends without decoding it, over any number of chunks: a
    stack of open brackets and whether a string (or an escape) is open carry over."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.in_string = False
        self.escape = False
        self.started = False
        self.scalar = False

    def feed(self, text: str, i: int) -> int:
        """The offset just past the value's end in ``text``, or -1 when it goes on."""
        if not self.started:
            self.started = True
            first = text[i]
            if first in "[{":
                self.stack.append(first)
                i += 1
            elif first == '"':
                self.in_string = True
                i += 1
            else:
                self.scalar = True
        if self.scalar:
            found = _SCALAR_END.search(text, i)
            return found.start() if found is not None else -1
        while True:
            if self.in_string:
                if self.escape:
                    if i >= len(text):
                        return -1
                    self.escape = False
                    i += 1
                found = _STRING_STOP.search(text, i)
                if found is None:
                    return -1
                i = found.end()
                if found.group() == "\\":
                    self.escape = True
                    continue
                self.in_string = False
                if not self.stack:
                    return i
                continue
            found = _STRUCTURE.search(text, i)
            if found is None:
                return -1
            char, i = found.group(), found.end()
            if char == '"':
                self.in_string = True
            elif char in "[{":
                self.stack.append(char)
            elif not self.stack or self.stack.pop() != _CLOSES[char]:
                raise _Broken(f"invalid JSON: {char} closes nothing open")
            elif not self.stack:
                return i


def _json_array_rows(stream: _Text) -> Iterator[LeadRow]:
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
                if char == "" and _failed(stream):
                    return
                found = "the end of the input" if char == "" else repr(char)
                message = f"expected , or ] after lead {number - 1}, found {found}"
                yield LeadRow(number, line, None, message, fatal=True)
                return
            buf.pos += 1
            if buf.skip_ws() == "":
                if not _failed(stream):
                    yield LeadRow(number, line, None, "expected a lead after ,", fatal=True)
                return
            line = buf.line_at(buf.pos)
        value: object = None
        error: str | None = None
        try:
            # The fast path: a lead wholly inside the window, decoded by the C decoder.
            value, end = decoder.raw_decode(buf.text, buf.pos)
            fast = end < len(buf.text)
        except (ValueError, RecursionError):
            fast = False
        if fast:
            buf.pos = end
        else:
            # A lead cut by the window's edge, or one that does not decode: find its end once,
            # then decode it once, so a large lead costs linear time.
            try:
                text = buf.take(_Extent())
            except _Broken as exc:
                yield LeadRow(number, line, None, str(exc), fatal=True)
                return
            if not text:
                if not _failed(stream):
                    message = (
                        "invalid JSON: the input ends inside this lead"
                        if text is None
                        else f"invalid JSON: expected a lead, found {buf.text[buf.pos]!r}"
                    )
                    yield LeadRow(number, line, None, message, fatal=True)
                return
            try:
                value = json.loads(text)
            except (ValueError, RecursionError) as exc:
                error = _json_error(exc, line)
        expect_value = False
        if error is not None:
            yield LeadRow(number, line, None, error)
        elif isinstance(value, dict):
            yield LeadRow(number, line, value)
        else:
            yield LeadRow(
                number, line, None, f"a lead must be a JSON object, not {json_type_name(value)}"
            )


# --- Arrow formats -----------------------------------------------------------------------------


class ArrowLeads(LeadReader):
    """A Parquet or Arrow IPC leads file, read by pyarrow a record batch at a time.

    ``columns`` is the schema's names (the header).  `batches` yields record batches of at most
    ``size`` rows holding the named columns only, so memory is bounded by one batch whatever the
    file's size; iterating yields one `LeadRow` per row (``line`` 0: the file has no lines).  A
    file that cannot be opened, or whose data breaks off or is damaged part way, raises
    `LeadsError` naming the file (and the rows read before the damage).
    """

    label = "Arrow"

    def __init__(self, binary: IO[bytes], name: str) -> None:
        super().__init__(iter(()))
        self.name = name
        self._binary = binary
        try:
            from ._arrow_input import require_pyarrow

            self._pa = require_pyarrow(f"reading {self.label} leads ({name})")
            self.columns = tuple(self._open())
        except (ImportError, LeadsError) as exc:
            if binary is not getattr(sys.stdin, "buffer", None):
                binary.close()  # nobody else will: the caller gets no reader
            raise LeadsError(str(exc)) from None

    def _open(self) -> list[str]:
        raise NotImplementedError

    def _batches(self) -> Iterator[Any]:
        raise NotImplementedError

    def _damaged(self, exc: Exception, rows: int | None) -> LeadsError:
        if rows is None:
            where = ""
        elif rows == 0:
            where = " (it broke off before its first row)"
        else:
            where = f" after row {rows} (rows 1 to {rows} were read)"
        return LeadsError(f"{self.name} is not a readable {self.label} file{where}: {exc}")

    def batches(self, columns: Sequence[str] | None = None, size: int = 65536) -> Iterator[Any]:
        """pyarrow record batches of at most ``size`` rows with ``columns`` (default: all)."""
        rows = 0
        source = self._batches_of(columns, size)
        while True:
            try:
                batch = next(source)
            except StopIteration:
                return
            except (self._pa.ArrowException, OSError, ValueError, EOFError) as exc:
                raise self._damaged(exc, rows) from None
            for start in range(0, batch.num_rows, size):
                part = batch.slice(start, size)
                rows += part.num_rows
                yield part

    def _batches_of(self, columns: Sequence[str] | None, size: int) -> Iterator[Any]:
        for batch in self._batches():
            yield batch if columns is None else batch.select(list(columns))

    def __iter__(self) -> Iterator[LeadRow]:
        number = 0
        for batch in self.batches():
            for record in batch.to_pylist():
                number += 1
                yield LeadRow(number, 0, record)

    def close(self) -> None:
        self._binary.close()


class _ParquetLeads(ArrowLeads):
    label = "Parquet"

    def _open(self) -> list[str]:
        if not self._binary.seekable():
            raise LeadsError(
                f"{self.name}: Parquet leads cannot come from a pipe (the reader needs to seek "
                "to the file's footer); give the file's path"
            )
        import pyarrow.parquet as pq

        try:
            self._file = pq.ParquetFile(self._binary)
        except (self._pa.ArrowException, OSError, ValueError) as exc:
            raise self._damaged(exc, None) from None
        return list(self._file.schema_arrow.names)

    def _batches_of(self, columns: Sequence[str] | None, size: int) -> Iterator[Any]:
        # Only the columns the template reads are decoded: the rest of the file is never read.
        # A row group at a time: pyarrow's reader decodes ahead, so damage in a later group
        # would otherwise stop the run before the rows of the groups in front of it.
        for group in range(self._file.num_row_groups):
            yield from self._file.iter_batches(
                batch_size=size, row_groups=[group], columns=columns, use_threads=False
            )


class _IpcLeads(ArrowLeads):
    label = "Arrow IPC"

    def _open(self) -> list[str]:
        ipc = self._pa.ipc
        try:
            if self._binary.seekable() and self._binary.read(6) == b"ARROW1":
                self._binary.seek(0)
                # The file format ends with a footer: a file cut short is an error here, where a
                # stream cut at a batch boundary would just end.
                self._reader: Any = ipc.open_file(self._binary)
            else:
                if self._binary.seekable():
                    self._binary.seek(0)
                elif getattr(self._binary, "peek", lambda n: b"")(8)[:6] == b"ARROW1":
                    self._binary.read(8)  # a file piped in: its body is a stream
                self._reader = ipc.open_stream(self._binary)
        except (self._pa.ArrowException, OSError, ValueError) as exc:
            raise self._damaged(exc, None) from None
        return list(self._reader.schema.names)

    def _batches(self) -> Iterator[Any]:
        reader = self._reader
        if isinstance(reader, self._pa.ipc.RecordBatchFileReader):
            for index in range(reader.num_record_batches):
                yield reader.get_batch(index)
        else:
            yield from reader
