"""Write the grid action types of ``mergefield.connector.ACTIONS`` into the packaged schema.json.

The schema's ``type`` enum, its per-type ``if``/``then`` required fields and the descriptions of
the template fields follow the table; ``tests/test_connector_actions.py`` fails until they do.
After adding an action type to the table, run: python tests/tools/sync_connector_schema.py
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

from mergefield.connector import ACTIONS
from mergefield.connector.vocabulary import action_templates

SCHEMA = Path(str(resources.files("mergefield.connector").joinpath("schema.json")))


def synced(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its grid action types rewritten from ``ACTIONS`` (the rest unchanged)."""
    out = copy.deepcopy(schema)
    grid = out["$defs"]["grid_action"]
    grid["properties"]["type"]["enum"] = list(ACTIONS)
    for part in action_templates():
        grid["properties"][part.field]["description"] = (
            f"A merge-field template, checked in context '{part.context}' as kind '{part.kind}'."
        )
    grid["allOf"] = [
        {
            "if": {
                "required": ["type"],
                "properties": {"type": {"type": "string", "const": name}},
            },
            "then": {"required": list(action.required)},
        }
        for name, action in ACTIONS.items()
    ]
    return out


def text(schema: dict[str, Any]) -> str:
    """The schema file's layout: two-space indent, UTF-8 kept readable, a final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    current = json.loads(SCHEMA.read_text("utf-8"))
    SCHEMA.write_text(text(synced(current)), encoding="utf-8", newline="\n")
    print(f"wrote {SCHEMA}")
