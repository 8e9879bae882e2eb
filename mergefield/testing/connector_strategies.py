"""Hypothesis strategies for fuzzing whole connector documents.

`connectors` draws connector documents that `mergefield.connector.loads` accepts and whose
``check()`` reports no error, every template in them drawn by
`mergefield.testing.strategies.templates` for its context and kind (grid actions of every type
in the connector model's action table, menu items, automation actions, lead tabs, events), or,
with ``valid=False``, documents that break one rule each: a missing, unknown or wrongly typed
key, text that is not JSON (with ``text=True``), or a value ``check()`` refuses.  Public as
``mergefield.strategies.connectors``; importing this module imports ``hypothesis``.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from mergefield import codes
from mergefield.testing.strategies import templates

__all__ = ["connectors"]

_WORDS = st.text(alphabet=string.ascii_letters + string.digits + " -", min_size=0, max_size=10)
_LINK = st.sampled_from(["https://sms.example.com/help", "http://x.example/a?b=c"])


def _label(max_size: int = 20) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(string.ascii_uppercase), _WORDS).map(
        lambda t: (t[0] + t[1])[:max_size]
    )


def _unique(items: Sequence[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(items), min_size=1, max_size=len(items), unique=True)


def _event(context: str) -> st.SearchStrategy[dict[str, Any]]:
    get = st.fixed_dictionaries(
        {"url": templates(context, "url"), "method": st.just("GET")},
        optional={"content_type": st.just("application/json")},
    )
    post = st.fixed_dictionaries(
        {"url": templates(context, "url"), "method": st.just("POST")},
        optional={"content_type": st.just("application/json"), "body": templates(context, "json")},
    )
    return st.one_of(get, post)


# What a drawn grid action holds in a field that is not a template (templates come from the
# action type's table entry, in their kind and context).
_GRID_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "method": st.just("POST"),
    "content_type": st.just("application/json"),
    "popup_title": _label(),
    "help_url": _LINK,
}


def _grid_action(index: int) -> st.SearchStrategy[dict[str, Any]]:
    from mergefield.connector import ACTIONS, AREAS, SHOW_ON

    common = {
        "label": _label(15).map(lambda s: f"{s} {index}"),
        "area": st.sampled_from(AREAS),
        "show_on": _unique(SHOW_ON),
        "roles": _unique(["Administrator", "Sales Manager", "Sales User"]),
    }
    kinds = []
    for name, action in ACTIONS.items():
        values = {t.field: templates(t.context, t.kind) for t in action.templates}
        values = {f: values[f] if f in values else _GRID_VALUES[f] for f in action.fields}
        required = {f: values[f] for f in action.required}
        optional = {f: values[f] for f in action.optional}
        kinds.append(
            st.fixed_dictionaries({**common, "type": st.just(name), **required}, optional=optional)
        )
    return st.one_of(kinds)


def _numbered(
    make: Callable[[int], st.SearchStrategy[dict[str, Any]]], max_size: int
) -> st.SearchStrategy[list[dict[str, Any]]]:
    # Each item gets its index in its label, so that no two labels clash (a warning).
    return st.integers(0, max_size).flatmap(
        lambda n: st.tuples(*(make(i) for i in range(n))).map(list)
    )


def _menu_item(index: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "title": _label(15).map(lambda s: f"{s} {index}"),
            "roles": _unique(["Administrator", "Sales User"]),
            "page_title": _label(),
            "page_description": _label(),
            "iframe_url": templates("menu", "url"),
        },
        optional={"help_url": _LINK, "video_url": _LINK},
    )


def _automation_action(index: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "title": _label(15).map(lambda s: f"{s} {index}"),
            "description": _label(),
            "popup_title": _label(),
            "iframe_url": templates("automation", "url"),
            "popup_height": st.integers(1, 2000),
            "popup_width": st.integers(1, 2000),
            "help_url": _LINK,
            "execution_url": templates("automation", "url"),
            "method": st.just("POST"),
        },
        optional={
            "content_type": st.just("application/json"),
            "body": templates("automation", "json"),
        },
    )


def _lead_tab(index: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "title": _label(15).map(lambda s: f"{s} {index}"),
            "show_on": _unique(["web", "mobile"]),
            "iframe_url": templates("lead_tab", "url"),
        }
    )


def _valid_connector() -> st.SearchStrategy[dict[str, Any]]:
    from mergefield.connector import CATEGORIES, EVENT_NAMES, STATUSES

    basic = st.fixed_dictionaries(
        {
            "name": _label(20),
            "description": _label(200),
            "category": st.sampled_from(CATEGORIES),
            "version": st.builds("v{}.{}".format, st.integers(1, 9), st.integers(0, 20)),
            "status": st.sampled_from(STATUSES),
        }
    )
    marketplace = st.fixed_dictionaries(
        {"help_url": _LINK, "support_url": _LINK, "detailed_description": _label(200)},
        optional={"features": st.lists(_label(), max_size=3)},
    )
    configuration = st.fixed_dictionaries(
        {
            "iframe_url": templates("configuration", "url"),
            "height": st.integers(500, 2000),
            "width": st.integers(950, 3000),
        }
    )
    events = st.fixed_dictionaries({}, optional={name: _event("events") for name in EVENT_NAMES})
    return st.fixed_dictionaries(
        {"basic": basic},
        optional={
            "marketplace": marketplace,
            "configuration": configuration,
            "events": events,
            "grid_actions": _numbered(_grid_action, 3),
            "menu": _numbered(_menu_item, 2),
            "automation_actions": _numbered(_automation_action, 2),
            "lead_tabs": _numbered(_lead_tab, 2),
        },
    )


# Each breaks one rule; a drawn invalid connector fails `loads` or has an error in `check()`.
def _break(doc: dict[str, Any], how: str, broken_template: str) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    basic = doc["basic"]
    if how == codes.MISSING_KEY:
        del basic["status"]
    elif how == codes.UNKNOWN_KEY:
        basic["nmae"] = basic["name"]
    elif how == codes.WRONG_TYPE:
        basic["version"] = 1.0
    elif how == codes.NAME_TOO_LONG:
        basic["name"] = "N" * 21
    elif how == codes.DESCRIPTION_TOO_LONG:
        basic["description"] = "d" * 201
    elif how == codes.BAD_VERSION:
        basic["version"] = "1.0"
    elif how == codes.BAD_STATUS:
        basic["status"] = "Shipped"
    elif how == codes.EMPTY_TEXT:
        basic["name"] = ""
    elif how == codes.SCREEN_TOO_SMALL:
        doc["configuration"] = {"iframe_url": "https://x.example/", "height": 499, "width": 950}
    elif how == codes.METHOD_NOT_ALLOWED:
        doc.setdefault("events", {})["enable"] = {"url": "https://x.example/", "method": "PUT"}
    elif how == codes.BAD_LINK:
        doc["menu"] = [
            {
                "title": "M",
                "roles": ["Administrator"],
                "page_title": "P",
                "page_description": "D",
                "iframe_url": "https://x.example/",
                "help_url": "ftp://x.example/",
            }
        ]
    else:  # a template that does not compile in its context and kind
        doc["configuration"] = {"iframe_url": broken_template, "height": 600, "width": 1000}
    return doc


_BREAKS = (
    codes.MISSING_KEY,
    codes.UNKNOWN_KEY,
    codes.WRONG_TYPE,
    codes.NAME_TOO_LONG,
    codes.DESCRIPTION_TOO_LONG,
    codes.BAD_VERSION,
    codes.BAD_STATUS,
    codes.EMPTY_TEXT,
    codes.SCREEN_TOO_SMALL,
    codes.METHOD_NOT_ALLOWED,
    codes.BAD_LINK,
    "template",
)
_BROKEN_TEXT = (
    lambda t: t[: len(t) // 2],
    lambda t: t.rstrip().rstrip("}") + ', "basic": {}}',  # a duplicate key
    lambda t: t.rstrip()[:-1] + ",}",
    lambda t: "\ufeff" + t + "x",
    lambda t: "[" + t + "]",
)


def connectors(valid: bool = True, *, text: bool = False) -> st.SearchStrategy[Any]:
    """Connector documents, as dicts or (``text=True``) as JSON text.

    With ``valid=True`` every drawn document loads (``mergefield.connector.loads``) and its
    ``check()`` reports no error (warnings may remain); every template in it comes from
    `templates` for its context and kind, so it holds merge fields in every position.  With
    ``valid=False`` every drawn document breaks one rule: ``loads`` raises ``ConnectorError``
    (a missing or unknown key, a wrong type, and with ``text=True`` also text that is not
    JSON or holds a duplicate key) or ``check()`` reports at least one error (too long a name,
    a bad version, status, method or link, a small screen, a template that cannot compile).
    """
    docs = _valid_connector()
    if not valid:
        broken = templates("configuration", "url", valid=False)
        docs = st.builds(_break, docs, st.sampled_from(_BREAKS), broken)
    if not text:
        return docs
    dumped = st.builds(
        lambda doc, indent, ascii_: json.dumps(doc, indent=indent, ensure_ascii=ascii_),
        docs,
        st.sampled_from([None, 2]),
        st.booleans(),
    )
    if valid:
        return dumped
    return st.one_of(
        dumped,
        st.builds(
            lambda t, f: f(t), _valid_connector().map(json.dumps), st.sampled_from(_BROKEN_TEXT)
        ),
    )
