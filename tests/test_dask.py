"""`mergefield.dask` on a real local Dask cluster: `render_many`'s output, even when workers die.

A module-scoped `distributed.LocalCluster` (two worker processes, one thread each) renders
200,000 leads read from Parquet files, and every result must equal `Template.render_many` on the
same rows (``DataFrame.to_dict("records")``) in this process.  Typed columns (int64, float64 with
NaN, nullable Int64, datetime64[ns] naive and zoned, string[pyarrow], pandas' str and object) render
as SPEC section 3 says on both cores.  To prove retries neither lose nor duplicate leads, a lead
value kills its own worker process (``os._exit``) the first time it is rendered in each
partition, tracked by a marker file: the scheduler reruns the task on a restarted worker and the
output must still hold every lead exactly once.  Workers inherit the environment, so a run with
``MERGEFIELD_NO_EXTENSIONS=1`` exercises the pure core on the workers too.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

dd = pytest.importorskip("dask.dataframe")
db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")
pytest.importorskip("pyarrow")

import dask  # noqa: E402

import mergefield  # noqa: E402
from mergefield import _core  # noqa: E402
from mergefield.dask import (  # noqa: E402
    WrittenPartition,
    _Job,
    _render_series_partition,
    _write_partition,
    lead_columns,
    render_bag,
    render_dataframe,
    render_series,
    write_partitions,
)
from mergefield.run import RenderRun  # noqa: E402

N_LEADS = 200_000
N_FILES = 5
KILL_PARTITIONS = 3

URL = (
    "https://sms.example.com/send?to=@{Lead:Mobile,}&name=@{Lead:FirstName,Friend}"
    "&city=@{Lead:mx_City,}&score=@{Lead:Score Lead,0}&revenue=@{Lead:Revenue,}"
    "&engaged=@{Lead:EngagementScore,}&created=@{Lead:CreatedOn,}&modified=@{Lead:ModifiedOn,}"
    "&note=@{Lead:Notes,}&id=@{Lead:ProspectID,}&agent=@{User:FullName,}&org=@{Account:ShortCode,}"
)
USER = {"FirstName": "Priya", "LastName": "Sharma"}
ACCOUNT = {"ShortCode": "acme/IN #1"}

FIRST = ["Aarav", "Ananya", "José", "Zoë", "अर्जुन", "李雷", "Emma 🙂", "O'Brien", None, ""]
CITIES = ["Pune", "São Paulo", "Zürich", "Bengaluru", "New York"]
NOTES = ["call after 6pm", "a&b=c+d#e/f?g%h", "", None, "50% off / 2 days"]


def make_leads(n: int, start: int = 0) -> Any:
    """``n`` deterministic leads with one typed column of each kind a Parquet export holds."""
    i = np.arange(start, start + n)
    created = pd.Series(
        pd.Timestamp("2024-01-01") + pd.to_timedelta(i * 37, unit="s"), dtype="datetime64[ns]"
    )
    created[i % 17 == 0] = pd.NaT
    # A copy: pandas 2 (what CPython 3.10 gets) flags a .dt result as a view and warns on setitem.
    modified = created.dt.tz_localize("UTC").dt.tz_convert("Asia/Kolkata").copy()
    modified[i % 19 == 0] = pd.NaT
    revenue = np.where(i % 3 == 0, i.astype("float64"), i / 8)  # integral floats, fractions
    revenue[i % 11 == 0] = np.nan
    engaged = pd.array(i % 1000, dtype="Int64")
    engaged[i % 13 == 0] = pd.NA
    mobile = pd.array([f"98{k:08d}" for k in i], dtype="string[pyarrow]")
    mobile[i % 23 == 0] = pd.NA
    return pd.DataFrame(
        {
            "ProspectID": [f"lead-{k:07d}" for k in i],
            "FirstName": pd.Series([FIRST[k % len(FIRST)] for k in i], dtype=object),
            "mx_City": pd.Series(
                [CITIES[k % 5] if k % 29 else None for k in i],
                dtype=pd.StringDtype(na_value=np.nan),
            ),
            "Notes": pd.Series([NOTES[k % len(NOTES)] for k in i], dtype=object),
            "Score": i.astype("int64"),
            "Revenue": revenue,
            "EngagementScore": engaged,
            "Mobile": mobile,
            "CreatedOn": created,
            "ModifiedOn": modified,
        }
    )


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A real two-process local cluster for this module, closed after its last test."""
    # Each partition of the retry tests kills a worker once; a task sitting on a worker that dies
    # counts as suspicious, and the default of 3 could fail a task that was merely queued there.
    with dask.config.set({"distributed.scheduler.allowed-failures": 20}):
        # ":0": a free port; None still means the default 8787, which a second test run on the
        # same machine holds.
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
    dask_client = distributed.Client(cluster)
    try:
        yield dask_client
    finally:
        dask_client.close()
        cluster.close()


@pytest.fixture(scope="module")
def leads() -> Any:
    return make_leads(N_LEADS)


@pytest.fixture(scope="module")
def parquet_dir(leads: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The leads as several Parquet files: one Dask partition per file."""
    directory = tmp_path_factory.mktemp("leads")
    size = N_LEADS // N_FILES
    for k in range(N_FILES):
        part = leads.iloc[k * size : (k + 1) * size].reset_index(drop=True)
        part.to_parquet(directory / f"part-{k}.parquet", index=False)
    return directory


@pytest.fixture(scope="module")
def template() -> mergefield.Template:
    return mergefield.compile(URL, kind="url")


@pytest.fixture(scope="module")
def expected(leads: Any, template: mergefield.Template) -> list[str]:
    """`render_many` on the rows, in this process, with the core of this run."""
    return template.render_many(leads.to_dict("records"), User=USER, Account=ACCOUNT)


def read(parquet_dir: Path) -> Any:
    ddf = dd.read_parquet(str(parquet_dir))
    assert ddf.npartitions == N_FILES
    return ddf


def read_lines(paths: list[str]) -> list[str]:
    lines: list[str] = []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        assert text.endswith("\n") or not text
        lines.extend(text.split("\n")[:-1])
    return lines


# --- without a cluster -----------------------------------------------------------------------


def test_import_mergefield_does_not_import_dask() -> None:
    code = "import sys, mergefield; mergefield.compile('x'); print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_lead_columns_lists_the_record_keys_a_template_reads() -> None:
    t = mergefield.compile("@{Lead:Score Lead,}@{Lead:mx_City,}@{User:FirstName,}@{Lead:Score,}")
    assert lead_columns(t) == ["Score", "mx_City"]


# One row per dtype case, with what SPEC section 3 says it renders.
TYPED = "@{Lead:Score Lead,}|@{Lead:Revenue,}|@{Lead:EngagementScore,}|@{Lead:CreatedOn,}|" + (
    "@{Lead:ModifiedOn,}|@{Lead:Mobile,}|@{Lead:mx_City,}|@{Lead:FirstName,}|@{Lead:mx_Any,}"
)


def typed_frame() -> Any:
    return pd.DataFrame(
        {
            "Score": pd.Series([5, -3, 0, 12345678901234], dtype="int64"),
            "Revenue": pd.Series([5.0, np.nan, 0.1, 1e21], dtype="float64"),
            "EngagementScore": pd.array([7, None, 0, -2], dtype="Int64"),
            "CreatedOn": pd.Series(
                pd.to_datetime(
                    ["2024-03-05 10:20:30", None, "1999-12-31 00:00:00", "2024-02-29 23:59:59"]
                ),
                dtype="datetime64[ns]",
            ),
            "ModifiedOn": pd.Series(
                [
                    pd.Timestamp("2024-03-05 15:50:30", tz="Asia/Kolkata"),
                    pd.NaT,
                    pd.Timestamp("2024-01-01 00:00", tz="America/New_York"),
                    pd.Timestamp("2024-07-01 02:00", tz="Asia/Kolkata"),
                ],
                dtype="datetime64[ns, Asia/Kolkata]",
            ),
            "Mobile": pd.array(["9812345678", None, "", "+91 98"], dtype="string[pyarrow]"),
            "mx_City": pd.Series(
                ["Pune", None, "", "Zürich"], dtype=pd.StringDtype(na_value=np.nan)
            ),
            "FirstName": pd.Series(["Ann", None, "", Decimal("2.50")], dtype=object),
            "mx_Any": pd.Series([float("nan"), pd.NA, None, 3], dtype=object),
        }
    )


TYPED_EXPECTED = [
    "5|5|7|2024-03-05 10:20:30|2024-03-05 10:20:30|9812345678|Pune|Ann|",
    "-3||||||||",
    "0|0.1|0|1999-12-31 00:00:00|2024-01-01 05:00:00||||",
    "12345678901234|1000000000000000000000|-2|2024-02-29 23:59:59|2024-06-30 20:30:00|+91 98|"
    "Zürich|2.50|3",
]


def test_typed_columns_render_as_the_spec_says_on_both_cores(core: str) -> None:
    t = mergefield.compile(TYPED)
    frame = typed_frame()
    job = _Job(RenderRun(t), "x")
    assert t.render_many(frame.to_dict("records")) == TYPED_EXPECTED
    assert job.render_frame(frame) == TYPED_EXPECTED
    # A partition's index does not start at 0.
    assert job.render_frame(frame.set_axis([10, 11, 12, 13])) == TYPED_EXPECTED


def test_json_number_slots_from_typed_columns(core: str) -> None:
    t = mergefield.compile(
        '{"s": @{Lead:Score Lead,}, "r": @{Lead:Revenue,}, "e": @{Lead:EngagementScore,0}}',
        kind="json",
    )
    job = _Job(RenderRun(t), "x")
    got = job.render_frame(typed_frame())
    assert got == t.render_many(typed_frame().to_dict("records"))
    assert got[:2] == ['{"s": 5, "r": 5, "e": 7}', '{"s": -3, "r": null, "e": 0}']


def test_the_fixed_records_are_checked_before_anything_runs() -> None:
    t = mergefield.compile("@{Lead:FirstName,}")
    ddf = dd.from_pandas(pd.DataFrame({"FirstName": ["a"]}), npartitions=1)
    with pytest.raises(TypeError, match="Lead="):
        render_series(ddf, t, Lead={"FirstName": "x"})
    with pytest.raises(TypeError, match="Template"):
        render_series(ddf, "@{Lead:FirstName,}")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"one '\*'"):
        write_partitions(ddf, t, "out.txt")


def test_the_graph_holds_one_copy_of_the_template(template: mergefield.Template) -> None:
    ddf = dd.from_pandas(make_leads(1000), npartitions=8)
    series = render_series(ddf, template, name="url", User=USER, Account=ACCOUNT)
    graph = dict(series.__dask_graph__())
    source = template.source.encode()
    holders = [key for key, task in graph.items() if source in pickle.dumps(task)]
    assert len(holders) == 1
    assert len(graph) > 8  # eight partition tasks refer to that one key


def test_write_partitions_replaces_files_and_leftovers(tmp_path: Path) -> None:
    t = mergefield.compile("@{Lead:FirstName,-}")
    ddf = dd.from_pandas(pd.DataFrame({"FirstName": list("abcdefghijkl")}), npartitions=12)
    pattern = str(tmp_path / "out" / "names-*.txt")
    (tmp_path / "out").mkdir()
    stale = tmp_path / "out" / ".names-03.txt.deadbeef.tmp"
    stale.write_bytes(b"half a partition")
    with dask.config.set(scheduler="sync"):
        first = write_partitions(ddf, t, pattern)
        second = write_partitions(ddf, t, pattern)
    assert first == second
    assert [Path(w.path).name for w in first] == [f"names-{k:02d}.txt" for k in range(12)]
    assert names(tmp_path / "out") == [f"names-{k:02d}.txt" for k in range(12)]
    assert read_lines([w.path for w in first]) == list("abcdefghijkl")


def names(folder: Path) -> list[str]:
    """The files in ``folder`` but the hidden manifest of `write_partitions`."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".written"))


def hundred_leads(npartitions: int) -> Any:
    frame = pd.DataFrame({"FirstName": [f"lead-{k:03d}" for k in range(100)]})
    return dd.from_pandas(frame, npartitions=npartitions, sort=False)


@pytest.mark.parametrize(("before", "after"), [(12, 4), (4, 12), (12, 11), (3, 3)])
def test_a_run_leaves_exactly_its_own_files(tmp_path: Path, before: int, after: int) -> None:
    t = mergefield.compile("@{Lead:FirstName,-}")
    pattern = str(tmp_path / "sms-*.txt")
    with dask.config.set(scheduler="sync"):
        write_partitions(hundred_leads(before), t, pattern)
        written = write_partitions(hundred_leads(after), t, pattern)
    assert len(written) == after
    assert names(tmp_path) == sorted(Path(w.path).name for w in written)
    assert sorted(read_lines([str(tmp_path / n) for n in names(tmp_path)])) == [
        f"lead-{k:03d}" for k in range(100)
    ]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [
        ".sms-{index}.txt.written"
    ]


def test_a_star_in_a_folder_name_leaves_exactly_this_runs_folders(tmp_path: Path) -> None:
    t = mergefield.compile("@{Lead:FirstName,-}")
    pattern = str(tmp_path / "out" / "part-*" / "data.txt")
    with dask.config.set(scheduler="sync"):
        write_partitions(hundred_leads(12), t, pattern)
        write_partitions(hundred_leads(4), t, pattern)
    assert names(tmp_path / "out") == [f"part-{k}" for k in range(4)]
    assert [names(tmp_path / "out" / f"part-{k}") for k in range(4)] == [["data.txt"]] * 4


def test_compute_false_removes_the_earlier_run_before_its_tasks(tmp_path: Path) -> None:
    t = mergefield.compile("@{Lead:FirstName,-}")
    pattern = str(tmp_path / "out" / "sms-*.txt")
    with dask.config.set(scheduler="sync"):
        write_partitions(hundred_leads(12), t, pattern)
        tasks = write_partitions(hundred_leads(4), t, pattern, compute=False)
        assert names(tmp_path / "out") == []
        dask.compute(*tasks)
    assert names(tmp_path / "out") == [f"sms-{k}.txt" for k in range(4)]


def test_a_file_no_run_recorded_is_refused_not_deleted(tmp_path: Path) -> None:
    t = mergefield.compile("@{Lead:FirstName,-}")
    mine = tmp_path / "sms-2024.txt"
    mine.write_text("my own file\n")
    unrelated = tmp_path / "sms-x.txt"
    unrelated.write_text("not a partition name\n")
    with dask.config.set(scheduler="sync"), pytest.raises(FileExistsError, match=r"sms-2024\.txt"):
        write_partitions(hundred_leads(4), t, str(tmp_path / "sms-*.txt"))
    assert names(tmp_path) == ["sms-2024.txt", "sms-x.txt"]  # nothing written, nothing deleted
    assert mine.read_text() == "my own file\n"


def test_a_manifest_cannot_delete_what_the_pattern_does_not_name(tmp_path: Path) -> None:
    t = mergefield.compile("@{Lead:FirstName,-}")
    keep = tmp_path / "keep.txt"
    keep.write_text("x")
    (tmp_path / ".sms-{index}.txt.written").write_text('["keep.txt", "../x", "sms-.txt"]')
    with dask.config.set(scheduler="sync"):
        write_partitions(hundred_leads(2), t, str(tmp_path / "sms-*.txt"))
    assert names(tmp_path) == ["keep.txt", "sms-0.txt", "sms-1.txt"]


def test_a_failed_run_keeps_the_earlier_files_and_the_next_run_cleans_up(tmp_path: Path) -> None:
    lax = mergefield.compile("@{Lead:FirstName,-}")
    strict = mergefield.compile("@{Lead:FirstName}", mode="strict")
    pattern = str(tmp_path / "sms-*.txt")
    frame = pd.DataFrame({"FirstName": [f"lead-{k:03d}" for k in range(99)] + [None]})
    failing = dd.from_pandas(frame, npartitions=4, sort=False)
    with dask.config.set(scheduler="sync"):
        write_partitions(hundred_leads(12), lax, pattern)
        with pytest.raises(mergefield.RenderError):
            write_partitions(failing, strict, pattern)  # the last partition fails
        assert {f"sms-{k:02d}.txt" for k in range(12)} <= set(names(tmp_path))
        write_partitions(hundred_leads(12), lax, pattern)  # width 2 again: sms-0.txt ... are stale
    assert names(tmp_path) == [f"sms-{k:02d}.txt" for k in range(12)]


def test_a_failed_partition_leaves_no_file(tmp_path: Path) -> None:
    t = mergefield.compile("@{Lead:FirstName}", mode="strict")
    ddf = dd.from_pandas(pd.DataFrame({"FirstName": ["a", None]}), npartitions=1)
    with dask.config.set(scheduler="sync"), pytest.raises(mergefield.RenderError):
        write_partitions(ddf, t, str(tmp_path / "p-*.txt"))
    assert list(tmp_path.iterdir()) == []


# --- on the cluster --------------------------------------------------------------------------
# The fast subset starts the cluster once, for the first test below (the workers import the core
# of this run); the renders on the cluster are marked slow: each reads and renders 200,000 leads,
# and the tests without a cluster run the same partition functions in this process.


def test_workers_run_the_core_of_this_run(client: Any) -> None:
    client.wait_for_workers(2)
    cores = client.run(lambda: __import__("mergefield").IMPLEMENTATION)
    assert set(cores.values()) == {mergefield.IMPLEMENTATION}
    assert mergefield.IMPLEMENTATION == _core.IMPLEMENTATION


@pytest.mark.slow
def test_render_series_equals_render_many(
    client: Any, parquet_dir: Path, template: mergefield.Template, expected: list[str]
) -> None:
    series = render_series(read(parquet_dir), template, name="url", User=USER, Account=ACCOUNT)
    got = series.compute()
    assert got.name == "url"
    assert got.tolist() == expected


@pytest.mark.slow
def test_render_dataframe_keeps_the_other_columns(
    client: Any, parquet_dir: Path, template: mergefield.Template, expected: list[str]
) -> None:
    ddf = read(parquet_dir).partitions[:2]
    frame = render_dataframe(ddf, template, column="url", User=USER, Account=ACCOUNT)
    assert list(frame.columns) == [*ddf.columns, "url"]
    got = frame[["ProspectID", "url"]].compute()
    n = 2 * N_LEADS // N_FILES
    assert got["ProspectID"].tolist() == [f"lead-{k:07d}" for k in range(n)]
    assert got["url"].tolist() == expected[:n]


@pytest.mark.slow
def test_render_bag_equals_render_many(
    client: Any, leads: Any, template: mergefield.Template, expected: list[str]
) -> None:
    rows = leads.iloc[:5_000].to_dict("records")
    bag = db.from_sequence(rows, npartitions=4)
    assert render_bag(bag, template, User=USER, Account=ACCOUNT).compute() == expected[:5_000]


@pytest.mark.slow
def test_write_partitions_equals_render_many(
    client: Any,
    parquet_dir: Path,
    template: mergefield.Template,
    expected: list[str],
    tmp_path: Path,
) -> None:
    written = write_partitions(
        read(parquet_dir), template, str(tmp_path / "sms-*.txt"), User=USER, Account=ACCOUNT
    )
    assert [w.rows for w in written] == [N_LEADS // N_FILES] * N_FILES
    assert read_lines([w.path for w in written]) == expected


@pytest.mark.slow
def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    doc = readme.split("## Rendering on a Dask cluster", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", doc, re.S)
    printed = re.search(r"It prints:\n\n```\n(.*?)```", doc, re.S)
    assert code is not None and printed is not None
    (tmp_path / "render_leads.py").write_text(code.group(1), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "render_leads.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == printed.group(1)


# --- workers killed mid-run ------------------------------------------------------------------


class KillOnce:
    """A lead value that kills the worker process rendering it, once per marker file."""

    def __init__(self, value: str, marker: str) -> None:
        self.value = value
        self.marker = marker

    def __str__(self) -> str:
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return self.value
        os.close(fd)
        os._exit(17)  # no cleanup, no flush: as abrupt as the OOM killer


def arm(frame: Any, markers: str, victims: tuple[int, ...]) -> Any:
    """Make the middle lead of each victim partition a `KillOnce` keyed by the partition."""
    frame = frame.assign(FirstName=frame["FirstName"].astype(object))
    if len(frame):
        first = int(str(frame["ProspectID"].iloc[0]).removeprefix("lead-"))
        partition = first // (N_LEADS // N_FILES)
        if partition in victims:
            middle = len(frame) // 2
            value = frame["FirstName"].iloc[middle]
            marker = os.path.join(markers, f"partition-{partition}")
            frame.iloc[middle, frame.columns.get_loc("FirstName")] = KillOnce(str(value), marker)
    return frame


def armed(parquet_dir: Path, markers: Path, victims: tuple[int, ...]) -> Any:
    # Each death costs a worker restart and each partition seconds of rendering on this machine:
    # the first three partitions (120,000 leads) and a death or two make the point.
    ddf = read(parquet_dir).partitions[:KILL_PARTITIONS]
    meta = ddf._meta.assign(FirstName=ddf._meta["FirstName"].astype(object))
    return ddf.map_partitions(arm, str(markers), victims, meta=meta)


@pytest.mark.slow
def test_killed_workers_still_give_every_rendered_lead_once(
    client: Any,
    parquet_dir: Path,
    template: mergefield.Template,
    expected: list[str],
    tmp_path: Path,
) -> None:
    client.wait_for_workers(2)
    victims = (1,)
    series = render_series(
        armed(parquet_dir, tmp_path, victims), template, name="url", User=USER, Account=ACCOUNT
    )
    assert series.compute().tolist() == expected[: KILL_PARTITIONS * N_LEADS // N_FILES]
    # Each victim partition did kill the worker that first rendered it.
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"partition-{k}" for k in victims]


@pytest.mark.slow
def test_killed_workers_mid_write_leave_every_lead_exactly_once(
    client: Any,
    parquet_dir: Path,
    template: mergefield.Template,
    expected: list[str],
    tmp_path: Path,
) -> None:
    client.wait_for_workers(2)
    markers = tmp_path / "markers"
    markers.mkdir()
    out = tmp_path / "out"
    victims = (0, 2)
    written = write_partitions(
        armed(parquet_dir, markers, victims),
        template,
        str(out / "sms-*.txt"),
        User=USER,
        Account=ACCOUNT,
    )
    assert sorted(p.name for p in markers.iterdir()) == [f"partition-{k}" for k in victims]
    # No temporary file of a killed attempt is left, and no partition is written twice.
    assert names(out) == [f"sms-{k}.txt" for k in range(KILL_PARTITIONS)]
    assert [w.rows for w in written] == [N_LEADS // N_FILES] * KILL_PARTITIONS
    lines = read_lines([str(out / name) for name in names(out)])
    assert len(set(lines)) == len(lines)  # every lead's URL carries its unique ProspectID
    assert lines == expected[: KILL_PARTITIONS * N_LEADS // N_FILES]


def test_arrow_friendly_partitions_render_through_the_arrow_path(
    core: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mergefield.template import Slot

    t = mergefield.compile(TYPED)
    job = _Job(RenderRun(t), "x")
    calls: list[object] = []
    resolve = Slot.resolve
    render_arrow = mergefield.Template.render_arrow
    arrow_calls: list[int] = []

    def counted_resolve(slot: Slot, value: object) -> str:
        calls.append(value)
        return resolve(slot, value)

    def counted_render_arrow(self: mergefield.Template, *args: Any, **kwargs: Any) -> Any:
        arrow_calls.append(1)
        return render_arrow(self, *args, **kwargs)

    monkeypatch.setattr(Slot, "resolve", counted_resolve)
    monkeypatch.setattr(mergefield.Template, "render_arrow", counted_render_arrow)
    # Without its object columns (FirstName, mx_Any: absent keys, null on every row) the
    # typed frame is all Arrow-friendly: numbers, datetimes with and without a zone, strings.
    frame = typed_frame().drop(columns=["FirstName", "mx_Any"]).set_axis([10, 11, 12, 13])
    expected = t.render_many(frame.to_dict("records"))
    assert expected == [line.rsplit("|", 2)[0] + "||" for line in TYPED_EXPECTED]
    calls.clear()
    assert _render_series_partition(frame, job).tolist() == expected
    assert arrow_calls == [1]
    if core == "cython":  # dates too: no value of the partition asked the Python policy
        assert [value for value in calls if value is not None] == []
    path = str(tmp_path / "part.txt")
    assert _write_partition(frame, job, path, b"\n") == WrittenPartition(path, 4)
    assert Path(path).read_text("utf-8") == "".join(f"{line}\n" for line in expected)
    # An object column keeps the Python path (Arrow would convert its values).
    arrow_calls.clear()
    assert _render_series_partition(typed_frame(), job).tolist() == TYPED_EXPECTED
    assert arrow_calls == []
