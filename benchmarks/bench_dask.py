"""Parquet to Parquet at a million leads: `mergefield.dask` on a local cluster against one process.

Writes deterministic leads with typed columns (str, object, string[pyarrow], int64, float64 with
NaN, nullable Int64, datetime64[ns] naive and zoned) as several Parquet files, then renders the
SMS URL template of the issue plus a score and a creation date into a ``url`` column beside the
``ProspectID`` and writes the pair to Parquet, three ways:

- ``single``: one process, the columnar path: ``pyarrow.parquet.read_table`` ->
  ``Template.render_columns`` -> ``pyarrow.parquet.write_table``;
- ``dask``: ``dask.dataframe.read_parquet`` -> `mergefield.dask.render_dataframe` ->
  ``to_parquet`` on a ``distributed.LocalCluster`` with ``--workers`` processes of one thread;
- ``dask-lines``: `mergefield.dask.write_partitions` into one text file per partition.

Every timing is wall clock for the whole job (read, render, write), the median of ``--repeat``
runs; the cluster's start-up is reported apart.  Both Parquet outputs are read back and checked
identical, lead by lead, as are the text lines.  ``--quick`` is a smoke run (100,000 leads).
Run: ``python benchmarks/bench_dask.py [--leads N] [--workers 2] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import distributed
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import mergefield
from mergefield.dask import lead_columns, render_dataframe, write_partitions

SOURCE = (
    "https://sms.example.com/api/v1/send?to=@{Lead:Mobile,}&name=@{Lead:FirstName,Friend}"
    "&city=@{Lead:mx_City,}&agent=@{User:EmailAddress,}&org=@{Account:ShortCode,}"
    "&note=@{Lead:Notes,}&score=@{Lead:Score Lead,0}&revenue=@{Lead:Revenue,}"
    "&engaged=@{Lead:EngagementScore,}&created=@{Lead:CreatedOn,}&id=@{Lead:ProspectID,}"
)
USER = {"EmailAddress": "priya.sharma+sales@example.co.in", "FirstName": "Priya"}
ACCOUNT = {"ShortCode": "acme/IN #1"}

FIRST = ["Aarav", "Ananya", "José", "Zoë", "अर्जुन", "李雷", "Emma 🙂", "O'Brien", "Liam", None, ""]
CITIES = ["Pune", "São Paulo", "Zürich", "Bengaluru", "New York", "Chennai", "東京"]
NOTES = ["call after 6pm", "a&b=c+d#e/f?g%h", "", None, "50% off / 2 days", "ok"]


def make_leads(n: int, start: int) -> pd.DataFrame:
    """Leads ``start`` .. ``start + n - 1``, the same on every machine."""
    i = np.arange(start, start + n)
    created = pd.Series(
        pd.Timestamp("2023-01-01") + pd.to_timedelta(i * 31, unit="s"), dtype="datetime64[ns]"
    )
    created[i % 17 == 0] = pd.NaT
    revenue = np.where(i % 3 == 0, (i % 5000).astype("float64"), (i % 5000) / 8)
    revenue[i % 11 == 0] = np.nan
    engaged = pd.array(i % 1000, dtype="Int64")
    engaged[i % 13 == 0] = pd.NA
    mobile = pd.array([f"98{k % 10**8:08d}" for k in i], dtype="string[pyarrow]")
    mobile[i % 23 == 0] = pd.NA
    return pd.DataFrame(
        {
            "ProspectID": [f"lead-{k:08d}" for k in i],
            "FirstName": pd.Series([FIRST[k % len(FIRST)] for k in i], dtype=object),
            "mx_City": [CITIES[k % len(CITIES)] if k % 29 else None for k in i],
            "Notes": pd.Series([NOTES[k % len(NOTES)] for k in i], dtype=object),
            "Score": (i % 100).astype("int64"),
            "Revenue": revenue,
            "EngagementScore": engaged,
            "Mobile": mobile,
            "CreatedOn": created,
            "ModifiedOn": created.dt.tz_localize("UTC").dt.tz_convert("Asia/Kolkata"),
            "Company": "Acme Pvt Ltd",  # a column the template does not read
        }
    )


def write_source(directory: Path, leads: int, files: int) -> None:
    size = -(-leads // files)
    for k in range(files):
        start = k * size
        frame = make_leads(min(size, leads - start), start)
        frame.to_parquet(directory / f"leads-{k:03d}.parquet", index=False)


def run_single(template: mergefield.Template, source: Path, out: Path) -> None:
    keys = lead_columns(template)
    table = pq.read_table(source, columns=sorted({"ProspectID", *keys}))
    urls = template.render_columns(
        {key: table.column(key) for key in keys}, User=USER, Account=ACCOUNT
    )
    result = pa.table(
        {"ProspectID": table.column("ProspectID"), "url": pa.array(urls, pa.string())}
    )
    pq.write_table(result, out / "urls.parquet")


def run_dask(template: mergefield.Template, source: Path, out: Path) -> None:
    keys = lead_columns(template)
    ddf = dd.read_parquet(str(source), columns=sorted({"ProspectID", *keys}))
    rendered = render_dataframe(ddf, template, column="url", User=USER, Account=ACCOUNT)
    rendered[["ProspectID", "url"]].to_parquet(str(out), write_index=False)


def run_dask_lines(template: mergefield.Template, source: Path, out: Path) -> None:
    ddf = dd.read_parquet(str(source), columns=lead_columns(template))
    write_partitions(ddf, template, str(out / "sms-*.txt"), User=USER, Account=ACCOUNT)


def timed(job: Callable[[Path], None], scratch: Path, repeat: int) -> tuple[float, Path]:
    times = []
    out = scratch
    for k in range(repeat):
        out = scratch / f"run-{k}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        started = time.perf_counter()
        job(out)
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def urls_by_id(path: Path) -> dict[str, str]:
    table = pq.read_table(path, columns=["ProspectID", "url"])
    ids, urls = table.column("ProspectID").to_pylist(), table.column("url").to_pylist()
    return dict(zip(ids, urls, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=8, help="Parquet files = Dask partitions")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100,000 leads, one run each")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    if args.quick:
        args.leads, args.repeat = 100_000, 1

    template = mergefield.compile(SOURCE, kind="url", context="grid")
    scratch = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    try:
        source = scratch / "leads"
        source.mkdir()
        started = time.perf_counter()
        write_source(source, args.leads, args.files)
        print(
            f"{args.leads:,} leads in {args.files} Parquet files ({mergefield.IMPLEMENTATION} core)"
        )
        print(f"  generated in {time.perf_counter() - started:.1f} s")

        single, single_out = timed(
            lambda out: run_single(template, source, out), scratch / "single", args.repeat
        )
        started = time.perf_counter()
        cluster = distributed.LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster)
        startup = time.perf_counter() - started
        try:
            cluster_cores = set(
                client.run(lambda: __import__("mergefield").IMPLEMENTATION).values()
            )
            assert cluster_cores == {mergefield.IMPLEMENTATION}, cluster_cores
            on_dask, dask_out = timed(
                lambda out: run_dask(template, source, out), scratch / "dask", args.repeat
            )
            lines, lines_out = timed(
                lambda out: run_dask_lines(template, source, out), scratch / "lines", args.repeat
            )
        finally:
            client.close()
            cluster.close()

        expected = urls_by_id(single_out)
        assert len(expected) == args.leads
        assert urls_by_id(dask_out) == expected, "dask output differs from the single process"
        written = [
            line
            for path in sorted(lines_out.iterdir())
            for line in path.read_text(encoding="utf-8").split("\n")[:-1]
        ]
        assert written == list(expected.values()), "write_partitions output differs"

        results: dict[str, Any] = {
            "leads": args.leads,
            "files": args.files,
            "workers": args.workers,
            "core": mergefield.IMPLEMENTATION,
            "repeat": args.repeat,
            "single_s": round(single, 2),
            "dask_s": round(on_dask, 2),
            "dask_lines_s": round(lines, 2),
            "cluster_startup_s": round(startup, 2),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}",
        }
        rate = args.leads / 1000
        print(
            f"  single process, read_table -> render_columns -> write_table: {single:6.2f} s "
            f"({rate / single:,.0f}k leads/s)"
        )
        print(
            f"  dask, {args.workers} workers, render_dataframe -> to_parquet: {on_dask:6.2f} s "
            f"({rate / on_dask:,.0f}k leads/s, {single / on_dask:.2f}x)"
        )
        print(
            f"  dask, {args.workers} workers, write_partitions (text lines): {lines:6.2f} s "
            f"({rate / lines:,.0f}k leads/s, {single / lines:.2f}x)"
        )
        print(f"  cluster start-up (not included above): {startup:.2f} s")
        print("  outputs identical lead by lead")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
