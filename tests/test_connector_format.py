"""Connector file format: load, dump, round trips, the packaged schema, and ConnectorError."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import sys
from pathlib import Path

import pytest

# Extras this module needs: without them it is skipped, not a collection error.
pytest.importorskip("jsonschema")
pytest.importorskip("PIL")

import jsonschema

import mergefield.connector as mc
from mergefield.connector import ConnectorError, load, loads
from mergefield.errors import MergefieldError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "connectors"
SMS = EXAMPLES / "sms.json"


def sms_document() -> dict[str, object]:
    data: dict[str, object] = json.loads(SMS.read_text("utf-8"))
    return data


def test_sms_example_loads_into_typed_immutable_objects() -> None:
    c = load(SMS)
    assert isinstance(c.basic, mc.Basic)
    assert c.basic.name == "TextBridge SMS"
    assert c.basic.version == "v1.2"
    assert c.configuration == mc.Configuration(c.configuration.iframe_url, 600, 1000)
    assert isinstance(c.events, mc.Events)
    assert c.events.get("installation") is c.events.installation
    assert [a.area for a in c.grid_actions] == ["row", "bulk", "list"]
    assert [a.type for a in c.grid_actions] == ["show_popup", "call_api", "open_in_new_window"]
    assert isinstance(c.grid_actions[0].roles, tuple)
    assert c.menu[0].video_url is not None
    assert c.automation_actions[0].method == "POST"
    assert c.lead_tabs[0].show_on == ("web", "mobile")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.basic.name = "x"  # type: ignore[misc]


def test_sms_example_uses_every_tab_and_every_action_type() -> None:
    data = sms_document()
    assert set(mc.schema()["properties"]) == set(data)
    events = data["events"]
    assert isinstance(events, dict) and set(events) == set(mc.EVENT_NAMES)
    actions = data["grid_actions"]
    assert isinstance(actions, list)
    assert {a["area"] for a in actions} == set(mc.AREAS)
    assert {a["type"] for a in actions} == set(mc.ACTION_TYPES)


def test_canonical_file_round_trips_byte_for_byte(tmp_path: Path) -> None:
    c = load(SMS)
    assert mc.dumps(c) == SMS.read_text("utf-8")
    out = tmp_path / "out.json"
    mc.dump(c, out)
    assert out.read_bytes() == SMS.read_bytes()
    assert load(out) == c


def test_object_round_trip_keeps_non_canonical_input_equal() -> None:
    data = sms_document()
    # Reordered keys, a float pixel size and an empty optional list are all the same connector.
    data["configuration"] = {"width": 1000.0, "height": 600, "iframe_url": "https://x/c"}
    marketplace = data["marketplace"]
    assert isinstance(marketplace, dict)
    marketplace["features"] = []
    c = loads(json.dumps(data, indent=4))
    assert c.configuration is not None and type(c.configuration.width) is int
    again = loads(mc.dumps(c))
    assert again == c
    assert mc.dumps(again) == mc.dumps(c)


def test_lone_surrogate_and_non_ascii_survive_dump() -> None:
    data = sms_document()
    basic = data["basic"]
    assert isinstance(basic, dict)
    basic["description"] = "caf\u00e9 \ud83d \U0001f600"
    text = json.dumps(data, ensure_ascii=True)
    c = loads(text)
    assert c.basic.description == "caf\u00e9 \ud83d \U0001f600"
    dumped = mc.dumps(c)
    dumped.encode("utf-8")  # savable: the lone surrogate is escaped
    assert "café" in dumped and "\\ud83d" in dumped
    assert loads(dumped) == c


def test_connector_pickles() -> None:
    c = load(SMS)
    assert pickle.loads(pickle.dumps(c)) == c


def test_examples_are_valid_against_the_packaged_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(mc.schema())
    jsonschema.validate(sms_document(), mc.schema())


def test_schema_is_package_data() -> None:
    from importlib import resources

    assert resources.files("mergefield.connector").joinpath("schema.json").is_file()


def test_model_fields_match_schema_keys() -> None:
    """The model mirrors the file format one to one, so load and dump are lossless."""
    s = mc.schema()
    defs = s["$defs"]
    pairs = [
        (mc.Basic, s["properties"]["basic"]),
        (mc.Marketplace, s["properties"]["marketplace"]),
        (mc.Configuration, s["properties"]["configuration"]),
        (mc.Events, s["properties"]["events"]),
        (mc.Event, defs["event"]),
        (mc.GridAction, defs["grid_action"]),
        (mc.MenuItem, defs["menu_item"]),
        (mc.AutomationAction, defs["automation_action"]),
        (mc.LeadTab, defs["lead_tab"]),
    ]
    for cls, node in pairs:
        assert [f.name for f in dataclasses.fields(cls)] == list(node["properties"]), cls
    top = [f.name for f in dataclasses.fields(mc.Connector) if f.name not in ("schema", "source")]
    assert ["$schema", *top] == list(s["properties"])


# --- unusable input ------------------------------------------------------------------------------


def test_invalid_json_is_one_error_with_its_position() -> None:
    text = '{\n  "basic": {\n    "name": "x",\n  }\n}\n'
    with pytest.raises(ConnectorError) as info:
        loads(text)
    err = info.value
    assert isinstance(err, MergefieldError) and isinstance(err, ValueError)
    assert [d.code for d in err.diagnostics] == ["json-syntax"]
    # Python 3.13's json names the trailing comma itself; older versions the `}` after it.
    line, column = (3, 16) if sys.version_info >= (3, 13) else (4, 3)
    assert (err.line, err.column) == (line, column)
    assert "invalid JSON" in str(err) and f"{line}:{column}" in str(err)
    assert mc.check_text(text) == err.diagnostics


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("", 1, 1),
        ('{"basic": NaN}', 1, 11),
        ('{"basic": -Infinity}', 1, 11),
        ("[" * 100 + "]" * 100, 1, 65),
        ("[" * 100_000, 1, 65),
    ],
    ids=["empty", "nan", "infinity", "deep", "deeper-than-python"],
)
def test_json_outside_rfc_8259_is_refused(text: str, line: int, column: int) -> None:
    with pytest.raises(ConnectorError) as info:
        loads(text)
    assert info.value.diagnostics[0].code == "json-syntax"
    assert (info.value.line, info.value.column) == (line, column)


def sms_with_height(raw: str) -> str:
    """sms.json (two-space layout) with the configuration height written as ``raw``."""
    text = SMS.read_text("utf-8")
    assert text.count('"height": 600') == 1
    return text.replace('"height": 600', '"height": ' + raw)


HEIGHT_LINE = SMS.read_text("utf-8").split('"height": 600')[0].count("\n") + 1


@pytest.mark.parametrize(
    "raw",
    ["9" * 4301, "-" + "9" * 5000, "1e999", "-" + "9" * 400 + ".5", "9" * 400 + "E+1"],
    ids=["over-4300-digits", "negative", "float-overflow", "long-float", "exponent"],
)
def test_a_number_python_cannot_hold_is_a_diagnostic_at_its_place(tmp_path: Path, raw: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(sms_with_height(raw), "utf-8")
    (d,) = mc.check_file(path)
    assert (d.code, d.severity, d.path, d.line, d.column) == (
        "number-too-large",
        "error",
        "/configuration/height",
        HEIGHT_LINE,
        15,
    )
    assert path.read_text("utf-8")[d.offset : d.end] == raw
    with pytest.raises(ConnectorError) as info:
        load(path)
    assert info.value.diagnostics == [d] and info.value.pointer == "/configuration/height"


@pytest.mark.parametrize(
    ("text", "code", "pointer", "column"),
    [
        ("9" * 5000, "number-too-large", "", 1),
        ('{"x": [1, ' + "9" * 5000 + "]}", "number-too-large", "/x/1", 11),
        ('{"a~b/c": ' + "9" * 5000 + "}", "number-too-large", "/a~0b~1c", 11),
        ("[" + "9" * 5000 + ", " + "[" * 100_000, "json-syntax", "", 5067),
        ("[" + "9" * 5000 + ", }", "json-syntax", "", 5004),
        ("[" + "9" * 5000 + ", " + "9" * 4301 + "]", "number-too-large", "/0", 2),
    ],
    ids=["top-level", "in-array", "escaped-key", "then-too-deep", "then-bad-syntax", "first-wins"],
)
def test_huge_numbers_mixed_with_other_faults_never_escape(
    text: str, code: str, pointer: str, column: int
) -> None:
    (d,) = mc.check_text(text)
    assert (d.code, d.path or "", d.line, d.column) == (code, pointer, 1, column)
    with pytest.raises(ConnectorError):
        loads(text)


def test_not_utf8_is_reported_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(b'{\n  "basic": "caf\xe9"\n}')
    with pytest.raises(ConnectorError) as info:
        load(path)
    (d,) = info.value.diagnostics
    assert (d.code, d.line, d.column) == ("not-utf8", 2, 16)
    assert str(path) in str(info.value)
    assert mc.check_file(path) == [d]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(b"\xef\xbb\xbf" + SMS.read_bytes())
    assert load(path) == load(SMS)


def test_shape_errors_name_every_fault_with_pointer_and_place() -> None:
    text = (
        "{\n"
        '  "basic": {"name": 5, "description": "d", "category": "SMS", "version": "v1.0"},\n'
        '  "grid_actions": [{"label": "a", "area": "row", "show_on": ["web"], "roles": ["r"],\n'
        '                    "type": "call_api", "methd": "GET"}]\n'
        "}\n"
    )
    with pytest.raises(ConnectorError) as info:
        loads(text)
    found = [(d.code, d.path, d.line, d.column) for d in info.value.diagnostics]
    assert ("wrong-type", "/basic/name", 2, 21) in found
    assert ("missing-key", "/basic/status", 2, 12) in found
    assert ("unknown-key", "/grid_actions/0/methd", 4, 41) in found
    assert "did you mean 'method'?" in str(info.value)
    # Per-type required fields are rules, not shape: the call_api's missing url is not here.
    assert all(
        d.code != "missing-key" or "url" not in (d.path or "") for d in info.value.diagnostics
    )


def test_unknown_keys_alone_still_let_check_file_run_the_rules(tmp_path: Path) -> None:
    data = sms_document()
    basic = data["basic"]
    assert isinstance(basic, dict)
    basic["colour"] = "blue"
    basic["name"] = "x" * 21
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data, indent=2))
    with pytest.raises(ConnectorError):
        load(path)
    codes = {d.code for d in mc.check_file(path)}
    assert {"unknown-key", "name-too-long"} <= codes


def test_connector_error_pickles_and_needs_a_diagnostic() -> None:
    with pytest.raises(ConnectorError) as info:
        loads("{")
    again = pickle.loads(pickle.dumps(info.value))
    assert again.diagnostics == info.value.diagnostics
    with pytest.raises(ValueError):
        ConnectorError([])


def test_rules_and_schema_agree_on_what_is_an_error() -> None:
    """A document breaks the schema exactly when the value rules report an error."""
    base = sms_document()
    # Image files and templates are beyond JSON Schema; use a connector without them.
    marketplace = base["marketplace"]
    assert isinstance(marketplace, dict)
    del marketplace["logo"], marketplace["images"]
    mutations: list[tuple[str, object]] = [
        ("/basic/name", "x" * 20),
        ("/basic/name", "x" * 21),
        ("/basic/name", ""),
        ("/basic/description", "d" * 200),
        ("/basic/description", "d" * 201),
        ("/basic/version", "v2.10"),
        ("/basic/version", "v0.1"),
        ("/basic/version", "v1"),
        ("/basic/status", "In Review"),
        ("/basic/status", "in review"),
        ("/basic/category", "Whatever"),
        ("/marketplace/help_url", "ftp://x"),
        ("/marketplace/features", ["a", ""]),
        ("/marketplace/images", ["a.png"] * 6),
        ("/configuration/height", 499),
        ("/configuration/width", 950),
        ("/configuration/width", 949),
        ("/events/enable/method", "PUT"),
        ("/events/enable/content_type", "text/plain"),
        ("/grid_actions/0/area", "rows"),
        ("/grid_actions/0/show_on", []),
        ("/grid_actions/0/show_on", ["web", "web"]),
        ("/grid_actions/0/roles", []),
        ("/grid_actions/0/type", "call_api"),
        ("/grid_actions/0/type", "popup"),
        ("/grid_actions/1/method", "DELETE"),
        ("/menu/0/video_url", "videos.example.com"),
        ("/automation_actions/0/method", "GET"),
        ("/automation_actions/0/popup_width", 0),
        ("/lead_tabs/0/show_on", ["tv"]),
    ]
    for pointer, value in mutations:
        doc = copy.deepcopy(base)
        *parents, last = pointer.strip("/").split("/")
        node: object = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
        node[int(last) if isinstance(node, list) else last] = value  # type: ignore[index]
        schema_ok = jsonschema.Draft202012Validator(mc.schema()).is_valid(doc)
        errors = [
            d
            for d in mc.check_text(json.dumps(doc, indent=2))
            if d.severity == "error" and not d.code.startswith("image")
        ]
        assert schema_ok == (not errors), (pointer, value, errors)


def test_link_and_version_patterns_are_the_schemas() -> None:
    from mergefield.connector import rules

    s = json.dumps(mc.schema())
    assert json.dumps(rules.LINK_PATTERN.pattern) in s
    assert json.dumps(rules.VERSION_PATTERN.pattern) in s
