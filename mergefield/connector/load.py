"""Read connector files: bytes → JSON with positions → shape check → model (`canonical` writes).

Loading has three gates, each reported as diagnostics placed in the file: the bytes must be
UTF-8 (a leading BOM is skipped), the text must be JSON (the standard library decides), and
the document must have a connector's *shape* according to the packaged JSON Schema: right JSON
types, required keys present, no unknown keys.  Schema keywords about values (lengths,
patterns, enums, minimums, per-action-type fields) are deliberately not gates: a connector with
a 30-character name still loads, and ``Connector.check()`` reports it with its own code, so one
run shows every problem.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from mergefield._messages import did_you_mean, json_type_article
from mergefield.codes import (
    JSON_SYNTAX,
    MISSING_KEY,
    NUMBER_TOO_LARGE,
    UNKNOWN_KEY,
    WRONG_TYPE,
    diagnostic,
)
from mergefield.diagnostics import Diagnostic

from .decode import decode
from .errors import ConnectorError, located
from .model import (
    AutomationAction,
    Basic,
    Configuration,
    Connector,
    Event,
    Events,
    GridAction,
    LeadTab,
    Marketplace,
    MenuItem,
    Source,
)
from .sourcemap import JsonNumberError, JsonSyntaxError, SourceMap, parse, pointer_join
from .vocabulary import EVENT_NAMES

__all__ = [
    "load",
    "loads",
    "read_diagnostics",
    "schema",
]

# Keywords whose failure means the model cannot be built; the others are judged by the rules.
_SHAPE_KEYWORDS = frozenset({"type", "required", "additionalProperties"})


@cache
def schema() -> dict[str, Any]:
    """The packaged JSON Schema (draft 2020-12) of the connector file format."""
    text = resources.files("mergefield.connector").joinpath("schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(schema())


def _shape_diagnostics(document: Any, smap: SourceMap) -> Iterator[Diagnostic]:
    seen: set[tuple[str, str]] = set()
    for error in _validator().iter_errors(document):
        if error.validator not in _SHAPE_KEYWORDS or "then" in error.absolute_schema_path:
            continue
        pointer = pointer_join("", *error.absolute_path)
        # jsonschema types these attributes loosely (Any | Unset); for these keywords they are set.
        instance: Any = error.instance
        keyword_value: Any = error.validator_value
        subschema: Any = error.schema
        if error.validator == "type":
            expected = keyword_value
            if (WRONG_TYPE, pointer) not in seen:
                seen.add((WRONG_TYPE, pointer))
                yield located(WRONG_TYPE, f"expected {json_type_article(expected)}", smap, pointer)
        elif error.validator == "required":
            for key in keyword_value:
                child = pointer_join(pointer, key)
                if key not in instance and (MISSING_KEY, child) not in seen:
                    seen.add((MISSING_KEY, child))
                    where = pointer or "the document"
                    msg = f"missing required key {key!r} in {where}"
                    yield located(MISSING_KEY, msg, smap, child)
        else:
            known = subschema.get("properties", {})
            for key in instance:
                child = pointer_join(pointer, key)
                if key not in known and (UNKNOWN_KEY, child) not in seen:
                    seen.add((UNKNOWN_KEY, child))
                    hint = did_you_mean(key, known)
                    msg = f"unknown key {key!r}" + (f"; did you mean {hint!r}?" if hint else "")
                    yield located(UNKNOWN_KEY, msg, smap, child, at_key=True)


def read_diagnostics(
    text: str, path: Path | None = None
) -> tuple[Connector | None, list[Diagnostic]]:
    """Parse and shape-check ``text``; the connector (``None`` if unusable) and the diagnostics.

    Unknown keys alone do not make a document unusable: they are reported and left out of the
    connector, so that the remaining rules can still run.
    """
    try:
        document, smap = parse(text)
    except JsonNumberError as exc:
        smap = SourceMap(text)
        line, column = smap.line_column(exc.offset)
        msg = f"number too large: {exc.message}"
        at = (line, column, exc.offset, exc.end, exc.pointer)
        return None, [diagnostic(NUMBER_TOO_LARGE, msg, *at)]
    except JsonSyntaxError as exc:
        smap = SourceMap(text)
        line, column = smap.line_column(exc.offset)
        msg = f"invalid JSON: {exc.message}"
        return None, [diagnostic(JSON_SYNTAX, msg, line, column, exc.offset, exc.offset + 1, "")]
    problems = sorted(_shape_diagnostics(document, smap), key=lambda d: (d.offset, d.code))
    if any(d.code != UNKNOWN_KEY for d in problems):
        return None, problems
    connector = _build(_strip_unknown(document, schema()))
    # The source remembers what it was read as: a connector changed since no longer matches it.
    source = Source(path=path, text=text, map=smap, read_as=connector)
    return dataclasses.replace(connector, source=source), problems


def _strip_unknown(value: Any, node: Mapping[str, Any]) -> Any:
    if "$ref" in node:
        node = schema()["$defs"][node["$ref"].rsplit("/", 1)[1]]
    if isinstance(value, dict) and "properties" in node:
        props = node["properties"]
        return {k: _strip_unknown(v, props[k]) for k, v in value.items() if k in props}
    if isinstance(value, list) and "items" in node:
        return [_strip_unknown(v, node["items"]) for v in value]
    return value


def loads(text: str, *, path: str | Path | None = None) -> Connector:
    """Build a connector from JSON text; raises ``ConnectorError`` if it is unusable.

    ``path`` is only recorded (for messages and for resolving image paths in ``check()``).
    Unknown keys make a document unusable here, so that nothing is silently dropped.
    """
    where = None if path is None else Path(path)
    connector, problems = read_diagnostics(text, where)
    if problems or connector is None:
        raise ConnectorError(problems, where)
    return connector


def load(path: str | Path) -> Connector:
    """Read the connector file at ``path``; raises ``ConnectorError`` if it is unusable.

    Unusable means: not UTF-8 (code ``not-utf8``), not JSON (``json-syntax``), a number Python
    cannot hold (``number-too-large``), or not a connector's shape (``wrong-type``,
    ``missing-key``, ``unknown-key``), each with the line and column in the file.  ``OSError``
    from reading the file is not wrapped.
    """
    where = Path(path)
    text, problems = decode(where.read_bytes())
    if text is None:
        raise ConnectorError(problems, where)
    return loads(text, path=where)


# --- dict → model ------------------------------------------------------------------------------


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if value is not None else ()


def _event(d: Mapping[str, Any] | None) -> Event | None:
    if d is None:
        return None
    return Event(url=d["url"], method=d["method"], **_optional(Event, d))


def _optional(cls: type[Any], d: Mapping[str, Any]) -> dict[str, Any]:
    # The model's optional fields are the file's optional keys, None when absent.
    return {f.name: d.get(f.name) for f in dataclasses.fields(cls) if f.default is None}


def _build(d: Mapping[str, Any]) -> Connector:
    b = d["basic"]
    basic = Basic(
        name=b["name"],
        description=b["description"],
        category=b["category"],
        version=b["version"],
        status=b["status"],
    )
    marketplace = None
    if (m := d.get("marketplace")) is not None:
        marketplace = Marketplace(
            help_url=m["help_url"],
            support_url=m["support_url"],
            detailed_description=m["detailed_description"],
            features=_tuple(m.get("features")),
            logo=m.get("logo"),
            images=_tuple(m.get("images")),
        )
    configuration = None
    if (c := d.get("configuration")) is not None:
        # JSON Schema counts 500.0 as an integer; the model holds real ints.
        configuration = Configuration(
            iframe_url=c["iframe_url"], height=int(c["height"]), width=int(c["width"])
        )
    events = None
    if (e := d.get("events")) is not None:
        events = Events(**{name: _event(e.get(name)) for name in EVENT_NAMES})
    grid = tuple(
        GridAction(
            label=a["label"],
            area=a["area"],
            show_on=tuple(a["show_on"]),
            roles=tuple(a["roles"]),
            type=a["type"],
            **_optional(GridAction, a),
        )
        for a in d.get("grid_actions", ())
    )
    menu = tuple(
        MenuItem(
            title=i["title"],
            roles=tuple(i["roles"]),
            page_title=i["page_title"],
            page_description=i["page_description"],
            iframe_url=i["iframe_url"],
            **_optional(MenuItem, i),
        )
        for i in d.get("menu", ())
    )
    automation = tuple(
        AutomationAction(
            title=a["title"],
            description=a["description"],
            popup_title=a["popup_title"],
            iframe_url=a["iframe_url"],
            popup_height=int(a["popup_height"]),
            popup_width=int(a["popup_width"]),
            help_url=a["help_url"],
            execution_url=a["execution_url"],
            method=a["method"],
            **_optional(AutomationAction, a),
        )
        for a in d.get("automation_actions", ())
    )
    tabs = tuple(
        LeadTab(title=t["title"], show_on=tuple(t["show_on"]), iframe_url=t["iframe_url"])
        for t in d.get("lead_tabs", ())
    )
    return Connector(
        basic=basic,
        marketplace=marketplace,
        configuration=configuration,
        events=events,
        grid_actions=grid,
        menu=menu,
        automation_actions=automation,
        lead_tabs=tabs,
        schema=d.get("$schema"),
    )
