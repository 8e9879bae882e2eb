"""Regenerate the diagnostic code tables of README.md from the registry in mergefield/codes.py.

The tables stand between ``<!-- codes: GROUP -->`` and ``<!-- end of codes -->`` markers
(GROUP is check, compile or connector); everything else in the README is left alone, and
tests/test_readme.py fails until this has been run after a change to the registry.
Run: python tests/tools/make_code_tables.py
"""

from __future__ import annotations

from pathlib import Path

from mergefield.codes import update_readme

README = Path(__file__).resolve().parents[2] / "README.md"

if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    README.write_text(update_readme(text), encoding="utf-8", newline="\n")
