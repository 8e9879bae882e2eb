"""The values of every string option (template kind, mode, diagnostic severity), written once.

Each option is a `typing.Literal` alias that public signatures use, so a type checker catches
``kind="jsno"``; the runtime tuple that argument checks, CLI choices and test strategies need is
derived from the alias with `typing.get_args`, never spelled out again.  The module imports
nothing from the package, so any module can use it.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

__all__ = ["KINDS", "MODES", "SEVERITIES", "Kind", "Mode", "Severity", "check_choice"]

Kind: TypeAlias = Literal["url", "json", "form", "html", "text"]
"""A template kind (SPEC section 4): where the rendered text goes, which decides each encoder."""

KINDS: tuple[Kind, ...] = get_args(Kind)
"""Every `Kind`, in documentation order."""

Mode: TypeAlias = Literal["lax", "strict"]
"""How doubtful input is treated: ``lax`` renders it as documented, ``strict`` raises."""

MODES: tuple[Mode, ...] = get_args(Mode)
"""Every `Mode`."""

Severity: TypeAlias = Literal["error", "warning"]
"""How bad a `Diagnostic` is: ``error`` breaks the template or its meaning, ``warning`` is a
form that works but is not LeadSquared's documented one."""

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
"""Every `Severity`."""


def check_choice(option: str, value: object, choices: tuple[str, ...]) -> None:
    """Raise ValueError naming ``option``, ``value`` and every valid choice unless ``value`` is
    one of ``choices`` (the one message every option check gives)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"unknown {option} {value!r}; expected one of {', '.join(choices)}")
