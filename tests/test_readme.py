"""The README tells the truth: its quick start is what CI runs, its tables are the code's own."""

from __future__ import annotations

import re

import mergefield
from mergefield.codes import CODES, code_table_markdown, update_readme
from mergefield.encoding import encoder_table_markdown

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
CI = (REPO / ".ci" / "run").read_text(encoding="utf-8")


def quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_that_ci_runs_verbatim() -> None:
    commands = quick_start()
    assert len(commands) == 2
    install_and_run, test = commands
    assert install_and_run.startswith("pip install . && mergefield render ")
    assert test == 'pip install -e ".[test]" && python -m pytest'
    ci_lines = CI.splitlines()
    assert install_and_run in ci_lines and test in ci_lines
    assert "MERGEFIELD_REQUIRE_EXTENSIONS=1" in CI and "MERGEFIELD_NO_EXTENSIONS=1" in CI


def test_encoder_table_is_the_code_s_own() -> None:
    assert encoder_table_markdown().strip() in README


def test_code_tables_are_the_registry_s_own() -> None:
    # Regenerate with: python tests/tools/make_code_tables.py
    assert update_readme(README) == README
    for group in ("check", "compile", "connector"):
        table = code_table_markdown(group)
        assert f"<!-- codes: {group} -->\n\n{table}\n<!-- end of codes -->" in README
    for code in CODES:
        assert README.count(f"| `{code}` | ") == 1, code


def test_every_public_name_is_documented() -> None:
    for name in mergefield.__all__:
        assert f"`{name}" in README, name
