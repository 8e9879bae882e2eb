"""Instruction counts of bulk rendering under callgrind: the URL and JSON cases of `bench_render`.

Wall-clock time on a shared machine is noise; callgrind counts the instructions a run executes,
which repeat to a fraction of a percent, so two builds (a branch and main) compare exactly.  For
each case (the SMS URL template and the 10-field JSON body of `bench_render.py`, on 10,000 leads
of `leads.py`) it runs this script once under ``valgrind --tool=callgrind``, rendering the leads
with ``render_many`` and then ``render_columns``, and reads the inclusive cost of the compiled
core's two entry points (``render_rows`` and ``render_columns``: the core's loop and every
callback into the Python policy it makes).  Only those calls are collected, so the set-up (the
interpreter, the leads) costs nothing but time.  Run it from a checkout with the compiled core
built in place (``PYTHONPATH`` may point at another checkout to measure that one)::

    python benchmarks/callgrind_core.py [--leads 10000] [--json PATH]

``--run CASE`` is the workload itself (what the driver runs under callgrind).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ("url", "json")


def _workload(case: str, count: int) -> None:
    """Prepare the template and leads of ``case``; render them with both methods."""
    sys.path.insert(0, HERE)
    import bench_render
    import leads as leadgen

    import mergefield

    assert mergefield.IMPLEMENTATION == "cython", "build the compiled core first"
    source = bench_render.URL_SOURCE if case == "url" else bench_render.JSON_SOURCE
    template = mergefield.compile(source, context="grid", kind=case)
    leads = leadgen.make_leads(count)
    user, account = leadgen.USER, leadgen.ACCOUNT
    columns = leadgen.columns(leads)
    out = template.render_many(leads, User=user, Account=account)
    assert len(out) == count
    out = template.render_columns(columns, User=user, Account=account)
    assert len(out) == count


# The compiled core's entry points behind each method: their inclusive cost is the render's.
_ENTRIES = {"render_many": "render_rows", "render_columns": "render_columns"}


def _symbols(extension: str) -> dict[str, str]:
    """The C function Cython generated as each entry point's Python wrapper
    (``__pyx_pw_<module>_<n><name>``), read from ``extension``'s symbol table: toggling on exact
    names (callgrind's wildcards sharing a prefix toggled only one of them)."""
    names = subprocess.run(["nm", extension], check=True, capture_output=True, text=True).stdout
    found = {}
    for method, entry in _ENTRIES.items():
        match = re.search(rf"\b(__pyx_pw_10mergefield_5_fast_\d+{entry})$", names, re.MULTILINE)
        assert match is not None, f"no {entry} in {extension}"
        found[method] = match.group(1)
    return found


def _inclusive(
    case: str, count: int, env: dict[str, str], symbols: dict[str, str]
) -> dict[str, int]:
    """The instructions of each entry point in one callgrind run of ``case``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        toggles = [f"--toggle-collect={symbol}" for symbol in symbols.values()]
        script = [sys.executable, os.path.abspath(__file__), "--leads", str(count)]
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--collect-atstart=no", *toggles,
             f"--callgrind-out-file={out}", *script, "--run", case],
            check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        annotated = subprocess.run(
            ["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
    found: dict[str, int] = {}
    for method, symbol in symbols.items():
        match = re.search(rf"^\s*([\d,]+) .*:{symbol} ", annotated, re.MULTILINE)
        assert match is not None, f"{symbol} not in the callgrind profile"
        found[method] = int(match.group(1).replace(",", ""))
    return found


def measure(count: int) -> dict[str, Any]:
    """Instructions per render call, by case and method, for the checkout ``mergefield`` is."""
    env = dict(os.environ)
    env.pop("MERGEFIELD_NO_EXTENSIONS", None)
    env["PYTHONHASHSEED"] = "0"  # dict and set layouts, hence the counts, repeat run to run
    import mergefield
    from mergefield import _fast

    symbols = _symbols(_fast.__file__)
    results: dict[str, Any] = {"leads": count, "mergefield": os.path.dirname(mergefield.__file__)}
    for case in CASES:
        for method, instructions in _inclusive(case, count, env, symbols).items():
            results[f"{case} {method}"] = instructions
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--run", choices=CASES)
    args = parser.parse_args()
    if args.run:
        _workload(args.run, args.leads)
        return
    results = measure(args.leads)
    for key, value in results.items():
        if isinstance(value, int) and key != "leads":
            value = f"{value:,} instructions ({value / args.leads:,.0f} per lead)"
        print(f"{key:24} {value}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(results, file, indent=2)


if __name__ == "__main__":
    main()
