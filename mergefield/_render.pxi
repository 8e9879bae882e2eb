# Included by _fast.pyx: the compiled core's renderer (encoding and bulk substitution).  It and
# `_render_py.py` mirror by contract, not line for line: the same entry points, argument checks
# (`_contract.batch_args`), messages and results; here encoding is table-driven in C.

# The `Step` ids a core runs and the flush size, as C constants (a Python name would box every
# comparison); `_fast.pyx` checks them against `_contract` at import.
cdef enum:
    C_POLICY = -1
    C_TEXT = 0
    C_PERCENT = 1
    C_FORM = 2
    C_HTML = 3
    C_JSON_STRING = 4
    C_JSON_NUMBER = 5
    C_JSON_QUOTED = 6
    C_FLUSH_BYTES = 1 << 16

cdef extern from "Python.h":
    ctypedef unsigned char Py_UCS1
    ctypedef unsigned short Py_UCS2
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    bint PyUnicode_IS_ASCII(object o)

cdef const char* _HEX_UPPER = b"0123456789ABCDEF"
cdef const char* _HEX_LOWER = b"0123456789abcdef"

# RFC 3986 unreserved ASCII: the only characters PERCENT and FORM leave as they are.  Filled once
# at import and never written again.
cdef unsigned char _UNRESERVED[128]
# Which 1-byte code points a step must spell otherwise (HTML, JSON): the fast path's tables.
cdef unsigned char _HTML_SPECIAL[256]
cdef unsigned char _JSON_SPECIAL[256]


# Eight bytes at a time (SWAR): a word of plain characters is copied without looking at each.
# `_zero_byte(x)` is non-zero exactly when some byte of x is zero; `_byte_below(x, n)` when some
# byte is below n (n <= 128).  The masks are C literals, not module variables, so the compiler
# folds them into the instructions.
cdef extern from *:
    """
    #define MF_ONES 0x0101010101010101ULL
    #define MF_HIGHS 0x8080808080808080ULL
    """
    const uint64_t MF_ONES
    const uint64_t MF_HIGHS


cdef inline uint64_t _zero_byte(uint64_t x) noexcept nogil:
    return (x - MF_ONES) & ~x & MF_HIGHS


cdef inline uint64_t _byte_below(uint64_t x, uint64_t n) noexcept nogil:
    return (x - MF_ONES * n) & ~x & MF_HIGHS


cdef inline bint _json_plain_word(uint64_t w) noexcept nogil:
    return not (
        _byte_below(w, 0x20) | _zero_byte(w ^ (MF_ONES * 0x22)) | _zero_byte(w ^ (MF_ONES * 0x5C))
    )


cdef inline bint _html_plain_word(uint64_t w) noexcept nogil:
    return not (
        _zero_byte(w ^ (MF_ONES * 0x26)) | _zero_byte(w ^ (MF_ONES * 0x3C))
        | _zero_byte(w ^ (MF_ONES * 0x3E)) | _zero_byte(w ^ (MF_ONES * 0x22))
        | _zero_byte(w ^ (MF_ONES * 0x27))
    )


# What a step writes for each 1-byte code point, one 8-byte entry per code point: bytes 0-6 the
# text (the character itself, or its %XX / entity / JSON escape), byte 7 its length.  The narrow
# encoder stores all eight bytes in one move and advances by the length, without branching on the
# character (the buffer keeps eight bytes of slack for the overhang).  Rows: PERCENT, FORM, HTML,
# JSON.
cdef enum:
    T_PERCENT = 0
    T_FORM = 1
    T_HTML = 2
    T_JSON = 3
cdef unsigned char _NARROW_TABLE[4][256][8]


cdef void _set_entry(unsigned char* entry, const char* text) noexcept:
    cdef int k = 0
    while text[k] != 0:
        entry[k] = text[k]
        k += 1
    entry[7] = k


cdef void _init_narrow_tables() noexcept:
    cdef int row, c, k, length
    cdef unsigned char utf8[2]
    cdef unsigned char* entry
    cdef char text[8]
    for row in range(4):
        for c in range(256):
            entry = _NARROW_TABLE[row][c]
            for k in range(8):
                entry[k] = 0
            entry[0] = c
            entry[7] = 1
    for row in (T_PERCENT, T_FORM):
        for c in range(256):
            entry = _NARROW_TABLE[row][c]
            if c < 128 and _UNRESERVED[c]:
                continue
            if c == 32 and row == T_FORM:
                entry[0] = 43  # '+'
                continue
            if c < 128:
                utf8[0] = c
                length = 1
            else:
                utf8[0] = 0xC0 | (c >> 6)
                utf8[1] = 0x80 | (c & 0x3F)
                length = 2
            entry[7] = 3 * length
            for k in range(length):
                entry[3 * k] = 37  # '%'
                entry[1 + 3 * k] = _HEX_UPPER[utf8[k] >> 4]
                entry[2 + 3 * k] = _HEX_UPPER[utf8[k] & 15]
    for c in range(256):
        if _HTML_SPECIAL[c]:
            _spell_html(text, c)
            _set_entry(_NARROW_TABLE[T_HTML][c], text)
        if _JSON_SPECIAL[c]:
            _spell_json(text, c)
            _set_entry(_NARROW_TABLE[T_JSON][c], text)


cdef void _init_tables() noexcept:
    cdef int c
    for c in range(256):
        if c < 128:
            _UNRESERVED[c] = (
                (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122)
                or c == 45 or c == 46 or c == 95 or c == 126
            )
        _HTML_SPECIAL[c] = c == 38 or c == 60 or c == 62 or c == 34 or c == 39
        _JSON_SPECIAL[c] = c < 0x20 or c == 34 or c == 92


_init_tables()
_init_narrow_tables()


cdef struct Buf:
    # One row being built.  It holds 1-byte code points until a wider one arrives, then 4-byte
    # ones; `maxchar` is a bound in the same width class as the widest code point written, which
    # is all `PyUnicode_New` needs to build a canonical str directly.
    void* data
    Py_ssize_t length
    Py_ssize_t capacity
    bint wide
    Py_UCS4 maxchar


cdef void _buf_init(Buf* buf) noexcept:
    buf.data = NULL
    buf.length = 0
    buf.capacity = 0
    buf.wide = False
    buf.maxchar = 0


cdef inline void _buf_reset(Buf* buf) noexcept:
    buf.length = 0
    buf.maxchar = 0
    if buf.wide:
        # Back to 1-byte storage: one wide row must not slow down every row after it.
        PyMem_Free(buf.data)
        buf.data = NULL
        buf.capacity = 0
        buf.wide = False


cdef int _reserve(Buf* buf, Py_ssize_t extra) except -1:
    # Eight code points of slack beyond the request: the narrow encoder stores 8 bytes at a time.
    cdef Py_ssize_t needed = buf.length + extra + 8
    cdef Py_ssize_t capacity
    cdef void* grown
    if needed <= buf.capacity:
        return 0
    capacity = buf.capacity * 2
    if capacity < needed:
        capacity = needed
    if capacity < 256:
        capacity = 256
    grown = PyMem_Realloc(buf.data, capacity * (4 if buf.wide else 1))
    if grown == NULL:
        raise MemoryError()
    buf.data = grown
    buf.capacity = capacity
    return 0


cdef int _widen(Buf* buf) except -1:
    cdef Py_UCS4* wide = <Py_UCS4*>PyMem_Malloc((buf.capacity if buf.capacity else 256) * 4)
    cdef Py_UCS1* narrow = <Py_UCS1*>buf.data
    cdef Py_ssize_t i
    if wide == NULL:
        raise MemoryError()
    for i in range(buf.length):
        wide[i] = narrow[i]
    PyMem_Free(buf.data)
    buf.data = wide
    if not buf.capacity:
        buf.capacity = 256
    buf.wide = True
    return 0


cdef inline int _put(Buf* buf, Py_UCS4 c) except -1:
    # The caller has reserved room.
    if c > buf.maxchar:
        buf.maxchar = c
    if buf.wide:
        (<Py_UCS4*>buf.data)[buf.length] = c
    elif c < 256:
        (<Py_UCS1*>buf.data)[buf.length] = <Py_UCS1>c
    else:
        _widen(buf)
        (<Py_UCS4*>buf.data)[buf.length] = c
    buf.length += 1
    return 0


cdef inline void _put_ascii(Buf* buf, const char* text) noexcept:
    # Room reserved by the caller; ASCII never widens the buffer nor raises maxchar past 127.
    cdef Py_ssize_t i = 0
    if buf.maxchar < 127:
        buf.maxchar = 127
    while text[i] != 0:
        if buf.wide:
            (<Py_UCS4*>buf.data)[buf.length] = <unsigned char>text[i]
        else:
            (<Py_UCS1*>buf.data)[buf.length] = <unsigned char>text[i]
        buf.length += 1
        i += 1


cdef inline void _put_percent(Buf* buf, unsigned int byte) noexcept:
    cdef char piece[4]
    piece[0] = 37  # '%'
    piece[1] = _HEX_UPPER[byte >> 4]
    piece[2] = _HEX_UPPER[byte & 15]
    piece[3] = 0
    _put_ascii(buf, piece)


cdef void _spell_html(char* text, unsigned int c) noexcept:
    # The entity of one of `& < > " '`, NUL-terminated, into at least 6 bytes.
    cdef const char* entity
    cdef int k = 0
    if c == 38:
        entity = b"&amp;"
    elif c == 60:
        entity = b"&lt;"
    elif c == 62:
        entity = b"&gt;"
    elif c == 34:
        entity = b"&#34;"
    else:
        entity = b"&#39;"
    while True:
        text[k] = entity[k]
        if entity[k] == 0:
            break
        k += 1


cdef void _spell_json(char* text, unsigned int c) noexcept:
    # The JSON escape of `"`, `\`, a control character, U+2028 or U+2029, NUL-terminated, into
    # at least 7 bytes.
    text[0] = 92  # backslash
    text[2] = 0
    if c == 34:
        text[1] = 34
    elif c == 92:
        text[1] = 92
    elif c == 8:
        text[1] = 98  # b
    elif c == 12:
        text[1] = 102  # f
    elif c == 10:
        text[1] = 110  # n
    elif c == 13:
        text[1] = 114  # r
    elif c == 9:
        text[1] = 116  # t
    else:
        text[1] = 117  # u
        text[2] = _HEX_LOWER[(c >> 12) & 15]
        text[3] = _HEX_LOWER[(c >> 8) & 15]
        text[4] = _HEX_LOWER[(c >> 4) & 15]
        text[5] = _HEX_LOWER[c & 15]
        text[6] = 0


cdef inline void _put_html_escape(Buf* buf, unsigned int c) noexcept:
    # Room reserved by the caller.
    cdef char text[8]
    _spell_html(text, c)
    _put_ascii(buf, text)


cdef inline void _put_json_escape(Buf* buf, unsigned int c) noexcept:
    # Room reserved by the caller.
    cdef char text[8]
    _spell_json(text, c)
    _put_ascii(buf, text)


cdef inline Py_UCS4 _class_bound(str text) noexcept:
    # CPython keeps every str in its narrowest form, so its kind tells the width class exactly.
    cdef int kind = PyUnicode_KIND(text)
    if kind == 1:
        return 127 if PyUnicode_IS_ASCII(text) else 255
    if kind == 2:
        return 0xFFFF
    return 0x10FFFF


cdef int _append_raw(Buf* buf, void* data, Py_ssize_t n, int kind, Py_UCS4 bound) except -1:
    """Append ``n`` code points of a str's storage (``kind``, width-class ``bound``)."""
    cdef Py_ssize_t i
    if n == 0:
        return 0
    _reserve(buf, n)
    if bound > 255 and not buf.wide:
        _widen(buf)
    if bound > buf.maxchar:
        buf.maxchar = bound
    if not buf.wide:
        memcpy(<Py_UCS1*>buf.data + buf.length, data, n)
    elif kind == 4:
        memcpy(<Py_UCS4*>buf.data + buf.length, data, n * 4)
    else:
        for i in range(n):
            (<Py_UCS4*>buf.data)[buf.length + i] = PyUnicode_READ(kind, data, i)
    buf.length += n
    return 0


cdef inline int _append_str(Buf* buf, str text) except -1:
    return _append_raw(buf, PyUnicode_DATA(text), len(text), PyUnicode_KIND(text), _class_bound(text))


cdef str _buf_str(Buf* buf):
    """The row as a str, built once in its final width."""
    cdef object result = PyUnicode_New(buf.length, buf.maxchar)
    cdef int kind = PyUnicode_KIND(result)
    cdef void* out = PyUnicode_DATA(result)
    cdef Py_ssize_t i
    cdef Py_UCS4* wide = <Py_UCS4*>buf.data
    if not buf.wide:
        memcpy(out, buf.data, buf.length)
    elif kind == 1:
        for i in range(buf.length):
            (<Py_UCS1*>out)[i] = <Py_UCS1>wide[i]
    elif kind == 2:
        for i in range(buf.length):
            (<Py_UCS2*>out)[i] = <Py_UCS2>wide[i]
    else:
        memcpy(out, buf.data, buf.length * 4)
    return <str>result


cdef int _encode_into(Buf* buf, int step, str value) except -1:
    """Append ``value`` encoded by ``step``; return 1 (appending nothing) on a lone surrogate."""
    cdef Py_ssize_t n = len(value)
    cdef Py_ssize_t i
    cdef Py_ssize_t mark = buf.length
    cdef Py_UCS4 mark_max = buf.maxchar
    cdef int kind = PyUnicode_KIND(value)
    cdef void* data = PyUnicode_DATA(value)
    cdef unsigned int c  # a number, not a character: it is shifted and masked below
    if kind != 1:
        # Only a 2- or 4-byte str can hold a surrogate; the policy decides what becomes of it.
        for i in range(n):
            c = PyUnicode_READ(kind, data, i)
            if 0xD800 <= c <= 0xDFFF:
                return 1
    if kind == 1 and not buf.wide and step != C_TEXT:
        return _encode_narrow(buf, step, <Py_UCS1*>data, n, _class_bound(value))
    if step == C_TEXT:
        _append_str(buf, value)
    elif step == C_PERCENT or step == C_FORM:
        _reserve(buf, n * 12)  # four UTF-8 bytes as %XX each, at most
        for i in range(n):
            c = PyUnicode_READ(kind, data, i)
            if c < 128 and _UNRESERVED[c]:
                _put(buf, c)
            elif c == 32 and step == C_FORM:
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
    elif step == C_HTML:
        _reserve(buf, n * 5)
        for i in range(n):
            c = PyUnicode_READ(kind, data, i)
            if c < 256 and _HTML_SPECIAL[c]:
                _put_html_escape(buf, c)
            else:
                _put(buf, c)
    elif step == C_JSON_STRING or step == C_JSON_QUOTED:
        _reserve(buf, n * 6 + 2)
        if step == C_JSON_QUOTED:
            _put_ascii(buf, b'"')
        for i in range(n):
            c = PyUnicode_READ(kind, data, i)
            if (c < 256 and _JSON_SPECIAL[c]) or c == 0x2028 or c == 0x2029:
                _put_json_escape(buf, c)
            else:
                _put(buf, c)
        if step == C_JSON_QUOTED:
            _put_ascii(buf, b'"')
    else:
        buf.length = mark
        buf.maxchar = mark_max
        raise ValueError(f"unknown base transform {step}")
    return 0


cdef int _encode_narrow(Buf* buf, int step, Py_UCS1* src, Py_ssize_t n, Py_UCS4 bound) except -1:
    """`_encode_into` for the common case, a 1-byte str into a 1-byte buffer: one table entry
    stored per character, and for HTML and JSON, whole words of plain characters copied at once."""
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t stop
    cdef uint64_t word
    cdef unsigned char (*table)[8]
    cdef unsigned char* entry
    cdef Py_UCS1* out
    cdef Py_ssize_t length
    cdef int row
    if step == C_PERCENT:
        row = T_PERCENT
    elif step == C_FORM:
        row = T_FORM
    elif step == C_HTML:
        row = T_HTML
    elif step == C_JSON_STRING or step == C_JSON_QUOTED:
        row = T_JSON
    else:
        raise ValueError(f"unknown base transform {step}")
    # Six characters at most per 1-byte code point (two UTF-8 bytes as %XX), two quotes.
    _reserve(buf, n * 6 + 2)
    if row <= T_FORM:
        # Percent-encoding writes only ASCII, even for a Latin-1 value: raising maxchar to the
        # value's bound would build a Latin-1 str holding ASCII text, which CPython forbids.
        if buf.maxchar < 127:
            buf.maxchar = 127
    elif bound > buf.maxchar:
        buf.maxchar = bound
    table = _NARROW_TABLE[row]
    out = <Py_UCS1*>buf.data
    length = buf.length
    if step == C_JSON_QUOTED:
        out[length] = 34
        length += 1
    while i < n:
        # Skip words with nothing to spell (percent-encoding spells too much for this to pay),
        # then spell one word's worth through the table.
        if row == T_JSON:
            while i + 8 <= n:
                memcpy(&word, src + i, 8)
                if not _json_plain_word(word):
                    break
                memcpy(out + length, &word, 8)
                length += 8
                i += 8
        elif row == T_HTML:
            while i + 8 <= n:
                memcpy(&word, src + i, 8)
                if not _html_plain_word(word):
                    break
                memcpy(out + length, &word, 8)
                length += 8
                i += 8
        stop = n if row <= T_FORM or i + 8 > n else i + 8
        while i < stop:
            entry = table[src[i]]
            memcpy(out + length, entry, 8)
            length += entry[7]
            i += 1
    if step == C_JSON_QUOTED:
        out[length] = 34
        length += 1
    buf.length = length
    return 0


cdef int _int_into(Buf* buf, int step, object value) except -1:
    """Append the digits of an exact ``int``; return 1 when it does not fit 64 bits."""
    cdef int overflow = 0
    cdef long long number = PyLong_AsLongLongAndOverflow(value, &overflow)
    cdef unsigned long long magnitude
    cdef char digits[24]
    cdef int pos = 23
    if overflow:
        return 1
    digits[pos] = 0
    magnitude = (<unsigned long long>(-(number + 1))) + 1 if number < 0 else <unsigned long long>number
    while True:
        pos -= 1
        digits[pos] = <char>(48 + magnitude % 10)
        magnitude //= 10
        if magnitude == 0:
            break
    if number < 0:
        pos -= 1
        digits[pos] = 45  # '-'
    _reserve(buf, 26)
    if step == C_JSON_QUOTED:
        _put_ascii(buf, b'"')
    _put_ascii(buf, digits + pos)
    if step == C_JSON_QUOTED:
        _put_ascii(buf, b'"')
    return 0


def encode_fast(step, value):
    """Encode a plain str (or an exact int) by one base step; ``None`` when the policy must
    decide (a lone surrogate, an int beyond 64 bits, text in a JSON number slot)."""
    cdef int code = step_arg(step)
    cdef Buf buf
    if code < 0:
        return None
    _buf_init(&buf)
    try:
        if _fast_value(&buf, code, value):
            return None
        return _buf_str(&buf)
    finally:
        PyMem_Free(buf.data)


cdef inline int _fast_value(Buf* buf, int step, object value) except -1:
    """Encode ``value`` in the core when the step allows it; 1 means "ask the policy"."""
    if type(value) is str:
        if len(<str>value) == 0 or step == C_JSON_NUMBER:
            return 1
        return _encode_into(buf, step, <str>value)
    if type(value) is int:
        return _int_into(buf, step, value)
    return 1


def _get_nothing(key):
    return None


cdef object _getter(object row, Py_ssize_t number):
    if row is None:
        return _get_nothing
    try:
        return row.get
    except AttributeError:
        raise TypeError(f"lead {number} is a {type(row).__name__}, not a mapping") from None


cdef struct Piece:
    # A str the plan writes as it is (a literal, a missing-value text): its storage and width.
    void* data
    Py_ssize_t length
    int kind
    Py_UCS4 bound


cdef struct Plan:
    # The C view of one batch, read once instead of once per row: slot count, each slot's base
    # step, its missing-value text (`has_missing[i]` false: ask the policy) and the literals.
    # 1-byte pieces are copied into `block` with eight bytes of padding each, so a row copies
    # them a word at a time; wider ones point into their strs, which the batch's lists keep alive.
    Py_ssize_t n
    int* steps
    bint* has_missing
    Piece* missing
    Piece* literals
    unsigned char* block


cdef void _plan_free(Plan* plan) noexcept:
    PyMem_Free(plan.steps)
    PyMem_Free(plan.has_missing)
    PyMem_Free(plan.missing)
    PyMem_Free(plan.literals)
    PyMem_Free(plan.block)
    plan.steps = NULL
    plan.has_missing = NULL
    plan.missing = NULL
    plan.literals = NULL
    plan.block = NULL


cdef Py_ssize_t _padded(str text) noexcept:
    return len(text) + 8 if PyUnicode_KIND(text) == 1 else 0


cdef Py_ssize_t _set_piece(Piece* piece, str text, unsigned char* block) noexcept:
    """Describe ``text``; a 1-byte one is copied to ``block``.  Return the block bytes used."""
    piece.length = len(text)
    piece.kind = PyUnicode_KIND(text)
    piece.bound = _class_bound(text)
    if piece.kind != 1:
        piece.data = PyUnicode_DATA(text)
        return 0
    memcpy(block, PyUnicode_DATA(text), piece.length)
    piece.data = block
    return piece.length + 8


cdef int _plan(Plan* plan, tuple steps, tuple literals, tuple missing) except -1:
    # `batch_args` has checked the lengths, the step ids and that every text is a str.
    cdef Py_ssize_t i, used = 0, size = 0
    plan.n = len(steps)
    plan.steps = NULL
    plan.has_missing = NULL
    plan.missing = NULL
    plan.literals = NULL
    plan.block = NULL
    for i in range(plan.n + 1):
        size += _padded(<str?>literals[i])
    for i in range(plan.n):
        if missing[i] is not None:
            size += _padded(<str?>missing[i])
    plan.steps = <int*>PyMem_Malloc((plan.n + 1) * sizeof(int))
    plan.has_missing = <bint*>PyMem_Malloc((plan.n + 1) * sizeof(bint))
    plan.missing = <Piece*>PyMem_Malloc((plan.n + 1) * sizeof(Piece))
    plan.literals = <Piece*>PyMem_Malloc((plan.n + 1) * sizeof(Piece))
    plan.block = <unsigned char*>PyMem_Malloc(size + 1)
    if (plan.steps == NULL or plan.has_missing == NULL or plan.missing == NULL
            or plan.literals == NULL or plan.block == NULL):
        _plan_free(plan)
        raise MemoryError()
    for i in range(plan.n):
        plan.steps[i] = steps[i]
        plan.has_missing[i] = missing[i] is not None
        if plan.has_missing[i]:
            used += _set_piece(&plan.missing[i], <str>missing[i], plan.block + used)
    for i in range(plan.n + 1):
        used += _set_piece(&plan.literals[i], <str>literals[i], plan.block + used)
    return 0


cdef inline int _append_piece(Buf* buf, Piece* piece) except -1:
    """Append a plan's piece: a padded 1-byte one into a 1-byte buffer a word at a time."""
    cdef Py_ssize_t k, n = piece.length
    cdef Py_UCS1* out
    if piece.kind != 1 or buf.wide:
        return _append_raw(buf, piece.data, n, piece.kind, piece.bound)
    if buf.length + n + 8 > buf.capacity:
        _reserve(buf, n)
    if piece.bound > buf.maxchar:
        buf.maxchar = piece.bound
    out = <Py_UCS1*>buf.data + buf.length
    k = 0
    while k < n:
        memcpy(out + k, <Py_UCS1*>piece.data + k, 8)
        k += 8
    buf.length += n
    return 0


cdef inline int _fill_slot(
    Buf* buf, Plan* plan, Py_ssize_t i, object value, object resolve, object row
) except -1:
    """Slot ``i`` of a row: its missing-value text, its value encoded here, or the policy's."""
    cdef int step = plan.steps[i]
    if plan.has_missing[i] and (value is None or (type(value) is str and len(<str>value) == 0)):
        _append_piece(buf, &plan.missing[i])
    elif step < 0 or _fast_value(buf, step, value):
        text = resolve(i, value, row)
        if not isinstance(text, str):
            raise resolved_not_str(text)
        _append_str(buf, <str>text)
    _append_piece(buf, &plan.literals[i + 1])
    return 0


# Unchecked indexing is scoped to the two functions that index C arrays over the tuples `_drive`
# owns (lengths checked once per call); every Python object elsewhere keeps its bounds checks.
@cython.boundscheck(False)
@cython.wraparound(False)
cdef int _fill_row(
    Buf* buf, PyObject** keys, Plan* plan, object get, PyObject*** columns, Py_ssize_t index,
    object resolve, object row,
) except -1:
    """One rendered row into ``buf``: values from ``get(keys[i])``, or ``columns[i][index]``.

    ``keys`` and ``columns`` are C arrays over the items of tuples `_drive` owns, ``plan.n``
    long (a column: at least ``index + 1``; NULL: always missing), checked once per call."""
    cdef Py_ssize_t i
    cdef PyObject* found
    cdef PyObject** column
    cdef bint is_dict = type(row) is dict
    _buf_reset(buf)
    _append_piece(buf, &plan.literals[0])
    for i in range(plan.n):
        if is_dict:
            # The lookup of `row.get`, without a method call, and the value borrowed: taking a
            # reference would write to every value's memory, and on a large lead list those
            # writes (cache lines to write back) cost more than the reads.  Only C runs while
            # the value is borrowed; `resolve` gets it in its own argument tuple.
            found = PyDict_GetItemWithError(row, <object>keys[i])
            if found == NULL:
                found = <PyObject*>None
            _fill_slot(buf, plan, i, <object>found, resolve, row)
        elif columns == NULL:
            _fill_slot(buf, plan, i, get(<object>keys[i]), resolve, row)
        else:
            column = columns[i]
            _fill_slot(
                buf, plan, i, None if column == NULL else <object>column[index], resolve, row
            )
    return 0


# Columnar leads: while rendering row r, ask the CPU for the values of row r + _PREFETCH_ROWS.
# The column lists are read in order, which the hardware predicts; the value objects they point
# to are scattered over the heap, which it cannot.
cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define MF_PREFETCH(p) __builtin_prefetch((const void*)(p))
    #else
    #define MF_PREFETCH(p) ((void)0)
    #endif
    """
    void MF_PREFETCH(const void* p) noexcept nogil

cdef enum:
    _PREFETCH_ROWS = 8


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline void _prefetch_row(PyObject*** columns, Py_ssize_t n, Py_ssize_t row) noexcept:
    # The caller checked that ``row`` is below every column's length.
    cdef Py_ssize_t i
    cdef PyObject* value
    for i in range(n):
        if columns[i] != NULL:
            value = columns[i][row]
            MF_PREFETCH(value)
            MF_PREFETCH(<char*>value + 64)


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
        capacity = max(needed, out.capacity * 2, C_FLUSH_BYTES * 2)
        grown = PyMem_Realloc(out.data, capacity)
        if grown == NULL:
            raise MemoryError()
        out.data = <char*>grown
        out.capacity = capacity
    p = out.data + out.length
    if not buf.wide and buf.maxchar < 128:
        memcpy(p, buf.data, buf.length)
        p += buf.length
    else:
        for i in range(buf.length):
            c = (<Py_UCS4*>buf.data)[i] if buf.wide else (<Py_UCS1*>buf.data)[i]
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
                    _buf_str(buf).encode("utf-8")
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


cdef bytes _take(Bytes* out):
    """The lines gathered in ``out`` as one block, leaving it empty."""
    cdef bytes block = PyBytes_FromStringAndSize(out.data, out.length)
    out.length = 0
    return block


cdef object _drive(
    literals, keys, columns, steps, missing, rows, nrows, resolve, write, separator,
    bint columnar, bint writing,
):
    """The one loop behind the four entry points.  Leads are the mappings of ``rows``, or row
    numbers into ``columns`` (``columnar``); the result is a list of str, or, when ``writing``,
    the number of rows written.  An error in a row first hands ``write`` every complete line
    before it, then leaves marked (`mark_row`); see `_render_py._drive`."""
    cdef tuple lits, key_names, step_ids, texts
    cdef object cols, iterator
    cdef Py_ssize_t count
    lits, key_names, cols, step_ids, texts, iterator, count = batch_args(
        literals, keys, columns, steps, missing, rows, nrows, resolve, write, separator,
        columnar, writing,
    )
    cdef bytes sep = bytes(separator) if writing else b""  # a bytes subclass too
    cdef list out = []
    cdef Py_ssize_t done = 0  # complete rows so far: the number of the row being rendered
    cdef Py_ssize_t flushed = 0  # complete lines `write` has taken
    cdef Py_ssize_t pending = 0  # complete lines in `sink`, not yet handed to `write`
    cdef Py_ssize_t i, row_number
    cdef PyObject** key_items = PySequence_Fast_ITEMS(key_names)
    cdef PyObject*** column_items = NULL
    cdef object block
    cdef Buf buf
    cdef Bytes sink
    cdef Plan plan
    _buf_init(&buf)
    sink.data = NULL
    sink.length = 0
    sink.capacity = 0
    _plan(&plan, step_ids, lits, texts)
    try:
        if columnar:
            column_items = <PyObject***>PyMem_Malloc((plan.n + 1) * sizeof(PyObject**))
            if column_items == NULL:
                raise MemoryError()
            for i in range(plan.n):
                column = (<tuple>cols)[i]
                column_items[i] = NULL if column is None else PySequence_Fast_ITEMS(column)
        try:
            if not columnar:
                for row in iterator:
                    _fill_row(
                        &buf, key_items, &plan, None if type(row) is dict else _getter(row, done),
                        NULL, done, resolve, row,
                    )
                    if writing:
                        _utf8_line(&sink, &buf, sep)
                        pending += 1
                        done += 1
                        if sink.length >= C_FLUSH_BYTES:
                            block = _take(&sink)
                            pending = 0
                            write(block)
                            flushed = done
                    else:
                        out.append(_buf_str(&buf))
                        done += 1
            else:
                for row_number in range(count):
                    if row_number + _PREFETCH_ROWS < count:
                        _prefetch_row(column_items, plan.n, row_number + _PREFETCH_ROWS)
                    _fill_row(&buf, key_items, &plan, None, column_items, row_number, resolve,
                              row_number)
                    if writing:
                        _utf8_line(&sink, &buf, sep)
                        pending += 1
                        done += 1
                        if sink.length >= C_FLUSH_BYTES:
                            block = _take(&sink)
                            pending = 0
                            write(block)
                            flushed = done
                    else:
                        out.append(_buf_str(&buf))
                        done += 1
            if writing and sink.length:
                block = _take(&sink)
                pending = 0
                write(block)
                flushed = done
        except Exception as exc:
            # As `_render_py._drive`: a failed `write` took its block; a failed row first hands
            # the file the complete lines before it.
            row_number = flushed if writing else done
            if writing and pending:
                row_number = done
                try:
                    write(_take(&sink))
                    flushed = done
                except Exception:
                    pass
            mark_row(exc, row_number, flushed if writing else None)
            raise
    finally:
        PyMem_Free(buf.data)
        PyMem_Free(sink.data)
        PyMem_Free(column_items)
        _plan_free(&plan)
    return done if writing else out


def render_rows(literals, keys, steps, missing, rows, resolve):
    """Substitute each row's values between ``literals``; see `_render_py.render_rows`."""
    return _drive(literals, keys, None, steps, missing, rows, 0, resolve, None, b"", False, False)


def render_columns(literals, columns, steps, missing, nrows, resolve):
    """Columnar `render_rows`; see `_render_py.render_columns`."""
    return _drive(literals, (), columns, steps, missing, None, nrows, resolve, None, b"", True, False)


def write_rows(literals, keys, steps, missing, rows, resolve, write, separator):
    """`render_rows` straight to ``write`` as UTF-8 blocks; see `_render_py.write_rows`."""
    return _drive(literals, keys, None, steps, missing, rows, 0, resolve, write, separator, False, True)


def write_columns(literals, columns, steps, missing, nrows, resolve, write, separator):
    """`render_columns` straight to ``write``; see `_render_py.write_columns`."""
    return _drive(
        literals, (), columns, steps, missing, None, nrows, resolve, write, separator, True, True
    )
