"""Where ``mergefield render`` writes: stdout, or ``-o FILE`` replaced only by a finished run.

``-o FILE`` is written to a temporary file beside it (same folder, so the final rename is
atomic) and renamed over ``FILE`` only when every lead was read; a run that stops (a bad byte, a
broken JSON array, ``--strict``, Ctrl-C, a full disk) leaves ``FILE`` as it was and says where
the partial output is, or that it was removed when the disk is full.  A failed write (``ENOSPC``
and other ``OSError``) becomes `OutputError`, so the caller can print its summary and exit 2
instead of a traceback; a reader that went away (``BrokenPipeError``) is not an error of ours
and propagates as before.  Text already rendered as UTF-8 (the Arrow path's batches) goes to the
stream's binary buffer as it is (`Output.write_bytes`), never decoded and encoded again.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import stat
import sys
import tempfile
from typing import IO

from mergefield._batch import write_all

__all__ = ["Output", "OutputError"]


class OutputError(Exception):
    """Writing the rendered leads failed; the message names the output and the reason."""


class Output:
    """The destination of one render run; ``name`` is the path or ``<stdout>``."""

    def __init__(self, path: str | None) -> None:
        self.path = None if path in (None, "-") else path
        self.name = self.path or "<stdout>"
        self.temp: str | None = None
        self.stream: IO[str]
        if self.path is None:
            self.stream = sys.stdout
            return
        if os.path.isdir(self.path):
            raise OutputError(f"cannot write {self.path}: it is a directory")
        if os.path.exists(self.path) and not stat.S_ISREG(os.stat(self.path).st_mode):
            # A device or a pipe (-o /dev/null, a FIFO) is written in place: a file renamed
            # over it would replace the device itself, and it holds no old output to keep.
            try:
                self.stream = open(  # noqa: SIM115 - closed by finish
                    self.path, "w", encoding="utf-8", errors="backslashreplace", newline=""
                )
            except OSError as exc:
                raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
            return
        folder = os.path.dirname(self.path) or "."
        try:
            fd, self.temp = tempfile.mkstemp(
                dir=folder, prefix=f".{os.path.basename(self.path)}.", suffix=".partial"
            )
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self.stream = open(  # noqa: SIM115 - closed by finish or abandon
            fd, "w", encoding="utf-8", errors="backslashreplace", newline=""
        )

    def write(self, text: str) -> None:
        try:
            self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._error(exc) from exc

    def write_bytes(self, data: bytes) -> None:
        """Write ``data``, UTF-8 text, after what was written before: straight to the stream's
        binary buffer when the stream writes UTF-8 (a file, stdout as `main` sets it up), else
        decoded and written as text (a stream without a buffer, another encoding)."""
        stream = self.stream
        buffer = getattr(stream, "buffer", None)
        try:
            encoding = getattr(stream, "encoding", None) or "utf-8"
            if buffer is None or codecs.lookup(encoding).name != "utf-8":
                stream.write(bytes(data).decode("utf-8"))
            else:
                stream.flush()  # the text written before goes first
                write_all(buffer)(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._error(exc) from exc

    def _error(self, exc: OSError) -> OutputError:
        self.failed_errno = exc.errno
        return OutputError(f"cannot write {self.name}: {exc.strerror or exc}")

    failed_errno: int | None = None

    def finish(self) -> None:
        """Flush, and for ``-o`` put the finished file in place (its old permissions kept)."""
        try:
            self.stream.flush()
            if self.temp is None:
                if self.path is not None:
                    self.stream.close()  # a device or a pipe: its reader sees the end
                return
            os.fsync(self.stream.fileno())
            self.stream.close()
            assert self.path is not None
            try:
                mode = stat.S_IMODE(os.stat(self.path).st_mode)
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask  # what open() would have given a new file
            os.chmod(self.temp, mode)
            os.replace(self.temp, self.path)
            self.temp = None
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._error(exc) from exc

    def abandon(self) -> str | None:
        """Give up after a stopped run; a note for the summary on what happened to the output.

        A partial ``-o`` file is kept beside the old one (removed when the disk is full, where
        keeping it would only hurt); on stdout, what could not be written is dropped, so the
        interpreter's own flush at exit does not fail again with a traceback.
        """
        if self.temp is None:
            if self.path is None and self.failed_errno is not None:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)
            return None
        with contextlib.suppress(OSError):  # what could not be written is what is lost
            self.stream.close()
        old = "is unchanged" if os.path.exists(self.path or "") else "was not created"
        if self.failed_errno == errno.ENOSPC:
            os.unlink(self.temp)
            note = f"the partial output was removed; {self.path} {old}"
        else:
            # Shown beside the -o path as given (mkstemp makes it absolute).
            shown = os.path.join(os.path.dirname(self.path or ""), os.path.basename(self.temp))
            note = f"the partial output is in {shown}; {self.path} {old}"
        self.temp = None
        return note
