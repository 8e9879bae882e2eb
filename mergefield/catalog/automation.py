"""The ``automation`` context: automation actions (Automation, AutomationId, Account, User).

The seed says of it: "Add actions for your connector that can be triggered on lead, activity,
task, or account-based automations." and, of the Iframe URL, "you can pass merge fields to get the
lead and user's phone numbers."  Its table, "Merge fields available in automation actions", lists
the Automation, AutomationId, Account and User resources (no Lead row, so Lead is not allowed
here even though the prose mentions the lead's phone number).
"""

from __future__ import annotations

from mergefield.catalog._types import Context

__all__ = ["CONTEXT"]

CONTEXT = Context(
    name="automation",
    resources=frozenset({"Automation", "AutomationId", "Account", "User"}),
    description="automation actions",
)
"""The automation context: Automation, AutomationId, Account and User."""
