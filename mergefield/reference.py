"""The Lark reference tokenizer: `grammar.lark` read literally, slow and obviously right.

It exists to define the syntax and to hold the fast tokenizers to it: the differential tests
compare its tokens, spans and errors with both cores on arbitrary input.  `scan` returns the
same tuples as the cores' `scan`.  A malformed opener is found by the grammar's
`MALFORMED_OPEN` terminal; what it lacks is then read off the LALR parser's expected terminals
when the `field` rule is run over that opener's candidate text.

Run over the whole source at once, the grammar is quadratic: `MALFORMED_OPEN`'s lookahead and
the `field` rule's DEFAULT read from every opener of ``"@{a:b," * n`` to the end.  So the
parser is only given texts that hold everything their openers' fates depend on (`_pieces`,
`_diagnose_text`), which keeps `scan` linear and its result that of the whole-source parse
(`scan_whole`, which the tests hold it to).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from functools import lru_cache

try:
    from lark import Lark, Token, Tree
    from lark.exceptions import (
        UnexpectedCharacters,
        UnexpectedEOF,
        UnexpectedInput,
        UnexpectedToken,
    )
except ImportError as exc:  # lark is a test and fuzz dependency, not the library's
    raise ImportError(
        "mergefield.reference (the Lark reference tokenizer the tests and the fuzzer compare the "
        "cores with) needs lark, which the library itself does not: pip install 'mergefield[test]'"
        " (or 'mergefield[fuzz]')",
        name="lark",
    ) from exc

from ._contract import ErrorTuple, Expect, TokenTuple

__all__ = ["parser", "scan", "scan_whole"]

# What the parser wanted, mapped to the code of the message (in the order it tries them).
_EXPECTED_TO_CODE = (
    ("RESOURCE", Expect.RESOURCE),
    ("COLON", Expect.COLON),
    ("FIELD_NAME", Expect.FIELD),
    ("CLOSE", Expect.CLOSE),
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


def _field_tuple(tree: Tree[Token], shift: int = 0) -> TokenTuple:
    parts = {tok.type: tok for tok in tree.children if isinstance(tok, Token)}
    default: str | None = None
    if "COMMA" in parts:
        default = str(parts["DEFAULT"]) if "DEFAULT" in parts else ""
    start = parts["OPEN"].start_pos
    end = parts["CLOSE"].end_pos
    assert start is not None and end is not None
    return (
        str(parts["RESOURCE"]),
        str(parts["FIELD_NAME"]).strip(" \t"),
        default,
        start + shift,
        end + shift,
    )


def _candidate_end(source: str, at: int) -> int:
    """Where a field opened at ``at`` must have ended: its first `}`, or the line's end."""
    end = len(source)
    for stop, inclusive in (("}", True), ("\r", False), ("\n", False)):
        found = source.find(stop, at + 2, end)
        if found >= 0:
            end = found + 1 if inclusive else found
    return end


def _diagnose(source: str, at: int, end: int, cut: int = -1) -> ErrorTuple:
    """Run the `field` rule over the opener at ``at`` and report where and why it fails.

    ``end`` is the opener's candidate end; ``cut``, when before it, the end of a shorter text
    that decides the same (see `_diagnose_text`).
    """
    short = 0 <= cut < end
    text = source[at : cut if short else end]
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
        return _code(err.expected), at, end if short and fail == len(text) else at + fail
    except UnexpectedEOF as err:
        return _code(set(err.expected)), at, end if short else at + len(text)
    raise AssertionError(f"MALFORMED_OPEN and the field rule disagree on {text!r}")


def _code(expected: set[str] | frozenset[str]) -> int:
    for terminal, code in _EXPECTED_TO_CODE:
        if terminal in expected:
            return code
    raise AssertionError(f"unexpected expected-set {sorted(expected)}")


def scan_whole(source: str, strict: bool) -> tuple[list[TokenTuple], list[ErrorTuple]]:
    """`scan` as the grammar reads it literally: the whole source at once (quadratic)."""
    tokens: list[TokenTuple] = []
    errors: list[ErrorTuple] = []
    for child in _parse(source).children:
        if isinstance(child, Tree):
            tokens.append(_field_tuple(child))
        elif child.type == "MALFORMED_OPEN":
            assert child.start_pos is not None
            errors.append(
                _diagnose(source, child.start_pos, _candidate_end(source, child.start_pos))
            )
            if strict:
                break
    return tokens, errors


def _parse(text: str) -> Tree[Token]:
    try:
        return parser().parse(text, start="template")
    except UnexpectedInput as err:  # the template rule accepts every string
        raise AssertionError(f"grammar rejected a template: {err}") from err


_STOP = re.compile("[}\r\n]")

# The shortest piece `_pieces` cuts off; the tests lower it to cut at every opener they can.
LEAST_PIECE = 256


def _openers(source: str) -> tuple[array[int], array[int]]:
    """Every ``@{`` of ``source`` and its stop: the first `}`, CR or LF after it, or the end.

    A stop found for one opener is every later opener's until passed, so this is linear.
    """
    starts: array[int] = array("q")
    stops: array[int] = array("q")
    stop = -1
    at = source.find("@{")
    while at >= 0:
        if stop < at + 2:
            found = _STOP.search(source, at + 2)
            stop = found.start() if found else len(source)
        starts.append(at)
        stops.append(stop)
        at = source.find("@{", at + 1)
    return starts, stops


def _pieces(source: str, starts: array[int], stops: array[int]) -> Iterator[tuple[int, int]]:
    """Spans of ``source`` that parse as they do inside the whole source, in order.

    A piece begins at every opener whose stop is not a `}`.  No field can hold such an opener:
    a field ends at its opener's stop, which is then this opener's stop too, a `}`.  The
    `MALFORMED_OPEN` lookahead of an earlier opener that reaches it cannot reach a `}` either,
    whether the text goes on or not; and an opener's own lookahead reads at most to its stop.
    So each opener's lookahead reads only its own piece, and a piece begins at such an opener
    once the last began `LEAST_PIECE` or more code points before (one parse per opener would
    cost far more than the lookaheads): linear in the source.
    """
    n = len(source)
    begin = 0
    for at, stop in zip(starts, stops, strict=True):
        if at - begin >= max(1, LEAST_PIECE) and (stop == n or source[stop] != "}"):
            yield begin, at
            begin = at
    if begin < n:
        yield begin, n


def _diagnose_text(source: str, k: int, starts: array[int], stops: array[int]) -> tuple[int, int]:
    """The candidate end of opener ``k`` and where its `field` parse may stop reading (or -1).

    The parse reads the text only up to the next opener's ``{``: no terminal before DEFAULT can
    hold a ``{``, so it fails at or before it, in the same way as on the whole text.  Only a
    DEFAULT reads past it, and in a malformed opener that DEFAULT runs to the opener's stop, a
    line break or the end, and fails there (`_diagnose` puts the failure there).
    """
    stop = stops[k]
    end = stop + 1 if stop < len(source) and source[stop] == "}" else stop
    cut = starts[k + 1] + 2 if k + 1 < len(starts) else -1
    return end, cut


def scan(source: str, strict: bool) -> tuple[list[TokenTuple], list[ErrorTuple]]:
    """Tokens and malformed-token errors of ``source``, as the cores' `scan` gives them."""
    tokens: list[TokenTuple] = []
    errors: list[ErrorTuple] = []
    starts, stops = _openers(source)
    k = 0  # the index of the next MALFORMED_OPEN among `starts`
    for begin, end in _pieces(source, starts, stops):
        for child in _parse(source[begin:end]).children:
            if isinstance(child, Tree):
                tokens.append(_field_tuple(child, begin))
            elif child.type == "MALFORMED_OPEN":
                assert child.start_pos is not None
                at = begin + child.start_pos
                while starts[k] < at:
                    k += 1
                errors.append(_diagnose(source, at, *_diagnose_text(source, k, starts, stops)))
                if strict:
                    return tokens, errors
    return tokens, errors
