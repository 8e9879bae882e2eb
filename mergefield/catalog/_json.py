"""Reading and writing the catalog JSON format described in `mergefield.catalog`.

The reader validates strictly (unknown keys, wrong types, bad names) because a catalog file is
hand-written by account administrators and a silently ignored typo such as ``"lable"`` or
``"Strng"`` would surface much later as a wrong rendering; every complaint carries the JSON
pointer of the offending value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from mergefield._messages import json_type_name, pointer_join
from mergefield.catalog._types import CatalogError, FieldSpec, ValueType

__all__ = ["FORMAT_VERSION", "parse_document", "to_document"]

FORMAT_VERSION = 1
"""The only version of the catalog JSON format so far."""

# Names must be writable inside a token (SPEC section 1), or the field could never be used.
_RESOURCE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*", re.ASCII)
_FIELD_FORBIDDEN = frozenset(",{}\r\n")
_DOC_KEYS = frozenset({"version", "description", "resources"})
_RESOURCE_KEYS = frozenset({"contexts", "fields"})
_FIELD_KEYS = frozenset(
    {
        "name",
        "label",
        "type",
        "description",
        "default",
        "record_key",
        "derived_from",
        "aliases",
        "origin",
        "url",
    }
)


class _Reader:
    """Walks one document, turning every fault into a `CatalogError` with its pointer."""

    def __init__(self, source: str, contexts: Iterable[str]) -> None:
        self.source = source
        self.contexts = tuple(contexts)

    def fail(self, message: str, *parts: str | int) -> CatalogError:
        return CatalogError(message, source=self.source, pointer=pointer_join("", *parts))

    def mapping(self, value: object, *parts: str | int) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(f"expected an object, got {json_type_name(value)}", *parts)
        return value

    def keys(self, value: Mapping[str, Any], allowed: frozenset[str], *parts: str | int) -> None:
        for key in value:
            if key not in allowed:
                raise self.fail(
                    f"unknown key {key!r}; allowed keys: {', '.join(sorted(allowed))}",
                    *parts,
                    key,
                )

    def string(self, value: object, *parts: str | int) -> str:
        if not isinstance(value, str):
            raise self.fail(f"expected a string, got {json_type_name(value)}", *parts)
        return value

    def strings(self, value: object, *parts: str | int) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(f"expected an array of strings, got {json_type_name(value)}", *parts)
        return tuple(self.string(item, *parts, i) for i, item in enumerate(value))

    def field_name(self, value: object, *parts: str | int) -> str:
        name = self.string(value, *parts)
        if not name.strip(" \t") or name != name.strip(" \t"):
            raise self.fail(f"field name {name!r} is empty or has blanks at either end", *parts)
        bad = sorted(_FIELD_FORBIDDEN.intersection(name))
        if bad:
            raise self.fail(f"field name {name!r} holds {bad[0]!r}, which a token cannot", *parts)
        return name

    def document(self, data: object) -> tuple[list[FieldSpec], dict[str, set[str]]]:
        doc = self.mapping(data)
        self.keys(doc, _DOC_KEYS)
        if "version" in doc and doc["version"] != FORMAT_VERSION:
            raise self.fail(
                f"unsupported version {doc['version']!r}; expected {FORMAT_VERSION}", "version"
            )
        if "description" in doc:
            self.string(doc["description"], "description")
        if "resources" not in doc:
            raise self.fail("missing key 'resources'")
        specs: list[FieldSpec] = []
        grants: dict[str, set[str]] = {}
        for resource, body in self.mapping(doc["resources"], "resources").items():
            where = ("resources", resource)
            if not _RESOURCE_NAME.fullmatch(resource):
                raise self.fail(f"resource name {resource!r} is not [A-Za-z][A-Za-z0-9_]*", *where)
            entry = self.mapping(body, *where)
            self.keys(entry, _RESOURCE_KEYS, *where)
            contexts = self.strings(entry.get("contexts", []), *where, "contexts")
            for i, context in enumerate(contexts):
                if context not in self.contexts:
                    raise self.fail(
                        f"unknown context {context!r}; valid contexts: {', '.join(self.contexts)}",
                        *where,
                        "contexts",
                        i,
                    )
                grants.setdefault(context, set()).add(resource)
            fields = entry.get("fields", [])
            if not isinstance(fields, list):
                got = json_type_name(fields)
                raise self.fail(f"expected an array, got {got}", *where, "fields")
            seen: set[str] = set()
            for i, item in enumerate(fields):
                spec = self.field(resource, item, *where, "fields", i)
                for name in (spec.name, *spec.aliases):
                    if name in seen:
                        raise self.fail(
                            f"field {name!r} is declared twice in {resource}", *where, "fields", i
                        )
                    seen.add(name)
                specs.append(spec)
        return specs, grants

    def field(self, resource: str, item: object, *parts: str | int) -> FieldSpec:
        entry = self.mapping(item, *parts)
        self.keys(entry, _FIELD_KEYS, *parts)
        for required in ("name", "type"):
            if required not in entry:
                raise self.fail(f"missing key {required!r}", *parts)
        name = self.field_name(entry["name"], *parts, "name")
        type_name = self.string(entry["type"], *parts, "type")
        try:
            value_type = ValueType(type_name)
        except ValueError:
            valid = ", ".join(t.value for t in ValueType)
            raise self.fail(
                f"unknown value type {type_name!r}; expected one of {valid}", *parts, "type"
            ) from None
        default = entry.get("default")
        if default is not None:
            default = self.string(default, *parts, "default")
        record_key = entry.get("record_key")
        if record_key is not None:
            record_key = self.string(record_key, *parts, "record_key")
        origin = entry.get("origin")
        if origin is not None:
            origin = self.string(origin, *parts, "origin")
        url = entry.get("url", False)
        if not isinstance(url, bool):
            raise self.fail(f"expected true or false, got {json_type_name(url)}", *parts, "url")
        return FieldSpec(
            resource=resource,
            name=name,
            label=self.string(entry.get("label", name), *parts, "label"),
            type=value_type,
            description=self.string(entry.get("description", ""), *parts, "description"),
            default=default,
            record_key=record_key,
            derived_from=self.strings(entry.get("derived_from", []), *parts, "derived_from"),
            aliases=tuple(
                self.field_name(alias, *parts, "aliases", i)
                for i, alias in enumerate(self.strings(entry.get("aliases", []), *parts, "aliases"))
            ),
            origin=origin,
            url=url,
        )


def parse_document(
    data: object, *, source: str, contexts: Iterable[str]
) -> tuple[list[FieldSpec], dict[str, set[str]]]:
    """Validate a decoded catalog document; return its field specs and context grants.

    ``contexts`` are the valid context names; grants map a context name to the resources the
    document allows in it.  Raises `CatalogError` with the JSON pointer of the first fault.
    """
    return _Reader(source, contexts).document(data)


def to_document(specs: Iterable[FieldSpec], grants: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """Build the JSON-ready document that `parse_document` reads back to the same specs."""
    resources: dict[str, dict[str, Any]] = {}
    for spec in specs:
        entry: dict[str, Any] = {"name": spec.name, "label": spec.label, "type": spec.type.value}
        if spec.description:
            entry["description"] = spec.description
        if spec.default is not None:
            entry["default"] = spec.default
        if spec.record_key is not None:
            entry["record_key"] = spec.record_key
        if spec.derived_from:
            entry["derived_from"] = list(spec.derived_from)
        if spec.aliases:
            entry["aliases"] = list(spec.aliases)
        if spec.origin is not None:
            entry["origin"] = spec.origin
        if spec.url:
            entry["url"] = True
        resources.setdefault(spec.resource, {"fields": []})["fields"].append(entry)
    for context, names in sorted(grants.items()):
        for resource in sorted(names):
            body = resources.setdefault(resource, {"fields": []})
            body.setdefault("contexts", []).append(context)
    return {"version": FORMAT_VERSION, "resources": resources}
