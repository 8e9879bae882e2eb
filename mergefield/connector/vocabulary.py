"""The words of the connector file format: statuses, categories, events, areas, apps, action types.

A leaf module (it imports only the leaf `_options`, for the `Kind` type), so that the model, the
loader, the rules, the requests, the CLI and the test strategies can all read the same values
without importing each other.  ``ACTIONS`` is the one table of lead grid action types: what the
portal calls each, the fields it requires and may have, its templates (field, kind, context; the
first is the one the CLI renders by default) and whether it calls an API or opens a URL.  Adding an
action type is one entry in ``ACTIONS``; only a field no type had before also needs its
`GridAction` field and its ``schema.json`` property (a test holds the schema's ``type`` enum and
per-type required fields to this table).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mergefield._options import Kind

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
    "action_fields",
    "action_templates",
]

STATUSES = ("Draft", "Published", "In Review", "Live", "Hidden")
"""Lifecycle states a connector can be in on the portal."""

CATEGORIES = (
    "SMS",
    "Telephony",
    "Chat",
    "Email",
    "WhatsApp",
    "Video",
    "Calendar",
    "Payments",
    "Marketing",
    "Analytics",
    "Productivity",
    "Data Enrichment",
    "Documents",
    "Other",
)
"""Marketplace categories of the portal and LeadSquared's marketplace; others get a warning."""

EVENT_NAMES = ("installation", "uninstallation", "enable", "disable")
"""The four connector events, in the portal's order; also the keys of ``Events``."""

AREAS = ("row", "bulk", "list")
"""Where a lead grid action appears: a row of the grid, the bulk bar, or the list details page."""

SHOW_ON = ("web", "mobile")
"""Apps an action or tab can be shown in."""


@dataclass(frozen=True)
class ActionTemplate:
    """One template of a grid action type: the `GridAction` field holding it, its kind, context."""

    field: str
    kind: Kind
    context: str = "grid"


@dataclass(frozen=True)
class ActionType:
    """One lead grid action type: its portal name, its fields, its templates, what it does.

    ``required`` fields must be present, ``optional`` ones may be, any other action field is
    reported unused.  ``templates`` are checked and rendered in their kind and context; the first
    is the default of ``mergefield render --part``.  ``opens`` is the field holding the URL the
    action opens (`action_urls`); ``None`` means the action calls an API with its ``url``,
    ``method`` and ``body`` (`action_requests`).
    """

    label: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    templates: tuple[ActionTemplate, ...] = ()
    opens: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field this type uses: the required ones, then the optional ones."""
        return self.required + self.optional


ACTIONS: Mapping[str, ActionType] = {
    "call_api": ActionType(
        "Call API",
        required=("url", "method"),
        optional=("content_type", "body"),  # GET sends no body
        templates=(ActionTemplate("url", "url"), ActionTemplate("body", "json")),
    ),
    "show_popup": ActionType(
        "Show Popup",
        required=("iframe_url", "popup_title", "help_url"),
        templates=(ActionTemplate("iframe_url", "url"),),
        opens="iframe_url",
    ),
    "open_in_new_window": ActionType(
        "Open in New Window",
        required=("web_url",),
        templates=(ActionTemplate("web_url", "url"),),
        opens="web_url",
    ),
}
"""The lead grid action types by their ``type`` value in the file: the one place to add one."""

ACTION_TYPES = tuple(ACTIONS)
"""What a lead grid action does: the keys of ``ACTIONS`` (``call_api``, ``show_popup``, ...)."""


def action_fields() -> tuple[str, ...]:
    """Every field some action type uses, in table order (the others' fields are "unused")."""
    return tuple(dict.fromkeys(name for action in ACTIONS.values() for name in action.fields))


def action_templates() -> tuple[ActionTemplate, ...]:
    """Every template field some action type has, once each, in table order.

    A field is a template of one kind and context whichever type holds it (a test checks that),
    so a template field set on an action of another type is still checked as what it is.
    """
    seen: dict[str, ActionTemplate] = {}
    for action in ACTIONS.values():
        for template in action.templates:
            seen.setdefault(template.field, template)
    return tuple(seen.values())
