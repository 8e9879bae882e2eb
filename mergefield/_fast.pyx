# cython: language_level=3, cdivision=True
"""Compiled core of mergefield: tokenizing and bulk substitution, the twin of `_fast_py.py`.

Split by concern into include files named as the pure twin's modules: the scanner `_scan.pxi`
mirrors `_scan_py.py` line for line; the renderer `_render.pxi` mirrors `_render_py.py` by
contract (entry points, argument checks, messages, results: `mergefield._contract`, whose
constants this module checks at import); `_arrow.pxi` is the Arrow path, whose pure side is
`mergefield.arrow` over pyarrow.  Only the loops over characters live here: messages, catalogs,
value typing and options stay in Python.  Encoding is table-driven into a growable code-point
buffer owned by one call, and each row's string is built from that buffer directly; there is no
module-level mutable state, so templates can render from several threads at once.

Python objects are indexed with Cython's bounds checks on: the core checks its arguments with
the shared `_contract` and then reads only the tuples that made for it, through C arrays of their
items (`PySequence_Fast_ITEMS`) whose lengths were checked once.  No list or sequence the caller
can change mid-call (from a value's ``__str__``, or another thread while a write releases the
GIL) is ever read without a check.
"""

cimport cython

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.object cimport PyObject
from cpython.dict cimport PyDict_GetItemWithError
from cpython.sequence cimport PySequence_Fast_ITEMS
from libc.stdint cimport uint64_t
from libc.string cimport memcpy

from mergefield._contract import (
    batch_args, check_core_constants, mark_row, resolved_not_str, scan_args, step_arg,
)

include "_scan.pxi"
include "_render.pxi"
include "_arrow.pxi"

# Built against another `_contract` (a stale build after a constant changed): refuse to run
# rather than encode by the wrong step.  Module names, for a test to read.
_C_CONSTANTS = {
    "Step.POLICY": C_POLICY,
    "Step.TEXT": C_TEXT,
    "Step.PERCENT": C_PERCENT,
    "Step.FORM": C_FORM,
    "Step.HTML": C_HTML,
    "Step.JSON_STRING": C_JSON_STRING,
    "Step.JSON_NUMBER": C_JSON_NUMBER,
    "Step.JSON_QUOTED": C_JSON_QUOTED,
    "Expect.RESOURCE": E_RESOURCE,
    "Expect.COLON": E_COLON,
    "Expect.FIELD": E_FIELD,
    "Expect.CLOSE": E_CLOSE,
    "FLUSH_BYTES": C_FLUSH_BYTES,
}
check_core_constants("compiled", _C_CONSTANTS)
