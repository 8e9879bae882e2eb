# Included by _fast.pyx: the compiled core's scanner (the twin of `_scan_py.py`, line for line).

# The `Expect` codes as C constants (checked against the contract at import, in `_fast.pyx`).
cdef enum:
    E_RESOURCE = 1
    E_COLON = 2
    E_FIELD = 3
    E_CLOSE = 4


cdef inline bint _is_blank(Py_UCS4 ch) noexcept:
    return ch == u' ' or ch == u'\t'


cdef inline bint _is_resource_start(Py_UCS4 ch) noexcept:
    return (u'A' <= ch <= u'Z') or (u'a' <= ch <= u'z')


cdef inline bint _is_resource_char(Py_UCS4 ch) noexcept:
    return (u'A' <= ch <= u'Z') or (u'a' <= ch <= u'z') or (u'0' <= ch <= u'9') or ch == u'_'


cdef inline bint _is_field_char(Py_UCS4 ch) noexcept:
    return ch != u',' and ch != u'{' and ch != u'}' and ch != u'\r' and ch != u'\n'


def scan(source, strict):
    """Find every merge field of ``source``; see `_scan_py.scan`."""
    text, stop_at_first = scan_args(source, strict)
    return _scan(text, stop_at_first)


cdef tuple _scan(str source, bint strict):
    """`scan` on checked arguments: the loop both scanners share line for line."""
    cdef list tokens = []
    cdef list errors = []
    cdef Py_ssize_t n = len(source)
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t at, i, resource_start = 0, resource_end = 0, field_open, field_start, field_end
    cdef Py_ssize_t default_start
    cdef Py_ssize_t stop = -1  # see `_scan_py._scan`
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
            code = E_RESOURCE
        else:
            resource_start = i
            i += 1
            while i < n and _is_resource_char(source[i]):
                i += 1
            resource_end = i
            while i < n and _is_blank(source[i]):
                i += 1
            if i >= n or source[i] != u':':
                code = E_COLON
            else:
                i += 1
                field_open = i
                while i < n and _is_blank(source[i]):
                    i += 1
                if i >= n or not _is_field_char(source[i]):
                    code = E_FIELD
                    i = field_open
                else:
                    field_start = i
                    while i < n and _is_field_char(source[i]):
                        i += 1
                    field_end = i
                    while _is_blank(source[field_end - 1]):
                        field_end -= 1
                    default_start = -1
                    if i < n and source[i] == u',':
                        default_start = i + 1
                        if stop < default_start:
                            stop = default_start
                            while (
                                stop < n
                                and source[stop] != u'}'
                                and source[stop] != u'\r'
                                and source[stop] != u'\n'
                            ):
                                stop += 1
                        i = stop
                    if i < n and source[i] == u'}':
                        default = None
                        if default_start >= 0:
                            default = source[default_start:i]
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
                    code = E_CLOSE
        errors.append((code, at, i))
        if strict:
            break
        pos = at + 1
    return tokens, errors
