"""Connectors: the JSON file format of a LeadSquared-style connector, its rules and its requests.

A connector file holds every tab of the Connector Management Portal (basic details, marketplace
display, configuration, events, lead grid actions, application menu, automation actions, custom
lead tabs); ``schema.json`` in this package is its JSON Schema.  ``load(path)`` gives typed,
immutable objects (``ConnectorError`` for a file that is not a connector at all), ``dump``
writes them back unchanged, ``Connector.check()`` and ``check_file(path)`` report every problem
as a `Diagnostic` with a JSON pointer and a line and column in the file, and
``event_request``, ``action_requests`` and ``automation_request`` build the exact HTTP
requests of events and actions; ``mergefield.connector.send`` (``http`` extra) sends them.
"""

from __future__ import annotations

from .canonical import dump, dumps, to_dict
from .check import check_file, check_text
from .errors import ConnectorError
from .load import load, loads, schema
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
)
from .requests import (
    HttpRequest,
    RequestError,
    action_requests,
    action_urls,
    automation_request,
    event_request,
)
from .rules import templates
from .vocabulary import (
    ACTION_TYPES,
    ACTIONS,
    AREAS,
    CATEGORIES,
    EVENT_NAMES,
    SHOW_ON,
    STATUSES,
    ActionTemplate,
    ActionType,
)

__all__ = [
    "ACTIONS",
    "ACTION_TYPES",
    "AREAS",
    "CATEGORIES",
    "EVENT_NAMES",
    "SHOW_ON",
    "STATUSES",
    "ActionTemplate",
    "ActionType",
    "AutomationAction",
    "Basic",
    "Configuration",
    "Connector",
    "ConnectorError",
    "Event",
    "Events",
    "GridAction",
    "HttpRequest",
    "LeadTab",
    "Marketplace",
    "MenuItem",
    "RequestError",
    "action_requests",
    "action_urls",
    "automation_request",
    "check_file",
    "check_text",
    "dump",
    "dumps",
    "event_request",
    "load",
    "loads",
    "schema",
    "templates",
    "to_dict",
]
