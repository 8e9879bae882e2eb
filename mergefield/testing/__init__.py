"""Test tooling for merge-field templates and connectors, in one package at the pipeline's end.

`assertions` checks a rendering slot by slot against independent decoders
(`assert_renders_safely`, `fuzz_template`, `html_shape`, `UnsafeRenderingError`; re-exported
here, so this package is the public ``mergefield.testing``); `strategies` draws templates,
tokens, records and field values with hypothesis, and `connector_strategies` draws connector
documents (both public as ``mergefield.strategies``); `plugin` is the pytest plugin behind
``connector_tests`` (public as ``mergefield.pytest_plugin``, the module the ``pytest11`` entry
point registers).  Nothing in the library imports this package (`tests/test_imports.py`
checks), and importing it imports neither hypothesis nor pytest: only `strategies`,
`connector_strategies`, `plugin` and a call of `fuzz_template` do (the ``testing`` extra).
"""

from __future__ import annotations

from .assertions import (
    UNSAFE_LITERAL_SCHEMES,
    UnsafeRenderingError,
    assert_renders_safely,
    fuzz_template,
    html_shape,
)

__all__ = [
    "UNSAFE_LITERAL_SCHEMES",
    "UnsafeRenderingError",
    "assert_renders_safely",
    "fuzz_template",
    "html_shape",
]
