"""The public name of the hypothesis strategies: ``from mergefield import strategies``.

The strategies are written in `mergefield.testing.strategies` (templates, tokens, records,
field values, unsafe URLs, the naughty strings) and `mergefield.testing.connector_strategies`
(connector documents); this module re-exports their public names so that the import path users
have is stable.  Importing it imports ``hypothesis`` (the ``testing`` extra); ``import
mergefield`` never does.
"""

from __future__ import annotations

from mergefield.testing.connector_strategies import connectors
from mergefield.testing.strategies import (
    CUSTOM_FIELDS,
    DATE_FORMATS,
    MALFORMED_TOKENS,
    SCHEME_TRICKS,
    URL_KEYS,
    blns,
    field_values,
    records,
    templates,
    tokens,
    unsafe_urls,
)

__all__ = [
    "CUSTOM_FIELDS",
    "DATE_FORMATS",
    "MALFORMED_TOKENS",
    "SCHEME_TRICKS",
    "URL_KEYS",
    "blns",
    "connectors",
    "field_values",
    "records",
    "templates",
    "tokens",
    "unsafe_urls",
]
