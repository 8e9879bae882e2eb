"""The core never crashes on inputs that change while it runs (issue 12, item 1).

The compiled core used to read the caller's column lists without bounds checks after checking
their lengths once; a value's ``__str__`` or another thread that shortened a list mid-call made
it read freed memory.  Both repros run in a subprocess, so a segfault fails the test instead of
ending the run; the rest run in-process on both cores.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import mergefield
from mergefield import _core

REPO = Path(__file__).resolve().parents[1]


def run_isolated(core: str, code: str) -> str:
    """Run ``code`` in a fresh interpreter on ``core``; its stdout, or fail naming the signal."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    if core == "python":
        env["MERGEFIELD_NO_EXTENSIONS"] = "1"
    else:
        env.pop("MERGEFIELD_NO_EXTENSIONS", None)
    prologue = (
        "import mergefield\n"
        f"assert mergefield.IMPLEMENTATION == {'python' if core == 'python' else 'cython'!r}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", prologue + textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    return done.stdout


def test_a_column_cleared_by_a_value_mid_call_does_not_crash(core: str) -> None:
    out = run_isolated(
        core,
        """
        first = ["a"] * 1000

        class Evil:
            def __str__(self):
                first.clear()
                return "e"

        t = mergefield.compile("x=@{Lead:FirstName,}&y=@{Lead:LastName,}", kind="url")
        rows = t.render_columns({"FirstName": first, "LastName": [Evil()] + ["b"] * 999})
        # The core renders the columns as they were when the call began.
        assert rows == ["x=a&y=e"] + ["x=a&y=b"] * 999, rows[:3]
        print("ok")
        """,
    )
    assert out.strip() == "ok"


def test_a_column_shortened_by_another_thread_during_write_columns_does_not_crash(
    core: str, tmp_path: Path
) -> None:
    # The file write releases the GIL; the other thread shortens the list right after the first
    # block reaches the file, while the core still has thousands of rows to read.
    out = run_isolated(
        core,
        f"""
        import io, threading

        t = mergefield.compile("https://x/?n=@{{Lead:FirstName,}}", kind="url")
        path = {str(tmp_path / "out.txt")!r}
        for attempt in range(5):
            names = [f"name{{i}}" for i in range(60_000)]
            first_write = threading.Event()

            class File(io.FileIO):
                def write(self, data):
                    first_write.set()
                    return super().write(data)

            def shorten():
                if first_write.wait(timeout=30):
                    del names[100:]

            other = threading.Thread(target=shorten)
            other.start()
            with File(path, "w") as f:
                count = t.write_columns({{"FirstName": names}}, f)
            other.join(timeout=30)
            assert not other.is_alive()
            assert count == 60_000, count
            with open(path, "rb") as f:
                assert f.read().count(b"\\n") == 60_000
        print("ok")
        """,
    )
    assert out.strip() == "ok"


def test_a_lead_cleared_by_a_value_reads_the_rest_as_missing(core: str) -> None:
    template = mergefield.compile("@{Lead:A,}|@{Lead:B,}|@{Lead:C,-}")

    def leads() -> list[dict[str, Any]]:
        lead: dict[str, Any] = {"B": "b", "C": "c"}

        class Evil:
            def __str__(self) -> str:
                lead.clear()
                return "e"

        lead["A"] = Evil()
        return [lead, {"A": "a", "B": "b", "C": "c"}]

    assert template.render_many(leads()) == ["e||-", "a|b|c"]
    sink = io.BytesIO()
    assert template.write_many(leads(), sink) == 2
    assert sink.getvalue() == b"e||-\na|b|c\n"


def test_a_lead_list_shortened_mid_iteration_ends_the_batch(core: str) -> None:
    # Rows are read by iterating the caller's iterable, as a for loop does: a list that loses
    # its tail while it is rendered ends where a for loop would end.
    template = mergefield.compile("@{Lead:A,}")
    leads: list[Any] = []

    class Evil:
        def __str__(self) -> str:
            del leads[2:]
            return "e"

    leads.extend([{"A": "a"}, {"A": Evil()}, {"A": "c"}, {"A": "d"}])
    assert template.render_many(leads) == ["a", "e"]
    growing: list[Any] = [{"A": "a"}]

    class Grow:
        def __str__(self) -> str:
            if len(growing) < 5:
                growing.append({"A": Grow()})
            return "g"

    growing.append({"A": Grow()})
    assert template.render_many(growing) == ["a", "g", "g", "g", "g"]


def test_the_core_keeps_its_own_copy_of_keys_literals_missing_and_columns(core: str) -> None:
    # The old compiled core read freed memory here: in a subprocess, so a crash fails the test.
    out = run_isolated(core, "from tests.test_core_safety import own_copies\nown_copies()\n")
    assert out.strip() == "ok"


def own_copies() -> None:
    """Each list the core was given is emptied by the policy mid-call; the batch goes on."""

    def batch() -> tuple[list[Any], ...]:
        return ["<", "|", ">"], ["a", "b"], [0, 0], ["?", "?"], [["x", None, "z"], [1.5, 2.5, 3.5]]

    def clearing(given: tuple[list[Any], ...]) -> Any:
        def resolve(index: int, value: object, row: object) -> str:
            for items in (*given, *given[-1]):
                items.clear()
            return f"r{value}"

        return resolve

    c = _core.core
    args = batch()
    literals, keys, steps, missing, _ = args
    rows = [{"a": 1.5, "b": "v"}, {"a": 2.5}]
    assert c.render_rows(literals, keys, steps, missing, rows, clearing(args)) == [
        "<r1.5|v>",
        "<r2.5|?>",
    ]
    args = batch()
    literals, _, steps, missing, columns = args
    out = c.render_columns(literals, columns, steps, missing, 3, clearing(args))
    assert out == ["<x|r1.5>", "<?|r2.5>", "<z|r3.5>"]
    print("ok")
