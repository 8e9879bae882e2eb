"""mergefield: parse, check and render CRM merge-field templates safely and at bulk scale."""

from __future__ import annotations

from ._core import IMPLEMENTATION
from .errors import (
    MergefieldError,
    RenderError,
    TemplateCompileError,
    TemplateError,
    TemplateSyntaxError,
)

__all__ = [
    "IMPLEMENTATION",
    "MergefieldError",
    "RenderError",
    "TemplateCompileError",
    "TemplateError",
    "TemplateSyntaxError",
]
