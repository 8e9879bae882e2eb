"""Kind `html` is contextual (issue 14): the golden file `tests/golden/html.json` pins, for one
template per position and the tricky spellings, the encoder of each token or the compile error
(code, offset, end, message), and the rendering of adversarial values; both cores run it, in
both modes, through `compile`, `check` and the connector checker's path alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import mergefield
from mergefield.errors import TemplateCompileError

GOLDEN: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "golden" / "html.json").read_text(encoding="utf-8")
)


def test_the_golden_file_covers_every_html_position_and_error() -> None:
    encoders = {name for case in GOLDEN for name in case.get("encoders", ())}
    assert encoders == {
        "html",
        "html_attr",
        "html_url",
        "html_url_host",
        "html_url_path",
        "html_url_query",
        "html_url_fragment",
    }
    codes = {case["error"]["code"] for case in GOLDEN if "error" in case}
    assert {code for code in mergefield.escaping.ERROR_CODES if code.startswith("html-")} <= codes
    assert {"url-unsafe-scheme", "url-scheme-slot", "entity-slot"} <= codes


@pytest.mark.parametrize("mode", ["lax", "strict"])
@pytest.mark.parametrize("case", GOLDEN, ids=[case["note"] for case in GOLDEN])
def test_golden(case: dict[str, Any], mode: str, core: str) -> None:
    source = case["template"]
    if "error" in case:
        with pytest.raises(TemplateCompileError) as info:
            mergefield.compile(source, kind="html", mode=mode)
        err = info.value
        assert {
            "code": err.code,
            "offset": err.offset,
            "end": err.end,
            "message": err.message,
        } == case["error"]
        found = [d for d in mergefield.check(source, kind="html") if d.code == err.code]
        assert [(d.offset, d.end, d.message) for d in found] == [(err.offset, err.end, err.message)]
        return
    template = mergefield.compile(source, kind="html", mode=mode)
    assert [f.encoder for f in template.fields] == case["encoders"]
    assert not [d for d in mergefield.check(source, kind="html") if d.severity == "error"]
    if "expected" in case:
        try:
            rendered = template.render(**case["records"])
        except mergefield.RenderError:
            assert mode == "strict"  # a refused URL scheme
        else:
            assert rendered == case["expected"]
