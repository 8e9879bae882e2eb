"""What every benchmark stores with its results: the machine it ran on, and the files it writes.

Shared by `bench_render.py` and `bench_tokenize.py`, so that every committed result names the
same facts about the machine (the 2-core box is shared and noisy; ratios only mean something
next to a description of where they were measured).
"""

from __future__ import annotations

import datetime as _dt
import json
import mmap
import os
import platform
import resource
import statistics
import time
from typing import Any

import mergefield

try:
    import mergefield._fast

    CYTHON_BUILT = True
except ImportError:
    CYTHON_BUILT = False


def machine() -> dict[str, Any]:
    """The machine description stored with the results."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": mergefield.IMPLEMENTATION,
        "cython_core_built": CYTHON_BUILT,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "page_fault_us": page_fault_cost_us(),
    }


def minor_faults() -> int:
    """Page faults this process has taken so far (memory touched for the first time)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def page_fault_cost_us(mib: int = 32) -> float:
    """Microseconds per first touch of a fresh page (median of 3): a virtual machine can make
    this many times dearer than bare metal, and every case that builds new strings pays it."""
    costs = []
    size = mib << 20
    page = mmap.PAGESIZE
    for _ in range(3):
        with mmap.mmap(-1, size) as m:
            before = minor_faults()
            start = time.perf_counter()
            for offset in range(0, size, page):
                m[offset] = 1
            elapsed = time.perf_counter() - start
            faults = max(1, minor_faults() - before)
        costs.append(elapsed / faults * 1e6)
    return statistics.median(costs)


def save(results: dict[str, Any], text: str, json_path: str | None, md_path: str | None) -> None:
    """Write the results as JSON and the report as Markdown, where paths are given."""
    if json_path:
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
    if md_path:
        with open(md_path, "w", encoding="utf-8") as f:
            f.write(text)
