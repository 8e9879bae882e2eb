"""The ``lead_tab`` context: custom tabs on the lead details page (Lead, Account, User).

The seed says of it: "Configure custom tabs to appear on the lead details page." and, of the
Iframe URL, "Merge parameters can be appended to the URL to access records dynamically."  Its
table, "Merge fields available for custom lead tabs", lists the Lead, Account and User resources.
"""

from __future__ import annotations

from mergefield.catalog._types import Context

__all__ = ["CONTEXT"]

CONTEXT = Context(
    name="lead_tab",
    resources=frozenset({"Lead", "Account", "User"}),
    description="custom lead tabs",
)
"""The lead_tab context: Lead, Account and User."""
