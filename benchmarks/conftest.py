"""The benchmarks run once each as plain tests unless asked to time (`--benchmark-enable`).

This is set here rather than as `--benchmark-disable` in pyproject's `addopts`: that option
exists only when pytest-benchmark is installed, and a bare install (`pip install -e . pytest
hypothesis`) must still collect the suite; there `test_bench.py` skips itself.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Disable timing before pytest-benchmark reads its options (its session is built in its own
    pytest_configure, which runs after this one)."""
    if hasattr(config.option, "benchmark_disable"):
        config.option.benchmark_disable = True
