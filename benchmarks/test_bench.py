"""pytest-benchmark versions of the main benchmark cases, on 1,000 leads, that also check output.

Each test renders the same leads with one competitor (the hand-written baseline, ``json.dumps``,
the pure-Python core, the Cython core by rows, columns and straight to a file, the three
tokenizers) and asserts that its output is identical to the baseline's, so the cores are held to
the hand-written reference on realistic data in every test run.  The project's pytest
configuration passes ``--benchmark-disable``, so plainly run (``python -m pytest benchmarks``)
each case runs once as an ordinary test; ``python -m pytest benchmarks --benchmark-enable`` times
them.  The Cython cases skip when the extension is not built.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

pytest.importorskip("pytest_benchmark")
pytest.importorskip("lark")  # mergefield.reference, the Lark tokenizer measured here

import bench_render as br
import bench_tokenize as bt
import leads as leadgen

import mergefield
import mergefield._core
import mergefield._fast_py as fast_py
from mergefield import reference

N = 1_000
USER, ACCOUNT = leadgen.USER, leadgen.ACCOUNT

CORES = [pytest.param(fast_py, id="pure")]
if br.fast_c is not None:
    CORES.append(pytest.param(br.fast_c, id="cython"))
else:
    CORES.append(pytest.param(None, id="cython", marks=pytest.mark.skip("extension not built")))


@pytest.fixture(scope="module")
def leads() -> list[dict[str, Any]]:
    return leadgen.make_leads(N)


@pytest.fixture(scope="module")
def url_expected(leads: list[dict[str, Any]]) -> list[str]:
    return br.baseline_url(leads, USER, ACCOUNT)


@pytest.fixture(scope="module")
def json_expected(leads: list[dict[str, Any]]) -> list[str]:
    return br.baseline_json(leads, USER, ACCOUNT)


@pytest.fixture(params=CORES)
def core(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(mergefield._core, "core", request.param)
    return request.param


@pytest.fixture(scope="module")
def url_template() -> mergefield.Template:
    return mergefield.compile(br.URL_SOURCE, context="grid", kind="url")


@pytest.fixture(scope="module")
def json_template() -> mergefield.Template:
    return mergefield.compile(br.JSON_SOURCE, context="grid", kind="json")


def test_leads_are_deterministic_and_realistic(leads: list[dict[str, Any]]) -> None:
    assert leadgen.make_leads(N) == leads
    assert 35 <= sum(map(len, leads)) / N <= 40
    names = [lead.get("FirstName") for lead in leads]
    non_ascii = sum(1 for name in names if name and not name.isascii())
    assert 0.05 * N <= non_ascii <= 0.15 * N
    assert any(c in (lead.get("Notes") or "") for lead in leads for c in "&=+#/?%")
    assert len({tuple(sorted(lead.items())) for lead in leads}) == N


def test_url_baseline(benchmark: Any, leads: list[dict[str, Any]], url_expected: list[str]) -> None:
    assert benchmark(br.baseline_url, leads, USER, ACCOUNT) == url_expected


def test_url_jinja2(benchmark: Any, leads: list[dict[str, Any]], url_expected: list[str]) -> None:
    run = br.jinja_url(br._jinja_url())
    assert benchmark(run, leads, USER, ACCOUNT) == url_expected


def test_url_string_template(
    benchmark: Any, leads: list[dict[str, Any]], url_expected: list[str]
) -> None:
    assert benchmark(br.string_template_url, leads, USER, ACCOUNT) == url_expected


def test_url_floor(benchmark: Any, leads: list[dict[str, Any]], url_expected: list[str]) -> None:
    pieces = br.url_pieces(leads, USER, ACCOUNT)
    assert benchmark(br.floor, pieces) == url_expected


def test_url_render_many(
    benchmark: Any,
    core: Any,
    url_template: mergefield.Template,
    leads: list[dict[str, Any]],
    url_expected: list[str],
) -> None:
    got = benchmark(url_template.render_many, leads, User=USER, Account=ACCOUNT)
    assert got == url_expected


def test_url_render_columns(
    benchmark: Any,
    core: Any,
    url_template: mergefield.Template,
    leads: list[dict[str, Any]],
    url_expected: list[str],
) -> None:
    columns = leadgen.columns(leads)
    got = benchmark(url_template.render_columns, columns, User=USER, Account=ACCOUNT)
    assert got == url_expected


def test_url_write_many(
    benchmark: Any,
    core: Any,
    url_template: mergefield.Template,
    leads: list[dict[str, Any]],
    url_expected: list[str],
) -> None:
    def write() -> bytes:
        f = io.BytesIO()
        url_template.write_many(leads, f, User=USER, Account=ACCOUNT)
        return f.getvalue()

    assert benchmark(write) == "".join(s + "\n" for s in url_expected).encode("utf-8")


def test_json_dumps(benchmark: Any, leads: list[dict[str, Any]], json_expected: list[str]) -> None:
    assert benchmark(br.baseline_json, leads, USER, ACCOUNT) == json_expected


def test_json_render_many(
    benchmark: Any,
    core: Any,
    json_template: mergefield.Template,
    leads: list[dict[str, Any]],
    json_expected: list[str],
) -> None:
    got = benchmark(json_template.render_many, leads, User=USER, Account=ACCOUNT)
    assert got == json_expected


@pytest.fixture(scope="module")
def source() -> str:
    return bt.make_source(20_000)


@pytest.fixture(scope="module")
def tokens(source: str) -> Any:
    return reference.scan(source, False)


def test_tokenize_reference(benchmark: Any, source: str, tokens: Any) -> None:
    assert benchmark(reference.scan, source, False) == tokens
    assert tokens[0] and tokens[1]  # the source holds tokens and malformed fragments


@pytest.mark.parametrize("module", CORES)
def test_tokenize_core(benchmark: Any, module: Any, source: str, tokens: Any) -> None:
    assert benchmark(module.scan, source, False) == tokens
