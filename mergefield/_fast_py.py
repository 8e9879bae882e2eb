"""Pure-Python twin of the compiled core `_fast.pyx`: the tokenizer's inner loop.

Both files expose the same names with the same control flow, so that the differential tests can
hold them to identical output (the yarl pattern).  They only find tokens and failure points;
turning a failure into a message is policy and lives in `mergefield.syntax`.

`scan(source, strict)` returns ``(tokens, errors)``: each token is a tuple
``(resource, field, default, start, end)`` with the field name trimmed of blanks and ``default``
``None`` when the token has no comma; each error is ``(code, at, fail)``: the offset of the
malformed token's ``@``, the offset where it stopped being a token, and what was expected there
(one of the ``EXPECT_*`` codes).  In strict mode the scan stops at the first error.
"""

from __future__ import annotations

__all__ = [
    "EXPECT_CLOSE",
    "EXPECT_COLON",
    "EXPECT_FIELD",
    "EXPECT_RESOURCE",
    "scan",
]

EXPECT_RESOURCE = 1
EXPECT_COLON = 2
EXPECT_FIELD = 3
EXPECT_CLOSE = 4

TokenTuple = tuple[str, str, "str | None", int, int]
ErrorTuple = tuple[int, int, int]


def _is_blank(ch: str) -> bool:
    return ch == " " or ch == "\t"


def _is_resource_start(ch: str) -> bool:
    return ("A" <= ch <= "Z") or ("a" <= ch <= "z")


def _is_resource_char(ch: str) -> bool:
    return ("A" <= ch <= "Z") or ("a" <= ch <= "z") or ("0" <= ch <= "9") or ch == "_"


def _is_field_char(ch: str) -> bool:
    return ch != "," and ch != "{" and ch != "}" and ch != "\r" and ch != "\n"


def scan(source: str, strict: bool) -> tuple[list[TokenTuple], list[ErrorTuple]]:
    """Find every merge field of ``source``; see the module docstring for the result."""
    tokens: list[TokenTuple] = []
    errors: list[ErrorTuple] = []
    n = len(source)
    pos = 0
    while True:
        at = source.find("@{", pos)
        if at < 0:
            break
        i = at + 2
        code = 0
        # Resource: blanks, then [A-Za-z][A-Za-z0-9_]*, then blanks.
        while i < n and _is_blank(source[i]):
            i += 1
        if i >= n or not _is_resource_start(source[i]):
            code = EXPECT_RESOURCE
        else:
            resource_start = i
            i += 1
            while i < n and _is_resource_char(source[i]):
                i += 1
            resource_end = i
            while i < n and _is_blank(source[i]):
                i += 1
            if i >= n or source[i] != ":":
                code = EXPECT_COLON
            else:
                i += 1
                field_open = i
                # The field name must hold a non-blank character; a failure points just
                # after the colon, where the name should begin.
                while i < n and _is_blank(source[i]):
                    i += 1
                if i >= n or not _is_field_char(source[i]):
                    code = EXPECT_FIELD
                    i = field_open
                else:
                    field_start = i
                    while i < n and _is_field_char(source[i]):
                        i += 1
                    field_end = i
                    while _is_blank(source[field_end - 1]):
                        field_end -= 1
                    default: str | None = None
                    if i < n and source[i] == ",":
                        default_start = i + 1
                        i = default_start
                        while (
                            i < n and source[i] != "}" and source[i] != "\r" and source[i] != "\n"
                        ):
                            i += 1
                        default = source[default_start:i]
                    if i < n and source[i] == "}":
                        tokens.append(
                            (
                                source[resource_start:resource_end],
                                source[field_start:field_end],
                                default,
                                at,
                                i + 1,
                            )
                        )
                        pos = i + 1
                        continue
                    code = EXPECT_CLOSE
        errors.append((code, at, i))
        if strict:
            break
        # Lax mode: the `@` was literal text; look for the next opener after it.
        pos = at + 1
    return tokens, errors
