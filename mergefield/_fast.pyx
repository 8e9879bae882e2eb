# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compiled core of mergefield: the tokenizer's inner loop.

The twin of `_fast_py.py`, with the same names and the same control flow; see that file's
docstring for the contract.  Only the loops over characters live here: messages, catalogs and
options stay in Python.
"""

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
