"""The rules of a connector, from the seed page: limits, allowed values, images and templates.

``check_connector`` walks a loaded connector tab by tab and returns every problem as a
`Diagnostic` whose ``path`` is the JSON pointer of the offending value and whose place is in
the connector file (for a template problem: the very character inside the JSON string, mapped
through its escapes).  The limits that JSON Schema can state are also in the packaged schema,
and a test holds the two to the same verdict; the rules add what a schema cannot say (image
bytes and dimensions, templates in their context and kind, duplicate keys and labels) and give
every problem its own code.  ``check_text`` and ``check_file`` (`mergefield.connector.check`)
are the never-raising front doors for text and paths; the rules read the model only for its
types, so ``Connector.check()`` can call them without an import cycle.  Every code, with its
severity, an example and the fix, is in `mergefield.codes` (the ``connector`` group); template
diagnostics keep the codes and severities of `mergefield.checker`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mergefield import codes
from mergefield._options import Kind
from mergefield.checker import check as check_template
from mergefield.diagnostics import Diagnostic

from .canonical import dumps
from .errors import located
from .images import ImageProblem, load_image
from .sourcemap import SourceMap, parse, pointer_join
from .vocabulary import (
    ACTIONS,
    AREAS,
    CATEGORIES,
    EVENT_NAMES,
    SHOW_ON,
    STATUSES,
    action_fields,
    action_templates,
)

if TYPE_CHECKING:
    from mergefield.catalog import Catalog

    from .model import Connector, Event, GridAction

__all__ = [
    "CONFIG_MIN_HEIGHT",
    "CONFIG_MIN_WIDTH",
    "IMAGE_MAX_BYTES",
    "IMAGE_SIZE",
    "LOGO_SIZE",
    "MAX_DESCRIPTION",
    "MAX_IMAGES",
    "MAX_NAME",
    "check_connector",
    "in_file_order",
    "templates",
]

MAX_NAME = 20
"""Most characters in a connector name."""
MAX_DESCRIPTION = 200
"""Most characters in a connector description."""
IMAGE_MAX_BYTES = 20 * 1024
"""Most bytes in the logo and in each description image (20 KB)."""
MAX_IMAGES = 5
"""Most description images."""
LOGO_SIZE = (110, 110)
"""Preferred logo width and height in pixels."""
IMAGE_SIZE = (655, 376)
"""Preferred description image width and height in pixels."""
CONFIG_MIN_HEIGHT = 500
"""Least configuration screen height in pixels."""
CONFIG_MIN_WIDTH = 950
"""Least configuration screen width in pixels."""

# Kept equal to the schema's "pattern" for links and versions (a test compares them).
LINK_PATTERN = re.compile(r"^https?://\S+$")
VERSION_PATTERN = re.compile(r"^v[1-9][0-9]*\.(0|[1-9][0-9]*)$")
_JSON = "application/json"


def templates(connector: Connector) -> Iterator[tuple[str, str, str, Kind]]:
    """Every template of the connector as ``(pointer, text, context, kind)``, in file order."""
    if connector.configuration is not None:
        yield (
            "/configuration/iframe_url",
            connector.configuration.iframe_url,
            "configuration",
            "url",
        )
    if connector.events is not None:
        for name in EVENT_NAMES:
            event = connector.events.get(name)
            if event is not None:
                yield from _request_templates(f"/events/{name}", event.url, event.body, "events")
    for i, action in enumerate(connector.grid_actions):
        for part in action_templates():
            text = getattr(action, part.field)
            if text is not None:
                yield f"/grid_actions/{i}/{part.field}", text, part.context, part.kind
    for i, item in enumerate(connector.menu):
        yield f"/menu/{i}/iframe_url", item.iframe_url, "menu", "url"
    for i, auto in enumerate(connector.automation_actions):
        base = f"/automation_actions/{i}"
        yield f"{base}/iframe_url", auto.iframe_url, "automation", "url"
        yield f"{base}/execution_url", auto.execution_url, "automation", "url"
        if auto.body is not None:
            yield f"{base}/body", auto.body, "automation", "json"
    for i, tab in enumerate(connector.lead_tabs):
        yield f"/lead_tabs/{i}/iframe_url", tab.iframe_url, "lead_tab", "url"


def _request_templates(
    base: str, url: str | None, body: str | None, context: str
) -> Iterator[tuple[str, str, str, Kind]]:
    if url is not None:
        yield f"{base}/url", url, context, "url"
    if body is not None:
        yield f"{base}/body", body, context, "json"


class _Checker:
    """One run of the rules over one connector and the source map of its text."""

    def __init__(
        self, connector: Connector, smap: SourceMap, base_dir: Path, catalog: Catalog | None
    ):
        self.c = connector
        self.smap = smap
        self.base_dir = base_dir
        self.catalog = catalog
        self.found: list[Diagnostic] = []

    def add(
        self,
        code: str,
        message: str,
        pointer: str,
        *,
        at_key: bool = False,
        offset: int | None = None,
        end: int | None = None,
    ) -> None:
        diag = located(code, message, self.smap, pointer, at_key=at_key, offset=offset, end=end)
        self.found.append(diag)

    # --- generic value rules ---------------------------------------------------------------------

    def text(
        self, pointer: str, value: str | None, what: str, limit: int | None = None, code: str = ""
    ) -> None:
        if value is None:
            return
        if value == "":
            self.add(codes.EMPTY_TEXT, f"{what} is empty", pointer)
        elif limit is not None and len(value) > limit:
            self.add(
                code,
                f"{what} has {len(value)} characters; at most {limit} are allowed",
                pointer,
            )

    def choices(
        self,
        pointer: str,
        values: Sequence[str],
        allowed: Sequence[str],
        what: str,
        *,
        need: bool = True,
    ) -> None:
        if need and not values:
            self.add(codes.EMPTY_LIST, f"{what}: choose at least one", pointer)
        seen: set[str] = set()
        for i, value in enumerate(values):
            item = pointer_join(pointer, i)
            if allowed and value not in allowed:
                self.add(
                    codes.BAD_CHOICE,
                    f"{what}: {value!r} is not one of {', '.join(allowed)}",
                    item,
                )
            elif value == "":
                self.add(codes.EMPTY_TEXT, f"{what}: an entry is empty", item)
            if value in seen:
                self.add(codes.DUPLICATE_ITEM, f"{what}: {value!r} is listed twice", item)
            seen.add(value)

    def choice(self, pointer: str, value: str, allowed: Sequence[str], what: str) -> None:
        if value not in allowed:
            self.add(
                codes.BAD_CHOICE, f"{what} {value!r} is not one of {', '.join(allowed)}", pointer
            )

    def link(self, pointer: str, value: str | None, what: str) -> None:
        if value is not None and not LINK_PATTERN.match(value):
            self.add(
                codes.BAD_LINK,
                f"{what} must be an absolute http or https URL without blanks",
                pointer,
            )

    def request(
        self,
        base: str,
        method: str | None,
        content_type: str | None,
        body: str | None,
        *,
        post_only: bool,
    ) -> None:
        allowed = ("POST",) if post_only else ("GET", "POST")
        if method is not None and method not in allowed:
            self.add(
                codes.METHOD_NOT_ALLOWED,
                f"method {method!r} is not allowed; use {' or '.join(allowed)}",
                f"{base}/method",
            )
        if content_type is not None and content_type != _JSON:
            self.add(
                codes.CONTENT_TYPE,
                f"content type {content_type!r}: only {_JSON} is supported",
                f"{base}/content_type",
            )
        if method == "GET" and body is not None and not post_only:
            self.add(
                codes.BODY_IGNORED,
                "a GET request sends no body; use POST or remove the body",
                f"{base}/body",
            )

    # --- tabs ---------------------------------------------------------------------------------

    def source_level(self) -> None:
        for pointer, start, end in self.smap.duplicates:
            self.add(
                codes.DUPLICATE_KEY,
                "this key repeats an earlier key of the object; only the last is kept",
                pointer,
                offset=start,
                end=end,
            )

    def basic(self) -> None:
        b = self.c.basic
        self.text("/basic/name", b.name, "connector name", MAX_NAME, codes.NAME_TOO_LONG)
        self.text(
            "/basic/description",
            b.description,
            "description",
            MAX_DESCRIPTION,
            codes.DESCRIPTION_TOO_LONG,
        )
        self.text("/basic/category", b.category, "category")
        if b.category and b.category not in CATEGORIES:
            self.add(
                codes.UNKNOWN_CATEGORY,
                f"category {b.category!r} is not a marketplace category ({', '.join(CATEGORIES)})",
                "/basic/category",
            )
        if not VERSION_PATTERN.match(b.version):
            self.add(
                codes.BAD_VERSION,
                f"version {b.version!r} must look like v1.0, v1.1, v2.0",
                "/basic/version",
            )
        if b.status not in STATUSES:
            self.add(
                codes.BAD_STATUS,
                f"status {b.status!r} is not one of {', '.join(STATUSES)}",
                "/basic/status",
            )

    def marketplace(self) -> None:
        m = self.c.marketplace
        if m is None:
            return
        self.link("/marketplace/help_url", m.help_url, "help documentation link")
        self.link("/marketplace/support_url", m.support_url, "contact support link")
        self.text(
            "/marketplace/detailed_description", m.detailed_description, "detailed description"
        )
        for i, feature in enumerate(m.features):
            self.text(f"/marketplace/features/{i}", feature, "a feature")
        if m.logo is not None:
            self.image("/marketplace/logo", m.logo, "logo", LOGO_SIZE)
        if len(m.images) > MAX_IMAGES:
            self.add(
                codes.TOO_MANY_IMAGES,
                f"{len(m.images)} description images; at most {MAX_IMAGES} are allowed",
                f"/marketplace/images/{MAX_IMAGES}",
            )
        for i, ref in enumerate(m.images):
            self.image(f"/marketplace/images/{i}", ref, f"image {i + 1}", IMAGE_SIZE)

    def image(self, pointer: str, ref: str, what: str, preferred: tuple[int, int]) -> None:
        if ref == "":
            self.add(codes.EMPTY_TEXT, f"{what}: the image reference is empty", pointer)
            return
        try:
            info = load_image(ref, self.base_dir)
        except ImageProblem as problem:
            self.add(problem.code, f"{what}: {problem.message}", pointer)
            return
        if info.size > IMAGE_MAX_BYTES:
            self.add(
                codes.IMAGE_TOO_LARGE,
                f"{what} is {info.size:,} bytes; at most 20 KB ({IMAGE_MAX_BYTES:,}) is allowed",
                pointer,
            )
        if (info.width, info.height) != preferred:
            self.add(
                codes.IMAGE_DIMENSIONS,
                f"{what} is {info.width}x{info.height} px; "
                f"{preferred[0]}x{preferred[1]} px is preferred",
                pointer,
            )

    def configuration(self) -> None:
        c = self.c.configuration
        if c is None:
            return
        if c.height < CONFIG_MIN_HEIGHT:
            self.add(
                codes.SCREEN_TOO_SMALL,
                f"configuration screen height {c.height} px; at least {CONFIG_MIN_HEIGHT} px",
                "/configuration/height",
            )
        if c.width < CONFIG_MIN_WIDTH:
            self.add(
                codes.SCREEN_TOO_SMALL,
                f"configuration screen width {c.width} px; at least {CONFIG_MIN_WIDTH} px",
                "/configuration/width",
            )

    def events(self) -> None:
        if self.c.events is None:
            return
        for name in EVENT_NAMES:
            event: Event | None = self.c.events.get(name)
            if event is not None:
                self.request(
                    f"/events/{name}", event.method, event.content_type, event.body, post_only=False
                )

    def grid_action(self, i: int, a: GridAction) -> None:
        base = f"/grid_actions/{i}"
        self.text(f"{base}/label", a.label, "action label")
        self.choice(f"{base}/area", a.area, AREAS, "UI area")
        self.choices(f"{base}/show_on", a.show_on, SHOW_ON, "show action on")
        self.choices(f"{base}/roles", a.roles, (), "available to roles")
        self.choice(f"{base}/type", a.type, tuple(ACTIONS), "action type")
        action_type = ACTIONS.get(a.type)
        if action_type is not None:
            kind = action_type.label
            for name in action_type.required:
                if getattr(a, name) is None:
                    self.add(
                        codes.ACTION_FIELD_MISSING,
                        f"the {kind} action type needs {name!r}",
                        pointer_join(base, name),
                    )
            for name in action_fields():
                if name not in action_type.fields and getattr(a, name) is not None:
                    self.add(
                        codes.ACTION_FIELD_UNUSED,
                        f"the {kind} action type does not use {name!r}",
                        pointer_join(base, name),
                        at_key=True,
                    )
        self.request(base, a.method, a.content_type, a.body, post_only=False)
        self.text(f"{base}/popup_title", a.popup_title, "popup title")
        self.link(f"{base}/help_url", a.help_url, "help documentation link")

    def grid(self) -> None:
        labels: dict[tuple[str, str], int] = {}
        for i, action in enumerate(self.c.grid_actions):
            self.grid_action(i, action)
            key = (action.area, action.label)
            if key in labels:
                self.add(
                    codes.DUPLICATE_LABEL,
                    f"{action.area} action {action.label!r} repeats action {labels[key]}",
                    f"/grid_actions/{i}/label",
                )
            labels.setdefault(key, i)

    def menu(self) -> None:
        titles: dict[str, int] = {}
        for i, item in enumerate(self.c.menu):
            base = f"/menu/{i}"
            self.text(f"{base}/title", item.title, "menu title")
            self.choices(f"{base}/roles", item.roles, (), "available to roles")
            self.text(f"{base}/page_title", item.page_title, "page title")
            self.text(f"{base}/page_description", item.page_description, "page description")
            self.link(f"{base}/help_url", item.help_url, "help documentation link")
            self.link(f"{base}/video_url", item.video_url, "video link")
            self.unique(titles, item.title, i, f"{base}/title", "menu item")

    def automation(self) -> None:
        titles: dict[str, int] = {}
        for i, a in enumerate(self.c.automation_actions):
            base = f"/automation_actions/{i}"
            self.text(f"{base}/title", a.title, "action title")
            self.text(f"{base}/description", a.description, "action description")
            self.text(f"{base}/popup_title", a.popup_title, "popup title")
            for name, value in (("popup_height", a.popup_height), ("popup_width", a.popup_width)):
                if value < 1:
                    self.add(
                        codes.BAD_SIZE,
                        f"{name.replace('_', ' ')} {value} px; at least 1 px",
                        f"{base}/{name}",
                    )
            self.link(f"{base}/help_url", a.help_url, "help documentation link")
            self.request(base, a.method, a.content_type, a.body, post_only=True)
            self.unique(titles, a.title, i, f"{base}/title", "automation action")

    def lead_tabs(self) -> None:
        titles: dict[str, int] = {}
        for i, tab in enumerate(self.c.lead_tabs):
            base = f"/lead_tabs/{i}"
            self.text(f"{base}/title", tab.title, "tab title")
            self.choices(f"{base}/show_on", tab.show_on, SHOW_ON, "show tab on")
            self.unique(titles, tab.title, i, f"{base}/title", "lead tab")

    def unique(self, seen: dict[str, int], name: str, i: int, pointer: str, what: str) -> None:
        if name in seen:
            self.add(codes.DUPLICATE_LABEL, f"{what} {name!r} repeats {what} {seen[name]}", pointer)
        seen.setdefault(name, i)

    def templates(self) -> None:
        for pointer, text, context, kind in templates(self.c):
            if text == "":
                self.add(codes.EMPTY_TEXT, f"the {kind} template is empty", pointer)
                continue
            offsets = self.smap.string_offsets(pointer)
            found = [
                (d.code, d.message, d.offset, d.end)
                for d in check_template(text, context=context, kind=kind, catalog=self.catalog)
            ]
            for code, message, at, stop in found:
                if offsets is None:  # cannot happen for a map of this connector's own text
                    self.add(code, message, pointer)
                    continue
                start = offsets[min(at, len(offsets) - 1)]
                end = offsets[min(max(stop, at + 1), len(offsets) - 1)]
                self.add(code, message, pointer, offset=start, end=end)

    def run(self) -> list[Diagnostic]:
        self.source_level()
        self.basic()
        self.marketplace()
        self.configuration()
        self.events()
        self.grid()
        self.menu()
        self.automation()
        self.lead_tabs()
        self.templates()
        return self.found


def in_file_order(found: Iterable[Diagnostic]) -> list[Diagnostic]:
    """``found`` sorted by place in the file, then code and message (the order of every report)."""
    return sorted(found, key=lambda d: (d.offset, d.end, d.code, d.message))


def _own_source(connector: Connector) -> tuple[SourceMap, Path | None]:
    source = connector.source
    # A connector changed with dataclasses.replace keeps the old source; its positions lie.
    if source is not None and source.read_as == connector:
        return source.map, source.path
    return parse(dumps(connector))[1], None


def check_connector(
    connector: Connector, *, base_dir: str | Path | None = None, catalog: Catalog | None = None
) -> list[Diagnostic]:
    """Every rule's diagnostics for ``connector``, sorted by place in the file (see module doc).

    ``base_dir`` resolves relative image paths (default: the folder of the file the connector
    came from, else the current directory); ``catalog`` is handed to the template checker.
    """
    smap, path = _own_source(connector)
    if base_dir is None:
        base_dir = path.parent if path is not None else Path.cwd()
    return in_file_order(_Checker(connector, smap, Path(base_dir), catalog).run())
