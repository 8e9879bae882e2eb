"""``mergefield render``'s output of issue 13: ``-o`` replaced only by a finished run, never the
leads file, and a full disk reported with a summary, not a traceback.

The child-process tests drive the command as a user does (``-o`` over an old file, Ctrl-C,
``> /dev/full``); the ``-o`` full-disk case runs `mergefield.cli.main` in-process with a file
object that raises ``ENOSPC`` after some bytes, since no test can fill a real disk.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mergefield import cli
from tests.test_cli import run, summary
from tests.test_cli_inputs import bad_byte_csv, write

OLD = "the old output\n"


def partials(folder: Path) -> list[Path]:
    return sorted(folder.glob(".out.txt.*.partial"))


# --- 8: -o is replaced only by a finished run ----------------------------------------------------


def test_a_bad_byte_leaves_the_old_output_and_names_the_partial_one(tmp_path: Path) -> None:
    leads = bad_byte_csv(tmp_path)
    out = write(tmp_path, "out.txt", OLD)
    done = run("render", "@{Lead:FirstName,}", "--leads", leads, "-o", out)
    assert done.returncode == 2
    assert out.read_text(encoding="utf-8") == OLD
    (partial,) = partials(tmp_path)
    assert summary(done.stderr).endswith(
        f"; the partial output is in {partial}; {out} is unchanged"
    )
    assert len(partial.read_text(encoding="utf-8").splitlines()) == 4999


def test_a_broken_json_array_leaves_the_old_output(tmp_path: Path) -> None:
    leads = write(tmp_path, "l.json", '[{"A": 1}, {"A": 2} {"A": 3}]')
    out = write(tmp_path, "out.txt", OLD)
    done = run("render", "@{Lead:FirstName,}", "--leads", leads, "-o", out)
    assert done.returncode == 1
    assert out.read_text(encoding="utf-8") == OLD
    assert "stopped reading at row 3" in summary(done.stderr)
    assert f"{out} is unchanged" in summary(done.stderr)
    strict = run("render", "@{Lead:FirstName,}", "--leads", leads, "-o", out, "--strict")
    assert strict.returncode == 1 and out.read_text(encoding="utf-8") == OLD


def test_a_finished_run_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    leads = write(tmp_path, "l.csv", "Id,FirstName\n1,x\n2,y,surplus\n3,z\n")
    out = write(tmp_path, "out.txt", OLD)
    out.chmod(0o640)
    done = run("render", "@{Lead:FirstName,}", "--leads", leads, "-o", out)
    assert done.returncode == 1  # a failed row is reported; every lead was still read
    assert out.read_text(encoding="utf-8") == "x\nz\n"
    assert out.stat().st_mode & 0o777 == 0o640
    assert partials(tmp_path) == []
    new = tmp_path / "new.txt"
    assert run("render", "@{Lead:FirstName,}", "--leads", leads, "-o", new).returncode == 1
    umask = os.umask(0)
    os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o666 & ~umask


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_exits_130_with_a_summary_and_the_old_output(tmp_path: Path) -> None:
    out = write(tmp_path, "out.txt", OLD)
    with subprocess.Popen(
        # Format and delimiter given: sniffing would wait for more of the open pipe.
        [
            sys.executable,
            "-m",
            "mergefield",
            "render",
            "@{Lead:FirstName,}",
            "--leads",
            "-",
            "--leads-format",
            "csv",
            "--delimiter",
            ",",
            "-o",
            out,
        ],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A job started in the background by a non-interactive shell (as CI may run the suite)
        # inherits SIGINT ignored, and Python then keeps it ignored: give the child the
        # terminal's default, as a user pressing Ctrl-C has.
        preexec_fn=_default_sigint,
    ) as child:
        assert child.stdin is not None and child.stderr is not None
        child.stdin.write(b"Id,FirstName\n" + b"".join(b"%d,x\n" % i for i in range(10)))
        child.stdin.flush()
        deadline = time.monotonic() + 60
        while not partials(tmp_path):  # the output is opened after the first lead was read
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        # Bounded: a child that ignored the signal fails the test instead of hanging the suite.
        _, err = child.communicate(timeout=60)
        stderr = err.decode("utf-8")
        assert child.returncode == 130
    (partial,) = partials(tmp_path)
    assert summary(stderr) == (
        "mergefield: 0 leads read: 0 rendered (0 defaulted), 0 failed; interrupted (SIGINT); "
        f"the partial output is in {partial}; {out} is unchanged"
    )
    assert out.read_text(encoding="utf-8") == OLD


# --- 9: -o naming an input -----------------------------------------------------------------------


def test_output_over_the_leads_file_is_refused(tmp_path: Path) -> None:
    text = "Id,FirstName\n1,x\n"
    leads = write(tmp_path, "l.csv", text)
    done = run("render", "@{Lead:FirstName,}", "--leads", leads, "-o", tmp_path / "." / "l.csv")
    assert done.returncode == 2
    assert "is the leads file" in done.stderr and "write the output to another file" in done.stderr
    assert leads.read_text(encoding="utf-8") == text
    with leads.open("rb") as stdin:
        piped = subprocess.run(
            [sys.executable, "-m", "mergefield", "render", "x", "--leads", "-", "-o", leads],
            stdin=stdin,
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert piped.returncode == 2 and b"is the leads file (stdin)" in piped.stderr
    template = write(tmp_path, "t.template", "@{Lead:FirstName,}")
    over = run("render", "--template-file", template, "--leads", leads, "-o", template)
    assert over.returncode == 2 and "is the template file" in over.stderr
    assert leads.read_text(encoding="utf-8") == text


# --- 10: a full disk -----------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["lines", "jsonl"])
def test_a_full_stdout_exits_2_with_a_summary(tmp_path: Path, fmt: str) -> None:
    leads = write(
        tmp_path, "l.csv", "Id,FirstName\n" + "".join(f"{i},{'x' * 50}\n" for i in range(2000))
    )
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "mergefield",
                "render",
                "@{Lead:FirstName,}",
                "--leads",
                leads,
                "--format",
                fmt,
            ],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 2
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert stderr.count("\n") == 1
    assert stderr.startswith("mergefield: ")
    assert stderr.rstrip().endswith("; cannot write <stdout>: No space left on device")


class FullDisk(io.TextIOWrapper):
    """A text file that takes ``room`` bytes and then fails like a full disk."""

    room = 1000

    def write(self, text: str) -> int:
        FullDisk.room -= len(text.encode("utf-8"))
        if FullDisk.room < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(text)


def test_a_full_disk_on_output_file_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full_open(fd: int, mode: str, **options: Any) -> FullDisk:
        return FullDisk(open(fd, mode.replace("w", "wb")), write_through=True, **options)

    from mergefield.cli import output as cli_output

    monkeypatch.setattr(cli_output, "open", full_open, raising=False)
    leads = write(
        tmp_path, "l.csv", "Id,FirstName\n" + "".join(f"{i},{'x' * 50}\n" for i in range(100))
    )
    out = write(tmp_path, "out.txt", OLD)
    status = cli.main(["render", "@{Lead:FirstName,}", "--leads", str(leads), "-o", str(out)])
    err = capsys.readouterr().err
    assert status == 2
    assert out.read_text(encoding="utf-8") == OLD
    assert partials(tmp_path) == []
    # 1,000 bytes hold 19 lines of 51: the 20th lead was read but not written.
    assert err.splitlines()[-1].startswith("mergefield: 20 leads read: 19 rendered (0 defaulted)")
    assert err.splitlines()[-1].endswith(
        f"; cannot write {out}: No space left on device; the partial output was removed; "
        f"{out} is unchanged"
    )


# --- rendered bytes (the Arrow path) ---------------------------------------------------------


def test_rendered_bytes_follow_the_text_in_the_streams_encoding(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mergefield.cli.output import Output

    # UTF-8 stdout: the bytes go to its buffer, after the text written before them.
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="utf-8"))
    out = Output(None)
    out.write("Zoë\n")
    out.write_bytes("Zoë\n".encode())
    out.write("end\n")
    out.finish()
    assert raw.getvalue() == "Zoë\nZoë\nend\n".encode()
    # Another encoding, or a stream without a buffer: decoded and written as text.
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="latin-1"))
    out = Output(None)
    out.write_bytes("Zoë\n".encode())
    out.finish()
    assert raw.getvalue() == b"Zo\xeb\n"
    monkeypatch.setattr(sys, "stdout", text := io.StringIO())
    out = Output(None)
    out.write_bytes("Zoë\n".encode())
    assert text.getvalue() == "Zoë\n"
    # -o FILE: the bytes land in the finished file.
    out = Output(str(tmp_path / "o.txt"))
    out.write("a\n")
    out.write_bytes(b"b\n")
    out.finish()
    assert (tmp_path / "o.txt").read_bytes() == b"a\nb\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_o_naming_a_pipe_writes_into_it_and_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # -o /dev/null or a FIFO is not a file to replace: renaming the finished output over it
    # replaced the device itself (root may write /dev: /dev/null became a regular file).
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as pipe:
            got.append(pipe.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    leads = write(tmp_path, "l.csv", "FirstName\nAnn\nZoë\n")
    status = cli.main(["render", "@{Lead:FirstName,}", "--leads", str(leads), "-o", str(fifo)])
    thread.join(timeout=30)
    assert status == 0, capsys.readouterr().err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got == ["Ann\nZoë\n".encode()]
    assert list(tmp_path.glob(".pipe.*")) == []
