"""The Lark reference tokenizer: `grammar.lark` read literally, slow and obviously right.

It exists to define the syntax and to hold the fast tokenizers to it: the differential tests
compare its tokens, spans and errors with both cores on arbitrary input.  `scan` returns the
same tuples as `_fast_py.scan`.  A malformed opener is found by the grammar's
`MALFORMED_OPEN` terminal; what it lacks is then read off the LALR parser's expected terminals
when the `field` rule is run over that opener's candidate text.
"""

from __future__ import annotations

from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ._fast_py import (
    EXPECT_CLOSE,
    EXPECT_COLON,
    EXPECT_FIELD,
    EXPECT_RESOURCE,
    ErrorTuple,
    TokenTuple,
)

__all__ = ["parser", "scan"]

# What the parser wanted, mapped to the code of the message (in the order it tries them).
_EXPECTED_TO_CODE = (
    ("RESOURCE", EXPECT_RESOURCE),
    ("COLON", EXPECT_COLON),
    ("FIELD_NAME", EXPECT_FIELD),
    ("CLOSE", EXPECT_CLOSE),
)


@lru_cache(maxsize=1)
def parser() -> Lark:
    """The LALR parser for `grammar.lark`, loaded from the installed package, built once."""
    return Lark.open_from_package(
        "mergefield",
        "grammar.lark",
        ("",),
        parser="lalr",
        lexer="contextual",
        start=["template", "field"],
        propagate_positions=True,
        maybe_placeholders=False,
    )


def _field_tuple(tree: Tree[Token]) -> TokenTuple:
    parts = {tok.type: tok for tok in tree.children if isinstance(tok, Token)}
    default: str | None = None
    if "COMMA" in parts:
        default = str(parts["DEFAULT"]) if "DEFAULT" in parts else ""
    start = parts["OPEN"].start_pos
    end = parts["CLOSE"].end_pos
    assert start is not None and end is not None
    return (str(parts["RESOURCE"]), str(parts["FIELD_NAME"]).strip(" \t"), default, start, end)


def _candidate_end(source: str, at: int) -> int:
    """Where a field opened at ``at`` must have ended: its first `}`, or the line's end."""
    end = len(source)
    for stop, inclusive in (("}", True), ("\r", False), ("\n", False)):
        found = source.find(stop, at + 2, end)
        if found >= 0:
            end = found + 1 if inclusive else found
    return end


def _diagnose(source: str, at: int) -> ErrorTuple:
    """Run the `field` rule over the opener at ``at`` and report where and why it fails."""
    text = source[at : _candidate_end(source, at)]
    interactive = parser().parse_interactive(text, start="field")
    try:
        for _ in interactive.iter_parse():
            pass
        interactive.feed_eof()  # type: ignore[no-untyped-call]
    except UnexpectedCharacters as err:
        assert err.pos_in_stream is not None
        return _code(err.allowed), at, at + err.pos_in_stream
    except UnexpectedToken as err:
        fail = len(text) if err.token.type == "$END" else err.token.start_pos
        assert fail is not None
        return _code(err.expected), at, at + fail
    except UnexpectedEOF as err:
        return _code(set(err.expected)), at, at + len(text)
    raise AssertionError(f"MALFORMED_OPEN and the field rule disagree on {text!r}")


def _code(expected: set[str] | frozenset[str]) -> int:
    for terminal, code in _EXPECTED_TO_CODE:
        if terminal in expected:
            return code
    raise AssertionError(f"unexpected expected-set {sorted(expected)}")


def scan(source: str, strict: bool) -> tuple[list[TokenTuple], list[ErrorTuple]]:
    """Tokens and malformed-token errors of ``source``, as `_fast_py.scan` gives them."""
    tokens: list[TokenTuple] = []
    errors: list[ErrorTuple] = []
    try:
        tree = parser().parse(source, start="template")
    except UnexpectedInput as err:  # the template rule accepts every string
        raise AssertionError(f"grammar rejected a template: {err}") from err
    for child in tree.children:
        if isinstance(child, Tree):
            tokens.append(_field_tuple(child))
        elif child.type == "MALFORMED_OPEN":
            assert child.start_pos is not None
            errors.append(_diagnose(source, child.start_pos))
            if strict:
                break
    return tokens, errors
