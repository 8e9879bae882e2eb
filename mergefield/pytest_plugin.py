"""The public name of the pytest plugin, and the module the ``pytest11`` entry point registers.

``from mergefield.pytest_plugin import connector_tests`` in a test module; installed with the
``testing`` extra, pytest loads this module by itself and its `pytest_addoption` adds the ini
options ``mergefield_max_examples`` and ``mergefield_derandomize``.  The plugin is written in
`mergefield.testing.plugin`; this module re-exports its public names (the hook included, so
that pytest finds it here) so that the import path and the entry point stay stable.  Register
only this module with pytest, never both: the hook would run twice.
"""

from __future__ import annotations

from mergefield.testing.plugin import DEFAULT_MAX_EXAMPLES, connector_tests, pytest_addoption

__all__ = ["DEFAULT_MAX_EXAMPLES", "connector_tests", "pytest_addoption"]
