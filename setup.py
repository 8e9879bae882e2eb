"""Build the optional Cython core of mergefield, falling back to pure Python when it can't.

`pip install .` compiles `mergefield/_fast.pyx` (Cython is a build requirement; an sdist also
ships the generated C, so a source install needs a C compiler but not Cython).  When the build
fails the package still installs with the pure-Python core and says so; with
`MERGEFIELD_REQUIRE_EXTENSIONS=1` a failed build is an error (CI sets it, so a silent fallback is
never shipped).  `MERGEFIELD_NO_EXTENSIONS=1` skips the build altogether.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
REQUIRE = os.environ.get("MERGEFIELD_REQUIRE_EXTENSIONS", "") not in ("", "0")
SKIP = os.environ.get("MERGEFIELD_NO_EXTENSIONS", "") not in ("", "0")
PYX = HERE / "mergefield" / "_fast.pyx"


def extensions() -> list[Extension]:
    if SKIP and not REQUIRE:
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        generated = PYX.with_suffix(".c")
        if generated.exists():  # an sdist: compile the shipped C
            return [Extension("mergefield._fast", [str(generated.relative_to(HERE))])]
        if REQUIRE:
            raise
        print(
            "mergefield: Cython is not installed; installing the pure-Python core", file=sys.stderr
        )
        return []
    return cythonize(
        [Extension("mergefield._fast", ["mergefield/_fast.pyx"])],
        compiler_directives={"language_level": "3"},
        quiet=True,
    )


class OptionalBuildExt(build_ext):
    """Build extensions, but let a failure fall back to the pure-Python core unless required."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            self._fallback(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._fallback(exc)

    def _fallback(self, exc: Exception) -> None:
        if REQUIRE:
            raise
        # An editable install keeps its compiled core beside the sources; an older one left
        # there would be imported instead of the pure core this build falls back to.
        for stale in (HERE / "mergefield").glob("_fast.*.so"):
            stale.unlink()
        print(
            "*" * 72 + f"\nmergefield: the C extension could not be built ({exc}).\n"
            "mergefield will use its pure-Python core: correct, but slower for bulk work.\n"
            "Set MERGEFIELD_REQUIRE_EXTENSIONS=1 to make this an error.\n" + "*" * 72,
            file=sys.stderr,
        )


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
