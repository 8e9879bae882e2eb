"""Write a connector back: model → plain JSON data → canonical text, the inverse of loading.

``dumps`` writes the canonical layout (keys in schema order, two-space indent, UTF-8 kept
readable, absent keys left out), and ``loads(dumps(c)) == c`` for every connector.  It reads
only the model's dataclass fields, so the rules can place diagnostics in the dump of a connector
built in code without importing the loader.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Connector

__all__ = ["dump", "dumps", "to_dict"]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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
