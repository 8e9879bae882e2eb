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
