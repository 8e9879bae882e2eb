"""The pytest plugin, run on sample projects through `pytester`: one line fuzzes every template of
a connector, a deliberately unsafe template fails with its pointer, slot and output."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

DEMO = Path(__file__).resolve().parents[1] / "examples" / "plugin_demo"
ONE_LINE = 'test_sms = connector_tests("connectors/sms.json", max_examples={n}, derandomize=True)'
HEADER = "from mergefield.pytest_plugin import connector_tests\n"
# With the package's pytest11 entry point installed the plugin is already loaded; `-p` would
# register it twice.  A checkout installed before the entry point existed needs `-p`.
INSTALLED = any(ep.value == "mergefield.pytest_plugin" for ep in entry_points(group="pytest11"))
PLUGIN_ARGS = () if INSTALLED else ("-p", "mergefield.pytest_plugin")


def _project(pytester: pytest.Pytester, connector: dict[str, object], n: int = 5) -> None:
    (pytester.path / "connectors").mkdir()
    (pytester.path / "connectors" / "sms.json").write_text(json.dumps(connector), "utf-8")
    pytester.makepyfile(test_templates=HEADER + ONE_LINE.format(n=n) + "\n")


def _demo_connector() -> dict[str, object]:
    doc: dict[str, object] = json.loads((DEMO / "connectors" / "sms.json").read_text("utf-8"))
    doc.pop("$schema", None)
    return doc


@pytest.mark.slow
def test_one_line_makes_one_passing_test_per_template(pytester: pytest.Pytester) -> None:
    _project(pytester, _demo_connector())
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=16)


@pytest.mark.slow
def test_a_deliberately_unsafe_template_fails_with_its_pointer(pytester: pytest.Pytester) -> None:
    doc = _demo_connector()
    actions = doc["grid_actions"]
    assert isinstance(actions, list)
    actions[2]["web_url"] = "javascript:send('@{Lead:Mobile,}')"
    _project(pytester, doc)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=15, failed=1)
    # One rule (issue 14): the plugin fails on the compile error check() reports for it.
    result.stdout.fnmatch_lines(
        [
            "*test_sms?/grid_actions/2/web_url?*",
            "*/grid_actions/2/web_url (context 'grid', kind 'url'): \"javascript:send(*",
            "*1:1 url-unsafe-scheme: the URL's literal text starts with the unsafe scheme*",
        ]
    )


def test_an_unsafe_position_fails_even_without_name_checks(pytester: pytest.Pytester) -> None:
    doc = _demo_connector()
    actions = doc["grid_actions"]
    assert isinstance(actions, list)
    actions[2]["web_url"] = "@{Lead:Website,}:alert(1)"
    (pytester.path / "connectors").mkdir()
    (pytester.path / "connectors" / "sms.json").write_text(json.dumps(doc), "utf-8")
    line = ONE_LINE.format(n=3).replace(")", ", check_names=False)", 1)
    pytester.makepyfile(test_templates=HEADER + line + "\n")
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=15, failed=1)
    result.stdout.fnmatch_lines(["*1:1 url-scheme-slot: literal `:` after a merge field*"])


@pytest.mark.slow
def test_a_template_with_check_errors_fails_before_fuzzing(pytester: pytest.Pytester) -> None:
    doc = _demo_connector()
    doc["lead_tabs"] = [
        {"title": "T", "show_on": ["web"], "iframe_url": "https://x/?a=@{Lead:FristName,}"}
    ]
    _project(pytester, doc)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=15, failed=1)
    result.stdout.fnmatch_lines(["*unknown-field*did you mean Lead:FirstName*"])


def test_a_connector_that_does_not_load_is_one_failure(pytester: pytest.Pytester) -> None:
    _project(pytester, {"basic": {"name": "x"}})
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*cannot load the connector:", "*missing required key*missing-key?"]
    )


def test_ini_option_sets_the_number_of_examples(pytester: pytest.Pytester) -> None:
    (pytester.path / "connectors").mkdir()
    tab = {"title": "T", "show_on": ["web"], "iframe_url": "https://x/?a=@{Lead:Mobile,}"}
    doc = {"basic": _demo_connector()["basic"], "lead_tabs": [tab]}
    (pytester.path / "connectors" / "sms.json").write_text(json.dumps(doc), "utf-8")
    pytester.makeini("[pytest]\nmergefield_max_examples = 3\nmergefield_derandomize = true\n")
    pytester.makepyfile(
        test_templates=HEADER
        + 'test_sms = connector_tests("connectors/sms.json")\n'
        + "def test_options(request):\n"
        + "    assert request.config.getini('mergefield_max_examples') == '3'\n"
        + "    assert request.config.getini('mergefield_derandomize') is True\n"
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-W", "error", *PLUGIN_ARGS)
    result.assert_outcomes(passed=2)


def test_the_demo_project_runs_as_documented(pytester: pytest.Pytester) -> None:
    (pytester.path / "connectors").mkdir()
    (pytester.path / "connectors" / "sms.json").write_bytes(
        (DEMO / "connectors" / "sms.json").read_bytes()
    )
    source = (DEMO / "test_templates.py").read_text("utf-8")
    assert 'connector_tests("connectors/sms.json")' in source
    pytester.makepyfile(test_templates=source)
    pytester.makeini("[pytest]\nmergefield_max_examples = 3\n")
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", *PLUGIN_ARGS)
    result.assert_outcomes(passed=16)


def test_pyproject_registers_the_entry_point() -> None:
    pyproject = (DEMO.parents[1] / "pyproject.toml").read_text("utf-8")
    assert '[project.entry-points.pytest11]\nmergefield = "mergefield.pytest_plugin"' in pyproject
