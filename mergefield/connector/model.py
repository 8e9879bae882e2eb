"""Typed, immutable objects for one connector, one class per tab of the Connector Management Portal.

Every class is a frozen dataclass whose fields mirror the keys of the JSON file format
(``schema.json`` beside this module) one to one, in the same order, so that loading and dumping
are plain, lossless translations.  A key that is optional in the file is ``None`` (or an empty
tuple for lists) when absent, and stays absent when dumped; nothing is filled in behind the
user's back, which is what makes ``dump(load(f))`` give back ``f`` byte for byte for a file in
canonical layout.  Values are kept as written (a status of ``"Drafty"`` is representable): the
rules in ``mergefield.connector.rules`` judge them and report diagnostics instead of refusing to
load, so one run shows every problem of a file; ``Connector.check()`` calls them, and the rules
need the model only for its types, so the model imports them without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .rules import check_connector
from .vocabulary import EVENT_NAMES

if TYPE_CHECKING:
    from mergefield.catalog import Catalog
    from mergefield.diagnostics import Diagnostic

    from .sourcemap import SourceMap

__all__ = [
    "AutomationAction",
    "Basic",
    "Configuration",
    "Connector",
    "Event",
    "Events",
    "GridAction",
    "LeadTab",
    "Marketplace",
    "MenuItem",
    "Source",
]


@dataclass(frozen=True)
class Basic:
    """The Basic Details tab: name (≤ 20 chars), description (≤ 200), category, version, status."""

    name: str
    description: str
    category: str
    version: str
    status: str


@dataclass(frozen=True)
class Marketplace:
    """The Marketplace Display tab: links, detailed description, features, logo and images.

    ``logo`` and each of ``images`` is either a path relative to the connector file's directory
    (``"img/logo.png"``; it may not leave that directory) or a ``data:image/...;base64,...`` URI.
    """

    help_url: str
    support_url: str
    detailed_description: str
    features: tuple[str, ...] = ()
    logo: str | None = None
    images: tuple[str, ...] = ()


@dataclass(frozen=True)
class Configuration:
    """The Connector Configuration tab: iframe URL template and the screen size in pixels."""

    iframe_url: str
    height: int
    width: int


@dataclass(frozen=True)
class Event:
    """One connector event: an API URL template, GET or POST, JSON content type, a body template."""

    url: str
    method: str
    content_type: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class Events:
    """The Connector Events tab; each of the four events is optional."""

    installation: Event | None = None
    uninstallation: Event | None = None
    enable: Event | None = None
    disable: Event | None = None

    def get(self, name: str) -> Event | None:
        """The event called ``name`` (one of ``EVENT_NAMES``), or ``None`` when not configured."""
        if name not in EVENT_NAMES:
            raise KeyError(name)
        event: Event | None = getattr(self, name)
        return event


@dataclass(frozen=True)
class GridAction:
    """A lead grid action (row, bulk or list) and the fields its action type uses.

    Which fields each ``type`` requires, may have and renders is the table `ACTIONS`; the fields
    after ``type`` are every field some action type uses, each ``None`` when absent.
    """

    label: str
    area: str
    show_on: tuple[str, ...]
    roles: tuple[str, ...]
    type: str
    url: str | None = None
    method: str | None = None
    content_type: str | None = None
    body: str | None = None
    iframe_url: str | None = None
    popup_title: str | None = None
    help_url: str | None = None
    web_url: str | None = None


@dataclass(frozen=True)
class MenuItem:
    """An Application Menu item: a page with an iframe under Apps in the main menu."""

    title: str
    roles: tuple[str, ...]
    page_title: str
    page_description: str
    iframe_url: str
    help_url: str | None = None
    video_url: str | None = None


@dataclass(frozen=True)
class AutomationAction:
    """An automation action: a configuration popup and the POST-only execution URL with its body."""

    title: str
    description: str
    popup_title: str
    iframe_url: str
    popup_height: int
    popup_width: int
    help_url: str
    execution_url: str
    method: str
    content_type: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class LeadTab:
    """A custom tab on the lead details page showing an iframe."""

    title: str
    show_on: tuple[str, ...]
    iframe_url: str


@dataclass(frozen=True)
class Source:
    """Where a connector was read from: its path (if any), the text, and the positions in it.

    ``read_as`` is the connector the text was read as; a connector changed since (with
    ``dataclasses.replace``) keeps this source but no longer equals it, so its positions lie.
    """

    path: Path | None
    text: str
    map: SourceMap
    read_as: Connector | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Connector:
    """A whole connector: every tab of the portal, plus (not compared) the file it came from.

    ``source`` lets ``check()`` report lines and columns in the original file; a connector built
    in code has none, and ``check()`` then reports positions in its canonical dump.
    """

    basic: Basic
    marketplace: Marketplace | None = None
    configuration: Configuration | None = None
    events: Events | None = None
    grid_actions: tuple[GridAction, ...] = ()
    menu: tuple[MenuItem, ...] = ()
    automation_actions: tuple[AutomationAction, ...] = ()
    lead_tabs: tuple[LeadTab, ...] = ()
    schema: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)

    def check(
        self, *, base_dir: str | Path | None = None, catalog: Catalog | None = None
    ) -> list[Diagnostic]:
        """Every problem of this connector as diagnostics, sorted by position in the file.

        ``base_dir`` is where relative image paths are resolved; it defaults to the directory of
        the file the connector was loaded from (the current directory for a connector built in
        code); ``catalog`` (default: the seed's) is what templates are checked against.  Never
        raises for bad content.
        """
        return check_connector(self, base_dir=base_dir, catalog=catalog)
