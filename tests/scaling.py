"""Linear-time proofs that hold on a busy machine: ratios over input sizes, never absolute times.

`assert_linear` times a call on an input and on one ``factor`` times larger (best of several
runs, each long enough for the timer) and asserts the larger takes less than ``limit`` times as
long: linear work takes about ``factor`` times, quadratic ``factor ** 2``.  A noisy measurement
is retried; only a ratio over the limit on every attempt fails.  `line_steps` counts the Python
lines a call executes, an exact measure for pure-Python code.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")


def per_call(fn: Callable[[T], object], arg: T, *, runs: int = 5, least: float = 0.02) -> float:
    """The best over ``runs`` of the mean time of ``fn(arg)``, each run at least ``least`` s.

    The cyclic garbage collector is off while timing, as in `timeit`: one full collection of a
    test session's heap can take longer than the call being timed.
    """
    best = float("inf")
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            count = 0
            began = time.perf_counter()
            while True:
                fn(arg)
                count += 1
                elapsed = time.perf_counter() - began
                if elapsed >= least:
                    break
            best = min(best, elapsed / count)
    finally:
        if enabled:
            gc.enable()
    return best


def time_ratio(
    fn: Callable[[T], object], small: T, big: T, *, runs: int = 5, least: float = 0.02
) -> float:
    """How many times longer ``fn(big)`` takes than ``fn(small)``."""
    return per_call(fn, big, runs=runs, least=least) / per_call(fn, small, runs=runs, least=least)


def assert_linear(
    fn: Callable[[T], object],
    make: Callable[[int], T],
    size: int,
    *,
    factor: int = 4,
    limit: float = 8.0,
    attempts: int = 3,
    runs: int = 5,
) -> None:
    """``fn(make(factor * size))`` takes less than ``limit`` times ``fn(make(size))``."""
    small, big = make(size), make(size * factor)
    ratios = []
    for _ in range(attempts):
        ratio = time_ratio(fn, small, big, runs=runs)
        if ratio < limit:
            return
        ratios.append(round(ratio, 1))
    raise AssertionError(
        f"{factor}x the input took {ratios} times as long (limit {limit}): not linear"
    )


def line_steps(fn: Callable[..., Any], *args: Any) -> int:
    """How many Python lines ``fn(*args)`` executes, in every function it calls."""
    count = 0

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        fn(*args)
    finally:
        sys.settrace(previous)
    return count


def repeat(unit: str, size: int, suffix: str = "") -> str:
    """``unit`` repeated to ``size`` code points (cut in the last copy), then ``suffix``."""
    return (unit * (size // len(unit) + 1))[:size] + suffix
