"""The pure core's scanner: find every merge field of a template source (the twin of `_scan.pxi`).

The two scanners mirror each other line for line, so that the differential tests can hold them
to identical output.  They only find tokens and failure points; turning a failure into a message
is policy and lives in `mergefield.syntax`.

`scan(source, strict)` returns ``(tokens, errors)``: each token is a `TokenTuple`
``(resource, field, default, start, end)`` with the field name trimmed of blanks and ``default``
``None`` when the token has no comma; each error is an `ErrorTuple` ``(code, at, fail)``: what
was expected (an `Expect` code) at ``fail``, the offset where the malformed token whose ``@`` is
at ``at`` stopped being a token.  In strict mode the scan stops at the first error.  Both cores
check the arguments with `_contract.scan_args`.
"""

from __future__ import annotations

from ._contract import ErrorTuple, Expect, TokenTuple, scan_args

__all__ = ["scan"]

# The `Expect` codes as plain ints, as `_scan.pxi` holds them in C: the error tuples of both
# cores are equal and print alike.
E_RESOURCE = int(Expect.RESOURCE)
E_COLON = int(Expect.COLON)
E_FIELD = int(Expect.FIELD)
E_CLOSE = int(Expect.CLOSE)


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
    text, stop_at_first = scan_args(source, strict)
    return _scan(text, stop_at_first)


def _scan(source: str, strict: bool) -> tuple[list[TokenTuple], list[ErrorTuple]]:
    """`scan` on checked arguments: the loop both scanners share line for line."""
    tokens: list[TokenTuple] = []
    errors: list[ErrorTuple] = []
    n = len(source)
    pos = 0
    stop = -1  # the first `}`, CR or LF at or after the last default's start (or n)
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
            code = E_RESOURCE
        else:
            resource_start = i
            i += 1
            while i < n and _is_resource_char(source[i]):
                i += 1
            resource_end = i
            while i < n and _is_blank(source[i]):
                i += 1
            if i >= n or source[i] != ":":
                code = E_COLON
            else:
                i += 1
                field_open = i
                # The field name must hold a non-blank character; a failure points just
                # after the colon, where the name should begin.
                while i < n and _is_blank(source[i]):
                    i += 1
                if i >= n or not _is_field_char(source[i]):
                    code = E_FIELD
                    i = field_open
                else:
                    field_start = i
                    while i < n and _is_field_char(source[i]):
                        i += 1
                    field_end = i
                    while _is_blank(source[field_end - 1]):
                        field_end -= 1
                    default_start = -1
                    if i < n and source[i] == ",":
                        default_start = i + 1
                        # A default runs to the next `}`, CR or LF.  Defaults start in increasing
                        # order, so the stop found for an earlier one holds while it lies ahead:
                        # without it `"@{a:b," * n` rescans to the end n times.
                        if stop < default_start:
                            stop = default_start
                            while (
                                stop < n
                                and source[stop] != "}"
                                and source[stop] != "\r"
                                and source[stop] != "\n"
                            ):
                                stop += 1
                        i = stop
                    if i < n and source[i] == "}":
                        # Only a token's default is sliced: slicing a malformed one's is
                        # quadratic too.
                        default: str | None = None
                        if default_start >= 0:
                            default = source[default_start:i]
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
                    code = E_CLOSE
        errors.append((code, at, i))
        if strict:
            break
        # Lax mode: the `@` was literal text; look for the next opener after it.
        pos = at + 1
    return tokens, errors
