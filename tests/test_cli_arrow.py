"""``mergefield render --leads x.parquet`` (and Arrow IPC / Feather), on both cores, in-process.

Each Arrow file is checked against the same leads written as JSON Lines, which the text path
reads with their types (ints, floats, nulls): the output and the summary must be the same.  A
file cut short or damaged part way stops the run naming the file after every row before the
damage; nothing is lost without a line on stderr.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from mergefield import cli
from mergefield.cli import arrow as cli_arrow

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
feather = pytest.importorskip("pyarrow.feather")

TEMPLATE = "Hi @{Lead:FirstName,Friend} (@{Lead:mx_City,}) #@{Lead:Score,} @{Account:ShortCode,}"

LEADS: dict[str, list[Any]] = {
    "ProspectID": ["p1", "p2", None, "p4", "p5", "p6", "p7"],
    "FirstName": ["Ann", None, "", "Zoë", "\U0001d49cstral", "O'Brien & Co", "Ünïcode"],
    "mx_City": ["Köln", "", None, "São Paulo", "x/y?z", None, "Paris"],
    "Score": [1, None, 3, -4, 0, 2**40, 7],
}


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    status = cli.main(["render", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def summary(err: str) -> str:
    return err.strip().splitlines()[-1]


def write_arrow_files(folder: Path, table: Any) -> list[Path]:
    parquet = folder / "leads.parquet"
    pq.write_table(table, parquet, row_group_size=3)
    fea = folder / "leads.feather"
    feather.write_feather(table, fea, chunksize=2)
    stream = folder / "leads.arrows"
    with pa.OSFile(str(stream), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=4)
    return [parquet, fea, stream]


def failures(err: str, path: Path) -> list[str]:
    """The failed-row lines of ``err``, with the file's place (``path:LINE`` or ``path``) cut."""
    found = re.findall(rf"^mergefield: {re.escape(str(path))}(?::\d+)?: (row .*)$", err, re.M)
    return list(found)


def jsonl(folder: Path, table: Any) -> Path:
    path = folder / "leads.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()), "utf-8")
    return path


@pytest.fixture(params=[1, 2, 1000])
def batch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Rows per batch: one row, a few, everything at once."""
    monkeypatch.setattr(cli_arrow, "BATCH", request.param)
    return int(request.param)


@pytest.mark.parametrize("extra", [[], ["--format", "jsonl"], ["--strict"]])
def test_arrow_leads_render_as_their_json_lines_twin(
    core: str, batch: int, extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pa.table(LEADS).rename_columns(["ProspectID", "FirstName", "mx_City", "Score"])
    account = tmp_path / "account.json"
    account.write_text('{"ShortCode": "acme"}', "utf-8")
    options = ["--account", account, *extra]
    expected = run(capsys, TEMPLATE, "--leads", jsonl(tmp_path, table), *options)
    assert "leads read" in expected[2] and "7 leads read" in summary(expected[2])
    for path in write_arrow_files(tmp_path, table):
        got = run(capsys, TEMPLATE, "--leads", path, *options)
        assert got[0] == expected[0], got[2]
        assert got[1] == expected[1], path
        assert summary(got[2]) == summary(expected[2])
        # The failures are the same rows, named the same way (no line number: no lines).
        assert failures(got[2], path) == failures(expected[2], tmp_path / "leads.jsonl")


def test_nulls_take_defaults_and_count_as_defaulted(
    core: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pa.table(
        {
            "FirstName": pa.array(["Ann", None, "", "Bo"]).dictionary_encode(),
            "Score": pa.array([1.5, float("nan"), None, 2.0]),
        }
    )
    path = tmp_path / "nulls.parquet"
    pq.write_table(table, path)
    status, out, err = run(capsys, "@{Lead:FirstName,Friend}:@{Lead:Score,0}", "--leads", path)
    assert status == 0
    assert out == "Ann:1.5\nFriend:0\nFriend:0\nBo:2\n"
    assert summary(err) == "mergefield: 4 leads read: 4 rendered (2 defaulted), 0 failed"
    # Row by row (JSON Lines), the renderer's per-row report; a fixed record's default counts on
    # every row.
    status, out, err = run(
        capsys, "@{Lead:FirstName,Friend}:@{Lead:Score,0}", "--leads", path, "--format", "jsonl"
    )
    assert status == 0 and len(out.splitlines()) == 4
    assert summary(err) == "mergefield: 4 leads read: 4 rendered (2 defaulted), 0 failed"
    account = tmp_path / "account.json"
    account.write_text("{}", "utf-8")
    template = "@{Account:ShortCode,acme} @{Lead:FirstName,}"
    for extra in ([], ["--format", "jsonl"]):
        status, out, err = run(capsys, template, "--leads", path, "--account", account, *extra)
        assert status == 0, err
        assert summary(err) == "mergefield: 4 leads read: 4 rendered (4 defaulted), 0 failed"


def test_a_failed_row_is_reported_and_the_rows_around_it_rendered(
    core: str, batch: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A line break in a value: that lead fails (it would be two lines), the others are written.
    table = pa.table({"Id": [10, 20, 30], "FirstName": ["Ann", "Bo\nb", "Cy"]})
    path = tmp_path / "l.feather"
    feather.write_feather(table, path)
    status, out, err = run(capsys, "@{Lead:FirstName,}", "--leads", path)
    assert status == 1 and out == "Ann\nCy\n"
    assert f"{path}: row 2 (id 20): the rendered text holds a line break (U+000A)" in err
    assert summary(err) == "mergefield: 3 leads read: 2 rendered (0 defaulted), 1 failed"
    # Strict mode: a value it refuses fails that row and stops the run.
    table = pa.table({"CreatedOn": ["2024-01-02", "not a date", "2024-01-03"]})
    pq.write_table(table, path := tmp_path / "d.parquet")
    status, out, err = run(capsys, "@{Lead:CreatedOn,}", "--leads", path, "--strict")
    assert status == 1 and out.startswith("2024-01-02") and out.count("\n") == 1
    assert f"{path}: row 2: " in err
    assert summary(err).endswith("1 failed; stopped at row 2 (--strict)")


def test_a_missing_column_warns_and_reads_as_null(
    core: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "l.parquet"
    pq.write_table(pa.table({"FirstNme": ["Ann"]}), path)
    status, out, err = run(capsys, "@{Lead:FirstName,Friend}", "--leads", path)
    assert status == 0 and out == "Friend\n"
    assert "the header has no column 'FirstName'" in err and "did you mean 'FirstNme'?" in err
    status, out, err = run(capsys, "@{Lead:FirstName,Friend}", "--leads", path, "--strict")
    assert status == 1 and out == ""


def test_a_truncated_file_is_an_error_naming_it(
    core: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pa.table({"FirstName": [f"n{i}" for i in range(100)]})
    for path in write_arrow_files(tmp_path, table)[:2]:  # the formats with a footer
        data = path.read_bytes()
        cut = tmp_path / f"cut{path.suffix}"
        cut.write_bytes(data[: len(data) - 20])
        status, out, err = run(capsys, "@{Lead:FirstName,}", "--leads", cut)
        assert status == 2 and out == ""
        assert err.startswith(f"mergefield: error: {cut} is not a readable ")


def test_a_file_damaged_part_way_stops_after_the_rows_before_it(
    core: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = 3000
    table = pa.table({"FirstName": [f"name{i}" for i in range(rows)]})
    path = tmp_path / "leads.parquet"
    pq.write_table(table, path, row_group_size=1000, compression="none")
    meta = pq.ParquetFile(path).metadata
    column = meta.row_group(2).column(0)
    start = column.dictionary_page_offset or column.data_page_offset
    data = bytearray(path.read_bytes())
    data[start + 40 : start + column.total_compressed_size] = b"\xff" * (
        column.total_compressed_size - 40
    )
    path.write_bytes(bytes(data))
    out_file = tmp_path / "out.txt"
    out_file.write_text("old\n", "utf-8")
    status, _, err = run(capsys, "@{Lead:FirstName,}", "--leads", path, "-o", out_file)
    assert status == 2
    assert out_file.read_text("utf-8") == "old\n"  # a stopped run never replaces -o
    assert summary(err).startswith(
        "mergefield: 2000 leads read: 2000 rendered (0 defaulted), 0 failed; "
        f"{path} is not a readable Parquet file after row 2000 (rows 1 to 2000 were read): "
    )
    partial = next(tmp_path.glob(".out.txt.*.partial"))
    assert partial.read_text("utf-8") == "".join(f"name{i}\n" for i in range(2000))


def test_without_pyarrow_the_error_names_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "l.parquet"
    pq.write_table(pa.table({"FirstName": ["Ann"]}), path)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    status, out, err = run(capsys, "@{Lead:FirstName,}", "--leads", path)
    assert status == 2 and out == ""
    assert "pip install 'mergefield[arrow]'" in err and str(path) in err


def test_an_arrow_file_given_as_csv_is_refused_naming_its_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "l.parquet"
    pq.write_table(pa.table({"FirstName": ["Ann"]}), path)
    status, _, err = run(capsys, "x", "--leads", path, "--leads-format", "csv")
    assert status == 2
    assert "is a Parquet file (read it with --leads-format parquet)" in err


# --- the byte path: rendered batches written as UTF-8, checked for line breaks on the bytes --

URL_TEMPLATE = "https://x.example/s?n=@{Lead:FirstName,Friend}&c=@{Lead:mx_City,}&s=@{Lead:Score,}"


@pytest.fixture(params=[(3, 2), (5, 2), (4, 65536)])
def small_batches(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows per CLI batch and per chunk of the renderer, so that batch and chunk boundaries
    fall inside the data (a batch of several chunks, a chunk cut by a batch's end)."""
    from mergefield import arrow

    batch, chunk = request.param
    monkeypatch.setattr(cli_arrow, "BATCH", batch)
    monkeypatch.setattr(arrow, "CHUNK", chunk)


def many_leads(rows: int) -> Any:
    names = ["Ann", None, "", "Zoë", "\U0001d49cstral", "O'Brien & Co", "a\u2028b", "x\ry"]
    return pa.table(
        {
            "Id": list(range(100, 100 + rows)),
            "FirstName": [names[i % len(names)] for i in range(rows)],
            "mx_City": [["Köln", None, "São Paulo", "x/y?z"][i % 4] for i in range(rows)],
            "Score": [i if i % 5 else None for i in range(rows)],
        }
    )


@pytest.mark.parametrize("extra", [[], ["--strict"]])
@pytest.mark.parametrize("kind", ["text", "url"])
def test_small_row_groups_and_batches_render_every_row_in_order(
    core: str,
    small_batches: None,
    kind: str,
    extra: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Text: the bytes of each batch are checked (two values hold a line break, U+2028 and CR,
    # so those batches go row by row); URL: every slot percent-encodes, so the chunks go
    # straight to the output.  Either way the output and the accounting are the JSON Lines
    # twin's, strict mode stopping at the same row.
    table = many_leads(23)
    template = TEMPLATE.replace(" @{Account:ShortCode,}", "") if kind == "text" else URL_TEMPLATE
    options = ["--kind", kind, *extra]
    expected = run(capsys, template, "--leads", jsonl(tmp_path, table), *options)
    assert "23 leads read" in summary(expected[2]) or "--strict" in extra
    path = tmp_path / "leads.parquet"
    pq.write_table(table, path, row_group_size=4)
    got = run(capsys, template, "--leads", path, *options)
    assert (got[0], got[1]) == (expected[0], expected[1]), got[2]
    assert summary(got[2]) == summary(expected[2])
    assert failures(got[2], path) == failures(expected[2], tmp_path / "leads.jsonl")
    if kind == "url" and not extra:
        assert got[1].count("\n") == 23 and "%E2%80%A8" in got[1]  # U+2028, encoded


def test_a_line_break_from_a_parquet_file_fails_its_row_under_format_lines(
    core: str, small_batches: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every break of `LINE_BREAK`, in an ASCII batch and beside non-ASCII text: each row holding
    # one fails naming it, the rows around it are written, in order.
    breaks = ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
    names = [name for b in breaks for name in (f"a{b}b", "ok", "Zoë")]
    table = pa.table({"Id": list(range(1, len(names) + 1)), "FirstName": names})
    path = tmp_path / "breaks.parquet"
    pq.write_table(table, path, row_group_size=4)
    status, out, err = run(capsys, "Hi @{Lead:FirstName,}", "--leads", path)
    assert status == 1
    assert out == "Hi ok\nHi Zoë\n" * len(breaks)
    reported = [f"row {3 * i + 1}: the rendered text holds a line break (U+{ord(b):04X})"
                for i, b in enumerate(breaks)]  # fmt: skip
    assert [line.split(", which")[0] for line in failures(err, path)] == reported
    total = len(names)
    assert summary(err) == (
        f"mergefield: {total} leads read: {2 * len(breaks)} rendered (0 defaulted), "
        f"{len(breaks)} failed"
    )


@pytest.mark.parametrize("failing", [1, 4, 5, 6, 10, 12])
def test_a_failing_row_of_a_later_batch_leaves_o_untouched_and_names_its_row(
    core: str,
    failing: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Row groups of 6 read in batches of at most 5 (rows 1-5, 6, 7-11, 12), rendered in chunks
    # of 2 straight to the output (a URL template): the row that fails in strict mode is named,
    # every row before it is in the partial output once (the chunks written before the failing
    # one's, then the rows between), with its defaults counted, and -o keeps its old text.
    from mergefield import arrow

    monkeypatch.setattr(cli_arrow, "BATCH", 5)
    monkeypatch.setattr(arrow, "CHUNK", 2)
    names: list[str | None] = [f"n{i}" for i in range(1, 13)]
    names[failing - 1] = None
    cities = [None if i % 3 == 0 else "Köln" for i in range(1, 13)]  # every third defaulted
    table = pa.table({"Id": list(range(1, 13)), "FirstName": names, "mx_City": cities})
    path = tmp_path / "leads.parquet"
    pq.write_table(table, path, row_group_size=6)
    out_file = tmp_path / "out.txt"
    out_file.write_text("old\n", "utf-8")
    template = "https://x.example/?n=@{Lead:FirstName}&c=@{Lead:mx_City,Paris}"
    status, out, err = run(capsys, template, "--kind", "url", "--leads", path, "-o", out_file,
                           "--strict")  # fmt: skip
    assert status == 1 and out == ""
    assert out_file.read_text("utf-8") == "old\n"
    assert f"{path}: row {failing}: Lead:FirstName (at offset 21) has no value" in err
    assert summary(err).startswith(
        f"mergefield: {failing} leads read: {failing - 1} rendered ({(failing - 1) // 3} "
        f"defaulted), 1 failed; "
        f"stopped at row {failing} (--strict); the partial output is in "
    )
    partial = next(tmp_path.glob(".out.txt.*.partial"))
    assert partial.read_text("utf-8") == "".join(
        f"https://x.example/?n=n{i}&c={'Paris' if i % 3 == 0 else 'K%C3%B6ln'}\n"
        for i in range(1, failing)
    )


def test_a_fixed_record_with_a_line_break_fails_every_row_of_a_percent_encoded_template(
    core: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The lead slot percent-encodes, but the User's name (a JSON string, where U+0085 stays as
    # it is) puts a line break in the literal text of every row: no row may be written.
    user = tmp_path / "user.json"
    user.write_text(json.dumps({"FirstName": "Ann\x85Lee"}), "utf-8")
    path = tmp_path / "l.parquet"
    pq.write_table(pa.table({"FirstName": ["a b", "c"]}), path)
    template = '{"u":"https://x.example/?q=@{Lead:FirstName,}","by":"@{User:FirstName,}"}'
    status, out, err = run(capsys, template, "--kind", "json", "--leads", path, "--user", user)
    assert status == 1 and out == ""
    assert f"{path}: row 2: the rendered text holds a line break (U+0085)" in err
    assert summary(err) == "mergefield: 2 leads read: 0 rendered (0 defaulted), 2 failed"
    status, out, err = run(capsys, template, "--kind", "json", "--leads", path, "--user", user,
                           "--format", "jsonl")  # fmt: skip
    assert status == 0 and json.loads(out.split("\n")[0])["output"] == (
        '{"u":"https://x.example/?q=a%20b","by":"Ann\x85Lee"}'
    )


@pytest.mark.parametrize("kind", ["text", "url"])
def test_failed_rows_without_stopping_match_the_row_by_row_run(
    core: str, small_batches: None, kind: str, tmp_path: Path
) -> None:
    # A strict template that does not stop at a failure (`RenderRun(stop_on_failure=False)`,
    # which the command line never builds but the Arrow pass must honour): each failed row,
    # first, last, side by side, at a chunk's or a batch's edge, is reported, and the pass goes
    # on after it with the rows read ahead; the output, messages and counts are those of
    # `RenderRun.run` over the same leads as rows.
    from mergefield import compile as compile_template
    from mergefield.leads import open_arrow_leads
    from mergefield.run import RenderRun

    rows = 26
    bad = {0, 3, 4, 9, 10, 11, 17, 25}
    names = [None if i in bad else ["Ann", "Zoë", "a\u2028b", "x y"][i % 4] for i in range(rows)]
    table = pa.table({"Id": list(range(1, rows + 1)), "FirstName": names})
    path = tmp_path / "leads.parquet"
    pq.write_table(table, path, row_group_size=7)
    template = compile_template(
        "https://x.example/?n=@{Lead:FirstName}" if kind == "url" else "Hi @{Lead:FirstName}",
        kind=kind,
        mode="strict",
    )

    def render(arrow: bool) -> tuple[str, list[str], Any, int]:
        job = RenderRun(template, name=str(path))
        out: list[str] = []
        warnings: list[str] = []
        progress: list[int] = []
        with open(path, "rb") as binary:
            leads = open_arrow_leads(binary, "parquet", str(path))
            if arrow:
                write_bytes = lambda data: out.append(bytes(data).decode())  # noqa: E731
                done = cli_arrow.run(
                    job, leads, out.append, write_bytes, warnings.append, progress.append
                )
                assert done
            else:
                job.run(iter(leads), out.append, warnings.append, progress.append)
        return "".join(out), warnings, job.counts, sum(progress)

    got, expected = render(True), render(False)
    assert got == expected
    breaks = sum(name is not None and "\u2028" in name for name in names) if kind == "text" else 0
    assert len(got[1]) == len(bad) + breaks
    assert got[2].failed == len(got[1]) and got[2].read == rows == got[3]
