"""Arrow benchmark: Arrow table to rendered column, and Parquet file to text file.

On ``--leads N`` deterministic leads (`leads.py`, default 1,000,000) held as an Arrow table,
it renders the SMS URL template of `bench_render.py` (every value a string, names, cities and
notes with non-ASCII text and URL-reserved characters, about 5% missing) with:

(a) in memory, table to column: DuckDB SQL ``url_encode`` + ``||`` on 2 threads (read straight
    from the Arrow table), mergefield ``render_columns`` after ``to_pylist`` of each column (the
    conversion is timed: it is what that path costs), and ``render_arrow`` on 1 and 2 threads;
(b) end to end, Parquet file to text file, each case in a fresh process: DuckDB ``COPY (SELECT
    ...) TO``, ``pq.read_table`` + ``write_columns`` after ``to_pylist``, ``pq.read_table`` +
    ``write_arrow``; ``--full`` adds the hand-written pyarrow + f-string + ``quote`` baseline.

Every output is asserted identical to mergefield's before anything is timed; (a) shows the
median of ``--repeat`` interleaved rounds.  ``--json`` / ``--markdown`` write the results with
the machine description (`report.machine`).  It is a benchmark, not a test: nothing here fails
on time.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

import mergefield

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leads as leadgen
from bench_render import URL_SOURCE
from report import machine, save

LEAD_KEYS = ("Mobile", "FirstName", "mx_City", "Notes")
USER = leadgen.USER
ACCOUNT = leadgen.ACCOUNT


def lead_table(n: int) -> Any:
    """The first ``n`` leads' columns the template reads, as an Arrow table of strings."""
    columns: dict[str, list[Any]] = {key: [] for key in LEAD_KEYS}
    for lead in leadgen.iter_leads(n):
        for key in LEAD_KEYS:
            value = lead.get(key)
            columns[key].append(None if value is None else str(value))
    return pa.table({key: pa.array(values, pa.string()) for key, values in columns.items()})


def _sql_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def duckdb_sql(source: str) -> str:
    """The URL template as DuckDB SQL: ``url_encode`` per value, the template's defaults."""
    template = mergefield.compile(source, kind="url", context="grid")
    fixed = {"User": USER, "Account": ACCOUNT}
    text, slots = template.source, template.slots
    ends = [s.start for s in slots[1:]] + [len(text)]
    parts = [text[: slots[0].start] if slots else text]
    pieces = []
    for ref, end in zip(slots, ends, strict=True):
        literal = text[ref.end : end]
        if ref.resource == "Lead":
            pieces.append(_sql_quote(parts.pop()) if parts[-1] else None)
            key = ref.key
            default = _sql_quote(ref.token_default or "")
            pieces.append(
                f"CASE WHEN {key} IS NULL OR {key} = '' THEN {default} ELSE url_encode({key}) END"
            )
            parts.append(literal)
        else:
            single = mergefield.compile(f"x?a=@{{{ref.resource}:{ref.field},}}", kind="url")
            parts[-1] += single.render(**fixed)[len("x?a=") :] + literal
    if parts[-1]:
        pieces.append(_sql_quote(parts[-1]))
    return "SELECT " + " || ".join(p for p in pieces if p) + " AS url FROM leads"


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """User plus system CPU time so far, of every thread (or of the finished children)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _median_rounds(
    cases: dict[str, Callable[[], Any]], repeat: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU seconds per case.  The machine is shared: when other processes
    load it, wall time measures the queue, while CPU time still measures the work."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, fn in cases.items():
            gc.collect()
            cpu = cpu_seconds()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
            cpus[name].append(cpu_seconds() - cpu)
    return (
        {name: statistics.median(runs) for name, runs in times.items()},
        {name: statistics.median(runs) for name, runs in cpus.items()},
    )


def in_memory(table: Any, repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    template = mergefield.compile(URL_SOURCE, kind="url", context="grid")
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.register("leads", table)
    sql = duckdb_sql(URL_SOURCE)

    def duck() -> Any:
        return con.sql(sql).to_arrow_table().column(0)

    def columns() -> list[str]:
        lists = {key: table.column(key).to_pylist() for key in LEAD_KEYS}
        return template.render_columns(lists, User=USER, Account=ACCOUNT)

    def arrow(threads: int) -> Callable[[], Any]:
        return lambda: template.render_arrow(table, threads=threads, User=USER, Account=ACCOUNT)

    cases = {
        "duckdb_sql_2_threads": duck,
        "render_columns_after_to_pylist": columns,
        "render_arrow_1_thread": arrow(1),
        "render_arrow_2_threads": arrow(2),
    }
    expected = cases["render_arrow_1_thread"]().to_pylist()
    assert cases["render_arrow_2_threads"]().to_pylist() == expected
    assert columns() == expected
    assert duck().to_pylist() == expected, "DuckDB renders differently"
    return _median_rounds(cases, repeat)


# (b): each case is a fresh process that reads the Parquet file and writes the text file.
_PRELUDE = f"""
import sys, time
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
start = time.perf_counter()
"""
END_TO_END = {
    "duckdb_copy_2_threads": """
import duckdb
con = duckdb.connect(); con.execute("SET threads TO 2")
query = SQL.replace("FROM leads", "FROM read_parquet('" + PARQUET + "')")
con.execute("COPY (" + query + ") TO '" + OUT + "' "
            "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\\x01')")
""",
    "write_columns_after_to_pylist": """
import pyarrow.parquet as pq, mergefield, leads
t = mergefield.compile(SOURCE, kind="url", context="grid")
table = pq.read_table(PARQUET)
with open(OUT, "wb") as f:
    t.write_columns({k: table.column(k).to_pylist() for k in table.column_names}, f,
                    User=leads.USER, Account=leads.ACCOUNT)
""",
    "write_arrow_2_threads": """
import pyarrow.parquet as pq, mergefield, leads
t = mergefield.compile(SOURCE, kind="url", context="grid")
with open(OUT, "wb") as f:
    t.write_arrow(pq.read_table(PARQUET), f, threads=2, User=leads.USER, Account=leads.ACCOUNT)
""",
}
BASELINE = {
    "pyarrow_fstring_quote_baseline": """
import pyarrow.parquet as pq, leads
from urllib.parse import quote
from bench_render import baseline_url
table = pq.read_table(PARQUET)
rows = table.to_pylist()
with open(OUT, "w", encoding="utf-8") as f:
    for line in baseline_url(rows, leads.USER, leads.ACCOUNT):
        f.write(line + "\\n")
""",
}


def end_to_end(
    parquet: str, expected: bytes, full: bool
) -> tuple[dict[str, float], dict[str, float]]:
    results = {}
    cpus = {}
    cases = dict(END_TO_END, **(BASELINE if full else {}))
    with tempfile.TemporaryDirectory() as tmp:
        for name, body in cases.items():
            out = os.path.join(tmp, name + ".txt")
            code = (
                _PRELUDE
                + f"PARQUET, OUT, SOURCE = {parquet!r}, {out!r}, {URL_SOURCE!r}\n"
                + f"SQL = {duckdb_sql(URL_SOURCE)!r}\n"
                + body
                + "print(time.perf_counter() - start)\n"
            )
            cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            cpus[name] = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
            if proc.returncode:
                raise RuntimeError(f"{name} failed:\n{proc.stderr}")
            results[name] = float(proc.stdout.strip().splitlines()[-1])
            with open(out, "rb") as f:
                assert f.read() == expected, f"{name} wrote different bytes"
    return results, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="add the slow pure-Python baseline")
    parser.add_argument("--json")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    print(f"generating {args.leads:,} leads ...", file=sys.stderr)
    table = lead_table(args.leads)
    memory, memory_cpu = in_memory(table, args.repeat)
    template = mergefield.compile(URL_SOURCE, kind="url", context="grid")
    expected = b"".join(
        s.encode() + b"\n"
        for s in template.render_arrow(table, User=USER, Account=ACCOUNT).to_pylist()
    )
    with tempfile.TemporaryDirectory() as tmp:
        parquet = os.path.join(tmp, "leads.parquet")
        pq.write_table(table, parquet)
        files, files_cpu = end_to_end(parquet, expected, args.full)

    def rows(tag: str, wall: dict[str, float], cpu: dict[str, float], duck: str) -> list[str]:
        return [
            f"| {tag} {k} | {v:.3f} | {wall[duck] / v:.2f}x | {cpu[k]:.3f} | "
            f"{cpu[duck] / cpu[k]:.2f}x |"
            for k, v in wall.items()
        ]

    load = os.getloadavg()[0]
    lines = [
        f"# Arrow benchmark: {args.leads:,} leads, SMS URL template",
        "",
        "| case | wall s | wall vs DuckDB | CPU s | CPU vs DuckDB |",
        "|---|---:|---:|---:|---:|",
        *rows("(a)", memory, memory_cpu, "duckdb_sql_2_threads"),
        *rows("(b)", files, files_cpu, "duckdb_copy_2_threads"),
        "",
        "(a) in memory, Arrow table to rendered column, median of "
        f"{args.repeat} interleaved rounds; (b) Parquet file to text file, one fresh process "
        "each, one run (process start and imports included).  All outputs identical.  CPU s is "
        f"user + system time of all threads.  Load average at the end: {load:.1f} on "
        f"{os.cpu_count()} cores.",
        "",
        "Machine: " + ", ".join(f"{k}={v}" for k, v in machine().items()),
    ]
    text = "\n".join(lines)
    print(text)
    results = {
        "leads": args.leads,
        "in_memory_s": memory,
        "in_memory_cpu_s": memory_cpu,
        "end_to_end_s": files,
        "end_to_end_cpu_s": files_cpu,
        "load_average": load,
    }
    results["machine"] = machine()
    save(results, text, args.json, args.markdown)


if __name__ == "__main__":
    main()
