"""Connectors: the JSON file format of a LeadSquared-style connector, its rules and its requests.

A connector file holds every tab of the Connector Management Portal (basic details, marketplace
display, configuration, events, lead grid actions, application menu, automation actions, custom
lead tabs); ``schema.json`` in this package is its JSON Schema.  ``load(path)`` gives typed,
immutable objects (``ConnectorError`` for a file that is not a connector at all), ``dump``
writes them back unchanged, ``Connector.check()`` and ``check_file(path)`` report every problem
as a `Diagnostic` with a JSON pointer and a line and column in the file, and
``mergefield.connector.requests`` builds the exact HTTP requests of events and actions.
"""

from __future__ import annotations

from .errors import ConnectorError
from .load import dump, dumps, load, loads, schema, to_dict
from .model import (
    ACTION_TYPES,
    AREAS,
    CATEGORIES,
    EVENT_NAMES,
    SHOW_ON,
    STATUSES,
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
)
from .rules import check_file, check_text, templates

__all__ = [
    "ACTION_TYPES",
    "AREAS",
    "CATEGORIES",
    "EVENT_NAMES",
    "SHOW_ON",
    "STATUSES",
    "AutomationAction",
    "Basic",
    "Configuration",
    "Connector",
    "ConnectorError",
    "Event",
    "Events",
    "GridAction",
    "LeadTab",
    "Marketplace",
    "MenuItem",
    "check_file",
    "check_text",
    "dump",
    "dumps",
    "load",
    "loads",
    "schema",
    "templates",
    "to_dict",
]
