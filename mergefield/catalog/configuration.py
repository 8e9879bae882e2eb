"""The ``configuration`` context: the connector configuration iframe URL (Account, User).

The seed says of it: "Specify the Iframe URL for your connector configuration screen here. When a
user clicks Configure on the connector, this URL will be displayed within a pop-up window. [...]
Merge parameters can be appended to the URL to access records dynamically. [...] For example, you
can append @{User:AccessKey,}&@{User:SecretKey,} to dynamically get the access and secret keys
associated with the LeadSquared account."  Its table, "Merge fields available for connector
configuration", lists the Account and User resources only.
"""

from __future__ import annotations

from mergefield.catalog._types import Context

__all__ = ["CONTEXT"]

CONTEXT = Context(
    name="configuration",
    resources=frozenset({"Account", "User"}),
    description="connector configuration iframe URL",
)
"""The configuration context: Account and User."""
