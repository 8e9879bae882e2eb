"""Field catalogs: which resources and fields a template may name, and where (SPEC section 2).

`DEFAULT_CATALOG` holds every field table of the LeadSquared "Create a Connector" page (Lead,
User, Account, Automation, AutomationId) with label, value type and description, loaded from the
packaged ``seed.json``, and the lead identifiers LeadSquared's lead API returns that the page's
tables omit although connector URLs use them most (``Lead:ProspectID``, ``ProspectAutoId``,
``ProspectStage``, ``OwnerId``, ``CreatedBy``, ``ModifiedBy``; marked ``origin="api"``).
`CONTEXTS` holds the six contexts, one module each (`configuration`, `events`, `grid`, `menu`,
`automation`, `lead_tab`), and the resources each allows.
``Lead:Source Lead`` / ``Lead:Score Lead`` and their aliases ``Lead:Source`` / ``Lead:Score``
read the record keys ``Source`` / ``Score``; ``User:FullName`` is derived from ``FirstName`` and
``LastName`` when a record lacks it; any Lead ``mx_<SchemaName>`` custom field resolves (String
unless declared).  A catalog is immutable: `Catalog.with_fields` and `Catalog.allow` extend it in
code, `Catalog.from_json` from a file.

Which contexts allow an added resource
    The seed's rule is fixed: a named context allows the resources of SPEC section 2's table.
    A resource added by an extension (``Owner``, ``Opportunity``, ``Activity``, ``Task``) is
    allowed when ``context=None`` (every resource of the catalog) and in exactly the contexts
    its JSON entry lists under ``"contexts"`` (or that ``Catalog.allow`` names); nowhere else,
    because a connector that reads an Opportunity in the install event would fail in LeadSquared.
    A grant may also admit a seed resource to a further context (``Lead`` in ``automation``).

The catalog JSON format (version 1)
    One object; ``resources`` maps a resource name (``[A-Za-z][A-Za-z0-9_]*``) to an object with
    an optional ``contexts`` (array of context names) and ``fields`` (array of field objects).
    A field object has ``name`` (required; no ``, { }`` or line breaks, no blanks at either end),
    ``type`` (required; ``"String"``, ``"Number"`` or ``"Date"``), and optionally ``label``
    (defaults to the name), ``description``, ``default`` (the field-level default, a string),
    ``record_key`` (the record key read when it is not the name), ``derived_from`` (names of
    fields of the same resource joined by a blank when the record lacks this one),
    ``aliases`` (further names that resolve to this field), ``origin`` (a note of where the
    definition comes from: ``"api"`` for the lead API's fields in ``seed.json``; free text) and
    ``url`` (``true`` when the field's values are URLs, such as ``Lead:Website``: a token of it
    that starts a JSON string is then filtered as a whole URL, see the README's "Encoding by
    position").  Top-level ``version`` (``1``) and ``description`` are optional.  Unknown keys
    are errors.  A field of the same resource and name as one in the base catalog replaces it,
    so an account may retype a seed field or give it a default.  Example::

        {
          "version": 1,
          "resources": {
            "Lead": {"fields": [
              {"name": "mx_Plan", "type": "String", "label": "Plan", "default": "basic"},
              {"name": "mx_Seats", "type": "Number"}
            ]},
            "Opportunity": {"contexts": ["grid", "lead_tab"], "fields": [
              {"name": "Amount", "type": "Number", "description": "Deal size"}
            ]}
          }
        }

    Load it with ``Catalog.from_json("account.json")`` (on top of `DEFAULT_CATALOG`) or
    ``Catalog.from_json(path, base=Catalog())`` (alone).  A file that is not JSON raises
    `CatalogError` with line and column; a document that breaks the format raises it with the
    JSON pointer of the fault, e.g. ``account.json at /resources/Lead/fields/1/type: unknown
    value type 'Num'; expected one of String, Number, Date``.  ``Catalog.to_json()`` writes the
    same format, and ``seed.json`` beside this module is a complete example.
"""

from __future__ import annotations

from mergefield.catalog._catalog import CONTEXTS, DEFAULT_CATALOG, LEAD_CUSTOM_FIELD, Catalog
from mergefield.catalog._types import CatalogError, Context, FieldSpec, ValueType

__all__ = [
    "CONTEXTS",
    "DEFAULT_CATALOG",
    "LEAD_CUSTOM_FIELD",
    "Catalog",
    "CatalogError",
    "Context",
    "FieldSpec",
    "ValueType",
]
