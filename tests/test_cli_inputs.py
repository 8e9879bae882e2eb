"""``mergefield render`` and ``check`` on the inputs of issue 13, end to end in a child process.

Each test feeds the command the files of the issue (an unterminated CSV quote, a bad byte at line
5,001, a semicolon export, BOMs, a 5,000-digit number, a Parquet file...) and checks that no row
is lost without a message, and that the exit status and the summary tell the truth.  The JSON
reader's linearity is measured in-process as a ratio of times over input sizes.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from tests.test_cli import EXAMPLES, run, summary

UNTERMINATED = 'ProspectID,FirstName,Notes\np1,Ann,"oops\np2,Bob,fine\np3,Cy,fine\n'


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


# --- 1: an unterminated quote ------------------------------------------------------------------


def test_unterminated_quote_fails_its_row_and_the_later_rows_are_read(tmp_path: Path) -> None:
    leads = write(tmp_path, "u.csv", UNTERMINATED)
    lax = run("render", "@{Lead:FirstName,}", "--leads", leads)
    assert lax.returncode == 1
    assert lax.stdout == "Bob\nCy\n"
    assert (
        f"{leads}:2: row 1: the quoted field opened at line 2, column 8 is never closed"
        in lax.stderr
    )
    assert summary(lax.stderr) == "mergefield: 3 leads read: 2 rendered (0 defaulted), 1 failed"
    strict = run("render", "@{Lead:FirstName,}", "--leads", leads, "--strict")
    assert strict.returncode == 1 and strict.stdout == ""
    assert "line 2, column 8 is never closed" in strict.stderr
    assert summary(strict.stderr).endswith("1 failed; stopped at row 1 (--strict)")


def test_a_quote_closed_rows_later_does_not_absorb_them(tmp_path: Path) -> None:
    # The stray quote of row 1 is "closed" by the first quote of row 3: csv would make one row.
    leads = write(tmp_path, "q.csv", 'Id,Name,Notes\n1,Ann,"oops\n2,Bob,fine\n3,"Cy",fine\n')
    done = run("render", "@{Lead:Name,}", "--leads", leads)
    assert done.returncode == 1 and done.stdout == "Bob\nCy\n"
    assert "row 1: the quoted field opened at line 2, column 7 breaks the row" in done.stderr
    assert summary(done.stderr).endswith("3 leads read: 2 rendered (0 defaulted), 1 failed")


def test_quoted_line_breaks_and_lax_quotes_still_read(tmp_path: Path) -> None:
    leads = write(tmp_path, "ok.csv", 'Id,Notes\n1,"two\nlines"\n2,a"b\n3,"x""y"\n')
    done = run("render", "@{Lead:Notes,}", "--leads", leads, "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["output"] for x in done.stdout.splitlines()] == [
        "two\nlines",
        'a"b',
        'x"y',
    ]


def test_many_broken_quotes_stop_the_run(tmp_path: Path) -> None:
    body = "".join(f'{i},"oops\n' for i in range(150))
    leads = write(tmp_path, "many.csv", "Id,Notes\n" + body)
    done = run("render", "@{Lead:Notes,}", "--leads", leads)
    assert done.returncode == 1
    assert "100 broken quotes, so reading stops here" in done.stderr
    assert summary(done.stderr).endswith("stopped reading at row 100: cannot go on")


# --- 2: an undecodable byte and --encoding ------------------------------------------------------


def bad_byte_csv(tmp_path: Path) -> Path:
    rows = [b"ProspectID,FirstName\n"]
    rows += [b"p%d,N%d\n" % (i, i) for i in range(1, 5000)]
    rows += [b"p5000,Jos\xe9\n"]  # cp1252/Latin-1 for é, at line 5,001
    rows += [b"p%d,N%d\n" % (i, i) for i in range(5001, 5010)]
    return write(tmp_path, "bad.csv", b"".join(rows))


# slow: 5,000 rows through two child processes; in process, test_cli_leads.py::
# test_a_bad_byte_is_found_at_its_offset; test_cli_output.py renders the same file in one child.
@pytest.mark.slow
def test_a_bad_byte_is_placed_and_every_row_before_it_rendered(tmp_path: Path) -> None:
    leads = bad_byte_csv(tmp_path)
    offset = leads.read_bytes().index(b"\xe9")
    done = run("render", "@{Lead:FirstName,}", "--leads", leads)
    assert done.returncode == 2
    assert done.stdout.splitlines() == [f"N{i}" for i in range(1, 5000)]
    assert summary(done.stderr).startswith(
        "mergefield: 4999 leads read: 4999 rendered (0 defaulted), 0 failed; "
        f"{leads} is not utf-8 text: byte e9 at byte offset {offset} (line 5001, row 5000)"
    )
    assert "--encoding cp1252" in done.stderr
    fixed = run("render", "@{Lead:FirstName,}", "--leads", leads, "--encoding", "cp1252")
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.splitlines()[4999] == "José" and len(fixed.stdout.splitlines()) == 5009


# slow: a child process each; in process, test_cli_leads.py::test_bad_bytes_in_other_encodings
# decodes cp1252 and UTF-16 with its BOM, and test_utf16_needs_the_option_and_a_bom stays.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("latin-1", "Id,FirstName\n1,Zoë\n".encode("latin-1")),
        ("cp1252", "Id,FirstName\n1,Zoë \u2013 \u201cx\u201d\n".encode("cp1252")),
        ("utf-16", "Id,FirstName\r\n1,Zoë\r\n".encode("utf-16")),
        ("utf-16", "Id,FirstName\r\n1,Zoë\r\n".encode("utf-16-be").join([b"\xfe\xff", b""])),
        ("utf-8", "\ufeffId,FirstName\n1,Zoë\n".encode()),
    ],
)
def test_excel_encodings(tmp_path: Path, encoding: str, data: bytes) -> None:
    leads = write(tmp_path, "x.csv", data)
    done = run("render", "@{Lead:Id,}:@{Lead:FirstName,}", "--leads", leads, "--encoding", encoding)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("1:Zoë")


def test_utf16_needs_the_option_and_a_bom(tmp_path: Path) -> None:
    leads = write(tmp_path, "x.csv", "Id\n1\n".encode("utf-16"))
    done = run("render", "x", "--leads", leads)
    assert done.returncode == 2 and "use --encoding utf-16" in done.stderr
    plain = write(tmp_path, "y.csv", "Id\n1\n".encode("utf-16-le"))
    done = run("render", "x", "--leads", plain, "--encoding", "utf-16")
    assert done.returncode == 2 and "needs a byte order mark" in done.stderr


# --- 3: the header against the template ----------------------------------------------------------


# slow: two child processes each; in process, test_cli_arrow.py::
# test_a_missing_column_warns_and_reads_as_null (the same header check, lax and strict).
@pytest.mark.slow
@pytest.mark.parametrize("column", ["First Name", "firstname", " FirstName "])
def test_a_missing_column_is_named_with_a_did_you_mean(tmp_path: Path, column: str) -> None:
    leads = write(tmp_path, "h.csv", f'ProspectID,"{column}"\np1,Ann\n')
    lax = run("render", "Hi @{Lead:FirstName,Friend}", "--leads", leads)
    assert lax.returncode == 0 and lax.stdout == "Hi Friend\n"
    assert (
        f"mergefield: warning: {leads}:1: the header has no column 'FirstName', which "
        f"@{{Lead:FirstName,Friend}} (<template>:1:4) reads; did you mean {column!r}?"
    ) in lax.stderr
    strict = run("render", "Hi @{Lead:FirstName,Friend}", "--leads", leads, "--strict")
    assert strict.returncode == 1 and strict.stdout == ""
    assert f"mergefield: error: {leads}:1: the header has no column 'FirstName'" in strict.stderr


def test_the_delimiter_is_sniffed_and_said(tmp_path: Path) -> None:
    leads = write(tmp_path, "semi.csv", "ProspectID;FirstName;Notes\np1;Ann;a,b\np2;Bob;c\n")
    done = run("render", "@{Lead:FirstName,X}|@{Lead:Notes,}", "--leads", leads)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Ann|a,b\nBob|c\n"
    assert f"mergefield: {leads}: delimiter ';' (sniffed; --delimiter sets it)" in done.stderr
    tabs = write(tmp_path, "t.tsv", "Id\tFirstName\n1\tAnn\n")
    assert run("render", "@{Lead:FirstName,X}", "--leads", tabs).stdout == "Ann\n"
    forced = run("render", "@{Lead:FirstName,X}", "--leads", leads, "--delimiter", ",")
    assert forced.returncode == 1 and forced.stdout == "X\n"  # row 1 holds a comma
    assert "the header is one column holding ';': try --delimiter ';'" in forced.stderr


def test_a_duplicate_header_name_is_an_error(tmp_path: Path) -> None:
    leads = write(tmp_path, "dup.csv", "Id,FirstName,FirstName\n1,Ann,Bob\n")
    done = run("render", "@{Lead:FirstName,}", "--leads", leads)
    assert done.returncode == 2 and done.stdout == ""
    assert "the header names column 'FirstName' twice (columns 2 and 3)" in done.stderr


# --- 4: byte order marks in template and record files --------------------------------------------


def test_bom_in_template_and_record_files(tmp_path: Path) -> None:
    template = write(tmp_path, "t.template", "\ufeffHi @{Lead:FirstName,} from @{User:FullName,}\n")
    user = write(tmp_path, "user.json", '\ufeff{"FullName": "Asha Rao"}')
    done = run("render", "--template-file", template, "--user", user, "--leads", "-",
               input="Id,FirstName\n1,Ann\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hi Ann from Asha Rao\n"
    checked = run("check", "--context", "grid", template)
    assert (checked.returncode, checked.stdout) == (0, "")
    stdin = run("check", "-", input="\ufeffHi @{Lead:FirstName,}")
    assert (stdin.returncode, stdin.stdout) == (0, "")


# --- 5: JSON leads Python cannot decode, and large ones ------------------------------------------


def test_huge_numbers_and_deep_nesting_are_failed_rows(tmp_path: Path) -> None:
    big = "9" * 5000
    deep = "[" * 100_000 + "]" * 100_000
    lines = write(tmp_path, "l.jsonl", f'{{"A": 1}}\n{{"A": {big}}}\n{deep}\n{{"A": 4}}\n')
    array = write(tmp_path, "a.json", f'[{{"A": 1}}, {{"A": {big}}}, {deep}, {{"A": 4}}]')
    for leads in (lines, array):
        done = run("render", "@{Lead:A,}", "--leads", leads)
        assert done.returncode == 1, done.stderr
        assert done.stdout == "1\n4\n"
        assert "Traceback" not in done.stderr
        assert "row 2: invalid JSON: a number has too many digits" in done.stderr
        assert "row 3: invalid JSON: nested too deeply to decode" in done.stderr
        assert (
            summary(done.stderr) == "mergefield: 4 leads read: 2 rendered (0 defaulted), 2 failed"
        )


def read_all(data: bytes) -> int:
    from mergefield.leads import TextSource, open_leads  # here, so the file runs on old code

    return sum(1 for _ in open_leads(TextSource(io.BytesIO(data), name="x.json")))


def best_time(data: bytes) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        assert read_all(data) == 2
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.slow
@pytest.mark.parametrize(
    "value",
    [b'"' + b"x" * (2 << 20) + b'"', b"[" + b'"ab", ' * 300_000 + b"1]"],
    ids=["one-string", "many-tokens"],
)
def test_a_large_json_array_element_is_read_in_linear_time(value: bytes) -> None:
    # The old reader decoded the element again on every 64 KB refill: 4x the size took ~16x
    # the time. Reading it once is linear; 4x the input must stay well under 8x the time.
    small = b'[{"a": ' + value + b'}, {"b": 1}]'
    large = b'[{"a": [' + b", ".join([value] * 4) + b']}, {"b": 1}]'
    assert best_time(large) < 8 * best_time(small)


# --- 6: unsupported formats and unknown names ----------------------------------------------------


def test_binary_leads_are_refused_naming_the_formats(tmp_path: Path) -> None:
    parquet = write(tmp_path, "leads.parquet", b"PAR1\x15\x04\x15\x00" + bytes(64) + b"PAR1")
    done = run("render", "x", "--leads", parquet)
    assert done.returncode == 2 and done.stdout == ""
    # A Parquet file is read by pyarrow (tests/test_cli_arrow.py); this one is not really one.
    assert done.stderr.startswith(f"mergefield: error: {parquet} is not a readable Parquet file")
    xlsx = write(tmp_path, "leads.xlsx", b"PK\x03\x04" + bytes(64))
    done = run("render", "x", "--leads", xlsx)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"mergefield: error: {xlsx} is a ZIP archive (an Excel .xlsx workbook?), not a leads file "
        "mergefield can read; supported: CSV (.csv, .tsv), JSON Lines (.jsonl, .ndjson), a JSON "
        "array (.json), Parquet (.parquet, .pq), Arrow IPC (.arrow, .arrows, .feather, .ipc)\n"
    )
    blob = write(tmp_path, "leads.dat", b"Id,Name\n1,\x00\x01\x02\n")
    done = run("render", "x", "--leads", blob)
    assert done.returncode == 2 and "a binary file (it holds NUL bytes)" in done.stderr


def test_unknown_id_field_and_ignore_code_are_usage_errors(tmp_path: Path) -> None:
    leads = write(tmp_path, "u.csv", "ProspectID,FirstName\np1,Ann\n")
    done = run("render", "x", "--leads", leads, "--id-field", "NoSuchColumn")
    assert done.returncode == 2 and done.stdout == ""
    assert "--id-field 'NoSuchColumn' is not a column of" in done.stderr
    close = run("render", "x", "--leads", leads, "--id-field", "prospectid")
    assert close.returncode == 2 and "did you mean 'ProspectID'?" in close.stderr
    jsonl = write(tmp_path, "u.jsonl", '{"Id": 1}\n')
    done = run("render", "x", "--leads", jsonl, "--id-field", "NoSuchColumn")
    assert done.returncode == 2 and "is not a key of the first lead" in done.stderr
    template = write(tmp_path, "t.template", "Hi @{Lead:FirstName}")
    bad = run("check", "--ignore", "no-such-code", template)
    assert bad.returncode == 2 and "--ignore no-such-code: no such code" in bad.stderr
    typo = run("check", "--ignore", "missing-coma", template)
    assert typo.returncode == 2 and "did you mean missing-comma?" in typo.stderr
    good = run("check", "--ignore", "missing-comma", "--ignore", "bad-size", template)
    assert (good.returncode, good.stdout) == (0, "")


# --- 7: a JSON body written over several lines ---------------------------------------------------


def test_multi_line_json_body_is_compacted_to_one_line(tmp_path: Path) -> None:
    template = '{\n  "name": @{Lead:FirstName,},\n  "note": "a  b",\n  "n": @{Lead:Score,0}\n}\n'
    body = write(tmp_path, "body.json", template)
    leads = write(tmp_path, "l.csv", 'Id,FirstName,Score\n1,"Ann  Lee",7\n2,"Bob\nX",\n')
    done = run("render", "--template-file", body, "--kind", "json", "--leads", leads)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        '{"name":"Ann  Lee","note":"a  b","n":7}',
        '{"name":"Bob\\nX","note":"a  b","n":0}',
    ]
    assert [json.loads(x)["name"] for x in done.stdout.splitlines()] == ["Ann  Lee", "Bob\nX"]
    assert "each lead's JSON is written on one line" in done.stderr
    text = write(tmp_path, "t.template", "a\nb @{Lead:FirstName,}")
    refused = run("render", "--template-file", text, "--leads", leads)
    assert refused.returncode == 2 and "use --format jsonl" in refused.stderr


@pytest.mark.slow
def test_the_examples_still_render_without_warnings() -> None:
    done = run("render", "--template-file", EXAMPLES / "sms_url.template", "--kind", "url",
               "--context", "grid", "--leads", EXAMPLES / "leads.csv")  # fmt: skip
    assert done.returncode == 0
    assert done.stderr.count("\n") == 1 and summary(done.stderr).startswith("mergefield: 10000")
