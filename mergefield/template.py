"""Compiled templates: `compile()` once, then render one string per lead, fast and safely.

Compiling tokenizes the source (strict or lax), binds each token to its catalog field (type,
record key, field-level default) and to the encoder its position calls for (`escaping`), and
keeps the literal text between tokens.  Rendering is policy here and loops in the core: a
batch first resolves the tokens of the fixed records (User, Account, ...) once and folds them
into the literal text, then the core substitutes the lead's values row by row, calling back
into `Slot.resolve` for anything that needs Python (missing values, numbers, dates, non-str
objects, lone surrogates).  Templates pickle by source and options, and hold no mutable state,
so threads and processes may share them.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import itertools
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO, NamedTuple

from . import _core
from ._batch import (
    FAST_STEPS,
    Batch,
    Records,
    column_resolver,
    locate_row,
    row_resolver,
    write_all,
)
from ._contract import Step, column_values, not_a_column, rows_iterator
from ._messages import did_you_mean
from ._options import KINDS, MODES, Kind, Mode, check_choice
from ._pre_encoded import PreEncoded
from .catalog import DEFAULT_CATALOG, Catalog
from .encoding import ENCODERS, Encoder, UnencodableValue
from .errors import RenderError
from .escaping import classify
from .syntax import Token, tokenize
from .values import (
    DEFAULT_OPTIONS,
    InvalidValue,
    ValueOptions,
    format_value,
    is_missing,
    join_text,
    json_literal,
)

# KINDS and MODES are re-exported for the CLI, which offers them as choices.
__all__ = [
    "KINDS",
    "MODES",
    "ArrowReport",
    "FieldRef",
    "RenderReport",
    "Slot",
    "Template",
    "WriteReport",
    "compile",
]

# The resource whose records `render_many` iterates; every other resource is fixed per batch.
ROW_RESOURCE = "Lead"

# `iter_render` hands the core this many leads at a time: large enough to amortize the call,
# small enough that memory does not grow with the number of leads.
_CHUNK = 512


class FieldRef(NamedTuple):
    """One merge field of a compiled template, where it stands and how it is encoded.

    ``start`` is the offset of its ``@`` and ``end`` the offset just past its ``}``;
    ``default`` is ``None`` when the token has no comma; ``encoder`` names the encoder bound
    to its position (see the README's encoder table).
    """

    resource: str
    field: str
    default: str | None
    start: int
    end: int
    encoder: str


@dataclasses.dataclass(frozen=True, slots=True)
class Slot:
    """One merge field of a compiled template as the renderer binds it: `Template.slots`.

    Where the value comes from: ``resource`` and ``field`` as the token names them, ``key`` the
    record key read (the catalog's key, else the field name as written) and ``derived_from``
    the keys a field like ``User:FullName`` is joined from when ``key`` is missing.  What a
    missing value becomes: ``token_default`` (``None`` when the token has no comma), else
    ``field_default`` (the catalog's), else empty (``null`` in a bare JSON slot); in strict
    mode a token without comma refuses it.  How it is formatted and encoded: ``type`` (the
    catalog's value type, ``"String"`` for an unknown field), ``encoder`` (the name of the
    encoder its position calls for, as in `FieldRef`), ``start`` and ``end`` its place in the
    source.  What the core runs without Python: ``step`` (its encoder step, -1 when Python
    renders every value) and ``missing`` (the text of a missing value when it is the same on
    every row, else ``None``).  Immutable, like the template.
    """

    resource: str
    field: str
    key: str
    type: str
    derived_from: tuple[str, ...]
    token_default: str | None
    field_default: str | None
    encoder: str
    start: int
    end: int
    step: int
    missing: str | None
    strict: bool = dataclasses.field(repr=False)
    options: ValueOptions = dataclasses.field(repr=False, compare=False)
    encode: Encoder = dataclasses.field(repr=False, compare=False)

    @property
    def ref(self) -> FieldRef:
        """This slot's token as a `FieldRef`."""
        return FieldRef(
            self.resource, self.field, self.token_default, self.start, self.end, self.encoder
        )

    def read(self, record: Records) -> object:
        """The value of this slot in ``record`` (deriving FullName-like fields when absent)."""
        if record is None:
            return None
        value = record.get(self.key)
        if self.derived_from and is_missing(value):
            return join_text((record.get(name) for name in self.derived_from), strict=self.strict)
        return value

    def falls_back(self, record: Records) -> bool:
        """Whether rendering ``record`` uses this slot's default (or empty): its value is
        missing."""
        return is_missing(self.read(record))

    def text(self, value: object) -> str | None:
        """The text this slot encodes for ``value`` before encoding, its default when the value
        is missing; ``None`` for a `PreEncoded` value, which is inserted as it is."""
        if is_missing(value):
            return self.token_default or self.field_default or ""
        if isinstance(value, PreEncoded):
            return None
        if value.__class__ is str and self.type != "Date":
            return str(value)
        return format_value(value, self.type, options=self.options, strict=self.strict)

    def resolve(self, value: object) -> str:
        """The encoded text for ``value``: defaults, typing and encoding by SPEC sections 3-4."""
        try:
            if is_missing(value):
                return self._missing()
            if isinstance(value, PreEncoded):
                return str(value)
            if self.encoder == "json_value":
                return json_literal(value, self.type, options=self.options, strict=self.strict)
            # `text` inlined: this runs once per value the core hands back to Python.
            if value.__class__ is str and self.type != "Date":
                return self.encode(value, strict=self.strict)
            text = format_value(value, self.type, options=self.options, strict=self.strict)
            return self.encode(text, strict=self.strict)
        except (InvalidValue, UnencodableValue) as exc:
            raise RenderError(
                f"{self.resource}:{self.field} (at offset {self.start}): {exc}",
                resource=self.resource,
                field=self.field,
                start=self.start,
            ) from exc

    def _missing_text(self) -> str | None:
        """What a missing value renders as, when that is the same on every row: ``None`` when
        strict mode refuses it, or when the field is derived from others of the record."""
        if self.derived_from or (self.strict and self.token_default is None):
            return None
        try:
            return self._missing()
        except (InvalidValue, UnencodableValue, RenderError):
            return None  # let every row raise it, naming the field, as `resolve` does

    def _missing(self) -> str:
        fallback = self.token_default or self.field_default
        json_value = self.encoder == "json_value"
        if fallback:
            if json_value:
                return json_literal(fallback, self.type, options=self.options, strict=self.strict)
            return self.encode(fallback, strict=self.strict)
        if self.strict and self.token_default is None:
            raise RenderError(
                f"{self.resource}:{self.field} (at offset {self.start}) has no value and no "
                f"default; write `@{{{self.resource}:{self.field},}}` to accept an empty value",
                resource=self.resource,
                field=self.field,
                start=self.start,
            )
        return "null" if json_value else ""


def _slot(ref: FieldRef, catalog: Catalog, strict: bool, options: ValueOptions) -> Slot:
    """Bind ``ref`` to its catalog field, its encoder and the core's step."""
    spec = catalog.lookup(ref.resource, ref.field)
    type_ = str(spec.type.value) if spec is not None else "String"
    encode = ENCODERS[ref.encoder]
    # A non-empty str or an exact int of a String or Number field (a Number given as text is
    # kept as given) can be encoded by the core without Python; everything else, and every
    # Date, calls `resolve`.
    step = Step.POLICY
    if type_ != "Date":
        if ref.encoder != "json_value":
            step = FAST_STEPS.get(encode.steps, Step.POLICY)
        else:
            step = Step.JSON_NUMBER if type_ == "Number" else Step.JSON_QUOTED
    slot = Slot(
        resource=ref.resource,
        field=ref.field,
        # Interned, so a lookup in a lead whose keys are interned too (code literals, most
        # parsers' field names) matches by identity before comparing characters.
        key=sys.intern(spec.key if spec is not None else ref.field),
        type=type_,
        derived_from=tuple(spec.derived_from) if spec is not None else (),
        token_default=ref.default,
        field_default=spec.default if spec is not None else None,
        encoder=ref.encoder,
        start=ref.start,
        end=ref.end,
        step=int(step),  # a plain int: the cores' argument check takes an exact int first
        missing=None,
        strict=strict,
        options=options,
        encode=encode,
    )
    # The core inserts this for a None or "" value without calling back into Python.
    object.__setattr__(slot, "missing", slot._missing_text())
    return slot


class RenderReport(NamedTuple):
    """What `Template.render_report` returns: ``texts``, one rendered string per lead as
    `Template.render_many` gives them, and ``defaulted``, per lead whether some token fell back
    to its default or to empty."""

    texts: list[str]
    defaulted: list[bool]


class ArrowReport(NamedTuple):
    """What `Template.render_arrow_report` returns: ``texts``, the rendered rows as
    `Template.render_arrow` gives them (a ``pyarrow.LargeStringArray``, or without pyarrow an
    object exporting ``__arrow_c_array__``), and ``defaulted``, per row whether some token fell
    back to its default or to empty, as `RenderReport` says it for `render_report`."""

    texts: Any
    defaulted: list[bool]


class WriteReport(NamedTuple):
    """What `Template.write_arrow_report` returns: ``written``, the number of lines written as
    `Template.write_arrow` returns it, and ``defaulted``, how many of them had some token fall
    back to its default or to empty (the command line's "defaulted" count)."""

    written: int
    defaulted: int


class Template:
    """A compiled merge-field template; build it with `mergefield.compile`.

    ``fields`` lists every token as a `FieldRef`, ``slots`` the same tokens as the renderer
    binds them (`Slot`: record key, type, defaults, encoder).  `render` renders one set of records;
    `render_many` and `iter_render` render one string per lead with the other records fixed.
    """

    __slots__ = (
        "_literals",
        "catalog",
        "context",
        "fields",
        "kind",
        "mode",
        "options",
        "slots",
        "source",
    )

    source: str
    context: str | None
    kind: Kind
    mode: Mode
    catalog: Catalog
    options: ValueOptions
    fields: tuple[FieldRef, ...]
    slots: tuple[Slot, ...]
    _literals: tuple[str, ...]

    def __init__(
        self,
        source: str,
        *,
        context: str | None = None,
        kind: Kind = "text",
        mode: Mode = "lax",
        catalog: Catalog | None = None,
        options: ValueOptions = DEFAULT_OPTIONS,
    ) -> None:
        if not isinstance(source, str):
            raise TypeError(f"a template source must be str, not {type(source).__name__}")
        # A str subclass (a `PreEncoded`, a str Enum) is compiled as its plain text, on both
        # cores alike; `str.__str__` ignores an overridden `__str__`.
        source = str.__str__(source)
        check_choice("kind", kind, KINDS)
        check_choice("mode", mode, MODES)
        catalog = DEFAULT_CATALOG if catalog is None else catalog
        catalog.allowed_resources(context)  # raises for an unknown context name
        strict = mode == "strict"
        tokens: list[Token] = tokenize(source, strict=strict)
        encoders = classify(
            source,
            [(t.start, t.end) for t in tokens],
            kind,
            url_fields=catalog.url_flags(tokens),
        )
        fields = tuple(
            FieldRef(t.resource, t.field, t.default, t.start, t.end, enc)
            for t, enc in zip(tokens, encoders, strict=True)
        )
        literals = []
        previous = 0
        for t in tokens:
            literals.append(source[previous : t.start])
            previous = t.end
        literals.append(source[previous:])
        for name, value in (
            ("source", source),
            ("context", context),
            ("kind", kind),
            ("mode", mode),
            ("catalog", catalog),
            ("options", options),
            ("fields", fields),
            ("slots", tuple(_slot(ref, catalog, strict, options) for ref in fields)),
            ("_literals", tuple(literals)),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Template is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        # The compiled parts are derived data: ship the source and options, rebuild on arrival.
        return (
            _rebuild,
            (self.source, self.context, self.kind, self.mode, self.catalog, self.options),
        )

    def _key(self) -> tuple[object, ...]:
        return (self.source, self.context, self.kind, self.mode, self.catalog, self.options)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Template):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.source, self.context, self.kind, self.mode))

    def __repr__(self) -> str:
        short = self.source if len(self.source) <= 60 else self.source[:57] + "..."
        return (
            f"<Template {short!r} kind={self.kind!r} context={self.context!r} mode={self.mode!r}>"
        )

    def _check_records(self, records: Mapping[str, Records], method: str) -> None:
        """Refuse a record named after no resource: a misspelt ``Usr=`` would render nothing.

        Known are the resources of the catalog, those the context allows (with the catalog's
        grants) and those the template's own tokens name.
        """
        catalog = self.catalog
        known: set[str] | None = None
        for name in records:
            if name in catalog.resources():
                continue
            if known is None:
                known = set(catalog.resources()) | set(catalog.allowed_resources(self.context))
                known.update(ref.resource for ref in self.fields)
            if name in known:
                continue
            close = did_you_mean(name, sorted(known))
            hint = (
                f"did you mean {close}=?"
                if close
                else f"expected one of {', '.join(sorted(known))}"
            )
            raise TypeError(
                f"{method}() got the record {name}=, which names no resource of this template's "
                f"catalog or context; {hint}"
            )

    def _batch(self, records: Mapping[str, Records], method: str) -> Batch:
        """Fold the tokens of the fixed records into the literals; keep the row slots."""
        if ROW_RESOURCE in records:
            raise TypeError(f"pass the leads as the first argument, not as {ROW_RESOURCE}=")
        self._check_records(records, method)
        literals = [self._literals[0]]
        row_slots: list[Slot] = []
        defaulted = False
        for slot, literal in zip(self.slots, self._literals[1:], strict=True):
            if slot.resource == ROW_RESOURCE:
                row_slots.append(slot)
                literals.append(literal)
            else:
                value = slot.read(records.get(slot.resource))
                defaulted = defaulted or is_missing(value)
                literals[-1] += slot.resolve(value) + literal
        return Batch(
            literals,
            row_slots,
            [s.key for s in row_slots],
            [s.step for s in row_slots],
            [s.missing for s in row_slots],
            defaulted,
        )

    def _render_rows(
        self,
        leads: Iterable[Records],
        records: Mapping[str, Records],
        method: str,
        first: int | None,
        defaulted: list[bool] | None = None,
    ) -> list[str]:
        b = self._batch(records, method)
        if defaulted is not None:
            leads = list(rows_iterator(leads))
        try:
            texts: list[str] = _core.core.render_rows(
                b.literals, b.keys, b.steps, b.missing, leads, row_resolver(b.slots)
            )
        except Exception as exc:
            locate_row(exc, first)
            raise
        if defaulted is not None:
            defaulted.extend(
                b.defaulted or any(s.falls_back(lead) for s in b.slots) for lead in leads
            )
        return texts

    def render(self, **records: Records) -> str:
        """Render once: ``render(Lead={...}, User={...}, Account={...})``.

        A resource that is not given, or given as ``None``, has every value missing; a keyword
        that names no resource of the catalog or context is a TypeError.
        """
        lead = records.pop(ROW_RESOURCE, None)
        return self._render_rows([lead], records, "render", None)[0]

    def render_many(self, leads: Iterable[Records], /, **records: Records) -> list[str]:
        """One rendered string per lead of ``leads`` (any iterable of mappings), in order.

        Each lead is the ``Lead`` record of one row (pass the leads here, never as ``Lead=``);
        ``records`` are the other records, fixed for the batch (``User=...``, ``Account=...``),
        so their tokens are resolved once.  A missing value renders the token's default; in
        strict mode a missing or invalid value raises `RenderError`.  Both cores return the same
        list; a failing lead's error carries its ``row``.
        """
        return self._render_rows(leads, records, "render_many", 0)

    def render_report(self, leads: Iterable[Records], /, **records: Records) -> RenderReport:
        """`render_many`, and per lead whether it used a default: a `RenderReport`.

        ``defaulted[i]`` is true when some token of lead ``i``'s rendering fell back to its
        default or to empty because its value (or a fixed record's) was missing, by the rule of
        `Slot.falls_back`; the command line's "defaulted" count is their sum.  Errors are those
        of `render_many`.
        """
        defaulted: list[bool] = []
        texts = self._render_rows(leads, records, "render_report", 0, defaulted)
        return RenderReport(texts, defaulted)

    def iter_render(self, leads: Iterable[Records], /, **records: Records) -> Iterator[str]:
        """Like `render_many`, but yields lazily; memory does not grow with the number of leads."""
        self._batch(records, "iter_render")  # refuse bad records before the first lead
        iterator = rows_iterator(leads)
        first = 0
        while chunk := list(itertools.islice(iterator, _CHUNK)):
            yield from self._render_rows(chunk, records, "iter_render", first)
            first += len(chunk)

    def render_columns(
        self, columns: Mapping[str, Sequence[Any]], /, **records: Records
    ) -> list[str]:
        """One rendered string per lead from columnar leads: record key -> equal-length sequence.

        Use it with data read by columns (a data frame's ``{name: series}``, a columnar file):
        100,000 row dicts cost far more memory than a few lists.  Lists, tuples, ranges,
        ``array.array``, NumPy arrays, pandas Series and Arrow arrays work, read by position
        (never by a Series' index labels); a str, bytes or mapping is a TypeError naming the
        column.  NaN, None and ``pandas.NA`` count as missing.  A key absent from ``columns`` is
        missing on every row.
        """
        b = self._batch(records, "render_columns")
        values, nrows = _columns_for(columns)
        lists = [values.get(slot.key) for slot in b.slots]
        resolve = column_resolver(b.slots, values)
        try:
            return _core.core.render_columns(b.literals, lists, b.steps, b.missing, nrows, resolve)
        except Exception as exc:
            locate_row(exc, 0)
            raise

    def write_many(
        self,
        leads: Iterable[Records],
        file: BinaryIO,
        /,
        *,
        separator: bytes = b"\n",
        **records: Records,
    ) -> int:
        """Render one line per lead straight into the binary ``file`` as UTF-8; return the count.

        No ``str`` is kept per lead and memory does not grow with the number of leads.  Each line
        is followed by ``separator``.  A rendered line that holds ``separator`` (possible in the
        ``text`` and ``html`` kinds) is written as it is; choose another separator or the JSON
        Lines output of the command line when that matters.  An error in a lead leaves the file
        holding every line before it, and says how many (``.row``, ``.written``).
        """
        b = self._batch(records, "write_many")
        resolve = row_resolver(b.slots)
        try:
            return _core.core.write_rows(
                b.literals,
                b.keys,
                b.steps,
                b.missing,
                leads,
                resolve,
                write_all(file),
                bytes(separator),
            )
        except Exception as exc:
            locate_row(exc, 0)
            raise

    def write_columns(
        self,
        columns: Mapping[str, Sequence[Any]],
        file: BinaryIO,
        /,
        *,
        separator: bytes = b"\n",
        **records: Records,
    ) -> int:
        """`render_columns` written into ``file`` as `write_many` does; return the count."""
        b = self._batch(records, "write_columns")
        values, nrows = _columns_for(columns)
        lists = [values.get(slot.key) for slot in b.slots]
        resolve = column_resolver(b.slots, values)
        try:
            return _core.core.write_columns(
                b.literals,
                lists,
                b.steps,
                b.missing,
                nrows,
                resolve,
                write_all(file),
                bytes(separator),
            )
        except Exception as exc:
            locate_row(exc, 0)
            raise

    # --- Arrow (mergefield.arrow) ---------------------------------------------------------------

    def render_arrow(self, data: Any, /, *, threads: int | None = None, **records: Records) -> Any:
        """One rendered string per row of Arrow ``data``, as a large_string Arrow array.

        ``data`` is anything with ``__arrow_c_stream__`` or ``__arrow_c_array__`` (a pyarrow
        Table, RecordBatch or RecordBatchReader, a Polars or pandas DataFrame, a DuckDB
        relation) or an iterable of record batches; columns are read by record key, as
        `render_columns` does, and a column the template needs but ``data`` lacks is an error.
        The result equals `render_many` over the ``to_pylist()`` rows.  With pyarrow installed
        it is a ``pyarrow.LargeStringArray``; otherwise (compiled core only) an object that
        exports ``__arrow_c_array__``.  ``threads`` (default: the number of cores) renders
        chunks of rows in parallel on the compiled core, in row order.
        """
        return self._render_arrow(data, threads, records, "render_arrow", None)

    def write_arrow(
        self,
        data: Any,
        file: BinaryIO,
        /,
        *,
        separator: bytes = b"\n",
        threads: int | None = None,
        **records: Records,
    ) -> int:
        """`render_arrow` written into the binary ``file`` as UTF-8 lines, each followed by
        ``separator``, chunk by chunk; return the count.  A failure leaves only whole lines."""
        return self._write_arrow(data, file, separator, threads, records, "write_arrow", None)

    def render_arrow_report(
        self, data: Any, /, *, threads: int | None = None, **records: Records
    ) -> ArrowReport:
        """`render_arrow`, and per row whether it used a default: an `ArrowReport`.

        ``defaulted[i]`` is true when some token of row ``i`` fell back to its default or to
        empty because its value was missing (null, ``""``, NaN, an absent derived field's
        parts) or a fixed record's was: what `render_report` says over the ``to_pylist()``
        rows.  The renderer reports it as it goes (the compiled core counts the defaults it
        inserts, without a Python object per row).  Arguments and errors are `render_arrow`'s.
        """
        defaulted: list[bool] = []
        texts = self._render_arrow(data, threads, records, "render_arrow_report", defaulted)
        return ArrowReport(texts, defaulted)

    def write_arrow_report(
        self,
        data: Any,
        file: BinaryIO,
        /,
        *,
        separator: bytes = b"\n",
        threads: int | None = None,
        **records: Records,
    ) -> WriteReport:
        """`write_arrow`, and how many of the lines used a default: a `WriteReport`.

        ``defaulted`` counts the rows `render_arrow_report` flags; it is counted a chunk at a
        time, so memory stays flat as in `write_arrow`.  Arguments and errors are
        `write_arrow`'s."""
        counts: list[int] = []
        method = "write_arrow_report"
        written = self._write_arrow(data, file, separator, threads, records, method, counts)
        return WriteReport(written, sum(counts))

    def _render_arrow(
        self,
        data: Any,
        threads: int | None,
        records: Mapping[str, Records],
        method: str,
        defaulted: list[bool] | None,
    ) -> Any:
        """The body of `render_arrow` and `render_arrow_report`: ``defaulted`` (when given)
        receives each row's flag, every row's when a fixed record fell back
        (`arrow.render_planned`)."""
        from . import arrow

        count = arrow.thread_count(threads)
        b = self._batch(records, method)
        return arrow.render_planned(self, b, data, count, defaulted)

    def _write_arrow(
        self,
        data: Any,
        file: BinaryIO,
        separator: bytes,
        threads: int | None,
        records: Mapping[str, Records],
        method: str,
        counts: list[int] | None,
    ) -> int:
        """The body of `write_arrow` and `write_arrow_report`: ``counts`` (when given) receives
        each chunk's count of defaulted rows, every row when a fixed record fell back
        (`arrow.line_chunks`)."""
        from . import arrow

        count = arrow.thread_count(threads)
        separator = bytes(separator)
        b = self._batch(records, method)
        return arrow.write_planned(self, b, data, write_all(file), separator, count, counts)


def batch_for(template: Template, records: Mapping[str, Records], method: str) -> Batch:
    """The plan of one bulk call of ``template`` (``method`` names it in errors): the fixed
    ``records`` checked and folded into the literals, the row slots and what the core needs;
    for callers that render outside `Template`'s methods (the command line's Arrow path)."""
    return template._batch(records, method)


# Methods that turn a columnar container into a list of Python objects: Arrow, NumPy and
# pandas, Polars.  The core then sees plain `str`/`float` and reads by position.
_TO_LIST = ("to_pylist", "tolist", "to_list")


def _column(key: str, column: object) -> tuple[Any, ...]:
    """A column's values as a tuple, read by position; see `_contract.column_values`."""
    if isinstance(column, (list, tuple)):
        return tuple(column)
    for method in _TO_LIST:
        convert = getattr(column, method, None)
        if callable(convert):
            values = convert()
            if not isinstance(values, list):  # a 0-d array's scalar
                raise not_a_column(column, key)
            return tuple(values)
    return column_values(column, key)


def _columns_for(columns: Mapping[str, Any]) -> tuple[dict[str, tuple[Any, ...]], int]:
    """Every column as a tuple (the core copies nothing more), and the row count."""
    if not isinstance(columns, Mapping):
        raise TypeError(
            f"columns must be a mapping of record key to column, not {type(columns).__name__}"
        )
    converted = {key: _column(key, column) for key, column in columns.items()}
    lengths = {key: len(column) for key, column in converted.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{key}={n}" for key, n in lengths.items())
        raise ValueError(f"columns must have equal lengths; got {shown}")
    nrows = next(iter(lengths.values()), 0)
    return converted, nrows


def _rebuild(
    source: str,
    context: str | None,
    kind: Kind,
    mode: Mode,
    catalog: Catalog,
    options: ValueOptions,
) -> Template:
    return Template(source, context=context, kind=kind, mode=mode, catalog=catalog, options=options)


def compile(
    source: str,
    *,
    context: str | None = None,
    kind: Kind = "text",
    mode: Mode = "lax",
    catalog: Catalog | None = None,
    date_format: str | None = None,
    timezone: _dt.tzinfo | None = None,
    dayfirst: bool | None = None,
) -> Template:
    """Compile ``source`` into a `Template`.

    ``context`` is where the template is used (``"grid"``, ``"events"``, ...; ``None`` allows
    every resource); it matters to `mergefield.check`, not to compiling, which never rejects a
    name.  ``kind`` (``url``, ``json``, ``form``, ``html``, ``text``) decides each token's
    encoder from its position.  ``mode="strict"`` makes malformed tokens a
    `TemplateSyntaxError` and missing or invalid values a `RenderError`.  ``date_format`` and
    ``timezone`` choose how Date fields render (default ``%Y-%m-%d %H:%M:%S`` in UTC);
    ``dayfirst`` how a date string written as numbers (``05/03/2024``) is read: ``True`` day
    first, ``False`` month first, ``None`` month first, and in strict mode an error when the day
    and month could be read both ways.
    Raises `TemplateSyntaxError` or `TemplateCompileError` with the line, column and a caret.
    """
    options = DEFAULT_OPTIONS
    if date_format is not None or timezone is not None or dayfirst is not None:
        options = ValueOptions(
            date_format=date_format if date_format is not None else DEFAULT_OPTIONS.date_format,
            timezone=timezone if timezone is not None else DEFAULT_OPTIONS.timezone,
            dayfirst=dayfirst,
        )
    return Template(source, context=context, kind=kind, mode=mode, catalog=catalog, options=options)
