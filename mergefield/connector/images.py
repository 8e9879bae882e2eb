"""Fetch a connector's logo or description image and measure it from its real bytes with Pillow.

An image reference in a connector file is either a ``data:<mime>;base64,<payload>`` URI or a
path relative to the connector file's directory.  Paths are confined to that directory
(no absolute paths, no ``..`` escaping it, no URLs) so that checking a connector received from
someone else never reads arbitrary files, and only regular files are read, and only up to
``READ_LIMIT`` bytes.  Failures are ``ImageProblem`` with a diagnostic code; dimensions come from
Pillow's header parsing (``Image.open`` reads no pixel data), never from the file name or the
declared MIME type.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from mergefield.codes import IMAGE_NOT_FOUND, IMAGE_PATH, IMAGE_UNREADABLE

__all__ = [
    "READ_LIMIT",
    "ImageInfo",
    "ImageProblem",
    "load_image",
]

#: Bytes read at most from one image file; far above the 20 KB limit, so the size is still exact
#: for every file a human would call an icon, and a hostile multi-gigabyte file costs nothing.
READ_LIMIT = 4 * 1024 * 1024

_DATA_URI = re.compile(r"data:(?P<mime>[^,;]*)(?P<params>;[^,]*)?,(?P<payload>.*)", re.DOTALL)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class ImageProblem(Exception):
    """Why an image reference could not be measured: a diagnostic ``code`` and a ``message``."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class ImageInfo:
    """What was learnt from an image's bytes: byte size, pixel width and height, Pillow format."""

    size: int
    width: int
    height: int
    format: str


def _data_uri_bytes(ref: str) -> bytes:
    match = _DATA_URI.fullmatch(ref)
    if match is None or ";base64" not in (match.group("params") or ""):
        raise ImageProblem(IMAGE_UNREADABLE, "a data URI image must be data:<type>;base64,<data>")
    try:
        return base64.b64decode(match.group("payload"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageProblem(IMAGE_UNREADABLE, f"the data URI is not valid base64: {exc}") from None


def _file_bytes(ref: str, base_dir: Path) -> tuple[bytes, int]:
    if _SCHEME.match(ref) or Path(ref).is_absolute() or ref.startswith(("/", "\\")):
        raise ImageProblem(
            IMAGE_PATH,
            f"{ref!r} is not a relative path; use a path beside the connector file or a data URI",
        )
    try:
        root = base_dir.resolve()
        target = (root / ref).resolve()
        if not target.is_relative_to(root):
            raise ImageProblem(IMAGE_PATH, f"{ref!r} leaves the connector's folder")
        info = target.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ImageProblem(IMAGE_UNREADABLE, f"{ref!r} is not a regular file")
        with target.open("rb") as handle:
            return handle.read(READ_LIMIT), info.st_size
    except FileNotFoundError:
        raise ImageProblem(IMAGE_NOT_FOUND, f"no image file {ref!r} beside the connector") from None
    except ValueError as exc:  # an embedded NUL byte in the path
        raise ImageProblem(IMAGE_PATH, f"{ref!r} is not a usable path: {exc}") from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, before Python 3.13
        raise ImageProblem(IMAGE_UNREADABLE, f"cannot read {ref!r}: {exc}") from None


def load_image(ref: str, base_dir: Path) -> ImageInfo:
    """Read the image ``ref`` (data URI, or path relative to ``base_dir``) and measure it.

    Raises ``ImageProblem`` when the reference is not allowed, names no file, or its bytes are
    not an image Pillow can identify.
    """
    if ref.startswith("data:"):
        data = _data_uri_bytes(ref)
        size = len(data)
    else:
        data, size = _file_bytes(ref, base_dir)
    try:
        with warnings.catch_warnings():
            # Only the header is read; a huge declared size is reported, not a threat here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                kind = image.format or "unknown"
    except Exception as exc:
        # Pillow's format plugins raise many exception types on hostile bytes (struct.error,
        # SyntaxError, DecompressionBombError, ...); every one of them means "not readable".
        raise ImageProblem(IMAGE_UNREADABLE, f"not an image Pillow can read: {exc}") from None
    return ImageInfo(size, width, height, kind)
