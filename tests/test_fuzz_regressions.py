"""Replay every kept fuzz input (seeds and found failures) through the differential check."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"
INPUTS = sorted(
    p for folder in ("corpus", "regressions") for p in (FUZZ / folder).glob("*") if p.is_file()
)


def _fuzz_core() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_core", FUZZ / "fuzz_core.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fuzz_core", module)
    spec.loader.exec_module(module)
    return module


FUZZ_CORE = _fuzz_core()


@pytest.mark.parametrize("path", INPUTS, ids=[f"{p.parent.name}/{p.name}" for p in INPUTS])
def test_kept_input_agrees_on_every_core(path: Path) -> None:
    FUZZ_CORE.check_one(path.read_bytes())


def test_decode_splits_source_and_values() -> None:
    kind, source, strict, values = FUZZ_CORE.decode(b"\x0a@{Lead:A,}\xffv\xff\xfe")
    assert (kind, source, strict) == ("url", "@{Lead:A,}", True)
    assert values == ["v", "\udcfe"]
    assert FUZZ_CORE.decode(b"") == ("text", "", False, [])


def test_fuzzer_defaults_to_the_openers_dictionary_and_long_inputs() -> None:
    # Issue 12: the quadratic scans needed long repetitions of malformed openers, which
    # libFuzzer's default 4096-byte inputs and blind mutations hardly reach.
    args = FUZZ_CORE.libfuzzer_args(["fuzz_core.py", "-max_total_time=60", "corpus"])
    assert f"-dict={FUZZ / 'openers.dict'}" in args
    assert "-max_len=65536" in args and "-timeout=10" in args
    assert FUZZ_CORE.libfuzzer_args(["x", "-max_len=10"]).count("-max_len=10") == 1
    assert not [a for a in FUZZ_CORE.libfuzzer_args(["x", "-max_len=10"]) if a == "-max_len=65536"]
    entries = [
        line.partition("=")[2]
        for line in (FUZZ / "openers.dict").read_text(encoding="ascii").splitlines()
        if line and not line.startswith("#")
    ]
    assert all(e.startswith('"') and e.endswith('"') for e in entries)
    assert {'"@{a:b,"', '"@{"', '"@{a:b"', '"\\x0a"', '"\\xff"'} <= set(entries)
    assert max(p.stat().st_size for p in INPUTS) > 10_000  # long hostile seeds
