"""Read and write connector files: bytes → JSON with positions → shape check → model, and back.

Loading has three gates, each reported as diagnostics placed in the file: the bytes must be
UTF-8 (a leading BOM is skipped), the text must be JSON (the standard library decides), and
the document must have a connector's *shape* according to the packaged JSON Schema: right JSON
types, required keys present, no unknown keys.  Schema keywords about values (lengths,
patterns, enums, minimums, per-action-type fields) are deliberately not gates: a connector with
a 30-character name still loads, and ``Connector.check()`` reports it with its own code, so one
run shows every problem.  ``dumps`` writes the canonical layout (keys in schema order, two-space
indent, UTF-8 kept readable, absent keys left out), and ``loads(dumps(c)) == c`` for every
connector.
"""

from __future__ import annotations

import dataclasses
import json
import re
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
    NOT_UTF8,
    NUMBER_TOO_LARGE,
    UNKNOWN_KEY,
    WRONG_TYPE,
    diagnostic,
)
from mergefield.diagnostics import Diagnostic

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
from .positions import JsonNumberError, JsonSyntaxError, SourceMap, parse, pointer_join

__all__ = [
    "dump",
    "dumps",
    "load",
    "loads",
    "read_diagnostics",
    "schema",
    "to_dict",
]

# Keywords whose failure means the model cannot be built; the others are judged by the rules.
_SHAPE_KEYWORDS = frozenset({"type", "required", "additionalProperties"})

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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


def _decode(data: bytes) -> tuple[str | None, list[Diagnostic]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8")
        smap = SourceMap(prefix)
        line, column = smap.line_column(len(prefix))
        msg = f"the file is not UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}"
        diag = diagnostic(NOT_UTF8, msg, line, column, len(prefix), len(prefix) + 1, "")
        return None, [diag]
    # Editors on Windows write a BOM; it is not part of the JSON text.
    return text.removeprefix("\ufeff"), []


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
    connector = _build(_strip_unknown(document, schema()), Source(path, text, smap))
    return connector, problems


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
    text, problems = _decode(where.read_bytes())
    if text is None:
        raise ConnectorError(problems, where)
    return loads(text, path=where)


# --- dict → model ------------------------------------------------------------------------------


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if value is not None else ()


def _event(d: Mapping[str, Any] | None) -> Event | None:
    if d is None:
        return None
    return Event(d["url"], d["method"], d.get("content_type"), d.get("body"))


def _build(d: Mapping[str, Any], source: Source | None) -> Connector:
    b = d["basic"]
    basic = Basic(b["name"], b["description"], b["category"], b["version"], b["status"])
    marketplace = None
    if (m := d.get("marketplace")) is not None:
        marketplace = Marketplace(
            m["help_url"],
            m["support_url"],
            m["detailed_description"],
            _tuple(m.get("features")),
            m.get("logo"),
            _tuple(m.get("images")),
        )
    configuration = None
    if (c := d.get("configuration")) is not None:
        # JSON Schema counts 500.0 as an integer; the model holds real ints.
        configuration = Configuration(c["iframe_url"], int(c["height"]), int(c["width"]))
    events = None
    if (e := d.get("events")) is not None:
        events = Events(*(_event(e.get(name)) for name in Events.__dataclass_fields__))
    grid = tuple(
        GridAction(
            a["label"],
            a["area"],
            tuple(a["show_on"]),
            tuple(a["roles"]),
            a["type"],
            **{k: a.get(k) for k in _GRID_OPTIONAL},
        )
        for a in d.get("grid_actions", ())
    )
    menu = tuple(
        MenuItem(
            i["title"],
            tuple(i["roles"]),
            i["page_title"],
            i["page_description"],
            i["iframe_url"],
            i.get("help_url"),
            i.get("video_url"),
        )
        for i in d.get("menu", ())
    )
    automation = tuple(
        AutomationAction(
            a["title"],
            a["description"],
            a["popup_title"],
            a["iframe_url"],
            int(a["popup_height"]),
            int(a["popup_width"]),
            a["help_url"],
            a["execution_url"],
            a["method"],
            a.get("content_type"),
            a.get("body"),
        )
        for a in d.get("automation_actions", ())
    )
    tabs = tuple(
        LeadTab(t["title"], tuple(t["show_on"]), t["iframe_url"]) for t in d.get("lead_tabs", ())
    )
    return Connector(
        basic,
        marketplace,
        configuration,
        events,
        grid,
        menu,
        automation,
        tabs,
        d.get("$schema"),
        source,
    )


_GRID_OPTIONAL = (
    "url",
    "method",
    "content_type",
    "body",
    "iframe_url",
    "popup_title",
    "help_url",
    "web_url",
)


# --- model → dict → text -----------------------------------------------------------------------


def _plain(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in obj.__dataclass_fields__.items():
        value = getattr(obj, name)
        optional = spec.default is not dataclasses.MISSING
        # An absent optional key is None or (); a required list stays even when empty.
        if value is None or (value == () and optional):
            continue
        if hasattr(value, "__dataclass_fields__"):
            value = _plain(value)
        elif isinstance(value, tuple):
            value = [_plain(v) if hasattr(v, "__dataclass_fields__") else v for v in value]
        out[name] = value
    return out


def to_dict(connector: Connector) -> dict[str, Any]:
    """The connector as plain JSON data in the file format's key order (absent keys left out)."""
    body = _plain(connector)
    body.pop("source", None)
    schema_ref = body.pop("schema", None)
    return ({"$schema": schema_ref} if schema_ref is not None else {}) | body


def dumps(connector: Connector) -> str:
    """The canonical text of a connector: two-space indent, keys in schema order, final newline.

    Non-ASCII characters are written as themselves; a lone surrogate (which UTF-8 cannot hold)
    is written as its ``\\uXXXX`` escape so that the text can always be saved.
    """
    text = json.dumps(to_dict(connector), indent=2, ensure_ascii=False) + "\n"
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def dump(connector: Connector, path: str | Path) -> None:
    """Write ``dumps(connector)`` to ``path`` as UTF-8.

    Relative image paths are written as they are: dump beside the original file (or copy the
    images) to keep them resolvable.
    """
    Path(path).write_text(dumps(connector), encoding="utf-8", newline="\n")
