"""The ``events`` context: install, uninstall, enable and disable event calls (Account, User).

The seed says of it: "Configure the installation, uninstallation, enable and disable events for
the connector here." and, of each event's API URL, "Merge parameters can be appended to the URL to
access records dynamically."  Its table, "Merge fields available for connector events", lists the
Account and User resources only: no lead is at hand when a connector is installed.
"""

from __future__ import annotations

from mergefield.catalog._types import Context

__all__ = ["CONTEXT"]

CONTEXT = Context(
    name="events",
    resources=frozenset({"Account", "User"}),
    description="connector events (install, uninstall, enable, disable)",
)
"""The events context: Account and User."""
