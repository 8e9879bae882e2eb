"""The table of lead grid action types is the one place an action type is spelt out.

A type added to ``ACTIONS`` (here by monkeypatching it in) is a valid ``type`` for the rules, has
its required fields and templates checked, is opened by ``action_urls``, can be rendered by
``mergefield render --connector``, and is drawn by the connector strategies; and the packaged
schema, the model and the table agree on every type and field.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

# Extras this module needs: without them it is skipped, not a collection error.
pytest.importorskip("jsonschema")
pytest.importorskip("PIL")

from hypothesis import HealthCheck, given, settings

from mergefield.cli import main
from mergefield.connector import (
    ACTIONS,
    ActionTemplate,
    ActionType,
    GridAction,
    RequestError,
    action_requests,
    action_urls,
    loads,
    schema,
)
from mergefield.connector.vocabulary import action_fields, action_templates
from mergefield.strategies import connectors

from .tools.sync_connector_schema import SCHEMA, synced, text

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "connectors"

SAME_TAB = ActionType(
    "Open in Same Tab",
    required=("web_url",),
    templates=(ActionTemplate("web_url", "url"),),
    opens="web_url",
)


@pytest.fixture
def same_tab(monkeypatch: pytest.MonkeyPatch) -> ActionType:
    """A fourth action type, added the way a newcomer adds one: one entry in ``ACTIONS``."""
    monkeypatch.setitem(ACTIONS, "open_in_same_tab", SAME_TAB)  # type: ignore[arg-type]
    return SAME_TAB


def document(action: dict[str, object]) -> str:
    doc = json.loads((EXAMPLES / "sms.json").read_text("utf-8"))
    doc["grid_actions"] = [action]
    return json.dumps(doc, indent=2)


ACTION = {
    "label": "Open here",
    "area": "row",
    "show_on": ["web"],
    "roles": ["Administrator"],
    "type": "open_in_same_tab",
    "web_url": "https://x.example/l?name=@{Lead:FirstName,Friend}",
}


def codes(text: str) -> list[tuple[str, str]]:
    return [(d.code, d.path) for d in loads(text).check(base_dir=EXAMPLES)]


def test_rules_take_a_new_action_type_from_the_table(same_tab: ActionType) -> None:
    assert codes(document(ACTION)) == []
    missing = {k: v for k, v in ACTION.items() if k != "web_url"}
    assert codes(document(missing)) == [("action-field-missing", "/grid_actions/0/web_url")]
    unused = {**ACTION, "iframe_url": "https://x.example/"}
    assert codes(document(unused)) == [("action-field-unused", "/grid_actions/0/iframe_url")]
    broken = {**ACTION, "web_url": "https://x.example/@{Lead:FirstNme}"}
    assert ("unknown-field", "/grid_actions/0/web_url") in codes(document(broken))


def test_without_the_entry_the_type_is_not_allowed() -> None:
    assert ("bad-choice", "/grid_actions/0/type") in codes(document(ACTION))


def test_requests_open_the_url_the_table_names(same_tab: ActionType) -> None:
    connector = loads(document(ACTION))
    assert action_urls(connector, 0, [{"FirstName": "Zoë"}]) == [
        "https://x.example/l?name=Zo%C3%AB"
    ]
    with pytest.raises(RequestError, match="not call_api"):
        action_requests(connector, 0, [{}])


def test_the_cli_renders_the_new_types_template(same_tab: ActionType, tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(document(ACTION), encoding="utf-8")
    (tmp_path / "leads.csv").write_text("FirstName\nAnn\n", encoding="utf-8")
    argv = ["render", "--connector", str(tmp_path / "c.json"), "--action", "Open here"]
    argv += ["--leads", str(tmp_path / "leads.csv"), "-o", str(tmp_path / "out.txt")]
    assert main(argv) == 0
    assert (tmp_path / "out.txt").read_text("utf-8").splitlines() == [
        "https://x.example/l?name=Ann"
    ]
    assert main([*argv, "--part", "web_url"]) == 0
    assert main([*argv, "--part", "url"]) == 2  # not a template of this type


# slow: 100 derandomized connectors, so some hold the new type; the fast subset draws connectors
# of every type in test_strategies.py::test_valid_connectors_load_and_check_without_errors.
@pytest.mark.slow
def test_strategies_draw_the_new_type(same_tab: ActionType) -> None:
    drawn: list[dict[str, object]] = []

    # Derandomized: the same 100 connectors on every run, some with a grid action of each type
    # (30 random ones could lack the new type; `find` spent minutes shrinking what it found).
    @settings(
        max_examples=100,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(connectors())
    def draw(doc: dict[str, Any]) -> None:
        drawn.extend(a for a in doc.get("grid_actions", []) if a["type"] == "open_in_same_tab")

    draw()
    assert drawn
    assert all(set(a) - {"label", "area", "show_on", "roles", "type"} == {"web_url"} for a in drawn)


def test_schema_agrees_with_the_table() -> None:
    """The packaged file, byte for byte; python tests/tools/sync_connector_schema.py fixes it."""
    packaged = SCHEMA.read_text("utf-8")
    assert packaged == text(synced(json.loads(packaged)))


def test_the_schema_sync_writes_a_new_type(same_tab: ActionType) -> None:
    grid = synced(schema())["$defs"]["grid_action"]
    assert grid["properties"]["type"]["enum"][-1] == "open_in_same_tab"
    assert grid["allOf"][-1]["then"] == {"required": ["web_url"]}


def test_model_and_table_agree_on_the_fields() -> None:
    optional = [f.name for f in dataclasses.fields(GridAction) if f.default is None]
    assert optional == list(action_fields())
    for action in ACTIONS.values():
        fields = [t.field for t in action.templates]
        assert set(fields) <= set(action.fields)
        assert action.opens is None or action.opens in fields
    # A field is one kind of template whichever type holds it.
    for part in action_templates():
        assert all(
            t == part for a in ACTIONS.values() for t in a.templates if t.field == part.field
        )
