"""Build the exact HTTP requests a connector makes: events, grid actions per lead, automations.

A request is a plain frozen `HttpRequest` (method, URL, headers, body bytes) built by rendering
the connector's templates with ``mergefield.compile`` in the template's own context and kind
(URLs as ``url``, bodies as ``json``), so it can be inspected, logged, compared in tests, or sent
by `mergefield.connector.send`; which grid actions call an API and which open a URL is their
type's entry in `ACTIONS`.  The URL is given in the form every client puts on the wire:
characters a URL cannot hold (blanks, ``"``, non-ASCII, ... in the template's literal text) are
percent-encoded as UTF-8 and ``.``/``..`` path segments are removed (RFC 3986 section 5.2.4),
exactly as httpx, browsers and .NET do before sending; so what is built is byte for byte what
arrives.  Every request carries ``Content-Type: application/json`` (the only content type the
portal supports); GET sends no body, POST sends the rendered JSON body as UTF-8 (empty when the
connector has no body).  Grid actions of any area (row, bulk, list) give one request per lead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mergefield._options import Mode
from mergefield.catalog import Catalog
from mergefield.errors import MergefieldError
from mergefield.template import compile

from .model import AutomationAction, Connector, GridAction
from .vocabulary import ACTIONS, EVENT_NAMES

__all__ = [
    "CONTENT_TYPE",
    "HttpRequest",
    "RequestError",
    "action_requests",
    "action_urls",
    "automation_request",
    "canonical_url",
    "event_request",
]

CONTENT_TYPE = "application/json"
"""The content type of every connector request."""

Records = Mapping[str, Any]

# RFC 3986 unreserved and reserved characters, and "%" (an existing escape is kept as written).
_URL_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)


class RequestError(MergefieldError, ValueError):
    """A request that cannot be built: no such event or action, or a method it cannot use."""


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request: ``method``, absolute ``url``, ``headers``, ``body`` bytes, and ``origin``.

    ``origin`` is the JSON pointer of the event or action in the connector file.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    origin: str

    @property
    def target(self) -> str:
        """The request target sent on the request line: path (``/`` if empty) and query."""
        # Not urlsplit: it cannot tell "/?" (an empty query, which is sent) from "/".
        url = self.url.split("#", 1)[0]
        scheme_end = url.find("://")
        rest = url[scheme_end + 3 :] if scheme_end != -1 else url
        cuts = [i for i in (rest.find("/"), rest.find("?")) if i != -1]
        target = rest[min(cuts) :] if cuts else ""
        return target if target.startswith("/") else "/" + target


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 section 5.2.4, as every HTTP client applies it before sending.
    output: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if not path.startswith("/") or result.startswith("/") else "/" + result


def canonical_url(url: str) -> str:
    """``url`` as clients send it: unsafe characters percent-encoded, dot segments removed.

    Characters outside RFC 3986's unreserved and reserved sets are percent-encoded as UTF-8
    (a lone surrogate as U+FFFD's bytes); ``%`` is left alone.  Rendered merge fields are already
    encoded by the ``url`` kind, so this only touches the template's own literal text and the
    path's ``.``/``..`` segments.
    """
    if not all(ch in _URL_SAFE for ch in url):
        url = "".join(
            ch
            if ch in _URL_SAFE
            else "".join(f"%{b:02X}" for b in ch.encode("utf-8", errors="replace"))
            for ch in url
        )
    scheme_end = url.find("://")
    if scheme_end == -1:
        return url
    rest_start = url.find("/", scheme_end + 3)
    stops = [i for i in (url.find("?"), url.find("#")) if i != -1]
    end = min(stops) if stops else len(url)
    if rest_start == -1 or rest_start > end:
        return url
    return url[:rest_start] + _remove_dot_segments(url[rest_start:end]) + url[end:]


_HEADERS = (("Content-Type", CONTENT_TYPE),)


class _Compiled:
    """A request's URL and body templates, compiled once for a batch of records."""

    def __init__(
        self,
        url: str,
        body: str | None,
        method: str,
        context: str,
        *,
        mode: Mode,
        catalog: Catalog | None,
        origin: str,
    ) -> None:
        self.method = method
        self.origin = origin
        self.url = compile(url, context=context, kind="url", mode=mode, catalog=catalog)
        self.body = None
        if body is not None and method == "POST":
            self.body = compile(body, context=context, kind="json", mode=mode, catalog=catalog)

    def one(self, records: Mapping[str, Records]) -> HttpRequest:
        url = canonical_url(self.url.render(**records))
        body = b"" if self.body is None else _utf8(self.body.render(**records))
        return HttpRequest(self.method, url, _HEADERS, body, self.origin)

    def many(self, leads: Iterable[Records], records: Mapping[str, Records]) -> list[HttpRequest]:
        batch = leads if isinstance(leads, Sequence) else list(leads)
        urls = self.url.render_many(batch, **records)
        bodies: list[bytes]
        if self.body is None:
            bodies = [b""] * len(urls)
        else:
            bodies = [_utf8(b) for b in self.body.render_many(batch, **records)]
        return [
            HttpRequest(self.method, canonical_url(u), _HEADERS, b, self.origin)
            for u, b in zip(urls, bodies, strict=True)
        ]


def _utf8(text: str) -> bytes:
    # A json-kind body escapes lone surrogates, so this never replaces anything in practice.
    return text.encode("utf-8", errors="replace")


def _check_method(method: str | None, allowed: tuple[str, ...], what: str) -> str:
    if method not in allowed:
        raise RequestError(f"{what} has method {method!r}; it can only use {' or '.join(allowed)}")
    return method


def event_request(
    connector: Connector,
    name: str,
    *,
    mode: Mode = "lax",
    catalog: Catalog | None = None,
    **records: Records,
) -> HttpRequest:
    """The request of event ``name`` (``installation``, ``uninstallation``, ``enable``,
    ``disable``) rendered with ``records`` (``User=...``, ``Account=...``).

    Raises `RequestError` when the connector does not configure the event.
    """
    if name not in EVENT_NAMES:
        raise RequestError(f"unknown event {name!r}; events: {', '.join(EVENT_NAMES)}")
    event = connector.events.get(name) if connector.events is not None else None
    if event is None:
        raise RequestError(f"the connector has no {name} event")
    origin = f"/events/{name}"
    method = _check_method(event.method, ("GET", "POST"), f"the {name} event")
    compiled = _Compiled(
        event.url, event.body, method, "events", mode=mode, catalog=catalog, origin=origin
    )
    return compiled.one(records)


def _find(items: Sequence[Any], key: int | str | Any, attribute: str, what: str) -> tuple[int, Any]:
    if isinstance(key, int):
        if not 0 <= key < len(items):
            raise RequestError(f"there is no {what} number {key}")
        return key, items[key]
    for index, item in enumerate(items):
        if item is key or (isinstance(key, str) and getattr(item, attribute) == key):
            return index, item
    raise RequestError(f"there is no {what} {key!r}")


def action_requests(
    connector: Connector,
    action: int | str | GridAction,
    leads: Iterable[Records],
    *,
    mode: Mode = "lax",
    catalog: Catalog | None = None,
    **records: Records,
) -> list[HttpRequest]:
    """One request per lead for a Call API grid action (row, bulk or list alike).

    ``action`` is the action's index, its label (the first action with it) or the object
    itself; ``records`` are the batch's other resources (``User=...``, ``Account=...``).
    Raises `RequestError` for an action that is not Call API (it opens a URL: `action_urls`).
    """
    index, found = _find(connector.grid_actions, action, "label", "grid action")
    grid: GridAction = found
    origin = f"/grid_actions/{index}"
    action_type = ACTIONS.get(grid.type)
    if action_type is None or action_type.opens is not None or grid.url is None:
        callers = " or ".join(name for name, a in ACTIONS.items() if a.opens is None)
        raise RequestError(
            f"grid action {grid.label!r} is {grid.type!r}, not {callers}: it opens a URL "
            "instead of calling an API (use action_urls)"
        )
    method = _check_method(grid.method, ("GET", "POST"), f"grid action {grid.label!r}")
    compiled = _Compiled(
        grid.url, grid.body, method, "grid", mode=mode, catalog=catalog, origin=origin
    )
    return compiled.many(leads, records)


def action_urls(
    connector: Connector,
    action: int | str | GridAction,
    leads: Iterable[Records],
    *,
    mode: Mode = "lax",
    catalog: Catalog | None = None,
    **records: Records,
) -> list[str]:
    """The URL a Show Popup (iframe URL) or Open in New Window (web URL) action opens, per lead."""
    _, found = _find(connector.grid_actions, action, "label", "grid action")
    grid: GridAction = found
    action_type = ACTIONS.get(grid.type)
    opens = action_type.opens if action_type is not None else None
    source = getattr(grid, opens) if opens is not None else None
    if action_type is None or source is None:
        raise RequestError(f"grid action {grid.label!r} opens no URL (use action_requests)")
    part = next(t for t in action_type.templates if t.field == opens)
    template = compile(source, context=part.context, kind=part.kind, mode=mode, catalog=catalog)
    return [canonical_url(u) for u in template.render_many(list(leads), **records)]


def automation_request(
    connector: Connector,
    action: int | str | AutomationAction,
    *,
    mode: Mode = "lax",
    catalog: Catalog | None = None,
    **records: Records,
) -> HttpRequest:
    """The POST to an automation action's execution URL, rendered with ``records``
    (``Automation=...``, ``AutomationId=...``, ``User=...``, ``Account=...``).
    """
    index, found = _find(connector.automation_actions, action, "title", "automation action")
    auto: AutomationAction = found
    method = _check_method(auto.method, ("POST",), f"automation action {auto.title!r}")
    compiled = _Compiled(
        auto.execution_url,
        auto.body,
        method,
        "automation",
        mode=mode,
        catalog=catalog,
        origin=f"/automation_actions/{index}",
    )
    return compiled.one(records)
