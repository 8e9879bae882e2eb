# Included at the end of _fast.pyx: the compiled half of the Arrow path (`mergefield.arrow`).
#
# It reads the Arrow C Data Interface structs (declared here: no pyarrow at build time) and
# renders rows of a record batch straight from its buffers into UTF-8 output (a large_string
# array's offsets and data, or separated lines for a file), with the GIL released.  Arrow text
# is UTF-8 already, so the encoders here are the core's tables applied to UTF-8 bytes: the
# `_NARROW_TABLE` rows for HTML and JSON (whose bytes >= 0x80 pass unchanged) and `_UNRESERVED`
# with `_HEX_UPPER` for percent-encoding.  Value rules mirror the Python policy for the values
# ``to_pylist()`` would give (`mergefield.values`): null, "" and NaN are missing; ints as digits;
# floats by Python's repr (String) or positional digits without ``.0`` (Number); bools as
# True/False (String) or 1/0 (Number); dates and timestamps as ``str`` of the date or datetime
# (String) or in the template's default date format and fixed-offset zone (Date); decimals as
# ``str`` of the Decimal (String) or positionally (Number).  Anything else (a Date slot with
# its own format or a zone with rules, non-finite floats, a float whose shortest digits need
# Python's algorithm, invalid UTF-8, a missing value without a fixed text, a timestamp in a
# named zone or of nanoseconds in a String slot, a year outside 1-9999, columns of other types)
# takes the GIL and asks the Python policy (`resolve`) for that one value.

from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_New
from cpython.bytes cimport PyBytes_AS_STRING
from cpython.buffer cimport PyBUF_ND, PyBUF_STRIDES
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t
from libc.stdlib cimport malloc, free, realloc, strtod
from libc.stdio cimport snprintf
from libc.string cimport memset, strcmp
from libc.math cimport isnan, isfinite, floor, fabs, signbit


cdef extern from *:
    """
    #include <stdint.h>
    #include <stdlib.h>
    #include <string.h>

    #ifndef ARROW_C_DATA_INTERFACE
    #define ARROW_C_DATA_INTERFACE
    struct ArrowSchema {
      const char* format;
      const char* name;
      const char* metadata;
      int64_t flags;
      int64_t n_children;
      struct ArrowSchema** children;
      struct ArrowSchema* dictionary;
      void (*release)(struct ArrowSchema*);
      void* private_data;
    };
    struct ArrowArray {
      int64_t length;
      int64_t null_count;
      int64_t offset;
      int64_t n_buffers;
      int64_t n_children;
      const void** buffers;
      struct ArrowArray** children;
      struct ArrowArray* dictionary;
      void (*release)(struct ArrowArray*);
      void* private_data;
    };
    #endif
    #ifndef ARROW_C_STREAM_INTERFACE
    #define ARROW_C_STREAM_INTERFACE
    struct ArrowArrayStream {
      int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
      int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
      const char* (*get_last_error)(struct ArrowArrayStream*);
      void (*release)(struct ArrowArrayStream*);
      void* private_data;
    };
    #endif

    /* Output buffers of MF_MAP_MIN bytes or more are anonymous mappings on Linux, grown with
       mremap: the pages move instead of being copied, so each byte of a large output is
       touched once.  (A first touch costs a page fault, which on a virtual machine can cost
       more than rendering what the page holds; realloc of a large heap block copies it.) */
    #if defined(__linux__)
    #include <sys/mman.h>
    #define MF_MAP_MIN ((size_t)1 << 20)
    static void* mf_grow(void* p, size_t old_cap, size_t new_cap) {
      void* m;
      if (new_cap < MF_MAP_MIN) return realloc(p, new_cap);
      if (old_cap < MF_MAP_MIN) {
        m = mmap(NULL, new_cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return NULL;
        if (p != NULL) { memcpy(m, p, old_cap); free(p); }
        return m;
      }
      m = mremap(p, old_cap, new_cap, MREMAP_MAYMOVE);
      return m == MAP_FAILED ? NULL : m;
    }
    static void mf_free(void* p, size_t cap) {
      if (p == NULL) return;
      if (cap >= MF_MAP_MIN) munmap(p, cap); else free(p);
    }
    #else
    static void* mf_grow(void* p, size_t old_cap, size_t new_cap) {
      (void)old_cap; return realloc(p, new_cap);
    }
    static void mf_free(void* p, size_t cap) { (void)cap; free(p); }
    #endif

    /* Percent-encode the bytes [s, end) into p by `table` (256 entries of 4 bytes: the text,
       then its length in the last byte) or, when `pairs` is given, two bytes at a time by
       `pairs` (65536 entries of 8 bytes: both bytes' text, then its length in the last byte,
       indexed by the two bytes loaded as a native uint16); return the new end of the output
       and OR the input's bytes into *highs.  Entries are stored whole (the output has 8 bytes
       of slack); on a little-endian machine an entry's length is its loaded word's top byte
       (one shift, no second load).  Runs of unreserved bytes are too short in names and notes
       (4 to 6 bytes on average) for copying them a word at a time to pay for classifying the
       word; a pair costs 2.5 instructions a byte, a single byte 5. */
    #if (defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) || defined(_WIN32)
    #define MF_LENGTH4(e, entry) ((e) >> 24)
    #define MF_LENGTH8(e, entry) ((e) >> 56)
    #else
    #define MF_LENGTH4(e, entry) ((entry)[3])
    #define MF_LENGTH8(e, entry) ((entry)[7])
    #endif
    #define MF_PCT_PUT(c) do { const unsigned char* x_ = table + 4 * (size_t)(c); uint32_t e_; \
        memcpy(&e_, x_, 4); memcpy(p, &e_, 4); p += MF_LENGTH4(e_, x_); } while (0)
    #define MF_PAIR_PUT(at) do { uint16_t i_; const unsigned char* x_; uint64_t e_; \
        memcpy(&i_, (at), 2); x_ = pairs + 8 * (size_t)i_; memcpy(&e_, x_, 8); \
        memcpy(p, &e_, 8); p += MF_LENGTH8(e_, x_); } while (0)
    static unsigned char* mf_percent(unsigned char* p, const unsigned char* s,
                                     const unsigned char* end, const unsigned char* table,
                                     const unsigned char* pairs, uint64_t* highs) {
      uint32_t quad;
      uint64_t h = 0;
      const unsigned char* quads = s + ((end - s) & ~(ptrdiff_t)3);
      if (pairs != NULL) {
        while (s < quads) {
          memcpy(&quad, s, 4);
          h |= quad;
          MF_PAIR_PUT(s);
          MF_PAIR_PUT(s + 2);
          s += 4;
        }
        if (end - s >= 2) {
          h |= s[0] | s[1];
          MF_PAIR_PUT(s);
          s += 2;
        }
      } else {
        while (s < quads) {
          memcpy(&quad, s, 4);
          h |= quad;
          MF_PCT_PUT(s[0]);
          MF_PCT_PUT(s[1]);
          MF_PCT_PUT(s[2]);
          MF_PCT_PUT(s[3]);
          s += 4;
        }
      }
      for (; s < end; s++) {
        h |= *s;
        MF_PCT_PUT(*s);
      }
      *highs |= h;
      return p;
    }

    /* Fill `pairs` (65536 x 8 bytes) from `table` (256 x 4), for mf_percent. */
    static void mf_fill_pairs(unsigned char* pairs, const unsigned char* table) {
      unsigned a, b, la, lb;
      uint16_t index;
      unsigned char two[2];
      unsigned char* entry;
      for (a = 0; a < 256; a++) {
        for (b = 0; b < 256; b++) {
          two[0] = (unsigned char)a;
          two[1] = (unsigned char)b;
          memcpy(&index, two, 2);
          entry = pairs + 8 * (size_t)index;
          la = table[4 * a + 3];
          lb = table[4 * b + 3];
          /* Whole entries, fixed sizes: what lies past the text is never read as text. */
          memcpy(entry, table + 4 * a, 4);
          memcpy(entry + la, table + 4 * b, 4);
          entry[7] = (unsigned char)(la + lb);
        }
      }
    }

    /* The rendered large_string column once exported: the buffers, shared by every export and
       the owning object, freed when the last reference goes (release may run on any thread). */
    typedef struct {
      char* data;
      int64_t* offsets;
      size_t data_cap;
      size_t offsets_cap;
      const void* buffers[3];
      long refs;
    } MFShared;

    static void mf_shared_unref(MFShared* s) {
      if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        mf_free(s->data, s->data_cap);
        mf_free(s->offsets, s->offsets_cap);
        free(s);
      }
    }

    static void mf_release_array(struct ArrowArray* a) {
      mf_shared_unref((MFShared*)a->private_data);
      a->release = NULL;
    }

    static void mf_release_schema(struct ArrowSchema* s) {
      s->release = NULL;
    }

    static void mf_export_array(struct ArrowArray* a, MFShared* s, int64_t rows) {
      __atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
      a->length = rows;
      a->null_count = 0;
      a->offset = 0;
      a->n_buffers = 3;
      a->n_children = 0;
      a->buffers = s->buffers;
      a->children = NULL;
      a->dictionary = NULL;
      a->release = mf_release_array;
      a->private_data = s;
    }

    static void mf_export_schema(struct ArrowSchema* s) {
      s->format = "U";
      s->name = "";
      s->metadata = NULL;
      s->flags = 0;
      s->n_children = 0;
      s->children = NULL;
      s->dictionary = NULL;
      s->release = mf_release_schema;
      s->private_data = NULL;
    }

    static void mf_capsule_schema(PyObject* capsule) {
      struct ArrowSchema* s = (struct ArrowSchema*)PyCapsule_GetPointer(capsule, "arrow_schema");
      if (s != NULL && s->release != NULL) s->release(s);
      free(s);
    }

    static void mf_capsule_array(PyObject* capsule) {
      struct ArrowArray* a = (struct ArrowArray*)PyCapsule_GetPointer(capsule, "arrow_array");
      if (a != NULL && a->release != NULL) a->release(a);
      free(a);
    }

    static void mf_release_schema_now(struct ArrowSchema* s) { if (s->release) s->release(s); }
    static void mf_release_array_now(struct ArrowArray* a) { if (a->release) a->release(a); }
    static void mf_release_stream_now(struct ArrowArrayStream* s) { if (s->release) s->release(s); }
    static int mf_stream_schema(struct ArrowArrayStream* s, struct ArrowSchema* out) {
      return s->get_schema(s, out);
    }
    static int mf_stream_next(struct ArrowArrayStream* s, struct ArrowArray* out) {
      return s->get_next(s, out);
    }
    static const char* mf_stream_error(struct ArrowArrayStream* s) {
      const char* e = s->get_last_error(s);
      return e ? e : "no message";
    }
    """
    struct ArrowSchema:
        const char* format
        const char* name
        const char* metadata
        int64_t flags
        int64_t n_children
        ArrowSchema** children
        ArrowSchema* dictionary
        void* release
        void* private_data

    struct ArrowArray:
        int64_t length
        int64_t null_count
        int64_t offset
        int64_t n_buffers
        int64_t n_children
        const void** buffers
        ArrowArray** children
        ArrowArray* dictionary
        void* release
        void* private_data

    struct ArrowArrayStream:
        void* release

    ctypedef struct MFShared:
        char* data
        int64_t* offsets
        size_t data_cap
        size_t offsets_cap
        const void* buffers[3]
        long refs

    void mf_shared_unref(MFShared* s) nogil
    void mf_export_array(ArrowArray* a, MFShared* s, int64_t rows) nogil
    void mf_export_schema(ArrowSchema* s) nogil
    void mf_capsule_schema(object capsule) noexcept
    void mf_capsule_array(object capsule) noexcept
    void mf_release_schema_now(ArrowSchema* s) nogil
    void* mf_grow(void* p, size_t old_cap, size_t new_cap) nogil
    void mf_free(void* p, size_t cap) nogil
    void mf_release_array_now(ArrowArray* a) nogil
    void mf_release_stream_now(ArrowArrayStream* s) nogil
    int mf_stream_schema(ArrowArrayStream* s, ArrowSchema* out) nogil
    int mf_stream_next(ArrowArrayStream* s, ArrowArray* out) nogil
    const char* mf_stream_error(ArrowArrayStream* s) nogil
    unsigned char* mf_percent(unsigned char* p, const unsigned char* s, const unsigned char* end,
                              const unsigned char* table, const unsigned char* pairs,
                              uint64_t* highs) nogil
    void mf_fill_pairs(unsigned char* pairs, const unsigned char* table) nogil


# --- percent-encoding of UTF-8 bytes: each byte as itself, '+' (form blank) or %XX ------------

cdef unsigned char _PCT_BYTES[2][256][4]  # [form][byte]: text bytes 0-2, length in byte 3
# PERCENT's entries for each pair of bytes (`mf_percent`): 512 KiB that halve the work a byte
# (FORM, rarer, keeps the single-byte table).
cdef unsigned char _PCT_PAIRS[65536][8]
cdef char _LS_ESCAPE[8]  # the JSON spellings of U+2028 and U+2029, from `_spell_json`
cdef char _PS_ESCAPE[8]


cdef void _init_arrow_tables() noexcept:
    cdef int form, c
    cdef unsigned char* entry
    for form in range(2):
        for c in range(256):
            entry = _PCT_BYTES[form][c]
            if c < 128 and _UNRESERVED[c]:
                entry[0] = c
                entry[3] = 1
            elif c == 32 and form:
                entry[0] = 43  # '+'
                entry[3] = 1
            else:
                entry[0] = 37  # '%'
                entry[1] = _HEX_UPPER[c >> 4]
                entry[2] = _HEX_UPPER[c & 15]
                entry[3] = 3
    mf_fill_pairs(&_PCT_PAIRS[0][0], &_PCT_BYTES[0][0][0])
    _spell_json(_LS_ESCAPE, 0x2028)
    _spell_json(_PS_ESCAPE, 0x2029)


_init_arrow_tables()


# --- output: UTF-8 rows as a large_string array's data and offsets ------------------------------

cdef struct Out:
    char* data
    int64_t length
    int64_t capacity
    int64_t* offsets  # offsets[k] is where row k starts; offsets[rows] the end
    int64_t rows
    int64_t row_capacity
    # Per row whether a token fell back to its default because its value was missing (null, ""
    # or NaN): one byte a row, its own buffer (never exported), and their count.
    uint8_t* defaulted
    int64_t ndefaulted


cdef int _out_init(Out* out) except -1:
    out.data = NULL
    out.length = 0
    out.capacity = 0
    out.rows = 0
    out.row_capacity = 1024
    out.ndefaulted = 0
    out.offsets = <int64_t*>malloc(out.row_capacity * sizeof(int64_t))
    out.defaulted = <uint8_t*>malloc(out.row_capacity)
    if out.offsets == NULL or out.defaulted == NULL:
        raise MemoryError()
    out.offsets[0] = 0
    return 0


cdef inline int _out_reserve(Out* out, int64_t extra) except -1 nogil:
    # Eight bytes of slack: the table encoders and the literal copies store 8 bytes at a time.
    # Inline: the room is nearly always there (several calls a row), growing is out of line.
    if out.length + extra + 8 <= out.capacity:
        return 0
    return _out_grow(out, out.length + extra + 8)


cdef int _out_grow(Out* out, int64_t needed) except -1 nogil:
    cdef int64_t capacity = out.capacity * 2
    cdef char* grown
    if capacity < needed:
        capacity = needed
    if capacity < 4096:
        capacity = 4096
    grown = <char*>mf_grow(out.data, out.capacity, capacity)
    if grown == NULL:
        with gil:
            raise MemoryError()
    out.data = grown
    out.capacity = capacity
    return 0


cdef int _out_end_row(Out* out, bint fell_back) except -1 nogil:
    cdef int64_t* grown
    cdef uint8_t* flags
    if out.rows + 2 > out.row_capacity:
        # The flags first: a larger flag buffer is harmless if the offsets then cannot grow,
        # whose capacity `mf_free` must be told exactly.
        flags = <uint8_t*>realloc(out.defaulted, out.row_capacity * 2)
        if flags == NULL:
            with gil:
                raise MemoryError()
        out.defaulted = flags
        grown = <int64_t*>mf_grow(
            out.offsets, out.row_capacity * sizeof(int64_t), out.row_capacity * 2 * sizeof(int64_t)
        )
        if grown == NULL:
            with gil:
                raise MemoryError()
        out.offsets = grown
        out.row_capacity *= 2
    out.defaulted[out.rows] = fell_back
    out.ndefaulted += fell_back
    out.rows += 1
    out.offsets[out.rows] = out.length
    return 0


cdef inline int _out_bytes(Out* out, const char* data, int64_t n) except -1 nogil:
    if n:
        _out_reserve(out, n)
        memcpy(out.data + out.length, data, n)
        out.length += n
    return 0


cdef inline int _out_words(Out* out, const char* text, int64_t n) except -1 nogil:
    """Append ``n`` bytes of ``text``, which `_word_padded` made readable 16 bytes past them:
    16 bytes a move (a literal is a few moves; a libc `memcpy` call cost more than that),
    the overhang landing in room reserved for it."""
    cdef int64_t k = 0
    cdef char* p
    _out_reserve(out, n + 8)
    p = out.data + out.length
    while k < n:
        memcpy(p + k, text + k, 16)
        k += 16
    out.length += n
    return 0


cdef bytes _word_padded(bytes text):
    """``text`` followed by 16 zero bytes, for `_out_words` (its length stays ``len(text)``)."""
    return text + bytes(16)


cdef inline int _out_encoded(Out* out, int step, const unsigned char* s, int64_t n) except -1 nogil:
    """Append ``n`` bytes of UTF-8 encoded by ``step`` (JSON_NUMBER: as they are).  Return 1
    when they hold a byte >= 0x80 (or for TEXT, unread), so that only then the caller needs
    to check they are valid UTF-8 (`_cell`); else 0.  Inline, with percent-encoding (the URL
    templates' every value) inline too: a call's set-up cost as much as a short value."""
    cdef uint64_t highs = 0  # the input's bytes OR-ed: whether any is >= 0x80
    cdef unsigned char* p
    if step == C_PERCENT or step == C_FORM:
        _out_reserve(out, n * 3)
        p = mf_percent(<unsigned char*>out.data + out.length, s, s + n,
                       &_PCT_BYTES[step == C_FORM][0][0],
                       NULL if step == C_FORM else &_PCT_PAIRS[0][0], &highs)
        out.length = <char*>p - out.data
        return (highs & MF_HIGHS) != 0
    if step == C_TEXT or step == C_JSON_NUMBER:
        _out_bytes(out, <const char*>s, n)
        return 1
    return _out_escaped(out, step, s, n)


cdef int _out_escaped(Out* out, int step, const unsigned char* s, int64_t n) except -1 nogil:
    """`_out_encoded` for HTML and JSON."""
    cdef int64_t i = 0, stop
    cdef int64_t clean = 0  # s[clean:i] was written as itself
    cdef uint64_t word
    cdef uint64_t highs = 0
    cdef uint32_t quad, last
    cdef unsigned char* entry
    cdef unsigned char* p
    cdef int row
    if step == C_HTML:
        row = T_HTML
    elif step == C_JSON_STRING or step == C_JSON_QUOTED:
        row = T_JSON
    else:
        with gil:
            raise ValueError(f"unknown base transform {step}")
    _out_reserve(out, n * 6 + 2)
    p = <unsigned char*>out.data + out.length
    if step == C_JSON_QUOTED:
        p[0] = 34
        p += 1
    if 4 <= n < 8:
        # A short value (a name, a city) read as two overlapping halves: one test, and when
        # nothing needs spelling, two stores.
        memcpy(&quad, s, 4)
        memcpy(&last, s + n - 4, 4)
        word = quad | (<uint64_t>last << 32)
        if _narrow_plain(row, word):
            memcpy(p, &quad, 4)
            memcpy(p + n - 4, &last, 4)
            p += n
            i = n
            highs = word
    while i < n:
        # Whole words of plain bytes at once, as `_encode_narrow` does.
        while i + 8 <= n:
            memcpy(&word, s + i, 8)
            if not _narrow_plain(row, word):
                break
            highs |= word
            memcpy(p, &word, 8)
            p += 8
            i += 8
        if i < n and i + 8 > n and n - 8 >= clean:
            # The last word, overlapping bytes already written as themselves (from ``clean``
            # on: a plain byte after an escape may be the continuation of an escaped U+2028):
            # when it is plain, storing it ending where the value ends is right.
            memcpy(&word, s + n - 8, 8)
            if _narrow_plain(row, word):
                highs |= word
                memcpy(p + (n - 8 - i), &word, 8)
                p += n - i
                break
        stop = n if i + 8 > n else i + 8
        while i < stop:
            if row == T_JSON and s[i] == 0xE2 and i + 2 < n and s[i + 1] == 0x80 and (
                s[i + 2] == 0xA8 or s[i + 2] == 0xA9
            ):
                if s[i + 2] == 0xA8:
                    memcpy(p, _LS_ESCAPE, 6)
                else:
                    memcpy(p, _PS_ESCAPE, 6)
                p += 6
                i += 3
                highs |= 0x80
                clean = i
                continue
            highs |= s[i]
            entry = _NARROW_TABLE[row][s[i]]
            memcpy(p, entry, 8)
            p += entry[7]
            i += 1
            if entry[7] != 1:  # spelled otherwise: every other byte is written as itself
                clean = i
    if step == C_JSON_QUOTED:
        p[0] = 34
        p += 1
    out.length = <char*>p - out.data
    return (highs & MF_HIGHS) != 0


cdef inline bint _narrow_plain(int row, uint64_t word) noexcept nogil:
    """Whether the 8 bytes of ``word`` are all written as themselves by `_NARROW_TABLE` row
    ``row`` (HTML or JSON); a JSON word also must not hold 0xE2, the lead byte of U+2028 and
    U+2029, which the Arrow path spells as escapes."""
    if row == T_JSON:
        return _json_plain_word(word) and not _zero_byte(word ^ (MF_ONES * 0xE2))
    return _html_plain_word(word)


cdef bint _utf8_valid(const unsigned char* s, int64_t n) noexcept nogil:
    """Whether ``s`` is UTF-8 as Python's strict decoder accepts it (no overlongs, no
    surrogates, nothing past U+10FFFF)."""
    cdef int64_t i = 0
    cdef uint64_t word
    cdef unsigned char c, c1
    while i < n:
        if i + 8 <= n:
            memcpy(&word, s + i, 8)
            if not (word & MF_HIGHS):
                i += 8
                continue
        c = s[i]
        if c < 0x80:
            i += 1
        elif c < 0xC2:
            return False
        elif c < 0xE0:
            if i + 1 >= n or (s[i + 1] & 0xC0) != 0x80:
                return False
            i += 2
        elif c < 0xF0:
            if i + 2 >= n:
                return False
            c1 = s[i + 1]
            if (c1 & 0xC0) != 0x80 or (s[i + 2] & 0xC0) != 0x80:
                return False
            if (c == 0xE0 and c1 < 0xA0) or (c == 0xED and c1 >= 0xA0):
                return False
            i += 3
        elif c < 0xF5:
            if i + 3 >= n:
                return False
            c1 = s[i + 1]
            if (c1 & 0xC0) != 0x80 or (s[i + 2] & 0xC0) != 0x80 or (s[i + 3] & 0xC0) != 0x80:
                return False
            if (c == 0xF0 and c1 < 0x90) or (c == 0xF4 and c1 >= 0x90):
                return False
            i += 4
        else:
            return False
    return True


# --- numbers as Python renders them -----------------------------------------------------------

cdef int _digits(char* out, uint64_t magnitude, bint negative) noexcept nogil:
    """The decimal digits of a 64-bit integer into ``out`` (24 bytes); return the length."""
    cdef char tmp[24]
    cdef int pos = 24, n = 0
    while True:
        pos -= 1
        tmp[pos] = <char>(48 + magnitude % 10)
        magnitude //= 10
        if magnitude == 0:
            break
    if negative:
        out[0] = 45  # '-'
        n = 1
    memcpy(out + n, tmp + pos, 24 - pos)
    return n + 24 - pos


cdef int _short_digits(double a, char* digits, int* exponent) noexcept nogil:
    """The shortest digits of ``a`` (positive, finite, not integral) that read back as ``a``,
    when there are at most 15 (a value read from a decimal of a few places, such as money), and
    the decimal exponent of the first; 0 when there are more.  Any decimal of at most 15
    significant digits reads back as itself (DBL_DIG), so at most one of them reads as ``a``:
    the first ``k`` for which ``round(a * 10**k) / 10**k == a`` (a division of two exact
    doubles, rounded as ``strtod`` rounds) gives it, the digits `_float_text`'s ``%.*e`` search
    finds, with one multiplication and division per place instead of a format and a parse."""
    cdef double scale = 1.0, scaled
    cdef uint64_t m
    cdef int k, n
    for k in range(1, 16):
        scale *= 10.0  # exact up to 1e22
        scaled = a * scale
        if scaled >= 1e15:
            return 0  # 16 digits or more (and a product's error could reach a whole unit)
        m = <uint64_t>(scaled + 0.5)
        if m != 0 and <double>m / scale == a:
            while m % 10 == 0:
                m //= 10
                k -= 1
            n = _digits(digits, m, False)
            exponent[0] = n - 1 - k
            return n
    return 0


cdef int _float_text(double v, bint number, char* out) noexcept nogil:
    """``v`` (finite, not NaN) as `format_value` renders it: positional shortest digits without
    ``.0`` for a Number, Python's repr for a String.  ``out`` holds 400 bytes.  Return the
    length, or -1 when only Python's own algorithm gives the digits: a power of two, where the
    shortest round-tripping digits need not be the correctly rounded ones."""
    cdef uint64_t bits
    cdef char buf[40]
    cdef char digits[20]
    cdef int p, k, n = 0, ndigits = 0, exponent, point
    cdef bint negative = signbit(v)
    if v == 0:
        if number:
            out[0] = 48
            return 1
        if negative:
            memcpy(out, b"-0.0", 4)
            return 4
        memcpy(out, b"0.0", 3)
        return 3
    if fabs(v) < 9007199254740992.0 and v == floor(v):
        n = _digits(out, <uint64_t>fabs(v), negative)
        if not number:
            memcpy(out + n, b".0", 2)
            n += 2
        return n
    memcpy(&bits, &v, 8)
    if (bits & 0xFFFFFFFFFFFFFULL) == 0:
        return -1
    ndigits = _short_digits(fabs(v), digits, &exponent)
    if ndigits == 0:
        for p in range(1, 18):
            snprintf(buf, sizeof(buf), "%.*e", p - 1, v)
            if strtod(buf, NULL) == v:
                break
        # buf is [-]d[.ddd]e[+-]XX: collect the digits and the exponent.
        k = 1 if negative else 0
        while buf[k] != 101:  # 'e'
            if buf[k] != 46:  # '.'
                digits[ndigits] = buf[k]
                ndigits += 1
            k += 1
        exponent = <int>strtod(buf + k + 1, NULL)
    if negative:
        out[0] = 45
        n = 1
    if not number and (exponent < -4 or exponent >= 16):
        out[n] = digits[0]
        n += 1
        if ndigits > 1:
            out[n] = 46
            memcpy(out + n + 1, digits + 1, ndigits - 1)
            n += ndigits
        n += snprintf(out + n, 8, "e%c%02d", <int>(45 if exponent < 0 else 43), <int>abs(exponent))
        return n
    point = exponent + 1  # digits before the decimal point
    if point <= 0:
        memcpy(out + n, b"0.", 2)
        n += 2
        for k in range(-point):
            out[n] = 48
            n += 1
        memcpy(out + n, digits, ndigits)
        n += ndigits
    elif point >= ndigits:
        memcpy(out + n, digits, ndigits)
        n += ndigits
        for k in range(point - ndigits):
            out[n] = 48
            n += 1
        if not number:
            memcpy(out + n, b".0", 2)
            n += 2
    else:
        memcpy(out + n, digits, point)
        n += point
        out[n] = 46
        memcpy(out + n + 1, digits + point, ndigits - point)
        n += 1 + ndigits - point
    return n


# --- columns --------------------------------------------------------------------------------------

cdef enum:
    K_ABSENT = 0  # the batch has no such column (a derived field): missing
    K_NULL = 1
    K_BOOL = 2
    K_INT = 3
    K_UINT = 4
    K_FLOAT = 5
    K_STRING = 6  # int32 offsets
    K_LARGE_STRING = 7
    K_VIEW = 8
    K_PYTHON = 9  # any other type: values from Python (pyarrow's to_pylist), rendered by policy
    # Read natively where the slot allows, else their Python value comes from ``pylists[i]``
    # (converted by pyarrow on first use): every kind from here on.
    K_DATE32 = 10
    K_DATE64 = 11
    K_TIMESTAMP = 12
    K_DECIMAL = 13

    # A slot's value type (the catalog's String, Number, Date).
    T_STRING = 0
    T_NUMBER = 1
    T_DATE = 2


cdef struct Col:
    int kind
    int width  # bytes per value of K_INT, K_UINT, K_FLOAT, K_DECIMAL
    int64_t unit  # K_TIMESTAMP: ticks per second
    int zone  # K_TIMESTAMP: 0 naive, 1 UTC or a fixed offset (zone_offset), 2 a named zone
    int64_t zone_offset  # seconds east of UTC
    int scale  # K_DECIMAL
    int64_t offset  # of row 0 of the batch within the buffers
    const uint8_t* validity
    const void* values  # values, offsets or views
    const char* data  # string data
    const char** variadic  # string_view data buffers
    bint is_dict
    int dict_kind
    int64_t dict_offset
    const uint8_t* dict_validity
    const void* dict_values
    const char* dict_data
    const char** dict_variadic


cdef int _kind_of(const char* fmt, int* width) noexcept:
    """The native kind of an Arrow format string, or K_PYTHON."""
    cdef char c = fmt[0]
    width[0] = 0
    if c == 0 or (fmt[1] != 0 and strcmp(fmt, b"vu") != 0):
        return K_PYTHON
    if c == 110:  # n
        return K_NULL
    if c == 98:  # b
        return K_BOOL
    if c == 99 or c == 115 or c == 105 or c == 108:  # c s i l
        width[0] = 1 if c == 99 else 2 if c == 115 else 4 if c == 105 else 8
        return K_INT
    if c == 67 or c == 83 or c == 73 or c == 76:  # C S I L
        width[0] = 1 if c == 67 else 2 if c == 83 else 4 if c == 73 else 8
        return K_UINT
    if c == 102 or c == 103:  # f g
        width[0] = 4 if c == 102 else 8
        return K_FLOAT
    if c == 117:  # u
        return K_STRING
    if c == 85:  # U
        return K_LARGE_STRING
    if c == 118:  # vu
        return K_VIEW
    return K_PYTHON


cdef int _special_kind(const char* fmt, Col* col) except -1:
    """Set ``col``'s kind for the multi-character formats the core reads: dates, timestamps
    (``ts<unit>:<zone>``) and decimals (``d:<precision>,<scale>[,<bits>]``)."""
    cdef str f = fmt.decode("utf-8", "replace")
    cdef str zone
    cdef list parts
    if f == "tdD":
        col.kind = K_DATE32
    elif f == "tdm":
        col.kind = K_DATE64
    elif len(f) >= 4 and f[:2] == "ts" and f[2] in "smun" and f[3] == ":":
        col.kind = K_TIMESTAMP
        col.unit = {"s": 1, "m": 1000, "u": 1000000, "n": 1000000000}[f[2]]
        zone = f[4:]
        col.zone = 0 if not zone else 2
        if zone == "UTC":
            col.zone = 1
            col.zone_offset = 0
        elif (len(zone) == 6 and zone[0] in "+-" and zone[3] == ":" and zone[1:3].isdigit()
                and zone[4:].isdigit() and zone.isascii()):
            col.zone = 1
            col.zone_offset = (int(zone[1:3]) * 3600 + int(zone[4:]) * 60) * (
                -1 if zone[0] == "-" else 1)
    elif f[:2] == "d:":
        parts = f[2:].split(",")
        if len(parts) in (2, 3) and all(p.lstrip("-").isdigit() for p in parts):
            bits = int(parts[2]) if len(parts) == 3 else 128
            if bits in (32, 64, 128, 256):
                col.kind = K_DECIMAL
                col.width = bits // 8
                col.scale = int(parts[1])
    return 0


cdef inline bint _valid(const uint8_t* validity, int64_t i) noexcept nogil:
    return validity == NULL or (validity[i >> 3] >> (i & 7)) & 1


cdef inline int64_t _int_at(int width, const void* values, int64_t i) noexcept nogil:
    if width == 1:
        return (<const int8_t*>values)[i]
    if width == 2:
        return (<const int16_t*>values)[i]
    if width == 4:
        return (<const int32_t*>values)[i]
    return (<const int64_t*>values)[i]


cdef inline uint64_t _uint_at(int width, const void* values, int64_t i) noexcept nogil:
    if width == 1:
        return (<const uint8_t*>values)[i]
    if width == 2:
        return (<const uint16_t*>values)[i]
    if width == 4:
        return (<const uint32_t*>values)[i]
    return (<const uint64_t*>values)[i]


cdef inline const char* _string_at(
    int kind, const void* values, const char* data, const char** variadic, int64_t i,
    int64_t* length,
) noexcept nogil:
    cdef const int32_t* off32
    cdef const int64_t* off64
    cdef const uint8_t* view
    cdef int32_t size, index, offset
    if kind == K_STRING:
        off32 = <const int32_t*>values
        length[0] = off32[i + 1] - off32[i]
        return data + off32[i]
    if kind == K_LARGE_STRING:
        off64 = <const int64_t*>values
        length[0] = off64[i + 1] - off64[i]
        return data + off64[i]
    # string_view: 16 bytes, a length, then the text inline (<= 12) or prefix, buffer, offset.
    view = <const uint8_t*>values + 16 * i
    memcpy(&size, view, 4)
    length[0] = size
    if size <= 12:
        return <const char*>view + 4
    memcpy(&index, view + 8, 4)
    memcpy(&offset, view + 12, 4)
    return variadic[index] + offset


cdef class ArrowSchemaHolder:
    """Owns one imported ArrowSchema (released when the last batch using it goes)."""
    cdef ArrowSchema schema

    def __cinit__(self):
        self.schema.release = NULL

    def __dealloc__(self):
        mf_release_schema_now(&self.schema)


cdef class ArrowBatch:
    """One record batch (a struct array) imported from the C Data Interface; owns its array."""
    cdef ArrowSchemaHolder holder
    cdef ArrowArray array
    cdef readonly list names
    cdef readonly list types  # each column's Arrow format string

    def __cinit__(self):
        self.array.release = NULL

    def __dealloc__(self):
        mf_release_array_now(&self.array)

    @property
    def num_rows(self):
        return self.array.length

    cdef int _describe(self) except -1:
        cdef ArrowSchema* s = &self.holder.schema
        cdef int64_t k
        cdef const char* name
        if strcmp(s.format, b"+s") != 0:
            raise TypeError(
                f"Arrow data must be a table or record batch (a struct), not format {s.format!r}"
            )
        if s.n_children != self.array.n_children:
            raise ValueError("Arrow batch has a different number of columns than its schema")
        self.names = []
        self.types = []
        for k in range(s.n_children):
            name = s.children[k].name
            self.names.append(
                "" if name == NULL else name.decode("utf-8", "replace")
            )
            self.types.append(s.children[k].format.decode("utf-8", "replace"))
        return 0


def arrow_batch(schema_capsule, array_capsule):
    """An `ArrowBatch` moved out of the capsules of ``__arrow_c_array__()``."""
    cdef ArrowSchema* s = <ArrowSchema*>PyCapsule_GetPointer(schema_capsule, "arrow_schema")
    cdef ArrowArray* a = <ArrowArray*>PyCapsule_GetPointer(array_capsule, "arrow_array")
    cdef ArrowSchemaHolder holder = ArrowSchemaHolder()
    cdef ArrowBatch batch = ArrowBatch()
    if s.release == NULL or a.release == NULL:
        raise ValueError("the Arrow capsule was already consumed")
    # Move: the capsules' destructors see release == NULL and leave the structs alone.
    memcpy(&holder.schema, s, sizeof(ArrowSchema))
    s.release = NULL
    memcpy(&batch.array, a, sizeof(ArrowArray))
    a.release = NULL
    batch.holder = holder
    batch._describe()
    return batch


def arrow_stream_batches(stream_capsule):
    """Every `ArrowBatch` of the stream of an ``__arrow_c_stream__()`` capsule, in order."""
    cdef ArrowArrayStream* src = <ArrowArrayStream*>PyCapsule_GetPointer(
        stream_capsule, "arrow_array_stream"
    )
    cdef ArrowArrayStream stream
    cdef ArrowSchemaHolder holder = ArrowSchemaHolder()
    cdef ArrowBatch batch
    cdef int code
    if src.release == NULL:
        raise ValueError("the Arrow stream capsule was already consumed")
    memcpy(&stream, src, sizeof(ArrowArrayStream))
    src.release = NULL
    try:
        code = mf_stream_schema(&stream, &holder.schema)
        if code:
            raise ValueError(f"Arrow stream failed ({code}): {mf_stream_error(&stream).decode()}")
        while True:
            batch = ArrowBatch()
            code = mf_stream_next(&stream, &batch.array)
            if code:
                raise ValueError(
                    f"Arrow stream failed ({code}): {mf_stream_error(&stream).decode()}"
                )
            if batch.array.release == NULL:
                break
            batch.holder = holder
            batch._describe()
            yield batch
    finally:
        mf_release_stream_now(&stream)


cdef class ArrowOut:
    """Rendered rows as UTF-8: a large_string array (``__arrow_c_array__``, zero-copy) or, for
    `write_arrow`, separated lines read through the buffer protocol, then `clear`ed."""
    cdef Out out
    cdef MFShared* shared
    cdef Py_ssize_t views  # buffer views handed out (`write`): no change while any is alive

    def __cinit__(self):
        _out_init(&self.out)
        self.shared = NULL
        self.views = 0

    def __getbuffer__(self, Py_buffer* view, int flags):
        """The bytes rendered so far, read-only, for ``file.write`` without a copy."""
        self.views += 1
        view.buf = self.out.data
        view.obj = self
        view.len = self.out.length
        view.readonly = 1
        view.itemsize = 1
        view.format = NULL
        view.ndim = 1
        view.shape = &view.len if flags & PyBUF_ND else NULL
        view.strides = &view.itemsize if flags & PyBUF_STRIDES == PyBUF_STRIDES else NULL
        view.suboffsets = NULL
        view.internal = NULL

    def __releasebuffer__(self, Py_buffer* view):
        self.views -= 1

    def clear(self):
        """Forget the rows, keeping the memory for the next chunk."""
        self._check_open()
        self.out.length = 0
        self.out.rows = 0
        self.out.ndefaulted = 0

    def __dealloc__(self):
        free(self.out.defaulted)
        if self.shared != NULL:
            mf_shared_unref(self.shared)
        else:
            mf_free(self.out.data, self.out.capacity)
            mf_free(self.out.offsets, self.out.row_capacity * sizeof(int64_t))

    def __len__(self):
        return self.out.rows

    @property
    def defaulted(self):
        """How many rows fell back to a default (see `defaulted_flags`)."""
        return self.out.ndefaulted

    def defaulted_flags(self):
        """Per row one byte, 1 when a token of the row fell back to its default (or to empty)
        because its value was missing: the rows the core filled in itself, and those marked by
        `mark_defaulted` for the values the Python policy rendered."""
        return PyBytes_FromStringAndSize(<const char*>self.out.defaulted, self.out.rows)

    def mark_defaulted(self, int64_t first, rows):
        """Flag row ``first + r`` for each ``r`` of ``rows`` as defaulted."""
        cdef int64_t row
        for r in rows:
            row = first + <int64_t>r
            if row < 0 or row >= self.out.rows:
                raise IndexError(f"row {row} is not one of the {self.out.rows} rows")
            if not self.out.defaulted[row]:
                self.out.defaulted[row] = 1
                self.out.ndefaulted += 1

    cdef int _check_open(self) except -1:
        if self.shared != NULL:
            raise ValueError("an exported ArrowOut is read-only")
        if self.views:
            raise BufferError("a view of this ArrowOut is still alive")
        return 0

    def extend(self, ArrowOut other not None):
        """Append the rows of ``other``."""
        cdef int64_t k, base = self.out.length
        self._check_open()
        _out_bytes(&self.out, other.out.data, other.out.length)
        for k in range(other.out.rows):
            self.out.length = base + other.out.offsets[k + 1]
            _out_end_row(&self.out, other.out.defaulted[k])
        self.out.length = base + other.out.length

    def __arrow_c_schema__(self):
        cdef ArrowSchema* s = <ArrowSchema*>malloc(sizeof(ArrowSchema))
        if s == NULL:
            raise MemoryError()
        mf_export_schema(s)
        return PyCapsule_New(s, "arrow_schema", mf_capsule_schema)

    def __arrow_c_array__(self, requested_schema=None):
        """Export the rows as a large_string array; the buffers are shared, not copied."""
        cdef ArrowArray* a
        if self.shared == NULL:
            self.shared = <MFShared*>malloc(sizeof(MFShared))
            if self.shared == NULL:
                raise MemoryError()
            if self.out.data == NULL:
                _out_reserve(&self.out, 0)
            self.shared.data = self.out.data
            self.shared.offsets = self.out.offsets
            self.shared.data_cap = self.out.capacity
            self.shared.offsets_cap = self.out.row_capacity * sizeof(int64_t)
            self.shared.buffers[0] = NULL
            self.shared.buffers[1] = self.out.offsets
            self.shared.buffers[2] = self.out.data
            self.shared.refs = 1
        schema = self.__arrow_c_schema__()
        a = <ArrowArray*>malloc(sizeof(ArrowArray))
        if a == NULL:
            raise MemoryError()
        mf_export_array(a, self.shared, self.out.rows)
        return schema, PyCapsule_New(a, "arrow_array", mf_capsule_array)


cdef struct APlan:
    # Per row slot its base step, whether its field is a Number, its missing-value text (UTF-8)
    # when fixed; the literals as UTF-8.
    Py_ssize_t n
    int* steps
    bint* number
    int* types  # T_STRING, T_NUMBER, T_DATE
    int* value_steps  # the step that encodes a value's text, Date slots included (-1: Python)
    bint dates_native  # the default date format in a fixed-offset zone
    int64_t zone_offset  # that zone's seconds east of UTC
    bint* has_missing
    const char** missing
    int64_t* missing_len
    const char** literals
    int64_t* literal_len


cdef class ArrowPlan:
    """The C view of one call (`APlan`), built once, shared by every chunk and thread."""
    cdef APlan c
    cdef list keep  # the bytes objects the pointers point into

    def __cinit__(self, literals, steps, missing, types, value_steps, dates_native,
                  int64_t zone_offset):
        cdef Py_ssize_t i, n = len(steps)
        cdef bytes text
        cdef APlan* p = &self.c
        p.n = n
        self.keep = []
        p.steps = <int*>PyMem_Malloc((n + 1) * sizeof(int))
        p.number = <bint*>PyMem_Malloc((n + 1) * sizeof(bint))
        p.types = <int*>PyMem_Malloc((n + 1) * sizeof(int))
        p.value_steps = <int*>PyMem_Malloc((n + 1) * sizeof(int))
        p.dates_native = bool(dates_native)
        p.zone_offset = zone_offset
        p.has_missing = <bint*>PyMem_Malloc((n + 1) * sizeof(bint))
        p.missing = <const char**>PyMem_Malloc((n + 1) * sizeof(char*))
        p.missing_len = <int64_t*>PyMem_Malloc((n + 1) * sizeof(int64_t))
        p.literals = <const char**>PyMem_Malloc((n + 1) * sizeof(char*))
        p.literal_len = <int64_t*>PyMem_Malloc((n + 1) * sizeof(int64_t))
        if (p.steps == NULL or p.number == NULL or p.types == NULL or p.value_steps == NULL
                or p.has_missing == NULL
                or p.missing == NULL or p.missing_len == NULL or p.literals == NULL
                or p.literal_len == NULL):
            raise MemoryError()
        if (len(literals) != n + 1 or len(missing) != n or len(types) != n
                or len(value_steps) != n):
            raise ValueError("a template with n slots has n + 1 literals and n of the rest")
        for i in range(n + 1):
            text = (<str?>literals[i]).encode("utf-8")
            self.keep.append(_word_padded(text))
            p.literals[i] = PyBytes_AS_STRING(self.keep[-1])
            p.literal_len[i] = len(text)
        for i in range(n):
            p.steps[i] = steps[i]
            p.types[i] = types[i]
            p.number[i] = types[i] == T_NUMBER
            p.value_steps[i] = value_steps[i]
            p.has_missing[i] = missing[i] is not None
            p.missing[i] = NULL
            p.missing_len[i] = 0
            if p.has_missing[i]:
                text = (<str?>missing[i]).encode("utf-8")
                self.keep.append(_word_padded(text))
                p.missing[i] = PyBytes_AS_STRING(self.keep[-1])
                p.missing_len[i] = len(text)

    def __dealloc__(self):
        PyMem_Free(self.c.steps)
        PyMem_Free(self.c.number)
        PyMem_Free(self.c.types)
        PyMem_Free(self.c.value_steps)
        PyMem_Free(self.c.has_missing)
        PyMem_Free(self.c.missing)
        PyMem_Free(self.c.missing_len)
        PyMem_Free(self.c.literals)
        PyMem_Free(self.c.literal_len)


cdef class ArrowColumns:
    """The columns of one batch that the slots read: ``columns[i]`` is the batch's column
    index for slot ``i`` (-1: absent).  ``native(i)`` tells whether the core reads it itself."""
    cdef ArrowBatch batch
    cdef Py_ssize_t n
    cdef Col* cols

    def __cinit__(self, ArrowBatch batch not None, columns):
        cdef Py_ssize_t i
        cdef int64_t index, need
        cdef ArrowSchema* s
        cdef ArrowArray* a
        cdef Col* col
        cdef int width
        self.batch = batch
        self.n = len(columns)
        self.cols = <Col*>PyMem_Malloc((self.n + 1) * sizeof(Col))
        if self.cols == NULL:
            raise MemoryError()
        need = batch.array.offset + batch.array.length
        for i in range(self.n):
            col = &self.cols[i]
            memset(col, 0, sizeof(Col))
            index = columns[i]
            if index < 0:
                col.kind = K_ABSENT
                continue
            s = batch.holder.schema.children[index]
            a = batch.array.children[index]
            if a.length < need:
                raise ValueError(
                    f"column {batch.names[index]!r} has {a.length} values for a batch of "
                    f"{need} rows"
                )
            col.offset = a.offset + batch.array.offset
            col.kind = _kind_of(s.format, &width)
            col.width = width
            if col.kind == K_PYTHON and s.dictionary == NULL:
                _special_kind(s.format, col)
            if col.kind == K_PYTHON or col.kind == K_NULL:
                continue
            if s.dictionary != NULL:
                if col.kind != K_INT and col.kind != K_UINT:
                    col.kind = K_PYTHON
                    continue
                col.dict_kind = _kind_of(s.dictionary.format, &width)
                if col.dict_kind not in (K_STRING, K_LARGE_STRING, K_VIEW):
                    col.kind = K_PYTHON
                    continue
                col.is_dict = True
                _set_buffers(a.dictionary, col.dict_kind, &col.dict_offset, &col.dict_validity,
                             &col.dict_values, &col.dict_data, &col.dict_variadic)
            col.validity = <const uint8_t*>a.buffers[0] if a.null_count != 0 else NULL
            col.values = a.buffers[1]
            if col.kind == K_STRING or col.kind == K_LARGE_STRING:
                col.data = <const char*>a.buffers[2]
            elif col.kind == K_VIEW:
                col.variadic = <const char**>(a.buffers + 2)

    def native(self, Py_ssize_t i):
        return self.cols[i].kind != K_PYTHON

    def lazy(self, Py_ssize_t i):
        """Whether the policy's values of column ``i`` come from ``pylists[i]`` though the core
        reads the column itself (dates, timestamps, decimals)."""
        return self.cols[i].kind >= K_DATE32

    def __dealloc__(self):
        PyMem_Free(self.cols)


cdef void _set_buffers(
    ArrowArray* a, int kind, int64_t* offset, const uint8_t** validity, const void** values,
    const char** data, const char*** variadic,
) noexcept:
    offset[0] = a.offset
    validity[0] = <const uint8_t*>a.buffers[0] if a.null_count != 0 else NULL
    values[0] = a.buffers[1]
    if kind == K_VIEW:
        variadic[0] = <const char**>(a.buffers + 2)
    else:
        data[0] = <const char*>a.buffers[2]


# --- the row loop ------------------------------------------------------------------------------

cdef enum:
    # What a cell needs from the row loop.
    CELL_DONE = 0
    CELL_MISSING = 1  # null, "" or NaN
    CELL_POLICY = 2  # ask the Python policy with the cell's value


cdef object _cell_object(Col* col, int64_t row, object pylist, int64_t start, object on_invalid,
                         Py_ssize_t slot, int64_t base):
    """The Python value ``to_pylist`` gives for a cell (the policy's argument)."""
    cdef int64_t i = col.offset + row
    cdef int64_t length
    cdef const char* text
    cdef double v
    if col.kind == K_PYTHON:
        return pylist[row - start]
    if col.kind == K_ABSENT or col.kind == K_NULL or not _valid(col.validity, i):
        return None
    if col.kind >= K_DATE32:
        return pylist[row - start]
    if col.is_dict:
        pass
    elif col.kind == K_INT:
        return _int_at(col.width, col.values, i)
    elif col.kind == K_UINT:
        return _uint_at(col.width, col.values, i)
    elif col.kind == K_FLOAT:
        v = (<const float*>col.values)[i] if col.width == 4 else (<const double*>col.values)[i]
        return v
    elif col.kind == K_BOOL:
        return bool(((<const uint8_t*>col.values)[i >> 3] >> (i & 7)) & 1)
    if col.is_dict:
        i = _int_at(col.width, col.values, i) if col.kind == K_INT else <int64_t>_uint_at(col.width, col.values, i)
        i += col.dict_offset
        if not _valid(col.dict_validity, i):
            return None
        text = _string_at(col.dict_kind, col.dict_values, col.dict_data, col.dict_variadic, i, &length)
    else:
        text = _string_at(col.kind, col.values, col.data, col.variadic, i, &length)
    raw = PyBytes_FromStringAndSize(text, length)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return on_invalid(slot, raw, base + row)


cdef class _Call:
    """The Python side of one `arrow_render` call, reached from the row loop with the GIL."""
    cdef object resolve
    cdef object on_invalid
    cdef list pylists
    cdef int64_t start
    cdef int64_t base


cdef int _policy_gil(Out* out, Col* cols, Py_ssize_t i, int64_t row, _Call c) except -1:
    value = _cell_object(&cols[i], row, c.pylists[i], c.start, c.on_invalid, i, c.base)
    cdef bytes text = (<str?>c.resolve(i, value, row - c.start)).encode("utf-8")
    _out_bytes(out, PyBytes_AS_STRING(text), len(text))
    return 0


cdef int _policy(Out* out, Col* cols, Py_ssize_t i, int64_t row, PyObject* call) except -1 nogil:
    """Slot ``i`` of ``row`` rendered by the Python policy, with the GIL."""
    with gil:
        _policy_gil(out, cols, i, row, <_Call>call)
    return 0


cdef int _cell(Out* out, APlan* plan, Col* col, Py_ssize_t i, int64_t row) except -1 nogil:
    """Render slot ``i`` of ``row`` natively; return CELL_MISSING or CELL_POLICY when the row
    loop must handle it instead."""
    cdef int64_t k = col.offset + row
    cdef int64_t length, start
    cdef const char* text
    cdef int step = plan.steps[i]
    cdef int n
    cdef char number[400]
    cdef double v
    cdef int64_t signed_value
    cdef bint truth
    if col.kind == K_PYTHON:
        return CELL_POLICY
    if col.kind == K_ABSENT or col.kind == K_NULL or not _valid(col.validity, k):
        return CELL_MISSING
    if col.kind >= K_DATE32:
        return _special_cell(out, plan, col, i, k)
    if col.kind == K_STRING or col.kind == K_LARGE_STRING or col.kind == K_VIEW or col.is_dict:
        if col.is_dict:
            k = _int_at(col.width, col.values, k) if col.kind == K_INT else <int64_t>_uint_at(col.width, col.values, k)
            k += col.dict_offset
            if not _valid(col.dict_validity, k):
                return CELL_MISSING
            text = _string_at(col.dict_kind, col.dict_values, col.dict_data, col.dict_variadic, k, &length)
        else:
            text = _string_at(col.kind, col.values, col.data, col.variadic, k, &length)
        if length == 0:
            return CELL_MISSING
        if step < 0 or step == C_JSON_NUMBER:
            return CELL_POLICY
        # Encoded first, checked after: only a value with a byte >= 0x80 needs the UTF-8 check,
        # and an invalid one is taken back out for the policy (strict: an error, lax: U+FFFD).
        start = out.length
        if _out_encoded(out, step, <const unsigned char*>text, length) and not _utf8_valid(
            <const unsigned char*>text, length
        ):
            out.length = start
            return CELL_POLICY
        return CELL_DONE
    if step < 0:
        return CELL_POLICY
    if col.kind == K_INT or col.kind == K_UINT:
        if col.kind == K_INT:
            signed_value = _int_at(col.width, col.values, k)
            n = _digits(number, (<uint64_t>(-(signed_value + 1))) + 1 if signed_value < 0 else <uint64_t>signed_value, signed_value < 0)
        else:
            n = _digits(number, _uint_at(col.width, col.values, k), False)
    elif col.kind == K_FLOAT:
        v = (<const float*>col.values)[k] if col.width == 4 else (<const double*>col.values)[k]
        if isnan(v):
            return CELL_MISSING
        if not isfinite(v):
            return CELL_POLICY
        n = _float_text(v, plan.number[i] or step == C_JSON_NUMBER, number)
        if n < 0:
            return CELL_POLICY
    else:  # K_BOOL
        truth = ((<const uint8_t*>col.values)[k >> 3] >> (k & 7)) & 1
        if plan.number[i] or step == C_JSON_NUMBER:
            number[0] = 49 if truth else 48
            n = 1
        elif truth:
            memcpy(number, b"True", 4)
            n = 4
        else:
            memcpy(number, b"False", 5)
            n = 5
    _out_encoded(out, step, <const unsigned char*>number, n)
    return CELL_DONE


# --- dates, timestamps and decimals ---------------------------------------------------------------

cdef inline int64_t _floor_div(int64_t a, int64_t b) noexcept nogil:
    cdef int64_t q = a // b  # C truncates (cdivision): step down for a negative remainder
    if (a % b) != 0 and ((a < 0) != (b < 0)):
        q -= 1
    return q


cdef inline void _two(char* out, int64_t v) noexcept nogil:
    # Digits by hand: snprintf's format parsing cost more than the whole rest of a date.
    out[0] = <char>(48 + v // 10)
    out[1] = <char>(48 + v % 10)


cdef bint _civil(int64_t days, char* out) noexcept nogil:
    """``YYYY-MM-DD`` of ``days`` since 1970-01-01 into ``out`` (10 bytes); False outside the
    years 1-9999 that Python's dates hold.  (Howard Hinnant's days_from_civil, inverted.)"""
    cdef int64_t z, era, doe, yoe, y, doy, mp, d, m
    if days < -719162 or days > 2932896:  # 0001-01-01 .. 9999-12-31
        return False
    z = days + 719468
    era = _floor_div(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    if m <= 2:
        y += 1
    _two(out, y // 100)
    _two(out + 2, y % 100)
    out[4] = 45  # '-'
    _two(out + 5, m)
    out[7] = 45
    _two(out + 8, d)
    return True


cdef int _clock(int64_t seconds, char* out) noexcept nogil:
    """``YYYY-MM-DD HH:MM:SS`` of ``seconds`` since the epoch into ``out``: 19, or -1 when the
    year is outside 1-9999."""
    cdef int64_t days = _floor_div(seconds, 86400)
    cdef int64_t rest = seconds - days * 86400
    if not _civil(days, out):
        return -1
    out[10] = 32  # ' '
    _two(out + 11, rest // 3600)
    out[13] = 58  # ':'
    _two(out + 14, rest // 60 % 60)
    out[16] = 58
    _two(out + 17, rest % 60)
    return 19


cdef int _moment_text(Col* col, int64_t k, bint date_slot, int64_t zone_offset,
                      char* out) noexcept nogil:
    """A date or timestamp cell as Python renders the value ``to_pylist`` gives: in a Date slot
    (``date_slot``) in the default format, a timestamp moved to the template's zone
    (``zone_offset``) and a date at midnight as it is; in a String slot its ``str``.  -1 when
    only Python can say (a named zone, nanoseconds, a year outside 1-9999)."""
    cdef int64_t value, seconds, ticks, micros, offset
    cdef int n
    if col.kind == K_DATE32 or col.kind == K_DATE64:
        value = (<const int32_t*>col.values)[k] if col.kind == K_DATE32 else _floor_div(
            (<const int64_t*>col.values)[k], 86400000)
        if not date_slot:
            return 10 if _civil(value, out) else -1
        if not _civil(value, out):
            return -1
        memcpy(out + 10, b" 00:00:00", 9)
        return 19
    value = (<const int64_t*>col.values)[k]
    seconds = _floor_div(value, col.unit)
    if date_slot:
        # The UTC moment must be a Python datetime too (else astimezone is never reached).
        if _clock(seconds, out) < 0:
            return -1
        return _clock(seconds + zone_offset, out)
    if col.zone == 2 or col.unit > 1000000:
        return -1  # a zone with rules; nanoseconds are pandas Timestamps, not datetimes
    ticks = value - seconds * col.unit
    micros = ticks * (1000000 // col.unit)
    offset = col.zone_offset if col.zone == 1 else 0
    if _clock(seconds, out) < 0:
        return -1
    n = _clock(seconds + offset, out)
    if n < 0:
        return -1
    if micros:
        n += snprintf(out + n, 8, ".%06d", <int>micros)
    if col.zone == 1:
        n += snprintf(out + n, 8, "%c%02d:%02d", <int>(45 if offset < 0 else 43),
                      <int>((offset if offset >= 0 else -offset) // 3600),
                      <int>((offset if offset >= 0 else -offset) // 60 % 60))
    return n


cdef int _decimal_text(Col* col, int64_t k, bint positional, char* out) noexcept nogil:
    """A decimal cell as ``str`` (String) or ``format(value, "f")`` (Number) of the Decimal
    ``to_pylist`` gives; ``out`` holds 400 bytes.  -1 for a negative scale or a text too long."""
    cdef uint32_t limbs[8]
    cdef int nlimbs = col.width // 4, j, nd = 0, n = 0, dotplace, leftdigits, exponent
    cdef uint64_t carry, acc
    cdef bint negative, zero
    cdef char digits[96]
    cdef char rev[96]
    cdef uint32_t chunk
    cdef int c
    if col.scale < 0 or col.scale > 200:
        return -1
    memcpy(limbs, <const char*>col.values + k * col.width, col.width)
    negative = (limbs[nlimbs - 1] >> 31) & 1
    if negative:  # two's complement: invert and add one
        carry = 1
        for j in range(nlimbs):
            acc = <uint64_t>(~limbs[j]) + carry
            limbs[j] = <uint32_t>acc
            carry = acc >> 32
    # Base 10**9 digits, least significant first, by long division of the limbs.
    while True:
        zero = True
        carry = 0
        for j in range(nlimbs - 1, -1, -1):
            acc = (carry << 32) | limbs[j]
            limbs[j] = <uint32_t>(acc // 1000000000)
            carry = acc % 1000000000
            if limbs[j]:
                zero = False
        chunk = <uint32_t>carry
        for c in range(9):
            rev[nd] = <char>(48 + chunk % 10)
            chunk //= 10
            nd += 1
        if zero:
            break
    while nd > 1 and rev[nd - 1] == 48:
        nd -= 1
    for j in range(nd):
        digits[j] = rev[nd - 1 - j]
    # CPython's Decimal.__str__ (and __format__ "f"): where the point goes, else an exponent.
    exponent = -col.scale
    leftdigits = exponent + nd
    if positional or (exponent <= 0 and leftdigits > -6):
        dotplace = leftdigits
    else:
        dotplace = 1
    if negative:
        out[0] = 45
        n = 1
    if dotplace <= 0:
        memcpy(out + n, b"0.", 2)
        n += 2
        memset(out + n, 48, -dotplace)
        n += -dotplace
        memcpy(out + n, digits, nd)
        n += nd
    elif dotplace >= nd:
        memcpy(out + n, digits, nd)
        n += nd
        memset(out + n, 48, dotplace - nd)
        n += dotplace - nd
    else:
        memcpy(out + n, digits, dotplace)
        n += dotplace
        out[n] = 46
        memcpy(out + n + 1, digits + dotplace, nd - dotplace)
        n += 1 + nd - dotplace
    if leftdigits != dotplace:
        n += snprintf(out + n, 16, "E%+d", leftdigits - dotplace)
    return n


cdef int _special_cell(Out* out, APlan* plan, Col* col, Py_ssize_t i, int64_t k) except -1 nogil:
    """A date, timestamp or decimal cell (present) rendered natively, else CELL_POLICY."""
    cdef char text[400]
    cdef int n = -1
    cdef int step = plan.value_steps[i]
    cdef int kind = plan.types[i]
    if step < 0:
        return CELL_POLICY
    if col.kind == K_DECIMAL:
        if kind != T_DATE:
            n = _decimal_text(col, k, kind == T_NUMBER or step == C_JSON_NUMBER, text)
    elif kind == T_DATE:
        if plan.dates_native:
            n = _moment_text(col, k, True, plan.zone_offset, text)
    elif kind == T_STRING and step != C_JSON_NUMBER:
        n = _moment_text(col, k, False, 0, text)
    if n < 0:
        return CELL_POLICY
    _out_encoded(out, step, <const unsigned char*>text, n)
    return CELL_DONE


cdef int _rows(
    Out* out, APlan* plan, Col* cols, int64_t start, int64_t stop,
    const char* separator, int64_t sep_len, bint lines, PyObject* call,
) except -1 nogil:
    cdef int64_t row
    cdef Py_ssize_t i
    cdef int state
    cdef bint fell_back  # some slot inserted its missing-value text (the policy marks the rest)
    for row in range(start, stop):
        fell_back = False
        _out_words(out, plan.literals[0], plan.literal_len[0])
        for i in range(plan.n):
            state = _cell(out, plan, &cols[i], i, row)
            if state == CELL_MISSING and plan.has_missing[i]:
                _out_words(out, plan.missing[i], plan.missing_len[i])
                fell_back = True
            elif state != CELL_DONE:
                _policy(out, cols, i, row, call)
            _out_words(out, plan.literals[i + 1], plan.literal_len[i + 1])
        if lines:
            _out_words(out, separator, sep_len)
        _out_end_row(out, fell_back)
    return 0


def arrow_render(
    ArrowPlan plan not None, ArrowColumns columns not None, int64_t start, int64_t stop,
    list pylists not None, resolve, on_invalid, ArrowOut out not None, bint lines,
    bytes separator not None, int64_t base,
):
    """Render rows ``start``..``stop`` of the batch of ``columns`` into ``out`` with the GIL
    released.  ``pylists[i]`` holds the Python values of rows ``start``..``stop`` of a column
    the core does not read itself (else None); ``resolve(i, value, row - start)`` is the value
    policy; ``on_invalid(i, raw_bytes, base + row)`` decides about invalid UTF-8 (a str, or
    it raises); with ``lines`` each row is followed by ``separator``."""
    cdef _Call call = _Call()
    cdef PyObject* handle = <PyObject*>call
    cdef bytes padded = _word_padded(separator)
    cdef const char* sep = PyBytes_AS_STRING(padded)
    cdef int64_t sep_len = len(separator)
    if plan.c.n != columns.n or len(pylists) != plan.c.n:
        raise ValueError("a template with n slots has n columns")
    if start < 0 or stop < start or stop > columns.batch.array.length:
        raise ValueError(f"rows {start}..{stop} are outside the batch")
    out._check_open()
    call.resolve = resolve
    call.on_invalid = on_invalid
    call.pylists = pylists
    call.start = start
    call.base = base
    with nogil:
        _rows(&out.out, &plan.c, columns.cols, start, stop, sep, sep_len, lines, handle)
    return out
