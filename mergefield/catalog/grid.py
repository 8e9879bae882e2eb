"""The ``grid`` context: lead grid row, bulk and list actions (Lead, Account, User).

The seed says of it: "Actions you configure in this section will appear in the lead grids
throughout the application. These include actions that can be performed on specified leads or in
bulk. [...] You can use merge fields like @{Lead:FirstName,} and @{Lead:Mobile,} to enable users to
send SMS".  Its table, "Merge fields available for lead grid actions", lists the Lead, Account and
User resources.
"""

from __future__ import annotations

from mergefield.catalog._types import Context

__all__ = ["CONTEXT"]

CONTEXT = Context(
    name="grid",
    resources=frozenset({"Lead", "Account", "User"}),
    description="lead grid actions (row, bulk and list)",
)
"""The grid context: Lead, Account and User."""
