"""The value objects a catalog is made of: value types, field specs, contexts and the load error.

They live apart from `Catalog` so that the one-module-per-context files can build their
`Context` without importing the catalog itself (which imports them).  Everything here is frozen
and hashable, so catalogs built from these objects can be shared between threads and pickled.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mergefield.errors import MergefieldError

__all__ = ["CatalogError", "Context", "FieldSpec", "ValueType"]


class ValueType(str, enum.Enum):
    """The value type of a field, as the seed's "Value Type" column names it."""

    STRING = "String"
    NUMBER = "Number"
    DATE = "Date"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a resource: ``@{resource:name,}`` reads ``record[key]`` of that resource.

    ``default`` is the field-level default an account may set for its own fields; it applies
    when the value is missing and the token has no non-empty default (SPEC section 3).
    ``record_key`` is the key read from the record when it differs from the name (``Source Lead``
    reads ``Source``).  ``derived_from`` names fields of the same resource joined by a blank when
    the record lacks this one (``User:FullName``).  ``aliases`` are further names that resolve to
    this field (``Lead:Source`` for ``Lead:Source Lead``).  ``origin`` says where a definition
    comes from when it is not the seed page's field tables: ``"api"`` for a field LeadSquared's
    lead API returns that the page does not list (``Lead:ProspectID``); ``None`` otherwise.
    ``url`` marks a field whose values
    are URLs (``Lead:Website``): a token of it that starts a JSON string is a whole-URL slot,
    filtered by the scheme allow-list, whatever the string's key (README, "Encoding by position").
    """

    resource: str
    name: str
    label: str
    type: ValueType
    description: str = ""
    default: str | None = None
    record_key: str | None = None
    derived_from: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    origin: str | None = None
    url: bool = False

    def __post_init__(self) -> None:
        # Accept the plain strings "String"/"Number"/"Date" and lists from callers, but store
        # the canonical forms so that equality and hashing do not depend on how a spec was made.
        if not isinstance(self.type, ValueType):
            object.__setattr__(self, "type", ValueType(self.type))
        if not isinstance(self.derived_from, tuple):
            object.__setattr__(self, "derived_from", tuple(self.derived_from))
        if not isinstance(self.aliases, tuple):
            object.__setattr__(self, "aliases", tuple(self.aliases))

    @property
    def key(self) -> str:
        """The key read from the resource's record: ``record_key`` when set, else ``name``."""
        return self.record_key if self.record_key is not None else self.name

    @property
    def ref(self) -> str:
        """The field as written in a template without braces, e.g. ``Lead:FirstName``."""
        return f"{self.resource}:{self.name}"


@dataclass(frozen=True)
class Context:
    """A place where templates are used and the resources its templates may read."""

    name: str
    resources: frozenset[str]
    description: str


class CatalogError(MergefieldError, ValueError):
    """A catalog document that cannot be loaded; ``pointer`` is the JSON pointer of the fault.

    For a document that is not JSON at all, ``line`` and ``column`` give the position of the
    syntax error and ``pointer`` is empty.  ``source`` names the file (or ``<mapping>``).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str = "<mapping>",
        pointer: str = "",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.pointer = pointer
        self.line = line
        self.column = column
        at = f"{source}:{line}:{column}" if line is not None else f"{source} at {pointer or '/'}"
        super().__init__(f"{at}: {message}")

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_catalog_error,
            (self.message, self.source, self.pointer, self.line, self.column),
        )


def _rebuild_catalog_error(
    message: str, source: str, pointer: str, line: int | None, column: int | None
) -> CatalogError:
    return CatalogError(message, source=source, pointer=pointer, line=line, column=column)
