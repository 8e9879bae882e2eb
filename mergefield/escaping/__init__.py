"""Contextual escaping: which encoder each merge field gets, from where it stands in the template.

Like Go's ``html/template`` (context, transition, escaper), a state machine per template kind
walks the literal text once at compile time: `url` (the URL machine every URL position shares),
`json` (strings, URL strings, bare values, and proof that the template is JSON), `html` (text,
RCDATA, attribute values, URL attributes); `bind` picks the machine for a kind and documents
every compile error code.  The package is internal: `mergefield.compile` and `mergefield.check`
are its public face.
"""

from __future__ import annotations

from mergefield.escaping.bind import ERROR_CODES, classify
from mergefield.escaping.html import URL_VALUE_KINDS, attribute_kind
from mergefield.escaping.json import URL_KEY_WORDS, is_url_key

__all__ = [
    "ERROR_CODES",
    "URL_KEY_WORDS",
    "URL_VALUE_KINDS",
    "attribute_kind",
    "classify",
    "is_url_key",
]
