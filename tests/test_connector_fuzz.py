"""No input makes load or check crash: generated documents and byte-level mutations of the examples.

``load`` may only raise ``ConnectorError`` (or nothing); ``check_file`` and ``check_text`` never
raise for content, and every diagnostic they return is placed inside the text.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Extras this module needs: without them it is skipped, not a collection error.
pytest.importorskip("jsonschema")
pytest.importorskip("PIL")

import mergefield.connector as mc
from mergefield.connector import ConnectorError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "connectors"
SEEDS = [EXAMPLES / "sms.json", EXAMPLES / "broken.json"]


def _all_keys(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        found |= set(node.get("properties", {}))
        for value in node.values():
            found |= _all_keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= _all_keys(value)
    return found


SCHEMA_KEYS = sorted(_all_keys(mc.schema()))
TEMPLATE_BITS = ["@{Lead:Mobile,}", "@{User:UserId", "@{", "}", '\\"', '{"a": @{Lead:Score,0}}']

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from([*TEMPLATE_BITS, "GET", "POST", "row", "call_api", "web", "v1.0", "Draft"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.dictionaries(st.sampled_from(SCHEMA_KEYS) | st.text(max_size=5), inner, max_size=8),
    ),
    max_leaves=40,
)


def assert_sane(text: str, diagnostics: list[Any]) -> None:
    for d in diagnostics:
        assert d.severity in ("error", "warning")
        assert 0 <= d.offset <= len(text) and d.line >= 1 and d.column >= 1
        assert isinstance(d.path, str)


def run_everything(text: str, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(text, "utf-8", errors="surrogatepass")
    try:
        connector = mc.load(path)
    except ConnectorError as exc:
        assert exc.diagnostics
    else:
        assert_sane(text, connector.check())
        assert mc.loads(mc.dumps(connector)) == connector
    assert_sane(text, mc.check_file(path))


def mutate_documents(document: Any, rng: random.Random, value: Any) -> Any:
    """Replace one random node of ``document`` with ``value``."""
    if not isinstance(document, (dict, list)) or not document or rng.random() < 0.2:
        return value
    if isinstance(document, dict):
        key = rng.choice(list(document))
        return {**document, key: mutate_documents(document[key], rng, value)}
    index = rng.randrange(len(document))
    return [
        *document[:index],
        mutate_documents(document[index], rng, value),
        *document[index + 1 :],
    ]


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(json_values)
def test_generated_documents_never_crash(tmp_path: Path, document: Any) -> None:
    run_everything(json.dumps(document), tmp_path)


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(SEEDS), st.randoms(use_true_random=False), json_values)
def test_examples_with_one_node_replaced_never_crash(
    tmp_path: Path, seed: Path, rng: random.Random, value: Any
) -> None:
    document = json.loads(seed.read_text("utf-8"))
    text = json.dumps(mutate_documents(document, rng, value), indent=2)
    # Keep relative image paths resolvable from the fuzz file's folder.
    (tmp_path / "images").mkdir(exist_ok=True)
    run_everything(text, tmp_path)


@pytest.mark.slow
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(SEEDS),
    st.lists(
        st.tuples(
            st.integers(0, 10**6), st.integers(0, 255), st.sampled_from(["set", "del", "ins"])
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_byte_mutations_of_examples_never_crash(
    tmp_path: Path, seed: Path, edits: list[tuple[int, int, str]]
) -> None:
    data = bytearray(seed.read_bytes())
    for position, byte, op in edits:
        at = position % (len(data) + 1)
        if op == "ins" or at == len(data):
            data.insert(at, byte)
        elif op == "set":
            data[at] = byte
        else:
            del data[at]
    path = tmp_path / "fuzz.json"
    path.write_bytes(bytes(data))
    try:
        connector = mc.load(path)
    except ConnectorError as exc:
        assert exc.diagnostics
    else:
        assert_sane(connector.source.text if connector.source else "", connector.check())
    mc.check_file(path)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_every_single_byte_truncation_is_handled(tmp_path: Path, seed: Path) -> None:
    data = seed.read_bytes()
    path = tmp_path / "cut.json"
    for cut in range(0, len(data), 7):
        path.write_bytes(data[:cut])
        found = mc.check_file(path)
        assert found and found[0].code in ("json-syntax", "not-utf8")


SMS_TEXT = SEEDS[0].read_text("utf-8")


def sms(old: str, new: str) -> bytes:
    assert old in SMS_TEXT
    return SMS_TEXT.replace(old, new, 1).encode("utf-8", "surrogatepass")


# name: (file bytes, a code check_file must report, whether load still gives a connector)
HOSTILE: dict[str, tuple[bytes, str | None, bool]] = {
    "int-over-4300-digits": (sms("600", "9" * 10_000), "number-too-large", False),
    "float-overflow": (sms("600", "1e400"), "number-too-large", False),
    "100000-brackets": (b"[" * 100_000 + b"]" * 100_000, "json-syntax", False),
    "100000-braces": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "json-syntax", False),
    "10-mb-string": (sms('"v1.2"', '"' + "v" * 10_000_000 + '"'), "bad-version", True),
    "invalid-utf8": (
        SMS_TEXT.encode()[:99] + b"\xc3\x28" + SMS_TEXT.encode()[99:],
        "not-utf8",
        False,
    ),
    "utf8-bom": (b"\xef\xbb\xbf" + SMS_TEXT.encode(), None, True),
    "two-boms": (b"\xef\xbb\xbf" * 2 + SMS_TEXT.encode(), "json-syntax", False),
    "utf16-bom": (SMS_TEXT.encode("utf-16"), "not-utf8", False),
    "nan": (sms("600", "NaN"), "json-syntax", False),
    "infinity": (sms("600", "-Infinity"), "json-syntax", False),
    "duplicate-key": (sms('"height": 600', '"height": 1, "height": 600'), "duplicate-key", True),
    "nul-byte": (sms('"v1.2"', '"v1\x002"'), "json-syntax", False),
    "lone-surrogate": (sms('"v1.2"', '"\\ud800"'), "bad-version", True),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_end_in_a_documented_error_or_diagnostic(tmp_path: Path, name: str) -> None:
    data, code, loads = HOSTILE[name]
    path = tmp_path / "hostile.json"
    path.write_bytes(data)
    found = mc.check_file(path)
    assert all(d.line >= 1 and d.column >= 1 and isinstance(d.path, str) for d in found)
    assert code is None or code in {d.code for d in found}
    try:
        mc.load(path)
    except ConnectorError as exc:
        assert not loads and exc.diagnostics == found and found[0].code == code
    else:
        assert loads
