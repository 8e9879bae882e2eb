"""The `Catalog` class and the fixed table of contexts it checks templates against.

A catalog is an immutable set of `FieldSpec` plus *grants*: extra resources a context allows on
top of the seed's rule (SPEC section 2).  The seed's contexts come from one module each
(`configuration`, `events`, ...); a resource added by an extension is allowed only where a grant
says so (``Catalog.allow`` in code, ``"contexts"`` in JSON) and always when no context is given.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from mergefield._messages import did_you_mean
from mergefield.catalog import automation, configuration, events, grid, lead_tab, menu
from mergefield.catalog._json import parse_document, to_document
from mergefield.catalog._types import CatalogError, Context, FieldSpec, ValueType


class _Named(Protocol):
    """Anything that names a field, such as a template token."""

    @property
    def resource(self) -> str: ...

    @property
    def field(self) -> str: ...


__all__ = ["CONTEXTS", "DEFAULT_CATALOG", "LEAD_CUSTOM_FIELD", "Catalog"]

CONTEXTS: Mapping[str, Context] = MappingProxyType(
    {
        module.CONTEXT.name: module.CONTEXT
        for module in (configuration, events, grid, menu, automation, lead_tab)
    }
)
"""The contexts of SPEC section 2, by name, in the seed's order."""

LEAD_CUSTOM_FIELD = re.compile(r"mx_[A-Za-z0-9_]+", re.ASCII)
"""A Lead custom field: ``mx_`` and the schema name (``mx_City``, ``mx_Custom_12``)."""


def _check_context(context: str) -> Context:
    try:
        return CONTEXTS[context]
    except KeyError:
        raise ValueError(
            f"unknown context {context!r}; valid contexts: {', '.join(CONTEXTS)}"
        ) from None


class Catalog:
    """An immutable catalog of resources and their fields; hashable, comparable and picklable.

    Build one with `Catalog(specs, grants)`, extend one with `with_fields` / `allow`, or load one
    with `from_json`.  A later spec for the same resource and name replaces the earlier one, so
    an account's own definition of a field wins over the seed's.
    """

    __slots__ = ("_by_resource", "_grants", "_index", "_resources", "_specs")

    _specs: tuple[FieldSpec, ...]
    _grants: Mapping[str, frozenset[str]]
    _by_resource: Mapping[str, tuple[FieldSpec, ...]]
    _index: Mapping[tuple[str, str], FieldSpec]
    _resources: frozenset[str]

    def __init__(
        self,
        specs: Iterable[FieldSpec] = (),
        grants: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        merged: dict[tuple[str, str], FieldSpec] = {}
        for spec in specs:
            merged[(spec.resource, spec.name)] = spec
        by_resource: dict[str, list[FieldSpec]] = {}
        for spec in merged.values():
            by_resource.setdefault(spec.resource, []).append(spec)
        index: dict[tuple[str, str], FieldSpec] = dict(merged)
        for (resource, name), spec in merged.items():
            for alias in spec.aliases:
                if (resource, alias) in index:
                    raise ValueError(f"alias {resource}:{alias} of {name!r} is already a field")
                # An alias reads the same record key as its field (Lead:Source reads "Source").
                index[(resource, alias)] = FieldSpec(
                    resource=resource,
                    name=alias,
                    label=spec.label,
                    type=spec.type,
                    description=spec.description,
                    default=spec.default,
                    record_key=spec.key,
                    derived_from=spec.derived_from,
                    origin=spec.origin,
                )
            for part in spec.derived_from:
                if (resource, part) not in merged:
                    raise ValueError(f"{resource}:{name} is derived from unknown field {part!r}")
        clean_grants: dict[str, frozenset[str]] = {}
        for context, resources in (grants or {}).items():
            _check_context(context)
            extra = frozenset(resources) - CONTEXTS[context].resources
            if extra:
                clean_grants[context] = extra
        object.__setattr__(self, "_specs", tuple(merged.values()))
        object.__setattr__(self, "_grants", MappingProxyType(dict(sorted(clean_grants.items()))))
        object.__setattr__(
            self, "_by_resource", MappingProxyType({r: tuple(s) for r, s in by_resource.items()})
        )
        object.__setattr__(self, "_index", MappingProxyType(index))
        object.__setattr__(self, "_resources", frozenset(by_resource))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Catalog is immutable; use with_fields() or allow()")

    def __reduce__(self) -> tuple[object, ...]:
        return (Catalog, (self._specs, {c: sorted(r) for c, r in self._grants.items()}))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Catalog):
            return NotImplemented
        return set(self._specs) == set(other._specs) and dict(self._grants) == dict(other._grants)

    def __hash__(self) -> int:
        return hash((frozenset(self._specs), frozenset(self._grants.items())))

    def __repr__(self) -> str:
        return f"<Catalog {len(self._by_resource)} resources, {len(self._specs)} fields>"

    def __iter__(self) -> Iterator[FieldSpec]:
        """Every declared field, resource by resource, in declaration order (no aliases)."""
        return iter(self._specs)

    def __len__(self) -> int:
        """The number of declared fields (aliases and ``mx_`` custom fields not counted)."""
        return len(self._specs)

    def lookup(self, resource: str, field: str) -> FieldSpec | None:
        """The spec of ``resource:field``, matched case-sensitively, or None when unknown.

        Aliases resolve (``Lead:Source`` reads ``Source`` like ``Lead:Source Lead``), and any
        undeclared Lead ``mx_`` custom field resolves to a String spec of that name.
        """
        spec = self._index.get((resource, field))
        if spec is None and resource == "Lead" and LEAD_CUSTOM_FIELD.fullmatch(field):
            spec = FieldSpec(
                resource="Lead",
                name=field,
                label=field,
                type=ValueType.STRING,
                description="Lead custom field",
            )
        return spec

    def url_flags(self, names: Iterable[_Named]) -> tuple[bool, ...]:
        """For each ``(resource, field)`` named, whether its values are URLs (`FieldSpec.url`)."""
        flags = []
        for item in names:
            spec = self.lookup(item.resource, item.field)
            flags.append(spec is not None and spec.url)
        return tuple(flags)

    def is_declared(self, resource: str, field: str) -> bool:
        """Whether ``resource:field`` is a declared field or alias (not a free ``mx_`` field)."""
        return (resource, field) in self._index

    def resources(self) -> frozenset[str]:
        """The names of every resource with at least one field."""
        return self._resources

    def fields(self, resource: str) -> tuple[FieldSpec, ...]:
        """The declared fields of ``resource`` in declaration order; empty when unknown."""
        return self._by_resource.get(resource, ())

    def field_names(self, resource: str) -> tuple[str, ...]:
        """Every name that resolves under ``resource``: declared fields, then aliases."""
        return tuple(name for (res, name) in self._index if res == resource)

    def allowed_resources(self, context: str | None) -> frozenset[str]:
        """The resources a template may read in ``context``; None means every resource.

        A named context allows the resources of SPEC section 2's table plus this catalog's
        grants for it, whether or not the catalog declares fields for them.  An unknown name
        raises ValueError listing the valid ones.
        """
        if context is None:
            return self.resources()
        return _check_context(context).resources | self._grants.get(context, frozenset())

    def grants(self) -> Mapping[str, frozenset[str]]:
        """The extra resources each context allows in this catalog, beyond SPEC section 2."""
        return self._grants

    def with_fields(self, *specs: FieldSpec) -> Catalog:
        """A new catalog with ``specs`` added; a spec replaces one of the same resource and name.

        A new resource is allowed when no context is given; call `allow` to admit it to named
        contexts.
        """
        return Catalog((*self._specs, *specs), self._grants)

    def allow(self, resource: str, *contexts: str) -> Catalog:
        """A new catalog in which ``resource`` is also allowed in each of ``contexts``."""
        grants = {c: set(r) for c, r in self._grants.items()}
        for context in contexts:
            _check_context(context)
            grants.setdefault(context, set()).add(resource)
        return Catalog(self._specs, grants)

    @classmethod
    def from_json(
        cls,
        path_or_mapping: str | os.PathLike[str] | Mapping[str, Any],
        *,
        base: Catalog | None = None,
    ) -> Catalog:
        """Load a catalog document (format in `mergefield.catalog`) on top of ``base``.

        ``path_or_mapping`` is a file path (a ``str`` is always a path) or an already decoded
        document.  ``base`` defaults to `DEFAULT_CATALOG`, so a file lists only an account's
        own fields and resources; pass ``Catalog()`` to start empty.  A fault raises
        `CatalogError` with the file's line and column for bad JSON, else the JSON pointer.
        """
        data: object
        if not isinstance(path_or_mapping, (str, os.PathLike)):
            # Any other decoded value goes to the validator, which names what it got.
            source, data = "<mapping>", path_or_mapping
        else:
            source = os.fspath(path_or_mapping)
            text = Path(source).read_text(encoding="utf-8")
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CatalogError(
                    f"invalid JSON: {exc.msg}", source=source, line=exc.lineno, column=exc.colno
                ) from None
        specs, grants = parse_document(data, source=source, contexts=CONTEXTS)
        if base is None:
            base = DEFAULT_CATALOG
        merged = {c: set(r) for c, r in base._grants.items()}
        for context, resources in grants.items():
            merged.setdefault(context, set()).update(resources)
        try:
            return Catalog((*base._specs, *specs), merged)
        except ValueError as exc:
            raise CatalogError(str(exc), source=source, pointer="/resources") from None

    def to_json(self) -> dict[str, Any]:
        """This catalog as a JSON-ready document that `from_json` reads back to an equal one."""
        return to_document(self._specs, self._grants)

    def suggest(
        self, resource: str, field: str | None = None, *, context: str | None = None
    ) -> str | None:
        """A did-you-mean text for a name that does not resolve, e.g. ``"Lead:FirstName"``.

        A case-only mismatch wins over a spelling one (`difflib.get_close_matches` ranks the
        rest).  With ``field``, the answer is ``Resource:Field`` when both parts can be
        matched, else just the resource when only it was wrong; None when nothing is close or
        nothing is wrong.  With ``context``, only resources allowed there are suggested.
        """
        pool = self.resources()
        if context is not None:
            pool &= self.allowed_resources(context)
        target: str | None = resource
        if resource not in pool:
            target = did_you_mean(resource, sorted(pool))
        if target is None:
            return None
        if field is None:
            return target if target != resource else None
        name = self._match_field(target, field)
        if name is None:
            return target if target != resource else None
        if (target, name) == (resource, field):
            return None
        return f"{target}:{name}"

    def _match_field(self, resource: str, field: str) -> str | None:
        if (resource, field) in self._index:
            return field
        names = self.field_names(resource)
        folded = field.casefold()
        for name in names:
            if name.casefold() == folded:
                return name
        # A free mx_ field is itself, unless it was a case slip of a declared one (above).
        if self.lookup(resource, field) is not None:
            return field
        return did_you_mean(field, names)


def _load_seed() -> Catalog:
    # Here, beside `Catalog`, so that `from_json` finds its default base without importing the
    # package that imports this module.
    text = files("mergefield.catalog").joinpath("seed.json").read_text(encoding="utf-8")
    return Catalog.from_json(json.loads(text), base=Catalog())


DEFAULT_CATALOG: Catalog = _load_seed()
"""The seed's field tables (Lead, User, Account, Automation, AutomationId) and the lead API's
identifiers they omit (``origin="api"``)."""
