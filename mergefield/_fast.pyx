# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compiled core of mergefield: tokenizing and bulk substitution.

The twin of `_fast_py.py`, with the same names and the same control flow; see that file's
docstring for the contract.  Only the loops over characters live here: messages, catalogs,
value typing and options stay in Python.  Encoding is table-driven into a growable code-point
buffer owned by one call, and each row's string is built from that buffer directly; there is no
module-level mutable state, so templates can render from several threads at once.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_FromKindAndData, PyUnicode_KIND, PyUnicode_READ
from libc.string cimport memcpy

EXPECT_RESOURCE = 1
EXPECT_COLON = 2
EXPECT_FIELD = 3
EXPECT_CLOSE = 4


cdef inline bint _is_blank(Py_UCS4 ch) noexcept:
    return ch == u' ' or ch == u'\t'


cdef inline bint _is_resource_start(Py_UCS4 ch) noexcept:
    return (u'A' <= ch <= u'Z') or (u'a' <= ch <= u'z')


cdef inline bint _is_resource_char(Py_UCS4 ch) noexcept:
    return (u'A' <= ch <= u'Z') or (u'a' <= ch <= u'z') or (u'0' <= ch <= u'9') or ch == u'_'


cdef inline bint _is_field_char(Py_UCS4 ch) noexcept:
    return ch != u',' and ch != u'{' and ch != u'}' and ch != u'\r' and ch != u'\n'


def scan(str source, bint strict):
    """Find every merge field of ``source``; see `_fast_py.scan`."""
    cdef list tokens = []
    cdef list errors = []
    cdef Py_ssize_t n = len(source)
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t at, i, resource_start = 0, resource_end = 0, field_open, field_start, field_end
    cdef Py_ssize_t default_start
    cdef int code
    cdef object default
    while True:
        at = source.find(u"@{", pos)
        if at < 0:
            break
        i = at + 2
        code = 0
        while i < n and _is_blank(source[i]):
            i += 1
        if i >= n or not _is_resource_start(source[i]):
            code = EXPECT_RESOURCE
        else:
            resource_start = i
            i += 1
            while i < n and _is_resource_char(source[i]):
                i += 1
            resource_end = i
            while i < n and _is_blank(source[i]):
                i += 1
            if i >= n or source[i] != u':':
                code = EXPECT_COLON
            else:
                i += 1
                field_open = i
                while i < n and _is_blank(source[i]):
                    i += 1
                if i >= n or not _is_field_char(source[i]):
                    code = EXPECT_FIELD
                    i = field_open
                else:
                    field_start = i
                    while i < n and _is_field_char(source[i]):
                        i += 1
                    field_end = i
                    while _is_blank(source[field_end - 1]):
                        field_end -= 1
                    default = None
                    if i < n and source[i] == u',':
                        default_start = i + 1
                        i = default_start
                        while i < n and source[i] != u'}' and source[i] != u'\r' and source[i] != u'\n':
                            i += 1
                        default = source[default_start:i]
                    if i < n and source[i] == u'}':
                        tokens.append(
                            (
                                source[resource_start:resource_end],
                                source[field_start:field_end],
                                default,
                                at,
                                i + 1,
                            )
                        )
                        pos = i + 1
                        continue
                    code = EXPECT_CLOSE
        errors.append((code, at, i))
        if strict:
            break
        pos = at + 1
    return tokens, errors


# --- bulk substitution -------------------------------------------------------------------------

STEP_TEXT = 0
STEP_PERCENT = 1
STEP_FORM = 2
STEP_HTML = 3
STEP_JSON_STRING = 4

DEF _UCS4 = 4

cdef const char* _HEX_UPPER = b"0123456789ABCDEF"
cdef const char* _HEX_LOWER = b"0123456789abcdef"

# RFC 3986 unreserved ASCII: the only characters PERCENT and FORM leave as they are.  Filled once
# at import and never written again.
cdef unsigned char _UNRESERVED[128]


cdef void _init_tables() noexcept:
    cdef int c
    for c in range(128):
        _UNRESERVED[c] = (
            (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122) or c == 45 or c == 46 or c == 95 or c == 126
        )


_init_tables()


cdef struct Buf:
    Py_UCS4* data
    Py_ssize_t length
    Py_ssize_t capacity


cdef int _reserve(Buf* buf, Py_ssize_t extra) except -1:
    cdef Py_ssize_t needed = buf.length + extra
    cdef Py_ssize_t capacity
    cdef void* grown
    if needed <= buf.capacity:
        return 0
    capacity = buf.capacity * 2
    if capacity < needed:
        capacity = needed
    if capacity < 256:
        capacity = 256
    grown = PyMem_Realloc(buf.data, capacity * sizeof(Py_UCS4))
    if grown == NULL:
        raise MemoryError()
    buf.data = <Py_UCS4*>grown
    buf.capacity = capacity
    return 0


cdef int _append_str(Buf* buf, str text) except -1:
    cdef Py_ssize_t n = len(text)
    cdef Py_ssize_t i
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_UCS4* out
    _reserve(buf, n)
    out = buf.data + buf.length
    if kind == _UCS4:
        memcpy(out, data, n * sizeof(Py_UCS4))
    else:
        for i in range(n):
            out[i] = PyUnicode_READ(kind, data, i)
    buf.length += n
    return 0


cdef inline void _put(Buf* buf, unsigned int c) noexcept:
    buf.data[buf.length] = c
    buf.length += 1


cdef inline void _put_percent(Buf* buf, unsigned int byte) noexcept:
    _put(buf, 37)  # '%'
    _put(buf, <unsigned char>_HEX_UPPER[byte >> 4])
    _put(buf, <unsigned char>_HEX_UPPER[byte & 15])


cdef inline void _put_ascii(Buf* buf, const char* text) noexcept:
    while text[0] != 0:
        _put(buf, <unsigned char>text[0])
        text += 1


cdef int _encode_into(Buf* buf, int step, str value) except -1:
    """Append ``value`` encoded by ``step``; return 1 (and append nothing) on a lone surrogate."""
    cdef Py_ssize_t n = len(value)
    cdef Py_ssize_t i
    cdef Py_ssize_t mark = buf.length
    cdef int kind = PyUnicode_KIND(value)
    cdef void* data = PyUnicode_DATA(value)
    cdef unsigned int c  # a number, not a character: it is shifted and masked below
    for i in range(n):
        c = PyUnicode_READ(kind, data, i)
        if 0xD800 <= c <= 0xDFFF:
            buf.length = mark
            return 1
        # The longest spelling of one code point is 12 (four %XX bytes).
        _reserve(buf, 12)
        if step == STEP_TEXT:
            _put(buf, c)
        elif step == STEP_PERCENT or step == STEP_FORM:
            if c < 128 and _UNRESERVED[c]:
                _put(buf, c)
            elif c == 32 and step == STEP_FORM:
                _put(buf, 43)  # '+'
            elif c < 0x80:
                _put_percent(buf, c)
            elif c < 0x800:
                _put_percent(buf, 0xC0 | (c >> 6))
                _put_percent(buf, 0x80 | (c & 0x3F))
            elif c < 0x10000:
                _put_percent(buf, 0xE0 | (c >> 12))
                _put_percent(buf, 0x80 | ((c >> 6) & 0x3F))
                _put_percent(buf, 0x80 | (c & 0x3F))
            else:
                _put_percent(buf, 0xF0 | (c >> 18))
                _put_percent(buf, 0x80 | ((c >> 12) & 0x3F))
                _put_percent(buf, 0x80 | ((c >> 6) & 0x3F))
                _put_percent(buf, 0x80 | (c & 0x3F))
        elif step == STEP_HTML:
            if c == 38:
                _put_ascii(buf, b"&amp;")
            elif c == 60:
                _put_ascii(buf, b"&lt;")
            elif c == 62:
                _put_ascii(buf, b"&gt;")
            elif c == 34:
                _put_ascii(buf, b"&#34;")
            elif c == 39:
                _put_ascii(buf, b"&#39;")
            else:
                _put(buf, c)
        elif step == STEP_JSON_STRING:
            if c == 34:
                _put_ascii(buf, b'\\"')
            elif c == 92:
                _put_ascii(buf, b"\\\\")
            elif c == 8:
                _put_ascii(buf, b"\\b")
            elif c == 12:
                _put_ascii(buf, b"\\f")
            elif c == 10:
                _put_ascii(buf, b"\\n")
            elif c == 13:
                _put_ascii(buf, b"\\r")
            elif c == 9:
                _put_ascii(buf, b"\\t")
            elif c < 0x20 or c == 0x2028 or c == 0x2029:
                _put_ascii(buf, b"\\u")
                _put(buf, <unsigned char>_HEX_LOWER[(c >> 12) & 15])
                _put(buf, <unsigned char>_HEX_LOWER[(c >> 8) & 15])
                _put(buf, <unsigned char>_HEX_LOWER[(c >> 4) & 15])
                _put(buf, <unsigned char>_HEX_LOWER[c & 15])
            else:
                _put(buf, c)
        else:
            buf.length = mark
            raise ValueError(f"unknown base transform {step}")
    return 0


def encode_fast(int step, str value):
    """Encode a plain str by one base transform; ``None`` when it holds a lone surrogate."""
    cdef Buf buf
    buf.data = NULL
    buf.length = 0
    buf.capacity = 0
    try:
        if _encode_into(&buf, step, value):
            return None
        return PyUnicode_FromKindAndData(_UCS4, buf.data, buf.length)
    finally:
        PyMem_Free(buf.data)


def _get_nothing(key):
    return None


cdef object _getter(object row, Py_ssize_t number):
    if row is None:
        return _get_nothing
    try:
        return row.get
    except AttributeError:
        raise TypeError(f"lead {number} is a {type(row).__name__}, not a mapping") from None


cdef struct Plan:
    # The C view of one batch: slot count and each slot's base transform.
    Py_ssize_t n
    int* steps


cdef int _plan(Plan* plan, list steps) except -1:
    cdef Py_ssize_t i
    plan.n = len(steps)
    plan.steps = <int*>PyMem_Realloc(NULL, (plan.n + 1) * sizeof(int))
    if plan.steps == NULL:
        raise MemoryError()
    for i in range(plan.n):
        plan.steps[i] = steps[i]
    return 0


cdef int _fill_row(
    Buf* buf, list literals, list keys, Plan* plan, object get, list columns,
    Py_ssize_t index, object resolve, object row,
) except -1:
    """One rendered row into ``buf``: values from ``get(key)``, or ``columns[i][index]``."""
    cdef Py_ssize_t i
    cdef int step
    cdef bint done
    cdef object value, text, column
    buf.length = 0
    _append_str(buf, <str>literals[0])
    for i in range(plan.n):
        if columns is None:
            value = get(keys[i])
        else:
            column = columns[i]
            value = None if column is None else column[index]
        step = plan.steps[i]
        done = False
        if step >= 0 and type(value) is str and len(<str>value) > 0:
            done = _encode_into(buf, step, <str>value) == 0
        if not done:
            text = resolve(i, value, row)
            _append_str(buf, <str?>text)
        _append_str(buf, <str>literals[i + 1])
    return 0


def render_rows(literals, keys, steps, rows, resolve):
    """Substitute each row's values between ``literals``; see `_fast_py.render_rows`."""
    cdef list lits = list(literals)
    cdef list key_list = list(keys)
    cdef Py_ssize_t number = -1
    cdef list out = []
    cdef Buf buf
    cdef Plan plan
    buf.data = NULL
    buf.length = 0
    buf.capacity = 0
    _plan(&plan, list(steps))
    try:
        for row in rows:
            number += 1
            _fill_row(&buf, lits, key_list, &plan, _getter(row, number), None, number, resolve, row)
            out.append(PyUnicode_FromKindAndData(_UCS4, buf.data, buf.length))
    finally:
        PyMem_Free(buf.data)
        PyMem_Free(plan.steps)
    return out


def render_columns(literals, columns, steps, Py_ssize_t nrows, resolve):
    """Columnar `render_rows`; see `_fast_py.render_columns`."""
    cdef list lits = list(literals)
    cdef list cols = list(columns)
    cdef Py_ssize_t index
    cdef list out = []
    cdef Buf buf
    cdef Plan plan
    buf.data = NULL
    buf.length = 0
    buf.capacity = 0
    _plan(&plan, list(steps))
    try:
        for index in range(nrows):
            _fill_row(&buf, lits, [], &plan, None, cols, index, resolve, index)
            out.append(PyUnicode_FromKindAndData(_UCS4, buf.data, buf.length))
    finally:
        PyMem_Free(buf.data)
        PyMem_Free(plan.steps)
    return out


FLUSH_BYTES = 1 << 16


cdef struct Bytes:
    char* data
    Py_ssize_t length
    Py_ssize_t capacity


cdef int _utf8_line(Bytes* out, Buf* buf, bytes separator) except -1:
    """Append the row in ``buf`` as UTF-8 and the separator; a lone surrogate raises as
    ``str.encode`` would."""
    cdef Py_ssize_t i
    cdef Py_ssize_t sep_len = len(separator)
    cdef Py_ssize_t needed = out.length + buf.length * 4 + sep_len
    cdef Py_ssize_t capacity
    cdef void* grown
    cdef unsigned int c
    cdef char* p
    if needed > out.capacity:
        capacity = max(needed, out.capacity * 2, FLUSH_BYTES * 2)
        grown = PyMem_Realloc(out.data, capacity)
        if grown == NULL:
            raise MemoryError()
        out.data = <char*>grown
        out.capacity = capacity
    p = out.data + out.length
    for i in range(buf.length):
        c = buf.data[i]
        if c < 0x80:
            p[0] = <char>c
            p += 1
        elif c < 0x800:
            p[0] = <char>(0xC0 | (c >> 6))
            p[1] = <char>(0x80 | (c & 0x3F))
            p += 2
        elif c < 0x10000:
            if 0xD800 <= c <= 0xDFFF:
                # Let Python raise its own UnicodeEncodeError, as the pure core does.
                PyUnicode_FromKindAndData(_UCS4, buf.data, buf.length).encode("utf-8")
            p[0] = <char>(0xE0 | (c >> 12))
            p[1] = <char>(0x80 | ((c >> 6) & 0x3F))
            p[2] = <char>(0x80 | (c & 0x3F))
            p += 3
        else:
            p[0] = <char>(0xF0 | (c >> 18))
            p[1] = <char>(0x80 | ((c >> 12) & 0x3F))
            p[2] = <char>(0x80 | ((c >> 6) & 0x3F))
            p[3] = <char>(0x80 | (c & 0x3F))
            p += 4
    memcpy(p, <char*>separator, sep_len)
    p += sep_len
    out.length = p - out.data
    return 0


cdef int _flush(Bytes* out, object write) except -1:
    if out.length:
        write(PyBytes_FromStringAndSize(out.data, out.length))
        out.length = 0
    return 0


def write_rows(literals, keys, steps, rows, resolve, write, bytes separator):
    """`render_rows` straight to ``write`` as UTF-8 blocks; see `_fast_py.write_rows`."""
    cdef list lits = list(literals)
    cdef list key_list = list(keys)
    cdef Py_ssize_t number = -1
    cdef Buf buf
    cdef Bytes out
    cdef Plan plan
    buf.data = NULL
    buf.length = 0
    buf.capacity = 0
    out.data = NULL
    out.length = 0
    out.capacity = 0
    _plan(&plan, list(steps))
    try:
        for row in rows:
            number += 1
            _fill_row(&buf, lits, key_list, &plan, _getter(row, number), None, number, resolve, row)
            _utf8_line(&out, &buf, separator)
            if out.length >= FLUSH_BYTES:
                _flush(&out, write)
        _flush(&out, write)
    finally:
        PyMem_Free(buf.data)
        PyMem_Free(out.data)
        PyMem_Free(plan.steps)
    return number + 1


def write_columns(literals, columns, steps, Py_ssize_t nrows, resolve, write, bytes separator):
    """`render_columns` straight to ``write``; see `_fast_py.write_columns`."""
    cdef list lits = list(literals)
    cdef list cols = list(columns)
    cdef Py_ssize_t index
    cdef Buf buf
    cdef Bytes out
    cdef Plan plan
    buf.data = NULL
    buf.length = 0
    buf.capacity = 0
    out.data = NULL
    out.length = 0
    out.capacity = 0
    _plan(&plan, list(steps))
    try:
        for index in range(nrows):
            _fill_row(&buf, lits, [], &plan, None, cols, index, resolve, index)
            _utf8_line(&out, &buf, separator)
            if out.length >= FLUSH_BYTES:
                _flush(&out, write)
        _flush(&out, write)
    finally:
        PyMem_Free(buf.data)
        PyMem_Free(out.data)
        PyMem_Free(plan.steps)
    return nrows
