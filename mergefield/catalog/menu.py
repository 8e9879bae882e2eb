"""The ``menu`` context: application menu items under Apps (Account, User).

The seed says of it: "Actions you add here will appear on the LeadSquared main menu under Apps.
When a user clicks the menu item, a new page will be displayed where you can configure an IFrame."
and, of the Iframe URL, "Merge parameters can be appended to the URL to access records
dynamically."  Its table, "Merge fields available for application menu", lists the Account and
User resources only.
"""

from __future__ import annotations

from mergefield.catalog._types import Context

__all__ = ["CONTEXT"]

CONTEXT = Context(
    name="menu",
    resources=frozenset({"Account", "User"}),
    description="application menu",
)
"""The menu context: Account and User."""
