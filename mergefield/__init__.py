"""mergefield: parse, check and render CRM merge-field templates safely and at bulk scale.

``mergefield.compile(source, context=..., kind=..., mode=...)`` returns a `Template` whose
``fields`` list every ``@{Resource:Field,Default}`` token and whose ``render``,
``render_many`` and ``iter_render`` substitute records with the encoder each token's position
calls for; ``mergefield.check`` reports every problem of a template as a `Diagnostic`;
``mergefield.connector`` loads, checks and builds the HTTP requests of whole connectors.
``IMPLEMENTATION`` says which core runs (``"cython"`` or ``"python"``); `Kind`, `Mode` and
`Severity` spell the values of the ``kind``, ``mode`` and ``severity`` options.

Public modules: `mergefield`, `mergefield.catalog`, `mergefield.connector`,
`mergefield.connector.send`, `mergefield.dask`, `mergefield.testing`, `mergefield.strategies`,
`mergefield.pytest_plugin`.  Their ``__all__`` is the public API; every other module
(``escaping``, ``encoding``, ``values``, ``template``, the submodules of ``testing``, the
``_``-prefixed ones, ...) is internal and may change in any release.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._core import IMPLEMENTATION
from ._options import Kind, Mode, Severity
from ._pre_encoded import PreEncoded
from .catalog import CONTEXTS, DEFAULT_CATALOG, Catalog, FieldSpec, ValueType
from .checker import check
from .diagnostics import Diagnostic
from .errors import (
    MergefieldError,
    RenderError,
    TemplateCompileError,
    TemplateError,
    TemplateSyntaxError,
)
from .template import ArrowReport, FieldRef, RenderReport, Slot, Template, WriteReport, compile

if TYPE_CHECKING:
    from . import connector as connector

__all__ = [
    "CONTEXTS",
    "DEFAULT_CATALOG",
    "IMPLEMENTATION",
    "ArrowReport",
    "Catalog",
    "Diagnostic",
    "FieldRef",
    "FieldSpec",
    "Kind",
    "MergefieldError",
    "Mode",
    "PreEncoded",
    "RenderError",
    "RenderReport",
    "Severity",
    "Slot",
    "Template",
    "TemplateCompileError",
    "TemplateError",
    "TemplateSyntaxError",
    "ValueType",
    "WriteReport",
    "check",
    "compile",
    "connector",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The connector model needs the `connector` extra (jsonschema, Pillow); import it on first use
    # so that rendering alone never pays for it.
    if name == "connector":
        import importlib

        return importlib.import_module(".connector", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
