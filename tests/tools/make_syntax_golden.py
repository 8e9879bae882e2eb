"""Regenerate tests/golden/syntax.json from the case list below, with the Lark reference.

The expectations come from the reference grammar, not from the cores under test; review the diff
of the golden file by eye before committing it.  Run: python tests/tools/make_syntax_golden.py
"""

from __future__ import annotations

import json
from pathlib import Path

from mergefield import reference
from mergefield.errors import TemplateSyntaxError
from mergefield.syntax import scan, tokenize

CASES: list[tuple[str, str]] = [
    # (note, template)
    (
        "the issue's SMS URL",
        "https://sms.example.com/send?to=@{Lead:Mobile,}&name=@{Lead:FirstName,Friend}&org=@{Account:ShortCode,}",
    ),
    ("inner blanks kept in field names", "@{Lead:Source Lead,}"),
    ("trailing blank trimmed from the field", "@{Lead:ProspectID ,}"),
    ("blanks and tabs around resource and field", "@{ \tLead\t :\t FirstName \t,x}"),
    ("default kept verbatim: one blank", "@{Account:ShortCode, }"),
    ("no comma: default None", "@{User:EmailAddress}"),
    ("empty default", "@{User:EmailAddress,}"),
    ("default holds commas, colons, @ and {", "@{Lead:Notes,a, b:c@d{e}"),
    ("double @ is a literal @ then a token", "@@{Lead:X,}"),
    ("literal lookalikes", '{{orgCode}} %s% @lead.phone {"a": {"b": "@"}} @ @@ x@y'),
    ("JSON body", '{"phone": "@{Lead:Mobile,}", "score": @{Lead:Score,0}}'),
    ("no closing brace", "@{Lead:Phone"),
    ("empty braces", "@{}"),
    ("no colon", "@{Lead}"),
    ("no resource", "@{:X,}"),
    ("empty field", "@{Lead:,}"),
    ("blank field", "@{Lead: \t,}"),
    ("line break in field", "@{Lead:Pho\nne,}"),
    ("carriage return in default", "@{Lead:Phone,a\r}"),
    ("resource starting with a digit", "@{1Lead:X,}"),
    ("non-ASCII resource", "@{Lé:X,}"),
    ("blank inside resource", "@{Le ad:X,}"),
    ("scan resumes after a failed @", "@{Lead:a@{Lead:b,}"),
    ("brace inside a field", "@{Lead:a{b,}"),
    ("a quote is a field character", '{"x": "@{Lead:Email"}'),
    ("error on a later line", 'line one\n  "x": @{Lead:Email\nthree'),
    ("tab before the error", "\t@{Lead}"),
    ("astral and non-ASCII in field and default", "@{Lead:Name😀é,😀}"),
    ("lone surrogate in default", "@{Lead:N,\ud800}"),
    ("two errors and a token", "@{} @{Lead:X,} @{Lead"),
    ("opener at end of input", "text @{"),
    ("only blanks after opener", "@{  "),
]


def expected(template: str, mode: str) -> dict[str, object]:
    strict = mode == "strict"
    case: dict[str, object] = {}
    try:
        tokens = tokenize(template, strict=strict, scanner=reference.scan)
    except TemplateSyntaxError as err:
        case["error"] = {
            "offset": err.offset,
            "line": err.line,
            "column": err.column,
            "message": err.message,
        }
        return case
    case["tokens"] = [
        {
            "resource": t.resource,
            "field": t.field,
            "default": t.default,
            "start": t.start,
            "end": t.end,
        }
        for t in tokens
    ]
    if not strict:
        _, errors = scan(template, scanner=reference.scan)
        case["lax_errors"] = [
            {"offset": e.offset, "line": e.line, "column": e.column, "message": e.message}
            for e in errors
        ]
    return case


def main() -> None:
    out = []
    for note, template in CASES:
        for mode in ("lax", "strict"):
            out.append(
                {"note": note, "template": template, "mode": mode, **expected(template, mode)}
            )
    path = Path(__file__).resolve().parents[1] / "golden" / "syntax.json"
    # ensure_ascii keeps lone surrogates representable in the file.
    path.write_text(json.dumps(out, indent=1, ensure_ascii=True) + "\n", encoding="utf-8")
    print(f"wrote {len(out)} cases to {path}")


if __name__ == "__main__":
    main()
