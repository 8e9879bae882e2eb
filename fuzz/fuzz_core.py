"""Coverage-guided differential fuzzing of the compiled core against its pure-Python twin.

Each input is decoded by `decode` (no atheris needed, so kept inputs replay in plain pytest):
the first byte picks the kind and mode, the rest is split at ``0xFF`` bytes into a template
source and the values of its merge fields, decoded as UTF-8 with ``surrogateescape`` so lone
surrogates reach the cores too.  `check_one` then requires that ``mergefield._fast.scan``,
``mergefield._fast_py.scan`` and the Lark reference ``mergefield.reference.scan`` give the same
tokens and errors, that both cores' ``encode_fast`` agree on every base transform, and that the
template compiled and rendered with each core selected (``mergefield._core.core``) gives the same
output or the same error.  Run it for a bounded time with
``python fuzz/fuzz_core.py -max_total_time=60 fuzz/corpus`` (libFuzzer flags pass through);
a failing input is written to ``fuzz/regressions/`` and replayed by
``tests/test_fuzz_regressions.py``.  Unless the command line says otherwise, libFuzzer gets the
dictionary ``fuzz/openers.dict``, ``-max_len=65536`` and ``-timeout=10`` (`libfuzzer_args`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# `mergefield._options.KINDS`, written out: importing mergefield here would load the package
# before `atheris.instrument_imports` (tests/test_imports.py checks the two are equal).
KINDS = ("url", "json", "form", "html", "text")
# Lark is slow; the reference only sees sources short enough to keep the run's pace.
REFERENCE_LIMIT = 400
# Long enough for hostile repetitions to show super-linear time (libFuzzer's default is 4096).
MAX_LEN = 65536


def decode(data: bytes) -> tuple[str, str, bool, list[str]]:
    """``(kind, source, strict, values)`` encoded by ``data``; see the module docstring."""
    if not data:
        return "text", "", False, []
    head, body = data[0], data[1:]
    parts = [p.decode("utf-8", "surrogateescape") for p in body.split(b"\xff")]
    return KINDS[head % len(KINDS)], parts[0], bool(head & 0x08), parts[1:]


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("ok", call())
    except Exception as exc:  # the two cores must fail alike, whatever the failure is
        return (type(exc).__name__, str(exc))


def check_one(data: bytes) -> None:
    """Raise AssertionError when the cores (or the reference) disagree on ``data``."""
    from mergefield import _core, _fast_py, reference, template
    from mergefield._contract import CORE_STEPS

    _fast: Any = None
    if not _core.NO_EXTENSIONS:  # a pure-Python run holds the twin to the reference only
        try:
            from mergefield import _fast
        except ImportError:
            _fast = None
    kind, source, strict, values = decode(data)
    expected = _fast_py.scan(source, strict)
    if _fast is not None:
        got = _fast.scan(source, strict)
        assert got == expected, f"_fast.scan {got!r} != _fast_py.scan {expected!r}"
    if len(source) <= REFERENCE_LIMIT:
        ref = reference.scan(source, strict)
        assert ref == expected, f"reference.scan {ref!r} != _fast_py.scan {expected!r}"
    if _fast is None:
        return
    for step in CORE_STEPS:  # every step a core runs, the JSON value steps too
        for value in (source, *values):
            a = _outcome(lambda s=step, v=value: _fast.encode_fast(s, v))
            b = _outcome(lambda s=step, v=value: _fast_py.encode_fast(s, v))
            assert a == b, f"encode_fast({step}, {value!r}): _fast {a!r} != _fast_py {b!r}"
    tokens = expected[0]
    leads = [
        {tok[1]: values[i] if i < len(values) else None for i, tok in enumerate(tokens)},
        {tok[1]: values[-1 - i] if i < len(values) else "" for i, tok in enumerate(tokens)},
        None,
    ]
    user = {tok[1]: values[i % len(values)] for i, tok in enumerate(tokens)} if values else {}
    results = []
    for module in (_fast, _fast_py):
        saved = _core.core
        _core.core = module
        try:
            compiled = _outcome(
                lambda: template.compile(source, kind=kind, mode="strict" if strict else "lax")
            )
            if compiled[0] != "ok":
                results.append(compiled)
                continue
            tpl = compiled[1]
            many = _outcome(lambda t=tpl: t.render_many(leads, User=user, Account=user))
            one = _outcome(lambda t=tpl: t.render(Lead=leads[0], User=user))
            results.append((many, one))
        finally:
            _core.core = saved
    assert results[0] == results[1], f"_fast {results[0]!r} != _fast_py {results[1]!r}"


def main(argv: list[str]) -> None:
    """Run atheris over `check_one`; libFuzzer flags and corpus directories come from argv."""
    import atheris

    with atheris.instrument_imports():
        import mergefield._fast_py
        import mergefield.encoding
        import mergefield.escaping
        import mergefield.reference
        import mergefield.syntax
        import mergefield.template
        import mergefield.values  # noqa: F401
    atheris.Setup(libfuzzer_args(argv), check_one)
    atheris.Fuzz()


def libfuzzer_args(argv: list[str]) -> list[str]:
    """``argv`` with this target's defaults for every flag it does not set.

    The dictionary of openers and inputs up to 64 KiB reach the hostile repetitions that made
    scanning quadratic (issue 12), and an input that takes more than 10 s is reported: the old
    scanners took that long on 60,000 characters.
    """
    defaults = {
        "-artifact_prefix": f"{HERE / 'regressions'}{os.sep}",
        "-dict": str(HERE / "openers.dict"),
        "-max_len": str(MAX_LEN),
        "-timeout": "10",
    }
    missing = [
        f"{flag}={value}"
        for flag, value in defaults.items()
        if not any(arg.startswith(flag + "=") for arg in argv)
    ]
    if any(flag.startswith("-artifact_prefix=") for flag in missing):
        (HERE / "regressions").mkdir(exist_ok=True)
    return [*argv, *missing]


if __name__ == "__main__":
    main(sys.argv)
