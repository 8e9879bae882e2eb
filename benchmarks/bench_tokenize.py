"""Time tokenizing a 1 MB template with the Lark reference, the pure core and the Cython core.

The template (`make_source`) is built deterministically from snippets seen in real connector
templates: well-formed tokens with and without defaults, blanks and inner blanks, JSON braces,
``@lead.phone`` and ``{{orgCode}}`` literals, and every kind of malformed fragment (no closing
brace, ``@{}``, ``@{Lead}``, ``@{:X,}``, ``@{Lead:,}``, a line break inside, ``@@{...}``).  All
three tokenizers run in one process on the same string, must return identical tokens and errors
(asserted), and the medians of several repeats and their ratios are printed; the target is the
Cython core at least 20x faster than the reference.  ``--json PATH`` writes the results,
``--markdown PATH`` the table with the machine description, ``--size`` changes the template size
and ``--repeat`` the number of timed runs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import mergefield._fast_py as fast_py
from mergefield import reference

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine, save

try:
    import mergefield._fast as fast_c
except ImportError:  # not built: report n/a for the Cython core
    fast_c = None

TARGET_CYTHON_VS_LARK = 20.0

_SNIPPETS = (
    "https://sms.example.com/send?to=@{Lead:Mobile,}&name=@{Lead:FirstName,Friend}\n",
    '{"score": @{Lead:Score Lead,0}, "src": "@{Lead:Source Lead,}", '
    '"id": "@{Lead:ProspectID ,}"}\n',
    "Hi @{ Lead : FirstName , dear customer, welcome }! Your agent is @{User:FullName}.\n",
    "org=@{Account:ShortCode, }&user=@{User:EmailAddress}&c=@{Lead:mx_Custom_12,n/a}\n",
    "broken @{Lead:Phone and text after it\n",
    "empty @{} and @{Lead} and @{:X,} and @{Lead:,} and @{Lead: ,x}\n",
    "line break @{Lead:First\nName,} inside\n",
    "mail me at sales@lead.phone or {{orgCode}} or %s% or @@{Lead:Email,}\n",
    "nested @{Lead:a@{Lead:b,} then @{9Lead:x,} and @{Lead:x{y},z}\n",
    "plain literal text without any merge field, just words and numbers 12345.\n",
)


def make_source(size: int = 1_000_000, seed: int = 7) -> str:
    """A deterministic template of about ``size`` code points, mixed tokens and fragments."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        piece = rng.choice(_SNIPPETS)
        parts.append(piece)
        total += len(piece)
    return "".join(parts)[:size]


def _time(fn: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def run(size: int = 1_000_000, repeat: int = 5, lark_repeat: int = 3) -> dict[str, Any]:
    """Time the three tokenizers on one source; return the medians and ratios."""
    source = make_source(size)
    expected = reference.scan(source, False)  # also builds the Lark parser before timing
    tokenizers: dict[str, Callable[[str, bool], Any] | None] = {
        "lark_reference": reference.scan,
        "pure_python": fast_py.scan,
        "cython": fast_c.scan if fast_c is not None else None,
    }
    results: dict[str, Any] = {
        "size": len(source),
        "tokens": len(expected[0]),
        "malformed": len(expected[1]),
        "cases": {},
    }
    for name, scan in tokenizers.items():
        if scan is None:
            results["cases"][name] = None
            continue
        got = scan(source, False)
        assert got == expected, f"{name} disagrees with the Lark reference"
        times = _time(
            lambda scan=scan: scan(source, False),
            lark_repeat if name == "lark_reference" else repeat,
        )
        results["cases"][name] = {"median_s": statistics.median(times), "runs_s": times}
    lark = results["cases"]["lark_reference"]["median_s"]
    for case in results["cases"].values():
        if case is not None:
            case["speedup_vs_lark"] = lark / case["median_s"]
    cy = results["cases"]["cython"]
    results["target"] = {
        "cython_vs_lark_min": TARGET_CYTHON_VS_LARK,
        "met": None if cy is None else cy["speedup_vs_lark"] >= TARGET_CYTHON_VS_LARK,
    }
    return results


def format_table(results: dict[str, Any]) -> str:
    """A markdown table of the medians and the speedups over the reference."""
    lines = [
        f"Tokenizing {results['size']:,} code points "
        f"({results['tokens']:,} tokens, {results['malformed']:,} malformed fragments), lax mode",
        "",
        "| tokenizer | median (ms) | MB/s | speedup vs Lark |",
        "|---|---:|---:|---:|",
    ]
    for name, case in results["cases"].items():
        if case is None:
            lines.append(f"| {name} | n/a | n/a | n/a |")
            continue
        ms = case["median_s"] * 1e3
        mbs = results["size"] / case["median_s"] / 1e6
        lines.append(f"| {name} | {ms:,.1f} | {mbs:,.1f} | {case['speedup_vs_lark']:.1f}x |")
    met = results["target"]["met"]
    verdict = "n/a" if met is None else ("met" if met else "MISSED")
    lines.append("")
    lines.append(f"Target: Cython >= {TARGET_CYTHON_VS_LARK:.0f}x faster than Lark: {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="template size in code points")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each fast core")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="write the table as markdown")
    args = parser.parse_args(argv)
    results = run(args.size, args.repeat)
    results["machine"] = machine()
    m = results["machine"]
    text = (
        f"# mergefield tokenizing benchmark\n\n- machine: {m['platform']}, {m['cpu']}, "
        f"{m['nproc']} CPUs, Python {m['python']}\n- mergefield.IMPLEMENTATION: "
        f"{m['implementation']}\n- date: {m['date']}\n\n{format_table(results)}\n"
    )
    print(text)
    save(results, text, args.json, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
