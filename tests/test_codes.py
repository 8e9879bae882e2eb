"""The code registry is the one home of every diagnostic code, and each example does what it says.

Every entry's example is run (`check()` for a template, the connector checker for a connector
change) and must report its code; the package source spells no code outside the registry; and
a code that is not registered cannot reach a user.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

import mergefield
from mergefield import codes
from mergefield.codes import CODES, Code, code_table_markdown, diagnostic, explanation
from mergefield.escaping import ERROR_CODES

from .conftest import REPO

PACKAGE = Path(mergefield.__file__).resolve().parent
CONNECTORS = REPO / "examples" / "connectors"
CLEAN = CONNECTORS / "sms.json"


# --- every example produces its code ------------------------------------------------------------


def _set(document: Any, pointer: str, value: Any) -> None:
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]
    for part in parents:
        document = document[int(part)] if isinstance(document, list) else document[part]
    if value is _REMOVE:
        del document[int(last) if isinstance(document, list) else last]
    elif isinstance(document, list):
        document[int(last)] = value
    else:
        document[last] = value


_REMOVE = object()


def connector_text(code: Code) -> str:
    """The clean example connector changed as ``code``'s example says."""
    text = CLEAN.read_text("utf-8")
    if code.form == "members":
        from mergefield.connector.sourcemap import parse

        start = parse(text)[1].spans[code.at].start
        return text[: start + 1] + code.example + "," + text[start + 1 :]
    document = json.loads(text)
    if code.form == "remove":
        _set(document, code.example, _REMOVE)
    else:
        for line in code.example.splitlines():
            pointer, _, value = line.partition(": ")
            _set(document, pointer, json.loads(value))
    return json.dumps(document, indent=2, ensure_ascii=False)


def found_codes(code: Code, tmp_path: Path) -> list[str]:
    if code.form == "template":
        found = mergefield.check(code.example, kind=code.kind, context=code.context)
        return [d.code for d in found]
    pytest.importorskip("jsonschema")
    from mergefield.connector import check_file, check_text

    if code.form == "file":
        path = tmp_path / "connector.json"
        path.write_bytes(code.example.encode(code.encoding))
        return [d.code for d in check_file(path)]
    return [d.code for d in check_text(connector_text(code), base_dir=CONNECTORS)]


def test_the_connector_examples_start_from_a_clean_file() -> None:
    pytest.importorskip("jsonschema")
    from mergefield.connector import check_file

    assert check_file(CLEAN) == []


@pytest.mark.parametrize("name", list(CODES))
def test_every_example_produces_its_code(name: str, tmp_path: Path, core: str) -> None:
    code = CODES[name]
    assert name in found_codes(code, tmp_path)


@pytest.mark.parametrize("name", [n for n, c in CODES.items() if c.group == "compile"])
def test_every_compile_example_fails_to_compile_with_its_code(name: str, core: str) -> None:
    code = CODES[name]
    with pytest.raises(mergefield.TemplateCompileError) as info:
        mergefield.compile(code.example, kind=code.kind)
    assert info.value.code == name


# --- the registry is complete and consistent ----------------------------------------------------


def test_entries_are_complete() -> None:
    assert len(CODES) > 40
    for name, code in CODES.items():
        assert code.name == name
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)+", name), name
        assert code.severity in ("error", "warning"), name
        assert code.summary.endswith(".") and "\n" not in code.summary, name
        assert code.example and code.fix, name
        assert code.form == "template" or code.group == "connector", name
        assert (code.form == "members") == bool(code.at), name


def test_each_constant_is_its_entry_s_name() -> None:
    constants = {
        n: v
        for n, v in vars(codes).items()
        if n.isupper() and isinstance(v, str) and n not in ("ERROR", "WARNING")  # severities
    }
    assert sorted(constants.values()) == sorted(CODES)
    for constant, name in constants.items():
        assert constant == name.upper().replace("-", "_")


def test_a_code_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        codes._code("syntax-error", "error", "check", "Again.", "@{", "Do not.")


def test_an_unregistered_code_never_reaches_a_user() -> None:
    with pytest.raises(KeyError):
        diagnostic("made-up-code", "message", 1, 1)
    assert diagnostic(codes.MISSING_COMMA, "m", 1, 1).severity == "warning"


def test_compile_error_explanations_come_from_the_registry() -> None:
    assert list(ERROR_CODES) == [n for n, c in CODES.items() if c.group == "compile"]
    for name, text in ERROR_CODES.items():
        assert text == explanation(name)
        assert CODES[name].summary in text and "Fix: " in text


def test_code_tables_have_one_row_per_code() -> None:
    for group in ("check", "compile", "connector"):
        rows = code_table_markdown(group).splitlines()[2:]
        names = [n for n, c in CODES.items() if c.group == group]
        assert [row.split("`")[1] for row in rows] == names
        for row in rows:
            # Five cells: six unescaped pipes.
            assert len(re.findall(r"(?<!\\)\|", row)) == 6, row


# --- no code is spelled outside the registry ------------------------------------------------------

# Kebab-case strings of the package that are not diagnostic codes.
NOT_CODES = frozenset(
    {"utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "http-equiv", "data-src",
     "data-onboarding"}
)  # fmt: skip
CODE_LIKE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+\Z")


def code_like_literals() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "codes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if node.value in CODES or (CODE_LIKE.match(node.value) and node.value not in NOT_CODES):
                where = path.relative_to(PACKAGE)
                found.append(f"{where}:{node.lineno}: {node.value!r}")
    return found


def test_no_code_is_spelled_outside_the_registry() -> None:
    found = code_like_literals()
    assert not found, (
        "diagnostic codes belong in mergefield/codes.py (import the constant); a string that "
        f"is not a code goes in NOT_CODES: {found}"
    )


def test_the_scan_finds_a_spelled_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rule.py").write_text('CODE = "image-too-large"\nOTHER = "brand-new-code"\n')
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path)
    assert code_like_literals() == [
        "rule.py:1: 'image-too-large'",
        "rule.py:2: 'brand-new-code'",
    ]
