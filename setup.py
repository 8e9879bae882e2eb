"""Build the optional Cython core of mergefield, falling back to pure Python when it can't.

`pip install .` from a checkout translates `mergefield/_fast.pyx` with Cython and compiles it;
an sdist ships that generated C and compiles it as it is, so a source install needs a C compiler
but not Cython (`buildsys/mergefield_build.py` asks for Cython only in a checkout).  When the build
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
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
REQUIRE = os.environ.get("MERGEFIELD_REQUIRE_EXTENSIONS", "") not in ("", "0")
SKIP = os.environ.get("MERGEFIELD_NO_EXTENSIONS", "") not in ("", "0")
# An sdist has PKG-INFO at its root and the C that Cython generated from each .pyx when the sdist
# was made: it compiles that C, so every source install compiles the same code without Cython.
SDIST = (HERE / "PKG-INFO").exists()
# embedsignature puts each compiled function's signature in its docstring and binding makes the
# functions introspectable, so `inspect.signature`, `help()` and IDEs see the same parameters as
# in the pure-Python twin.
DIRECTIVES = {
    "language_level": "3",
    "embedsignature": True,
    "embedsignature.format": "python",
    "binding": True,
}
PYX = {"mergefield._fast": "mergefield/_fast.pyx"}


def extensions() -> list[Extension]:
    if SKIP and not REQUIRE:
        return []
    shipped = {name: pyx.removesuffix(".pyx") + ".c" for name, pyx in PYX.items()}
    if SDIST and all((HERE / c).exists() for c in shipped.values()):
        return [Extension(name, [c]) for name, c in shipped.items()]
    return [Extension(name, [pyx]) for name, pyx in PYX.items()]


def cythonize(exts: list[Extension], *, force: bool) -> None:
    """Translate the .pyx of ``exts`` to C and point them at it (Cython is imported only here).

    The extensions are changed in place: build_ext has already annotated them.
    """
    from Cython.Build import cythonize as translate

    ours = [ext for ext in exts if ext.name in PYX]
    for ext in ours:  # setuptools swaps .pyx for .c when Cython was missing at setup() time
        ext.sources = [PYX[ext.name]]
    # The directives live here: a C file older than this file may have been made with others.
    force = force or any(
        (HERE / c).exists() and (HERE / c).stat().st_mtime < Path(__file__).stat().st_mtime
        for c in (pyx.removesuffix(".pyx") + ".c" for pyx in PYX.values())
    )
    translated = translate(ours, compiler_directives=DIRECTIVES, force=force, quiet=True)
    for ext, done in zip(ours, translated, strict=True):
        ext.sources = done.sources


class OptionalBuildExt(build_ext):
    """Build extensions, but let a failure fall back to the pure-Python core unless required."""

    def run(self) -> None:
        try:
            if not SDIST:
                cythonize(self.extensions, force=False)
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


class SdistWithC(sdist):
    """Generate the C from the .pyx before packing: the sdist ships it, freshly made."""

    def run(self) -> None:
        # force: a .c left by an earlier build may predate the directives, which timestamps miss.
        cythonize([Extension(name, [pyx]) for name, pyx in PYX.items()], force=True)
        super().run()


setup(
    ext_modules=extensions(),
    cmdclass={"build_ext": OptionalBuildExt, "sdist": SdistWithC},
)
