"""A pytest plugin that fuzzes every template of a connector file from one line of a test module.

``test_sms = connector_tests("connectors/sms.json")`` in a test module (after
``from mergefield.pytest_plugin import connector_tests``) makes one test per template of the
connector, named by its JSON pointer (``test_sms[/grid_actions/0/iframe_url]``).  Each test
fails on every error `mergefield.check` reports for the template in its context and kind (the
compile errors of SPEC section 4 even with ``check_names=False``: one rule for all), then
renders it in lax and in strict mode with records drawn by `mergefield.strategies.records` and
checks each rendering with `mergefield.testing.assert_renders_safely`.  A connector file that
does not load is one failing test that shows why.  Installed with the ``testing`` extra, the
package registers `mergefield.pytest_plugin` (the public name, which re-exports this module's)
under the ``pytest11`` entry point, which adds the ini options ``mergefield_max_examples``
(records drawn per template and mode, default 100) and ``mergefield_derandomize`` (draw the
same records on every run); ``connector_tests`` also works without the entry point, with those
defaults.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mergefield._options import MODES, Kind
from mergefield.catalog import Catalog
from mergefield.checker import check
from mergefield.escaping import ERROR_CODES
from mergefield.template import compile
from mergefield.testing.assertions import UnsafeRenderingError, fuzz_template

__all__ = ["DEFAULT_MAX_EXAMPLES", "connector_tests", "pytest_addoption"]

DEFAULT_MAX_EXAMPLES = 100
"""Records drawn per template and mode when neither the call nor the ini file says."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``mergefield_max_examples`` and ``mergefield_derandomize`` ini options."""
    parser.addini(
        "mergefield_max_examples",
        "records drawn per connector template and mode by mergefield's connector_tests",
        default=str(DEFAULT_MAX_EXAMPLES),
    )
    parser.addini(
        "mergefield_derandomize",
        "draw the same records on every run in mergefield's connector_tests",
        type="bool",
        default=False,
    )


def _ini(config: pytest.Config, name: str, fallback: Any) -> Any:
    try:
        return config.getini(name)
    except ValueError:  # the entry point is not installed: the option does not exist
        return fallback


def _caller_dir(depth: int) -> Path:
    caller = sys._getframe(depth).f_globals.get("__file__")
    return Path(caller).resolve().parent if caller else Path.cwd()


def connector_tests(
    path: str | Path,
    *,
    max_examples: int | None = None,
    derandomize: bool | None = None,
    catalog: Catalog | None = None,
    check_names: bool = True,
) -> Callable[..., None]:
    """A test function, parametrized over every template of the connector file at ``path``.

    Assign it to a ``test_`` name in a test module: ``test_sms = connector_tests("sms.json")``.
    A relative ``path`` is taken from the directory of the module that calls this.  Each test
    fails with the template's `mergefield.check` errors (unless ``check_names=False``), then
    with the first unsafe rendering found over ``max_examples`` drawn records in lax mode and
    in strict mode (default: the ``mergefield_max_examples`` ini option, else 100), shrunk by
    hypothesis and shown with the pointer, the template, the record, the slot and the output.
    ``catalog`` is what templates are checked and rendered against (default: the seed's).
    """
    from mergefield.connector import ConnectorError, load, templates

    target = Path(path)
    if not target.is_absolute():
        target = _caller_dir(2) / target
    try:
        found = list(templates(load(target)))
    except (ConnectorError, OSError) as exc:
        problem = str(exc)

        def test_connector_loads() -> None:
            pytest.fail(f"{target}: cannot load the connector:\n{problem}", pytrace=False)

        return test_connector_loads

    @pytest.mark.parametrize("mergefield_template", found, ids=[item[0] for item in found])
    def test_connector_template(
        mergefield_template: tuple[str, str, str, Kind], request: pytest.FixtureRequest
    ) -> None:
        pointer, source, context, kind = mergefield_template
        where = f"{target} at {pointer} (context {context!r}, kind {kind!r})"
        # A position error (`url-unsafe-scheme`, `html-script-slot`, ...) always fails here, as
        # check() reports it: compile would refuse the template, so there is nothing to fuzz.
        errors = [
            d
            for d in check(source, context=context, kind=kind, catalog=catalog)
            if d.severity == "error" and (check_names or d.code in ERROR_CODES)
        ]
        if errors:
            shown = "\n".join(f"  {d.line}:{d.column} {d.code}: {d.message}" for d in errors)
            pytest.fail(f"{where}: {source!r}\n{shown}", pytrace=False)
        examples = max_examples or int(
            _ini(request.config, "mergefield_max_examples", DEFAULT_MAX_EXAMPLES)
        )
        repeatable = bool(
            _ini(request.config, "mergefield_derandomize", False)
            if derandomize is None
            else derandomize
        )
        for mode in MODES:
            template = compile(source, context=context, kind=kind, mode=mode, catalog=catalog)
            try:
                fuzz_template(template, max_examples=examples, derandomize=repeatable)
            except UnsafeRenderingError as exc:
                pytest.fail(f"{where}: unsafe rendering\n{exc}", pytrace=False)

    return test_connector_template
