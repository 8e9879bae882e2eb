"""Arrow benchmark: Arrow table to rendered column, Parquet file to text file, typed JSON bodies.

On ``--leads N`` deterministic leads (`leads.py`, default 1,000,000) held as an Arrow table,
it renders the SMS URL template of `bench_render.py` (every value a string, names, cities and
notes with non-ASCII text and URL-reserved characters, about 5% missing) with:

(a) in memory, table to column: DuckDB SQL ``url_encode`` + ``||`` on 2 threads (read straight
    from the Arrow table), mergefield ``render_columns`` after ``to_pylist`` of each column (the
    conversion is timed: it is what that path costs), and ``render_arrow`` on 1 and 2 threads;
(b) end to end, Parquet file to text file, each case in a fresh process (start-up and imports
    included): the hand-written pyarrow + f-string + ``quote`` baseline, Polars with
    ``map_elements(quote)``, DuckDB ``COPY (SELECT ...) TO``, ``pq.read_table`` +
    ``write_columns`` after ``to_pylist``, mergefield's CLI (``mergefield render --leads
    x.parquet -o out``) and ``write_arrow`` streaming the record batches of
    ``pq.ParquetFile(...).iter_batches(columns=...)``, as a user writes it for speed;
(c) in memory, a 10-field JSON body over typed columns (int64, float64, timestamp, strings):
    DuckDB ``json_object(...)`` on 2 threads, ``json.dumps`` of a dict per row of
    ``to_pylist()`` (the conversion is timed), and ``render_arrow`` on 1 and 2 threads.

Every output is asserted identical to mergefield's, byte for byte, before anything is timed
(the JSON template is written compact, as DuckDB and ``separators=(",", ":")`` write it, and
both competitors write an integral float as mergefield does, without ``.0``: nothing is
normalised after the fact).  (a), (c) and the (b) cases that take seconds show the median of
``--repeat`` interleaved rounds.
``--quick`` leaves out the cases that run Python per row in (b) (baseline, Polars), which take
minutes.  ``--json`` / ``--markdown`` write the results with the machine description
(`report.machine`) and the load average.  It is a benchmark, not a test: nothing here fails on
time.
"""

from __future__ import annotations

import argparse
import gc
import json
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
import pyarrow.parquet as pq

import mergefield

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leads as leadgen
from bench_render import URL_SOURCE
from report import machine, save

LEAD_KEYS = ("Mobile", "FirstName", "mx_City", "Notes")
USER = leadgen.USER
ACCOUNT = leadgen.ACCOUNT

# (c): ten Lead fields, an int, a float, a timestamp and seven strings, written compact.
JSON_SOURCE = (
    '{"to":"@{Lead:Mobile,}","name":"@{Lead:FirstName,Friend}","score":@{Lead:Score,0},'
    '"revenue":@{Lead:Revenue,0},"created":"@{Lead:CreatedOn,}","email":"@{Lead:EmailAddress,}",'
    '"city":"@{Lead:mx_City,}","company":"@{Lead:Company,}","source":"@{Lead:Source,}",'
    '"note":"@{Lead:Notes,}"}'
)
JSON_KEYS = ("Mobile", "FirstName", "Score", "Revenue", "CreatedOn", "EmailAddress", "mx_City",
             "Company", "Source", "Notes")  # fmt: skip

TARGETS = {
    "(a) render_arrow vs DuckDB SQL": 5.0,
    "(b) write_arrow vs DuckDB COPY": 1.5,
    "(b) write_arrow vs f-string baseline": 20.0,
    "(c) render_arrow vs DuckDB json_object": 3.0,
    "(c) render_arrow vs json.dumps": 30.0,
}


def lead_table(n: int) -> Any:
    """The first ``n`` leads' columns the URL template reads, as an Arrow table of strings."""
    return leadgen.arrow_table(n, LEAD_KEYS)


def _sql_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def url_parts(source: str) -> list[str | tuple[str, str]]:
    """The URL template as the hand-written competitors see it: literal text (the fixed
    records already rendered into it) and ``(lead key, default)`` for each Lead slot."""
    template = mergefield.compile(source, kind="url", context="grid")
    fixed = {"User": USER, "Account": ACCOUNT}
    text, slots = template.source, template.slots
    ends = [s.start for s in slots[1:]] + [len(text)]
    parts: list[str | tuple[str, str]] = [text[: slots[0].start] if slots else text]
    for ref, end in zip(slots, ends, strict=True):
        literal = text[ref.end : end]
        if ref.resource == "Lead":
            parts += [(ref.key, ref.token_default or ""), literal]
        else:
            single = mergefield.compile(f"x?a=@{{{ref.resource}:{ref.field},}}", kind="url")
            parts[-1] += single.render(**fixed)[len("x?a=") :] + literal  # type: ignore[operator]
    return [p for p in parts if p]


def duckdb_sql(source: str) -> str:
    """The URL template as DuckDB SQL: ``url_encode`` per value, the template's defaults."""
    pieces = []
    for part in url_parts(source):
        if isinstance(part, str):
            pieces.append(_sql_quote(part))
        else:
            key, default = part
            pieces.append(
                f"CASE WHEN {key} IS NULL OR {key} = '' THEN {_sql_quote(default)} "
                f"ELSE url_encode({key}) END"
            )
    return "SELECT " + " || ".join(pieces) + " AS url FROM leads"


def duckdb_json_sql() -> str:
    """`JSON_SOURCE` as DuckDB ``json_object``: the same defaults, an integral float without
    ``.0`` (as mergefield and Python's int render it), a timestamp as its text."""
    strings = {"to": ("Mobile", ""), "name": ("FirstName", "Friend")}
    args = [f"'{k}', coalesce(nullif({c}, ''), {_sql_quote(d)})" for k, (c, d) in strings.items()]
    args.append("'score', coalesce(Score, 0)")
    args.append(
        "'revenue', CAST(CASE WHEN Revenue IS NULL OR isnan(Revenue) THEN '0' "
        "WHEN Revenue = trunc(Revenue) THEN CAST(CAST(Revenue AS BIGINT) AS VARCHAR) "
        "ELSE CAST(Revenue AS VARCHAR) END AS JSON)"
    )
    args.append("'created', coalesce(CAST(CreatedOn AS VARCHAR), '')")
    for key, column in (("email", "EmailAddress"), ("city", "mx_City"), ("company", "Company"),
                        ("source", "Source"), ("note", "Notes")):  # fmt: skip
        args.append(f"'{key}', coalesce(nullif({column}, ''), '')")
    return "SELECT CAST(json_object(" + ", ".join(args) + ") AS VARCHAR) AS body FROM leads"


def _number(value: Any) -> Any:
    """A float as mergefield and the README's value rules write it: integral without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def baseline_json(rows: list[dict[str, Any]]) -> list[str]:
    """``json.dumps`` of a dict per row, the template's defaults written by hand."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    out = []
    append = out.append
    for row in rows:
        score, revenue, created = row["Score"], row["Revenue"], row["CreatedOn"]
        append(
            dumps(
                {
                    "to": row["Mobile"] or "",
                    "name": row["FirstName"] or "Friend",
                    "score": 0 if score is None else score,
                    "revenue": 0 if revenue is None or revenue != revenue else _number(revenue),
                    "created": "" if created is None else str(created),
                    "email": row["EmailAddress"] or "",
                    "city": row["mx_City"] or "",
                    "company": row["Company"] or "",
                    "source": row["Source"] or "",
                    "note": row["Notes"] or "",
                }
            )
        )
    return out


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


def _duckdb(table: Any) -> Any:
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.register("leads", table)
    return con


def _arrow_cases(template: mergefield.Template, table: Any) -> dict[str, Callable[[], Any]]:
    def arrow(threads: int) -> Callable[[], Any]:
        return lambda: template.render_arrow(table, threads=threads, User=USER, Account=ACCOUNT)

    return {"render_arrow_1_thread": arrow(1), "render_arrow_2_threads": arrow(2)}


def in_memory(table: Any, repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """(a): the URL template, Arrow table to rendered column."""
    template = mergefield.compile(URL_SOURCE, kind="url", context="grid")
    con = _duckdb(table)
    sql = duckdb_sql(URL_SOURCE)

    def duck() -> Any:
        return con.sql(sql).to_arrow_table().column(0)

    def columns() -> list[str]:
        lists = {key: table.column(key).to_pylist() for key in LEAD_KEYS}
        return template.render_columns(lists, User=USER, Account=ACCOUNT)

    cases = {
        "duckdb_sql_2_threads": duck,
        "render_columns_after_to_pylist": columns,
        **_arrow_cases(template, table),
    }
    expected = cases["render_arrow_1_thread"]().to_pylist()
    assert cases["render_arrow_2_threads"]().to_pylist() == expected
    assert columns() == expected
    assert duck().to_pylist() == expected, "DuckDB renders differently"
    return _median_rounds(cases, repeat)


def json_bodies(table: Any, repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """(c): the typed JSON body, Arrow table to rendered column."""
    template = mergefield.compile(JSON_SOURCE, kind="json", context="grid")
    con = _duckdb(table)
    sql = duckdb_json_sql()

    def duck() -> Any:
        return con.sql(sql).to_arrow_table().column(0)

    cases = {
        "duckdb_json_object_2_threads": duck,
        "json_dumps_after_to_pylist": lambda: baseline_json(table.to_pylist()),
        **_arrow_cases(template, table),
    }
    expected = cases["render_arrow_1_thread"]().to_pylist()
    assert cases["render_arrow_2_threads"]().to_pylist() == expected
    assert baseline_json(table.to_pylist()) == expected, "json.dumps renders differently"
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
    "mergefield_cli": """
import subprocess, sys, os
cli = os.path.join(os.path.dirname(sys.executable), "mergefield")
subprocess.run([cli, "render", "--kind", "url", "--context", "grid", "--leads", PARQUET,
                "--user", USER_FILE, "--account", ACCOUNT_FILE, "-o", OUT, SOURCE], check=True)
""",
    "write_arrow_2_threads": """
import pyarrow.parquet as pq, mergefield, leads
t = mergefield.compile(SOURCE, kind="url", context="grid")
batches = pq.ParquetFile(PARQUET).iter_batches(columns=COLUMNS)  # streamed, only what is read
with open(OUT, "wb") as f:
    t.write_arrow(batches, f, threads=2, User=leads.USER, Account=leads.ACCOUNT)
""",
}
PER_ROW_PYTHON = {
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
    "polars_map_elements": """
import polars as pl
from urllib.parse import quote
def q(value):
    return quote(value, safe="")
pieces = []
for part in PARTS:
    if isinstance(part, str):
        pieces.append(pl.lit(part))
    else:
        key, default = part
        c = pl.col(key)
        pieces.append(pl.when(c.is_null() | (c == "")).then(pl.lit(quote(default, safe="")))
                      .otherwise(c.map_elements(q, return_dtype=pl.String)))
df = pl.read_parquet(PARQUET)
df.select(pl.concat_str(pieces).alias("url")).write_csv(
    OUT, include_header=False, quote_style="never")
""",
}


def end_to_end(
    parquet: str, expected: bytes, quick: bool, repeat: int
) -> tuple[dict[str, float], dict[str, float]]:
    """(b): wall seconds as each process measures itself, CPU seconds of the whole process
    (and, for the CLI, of its child).  The cases of a few seconds run in ``repeat`` interleaved
    rounds (medians: one fresh process varies by up to 1.5x on a shared machine); the per-row
    Python ones, which take minutes, in the first round only."""
    walls: dict[str, list[float]] = {}
    cpu_runs: dict[str, list[float]] = {}
    rounds = [dict({} if quick else PER_ROW_PYTHON, **END_TO_END)]
    rounds += [END_TO_END] * (repeat - 1)
    with tempfile.TemporaryDirectory() as tmp:
        user, account = os.path.join(tmp, "user.json"), os.path.join(tmp, "account.json")
        for path, record in ((user, USER), (account, ACCOUNT)):
            with open(path, "w", encoding="utf-8") as f:
                json.dump(record, f)
        for name, body in ((n, b) for cases in rounds for n, b in cases.items()):
            out = os.path.join(tmp, name + ".txt")
            code = (
                _PRELUDE
                + f"PARQUET, OUT, SOURCE = {parquet!r}, {out!r}, {URL_SOURCE!r}\n"
                + f"USER_FILE, ACCOUNT_FILE = {user!r}, {account!r}\n"
                + f"COLUMNS = {list(LEAD_KEYS)!r}\n"
                + f"SQL = {duckdb_sql(URL_SOURCE)!r}\n"
                + f"PARTS = {url_parts(URL_SOURCE)!r}\n"
                + body
                + "print(time.perf_counter() - start)\n"
            )
            cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            cpu_runs.setdefault(name, []).append(cpu_seconds(resource.RUSAGE_CHILDREN) - cpu)
            if proc.returncode:
                raise RuntimeError(f"{name} failed:\n{proc.stderr}")
            walls.setdefault(name, []).append(float(proc.stdout.strip().splitlines()[-1]))
            with open(out, "rb") as f:
                assert f.read() == expected, f"{name} wrote different bytes"
            print(f"  (b) {name}: {walls[name][-1]:.3f} s wall", file=sys.stderr)
    return (
        {name: statistics.median(runs) for name, runs in walls.items()},
        {name: statistics.median(runs) for name, runs in cpu_runs.items()},
    )


def verdicts(results: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """Each target: (name, goal, wall ratio, CPU ratio); met when the CPU ratio reaches it."""
    a, a_cpu = results["in_memory_s"], results["in_memory_cpu_s"]
    b, b_cpu = results["end_to_end_s"], results["end_to_end_cpu_s"]
    c, c_cpu = results["json_s"], results["json_cpu_s"]
    pairs = {
        "(a) render_arrow vs DuckDB SQL": (a, a_cpu, "duckdb_sql_2_threads", "render_arrow"),
        "(b) write_arrow vs DuckDB COPY": (b, b_cpu, "duckdb_copy_2_threads", "write_arrow"),
        "(b) write_arrow vs f-string baseline": (
            b,
            b_cpu,
            "pyarrow_fstring_quote_baseline",
            "write_arrow",
        ),
        "(c) render_arrow vs DuckDB json_object": (
            c,
            c_cpu,
            "duckdb_json_object_2_threads",
            "render_arrow",
        ),
        "(c) render_arrow vs json.dumps": (c, c_cpu, "json_dumps_after_to_pylist", "render_arrow"),
    }
    out = []
    for name, (wall, cpu, them, prefix) in pairs.items():
        if them not in wall:
            continue
        # mergefield's best thread count in this run, by wall and by CPU.
        ours = [k for k in wall if k.startswith(prefix)]
        out.append((
            name, TARGETS[name], wall[them] / min(wall[k] for k in ours),
            cpu[them] / min(cpu[k] for k in ours),
        ))  # fmt: skip
    return out


def markdown(results: dict[str, Any], repeat: int) -> str:
    def rows(tag: str, wall: dict[str, float], cpu: dict[str, float], ref: str) -> list[str]:
        return [
            f"| {tag} {k} | {v:.3f} | {wall[ref] / v:.2f}x | {cpu[k]:.3f} | "
            f"{cpu[ref] / cpu[k]:.2f}x |"
            for k, v in wall.items()
        ]

    head = [
        "| case | wall s | wall vs DuckDB | CPU s | CPU vs DuckDB |",
        "|---|---:|---:|---:|---:|",
    ]
    goals = [
        f"| {name} | {goal:g}x | {wall:.2f}x | {cpu:.2f}x | {'met' if cpu >= goal else 'not met'} |"
        for name, goal, wall, cpu in verdicts(results)
    ]
    load = results["load_average"]
    return "\n".join([
        f"# Arrow benchmark: {results['leads']:,} leads",
        "",
        "(a) SMS URL template, Arrow table in memory to rendered column; (b) the same template, "
        "Parquet file to text file; (c) 10-field JSON body over typed columns (int64, float64, "
        "timestamp, strings), in memory.",
        "",
        *head,
        *rows("(a)", results["in_memory_s"], results["in_memory_cpu_s"], "duckdb_sql_2_threads"),
        *rows("(b)", results["end_to_end_s"], results["end_to_end_cpu_s"],
              "duckdb_copy_2_threads"),
        *rows("(c)", results["json_s"], results["json_cpu_s"], "duckdb_json_object_2_threads"),
        "",
        "## Targets",
        "",
        "| target | goal | wall ratio | CPU ratio | verdict (on CPU) |",
        "|---|---:|---:|---:|---|",
        *goals,
        "",
        f"(a) and (c): median of {repeat} interleaved rounds in one process; (b) a fresh "
        f"process each run, median of {repeat} interleaved rounds (the per-row Python cases, "
        "which take minutes: one run), process start and imports included (the CLI case also "
        "starts the `mergefield` script as a child).  All outputs identical, byte for byte.  "
        "CPU s is user + system time of all threads (and children).  The machine is shared: "
        "wall time includes waiting for a core, so the verdicts use the CPU ratio; "
        "mergefield's row is its best thread count.  Load average (1 min) at the start: "
        f"{results['load_average_start']:.1f}, at the end: {load:.1f}, on "
        f"{os.cpu_count()} cores.",
        "",
        "Machine: " + ", ".join(f"{k}={v}" for k, v in results["machine"].items()),
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="leave out the per-row Python (b)")
    parser.add_argument("--json")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    print(f"generating {args.leads:,} leads ...", file=sys.stderr)
    keys = list(dict.fromkeys(LEAD_KEYS + JSON_KEYS))
    typed = leadgen.arrow_table(args.leads, keys, typed=True)
    table = typed.select(list(LEAD_KEYS))  # every URL column is a string column
    print("(a) ...", file=sys.stderr)
    memory, memory_cpu = in_memory(table, args.repeat)
    print("(c) ...", file=sys.stderr)
    bodies, bodies_cpu = json_bodies(typed.select(list(JSON_KEYS)), args.repeat)
    template = mergefield.compile(URL_SOURCE, kind="url", context="grid")
    expected = b"".join(
        s.encode() + b"\n"
        for s in template.render_arrow(table, User=USER, Account=ACCOUNT).to_pylist()
    )
    print("(b) ...", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        parquet = os.path.join(tmp, "leads.parquet")
        pq.write_table(table, parquet)
        files, files_cpu = end_to_end(parquet, expected, args.quick, args.repeat)
    results: dict[str, Any] = {
        "leads": args.leads,
        "in_memory_s": memory,
        "in_memory_cpu_s": memory_cpu,
        "end_to_end_s": files,
        "end_to_end_cpu_s": files_cpu,
        "json_s": bodies,
        "json_cpu_s": bodies_cpu,
        "load_average_start": load_start,
        "load_average": os.getloadavg()[0],
        "machine": machine(),
    }
    results["targets"] = [
        {"target": name, "goal": goal, "wall_ratio": wall, "cpu_ratio": cpu, "met": cpu >= goal}
        for name, goal, wall, cpu in verdicts(results)
    ]
    text = markdown(results, args.repeat)
    print(text)
    save(results, text, args.json, args.markdown)


if __name__ == "__main__":
    main()
