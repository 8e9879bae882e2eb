"""PEP 517 backend of mergefield: setuptools, asking for Cython only when there is Cython to run.

A git checkout has only `mergefield/_fast.pyx`, so building it needs Cython.  An sdist ships the C
that Cython generated (it has a `PKG-INFO` at its root), so installing it needs a C compiler and
setuptools but not Cython: a user's `pip install mergefield-X.tar.gz` never downloads Cython.
Everything else is setuptools' own backend, unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 (the backend's hooks, re-exported as they are)

CYTHON = "Cython>=3.0"


def _cython() -> list[str]:
    if Path("PKG-INFO").exists():  # an sdist: the C is shipped
        return []
    if os.environ.get("MERGEFIELD_NO_EXTENSIONS", "") not in ("", "0"):
        return []
    return [CYTHON]


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    return [*_setuptools.get_requires_for_build_wheel(config_settings), *_cython()]


def get_requires_for_build_editable(config_settings: dict[str, Any] | None = None) -> list[str]:
    return [*_setuptools.get_requires_for_build_editable(config_settings), *_cython()]


def get_requires_for_build_sdist(config_settings: dict[str, Any] | None = None) -> list[str]:
    # The sdist carries the generated C, so making one always runs Cython.
    return [*_setuptools.get_requires_for_build_sdist(config_settings), CYTHON]
