"""Both cores keep one contract, down to their argument errors (issue 12, item 5).

Every low-level entry point is called with invalid arguments generated systematically (each
argument replaced by each value of a pool of wrong ones, each element of each sequence argument
likewise, each sequence one element short or long), and the two cores must raise the same
exception type with the same message, or return the same result (written bytes included).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mergefield import _fast_py
from mergefield._contract import CORE_STEPS, Expect, Step, check_core_constants

from .conftest import CORES
from .test_core_safety import run_isolated

COMPILED = CORES["cython"]
pytestmark = pytest.mark.skipif(COMPILED is None, reason="the compiled core is not built")


class Odd:
    """An object of no type the core knows."""


class PlainStr(str):
    """A str subclass (as `PreEncoded` is): scanned as its text by both cores."""


class LyingStr(str):
    """A str subclass whose ``__str__`` says something else: the text is what is scanned."""

    def __str__(self) -> str:
        return "@{Other:Thing}"


class Scheme(str, enum.Enum):
    """A str Enum: its value is the text."""

    HTTP = "http://x/?a=@{Lead:Y}"


def _odd_values() -> list[Callable[[], object]]:
    # Factories: a generator or iterator must be fresh for each core.
    return [
        lambda: None,
        lambda: 0,
        lambda: -1,
        lambda: 7,
        lambda: True,
        lambda: 2**70,
        lambda: 1.5,
        lambda: "s",
        lambda: "",
        lambda: b"b",
        lambda: bytearray(b"b"),
        lambda: [],
        lambda: [None],
        lambda: [1],
        lambda: ["a"],
        lambda: ("a", "b"),
        lambda: {"a": 1},
        lambda: set(),
        lambda: Odd(),
        lambda: range(2),
        lambda: iter(["a", "b"]),
        lambda: (x for x in [1, 2]),
        lambda: len,
    ]


ODD = _odd_values()


def _resolve(index: int, value: object, row: object) -> str:
    return f"R{index}"


# Each entry point's parameters and a valid value factory for each.
BASE: dict[str, dict[str, Callable[[], object]]] = {
    "render_rows": {
        "literals": lambda: ["<", "|", ">"],
        "keys": lambda: ["a", "b"],
        "steps": lambda: [0, 1],
        "missing": lambda: [None, "m"],
        "rows": lambda: [{"a": "x", "b": 1.5}, {"b": "y"}],
        "resolve": lambda: _resolve,
    },
    "render_columns": {
        "literals": lambda: ["<", "|", ">"],
        "columns": lambda: [["x", None], None],
        "steps": lambda: [0, 1],
        "missing": lambda: [None, "m"],
        "nrows": lambda: 2,
        "resolve": lambda: _resolve,
    },
    "write_rows": {
        "literals": lambda: ["<", "|", ">"],
        "keys": lambda: ["a", "b"],
        "steps": lambda: [0, 1],
        "missing": lambda: [None, "m"],
        "rows": lambda: [{"a": "x", "b": 1.5}, {"b": "y"}],
        "resolve": lambda: _resolve,
        "write": lambda: None,  # replaced by the sink
        "separator": lambda: b"\n",
    },
    "write_columns": {
        "literals": lambda: ["<", "|", ">"],
        "columns": lambda: [["x", None], None],
        "steps": lambda: [0, 1],
        "missing": lambda: [None, "m"],
        "nrows": lambda: 2,
        "resolve": lambda: _resolve,
        "write": lambda: None,
        "separator": lambda: b"\n",
    },
    "encode_fast": {
        "step": lambda: 1,
        "value": lambda: "a b",
    },
    "scan": {
        "source": lambda: "a @{Lead:X ,d} @{Lead:Y} @{b",
        "strict": lambda: False,
    },
}
SEQUENCES = ("literals", "keys", "steps", "missing", "rows", "columns")


def _bad_resolve(result: object) -> Callable[[int, object, object], object]:
    return lambda index, value, row: result


def _cases() -> Iterator[tuple[str, str, dict[str, Callable[[], object]]]]:
    """(function, description, argument factories) for every invalid-argument case."""
    for function, params in BASE.items():
        for name in params:
            for k, odd in enumerate(ODD):
                yield function, f"{name}=odd{k}", {**params, name: odd}
            if name not in SEQUENCES:
                continue
            base = params[name]
            size = len(base())  # type: ignore[arg-type]
            for position, (k, odd) in itertools.product(range(size), enumerate(ODD)):

                def element(base: Any = base, position: int = position, odd: Any = odd) -> object:
                    items = list(base())
                    items[position] = odd()
                    return items

                yield function, f"{name}[{position}]=odd{k}", {**params, name: element}
            yield function, f"{name} short", {**params, name: lambda b=base: list(b())[:-1]}
            yield function, f"{name} long", {**params, name: lambda b=base: [*b(), *b()][:3]}
        if "nrows" in params:
            for n in (-1, 3, 2**63, 2**63 - 1, "2", 2.0, None):
                yield function, f"nrows={n!r}", {**params, "nrows": lambda n=n: n}
        if function == "scan":
            for source in (PlainStr("@{Lead:X}"), Scheme.HTTP, PlainStr("@{"), LyingStr("@{a:b}")):
                yield function, f"source={source!r}", {**params, "source": lambda s=source: s}
            for strict in (True, 1, 0, "yes", "", None):
                yield function, f"strict={strict!r}", {**params, "strict": lambda v=strict: v}
        if "resolve" in params:
            for result in (None, 1, b"x", Odd()):
                case = {**params, "resolve": lambda r=result: _bad_resolve(r)}
                yield function, f"resolve returns {type(result).__name__}", case


CASES = list(_cases())


def _outcome(module: Any, function: str, factories: dict[str, Callable[[], object]]) -> object:
    written: list[bytes] = []
    args = []
    for name, make in factories.items():
        value = make()
        if name == "write" and value is None:
            value = written.append
        args.append(value)
    try:
        result = getattr(module, function)(*args)
    except Exception as exc:  # the point: which exception, with which message
        return ("raises", type(exc).__name__, str(exc), b"".join(written))
    return ("returns", result, b"".join(written))


def test_the_cases_are_many_and_mostly_errors() -> None:
    assert len(CASES) > 600
    errors = sum(_outcome(_fast_py, f, a)[0] == "raises" for f, _, a in CASES)
    assert errors > 400


def differences(function: str) -> list[tuple[str, object, object]]:
    """The cases of ``function`` where the two cores answer differently."""
    found = []
    for name, description, factories in CASES:
        if name == function:
            compiled = _outcome(COMPILED, name, factories)
            pure = _outcome(_fast_py, name, factories)
            if compiled != pure:
                found.append((description, compiled, pure))
    return found


@pytest.mark.parametrize("function", sorted(BASE))
def test_both_cores_answer_every_invalid_argument_alike(function: str) -> None:
    # In a subprocess: an argument the compiled core mishandles may crash it.
    out = run_isolated(
        "cython",
        "from tests.test_core_contract import differences\n"
        f"found = differences({function!r})\n"
        "print(len(found))\n"
        "print('\\n'.join(map(repr, found[:20])))\n",
    )
    count, _, shown = out.partition("\n")
    assert count == "0", shown


def test_scan_takes_a_str_subclass_as_its_text_on_both_cores() -> None:
    for module in (COMPILED, _fast_py):
        assert module.scan(LyingStr("@{a:b}"), True) == ([("a", "b", None, 0, 6)], [])
        tokens, _ = module.scan(Scheme.HTTP, False)
        assert [type(part) for part in tokens[0][:2]] == [str, str]


def test_scan_refuses_a_non_bool_strict_and_missing_arguments_on_both_cores() -> None:
    for module in (COMPILED, _fast_py):
        with pytest.raises(TypeError, match=r"^strict must be a bool, not str$"):
            module.scan("@{a:b}", "yes")
        with pytest.raises(TypeError, match=r"^source must be a str, not NoneType$"):
            module.scan(None, False)
        # The interpreter words a missing argument differently for C and Python functions.
        with pytest.raises(TypeError, match=r"scan\(\)"):
            module.scan("@{a:b}")  # type: ignore[call-arg]


def test_the_compiled_core_holds_the_contracts_constants() -> None:
    # It checked them at import; a build against another contract must not import quietly.
    constants = COMPILED._C_CONSTANTS
    assert constants["Step.JSON_QUOTED"] == Step.JSON_QUOTED
    assert constants["Expect.CLOSE"] == Expect.CLOSE
    check_core_constants("compiled", constants)
    stale = {**constants, "Step.JSON_NUMBER": 6, "Step.WHOLE_URL": 7}
    del stale["Expect.FIELD"]
    with pytest.raises(RuntimeError) as caught:
        check_core_constants("compiled", stale)
    message = str(caught.value)
    assert "Step.JSON_NUMBER is 6, the contract says 5" in message
    assert "Expect.FIELD is None, the contract says 3" in message
    assert "Step.WHOLE_URL is not in the contract" in message


def test_both_cores_run_every_core_step_and_refuse_the_others() -> None:
    for module in (COMPILED, _fast_py):
        for step in Step:
            if step in CORE_STEPS:
                module.encode_fast(step, "a")
            else:
                with pytest.raises(ValueError, match=f"^unknown base transform {int(step)}$"):
                    module.encode_fast(step, "a")
