"""Assertions for users' own tests: a template renders every record safely for where it is used.

`assert_renders_safely(template, records)` renders the template and then checks every merge
field's output against an independent decoder: each URL part percent-decodes back to the value
and holds nothing but unreserved characters and ``%XX``; a whole-URL slot yields only an
``http``, ``https``, ``mailto`` or relative URL (or the documented failsafe); a ``json``
template parses with `json.loads` and each string slot decodes back to the value; an ``html``
slot holds no raw ``< > " '`` and no ``&`` that does not start an entity, and unescapes back to
the value; a ``form`` slot decodes back with `urllib.parse.unquote_plus`; an ``html_url*`` slot
is HTML-unescaped and then checked as its URL part.  It also checks that the core's output is
exactly the slot-by-slot rendering, and it applies the one URL rule of `mergefield.compile`
(SPEC section 4) to the whole output: no URL of a ``url`` template, no URL string of a ``json``
template (`mergefield.escaping.is_url_key`) and no URL attribute of an ``html`` template
(`mergefield.escaping.attribute_kind`) has a ``javascript:``, ``vbscript:`` or ``data:``
scheme; and an ``html`` rendering, parsed with `html.parser`, has exactly the tags and
attributes of the same template rendered with a neutral value in every slot.  A failure
raises `UnsafeRenderingError`, an `AssertionError` whose message shows the template, the
records, the slot (field, encoder), the value and what came out.  `fuzz_template` runs the same
assertion over records drawn by `mergefield.strategies.records` (needs ``hypothesis``).
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any

from mergefield._options import Kind, Mode
from mergefield.encoding import (
    UNSAFE_LITERAL_SCHEMES,
    UNSAFE_URL_FAILSAFE,
    URL_SCHEMES,
    url_scheme,
)
from mergefield.errors import RenderError
from mergefield.escaping import URL_VALUE_KINDS, attribute_kind, is_url_key
from mergefield.template import FieldRef, Slot, Template, compile
from mergefield.values import is_missing

__all__ = [
    "UNSAFE_LITERAL_SCHEMES",
    "UnsafeRenderingError",
    "assert_renders_safely",
    "fuzz_template",
    "html_shape",
]


Records = Mapping[str, Mapping[str, Any] | None]

_PERCENT_PART = re.compile(r"(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*")
_FORM_PART = re.compile(r"(?:[A-Za-z0-9\-._~+]|%[0-9A-F]{2})*")
_WHOLE_URL = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")
_HTML_ENTITY = re.compile(r"&(?:amp|lt|gt|#34|#39);")
_SURROGATES = re.compile("[\ud800-\udfff]")
_REFRESH_URL = re.compile(r"\s*[0-9.]*\s*[;,]\s*(?:url\s*=\s*)?[\"']?(.*)", re.I | re.S)


class UnsafeRenderingError(AssertionError):
    """A rendering that is not safe for where its merge field stands.

    ``problem`` says what is wrong; ``template`` and ``records`` are what was rendered;
    ``field`` is the offending `FieldRef` (``None`` for a problem of the whole output),
    ``value`` the value it read, ``piece`` what it rendered and ``output`` the whole rendering.
    """

    def __init__(
        self,
        problem: str,
        *,
        template: Template,
        records: Records,
        field: FieldRef | None = None,
        value: object = None,
        piece: str | None = None,
        output: str | None = None,
    ) -> None:
        self.problem = problem
        self.template = template
        self.records = records
        self.field = field
        self.value = value
        self.piece = piece
        self.output = output
        lines = [
            problem,
            f"  template: {template.source!r} (kind={template.kind!r}, "
            f"context={template.context!r}, mode={template.mode!r})",
            f"  records:  {dict(records)!r}",
        ]
        if field is not None:
            lines.append(
                f"  slot:     @{{{field.resource}:{field.field}}} at offset {field.start}, "
                f"encoder {field.encoder!r}"
            )
            lines.append(f"  value:    {value!r}")
            lines.append(f"  came out: {piece!r}")
        if output is not None:
            lines.append(f"  rendered: {output!r}")
        super().__init__("\n".join(lines))


def _same(a: str, b: str) -> bool:
    # JSON reads an escaped high+low surrogate pair back as one astral character, so compare
    # UTF-16 code units rather than code points.
    return a.encode("utf-16-le", "surrogatepass") == b.encode("utf-16-le", "surrogatepass")


def _lax(text: str) -> str:
    return _SURROGATES.sub("\ufffd", text)


def _url_problem(piece: str, text: str) -> str | None:
    """What is wrong with ``piece`` as the output of a whole-URL slot for ``text``."""
    if piece == UNSAFE_URL_FAILSAFE:
        return None
    if not _WHOLE_URL.fullmatch(piece):
        return "whole-URL slot holds a character that must be percent-encoded"
    for view in (piece, html.unescape(piece)):
        scheme = url_scheme(view)
        if scheme and scheme not in URL_SCHEMES:
            return f"whole-URL slot yields the scheme {scheme!r}"
    if urllib.parse.unquote(piece) != urllib.parse.unquote(_lax(text)):
        return "whole-URL slot does not decode back to the value"
    return None


def _piece_problem(encoder: str, piece: str, text: str, slot: Slot, value: object) -> str | None:
    """What is wrong with ``piece`` as ``encoder``'s output for ``text``; None when it is safe."""
    if encoder.startswith("json_") and encoder != "json_value":
        try:
            decoded = json.loads(f'"{piece}"')
        except ValueError as exc:
            return f"JSON string slot is not a valid JSON string body: {exc}"
        if "\u2028" in piece or "\u2029" in piece:
            return "JSON string slot holds a raw U+2028 or U+2029"
        if encoder == "json_string":
            return None if _same(decoded, text) else "JSON string slot does not decode back"
        encoder, piece = encoder[len("json_") :], decoded
    if encoder == "json_value":
        try:
            parsed = json.loads(piece, parse_constant=_no_constant)
        except ValueError as exc:
            return f"bare JSON value slot is not one JSON value: {exc}"
        if is_missing(value) and not text:
            return None if parsed is None else "a missing value without default is not null"
        if slot.type != "Number" and not (isinstance(parsed, str) and _same(parsed, text)):
            return "JSON value slot does not decode back to the value as a string"
        return None
    if encoder.startswith("html_url"):
        problem = _html_problem(piece)
        if problem is not None:
            return problem
        encoder, piece = encoder[len("html_") :], html.unescape(piece)
    if encoder == "url":
        return _url_problem(piece, text)
    if encoder.startswith("url_"):
        if not _PERCENT_PART.fullmatch(piece):
            return "URL part holds a character other than A-Z a-z 0-9 - . _ ~ and %XX"
        decoded = urllib.parse.unquote(piece, errors="strict")
        return None if decoded == _lax(text) else "URL part does not decode back to the value"
    if encoder == "form":
        if not _FORM_PART.fullmatch(piece):
            return "form slot holds a character other than A-Z a-z 0-9 - . _ ~ + and %XX"
        decoded = urllib.parse.unquote_plus(piece, errors="strict")
        return None if decoded == _lax(text) else "form slot does not decode back to the value"
    if encoder in ("html", "html_attr"):
        problem = _html_problem(piece)
        if problem is not None:
            return problem
        return None if html.unescape(piece) == _lax(text) else "HTML slot does not unescape back"
    return None if piece == _lax(text) else "text slot changed the value"


def _html_problem(piece: str) -> str | None:
    raw = set(piece) & set("<>\"'")
    if raw:
        return f"HTML slot holds a raw {''.join(sorted(raw))}"
    if _HTML_ENTITY.sub("", piece).count("&"):
        return "HTML slot holds a raw &"
    return None


def _unsafe_scheme(url: str) -> str:
    """The unsafe scheme ``url`` has, read raw and with character references decoded, or ""."""
    for view in (url, html.unescape(url)):
        scheme = url_scheme(view)
        if scheme in UNSAFE_LITERAL_SCHEMES:
            return scheme
    return ""


def _json_urls(value: object, url: bool = False) -> Iterable[str]:
    """The strings of a parsed JSON document that are URLs by their key (`is_url_key`)."""
    if isinstance(value, str):
        if url:
            yield value
    elif isinstance(value, list):
        for item in value:
            yield from _json_urls(item, url)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _json_urls(item, is_url_key(key))


class _Shape(HTMLParser):
    """The tags and attribute names of an HTML text, and the values of its URL attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.shape: list[tuple[str, ...]] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.shape.append((tag, *(name for name, _ in attrs)))
        refresh = any(
            name == "http-equiv" and (value or "").strip().lower() == "refresh"
            for name, value in attrs
        )
        for name, value in attrs:
            if value is None or attribute_kind(tag, name) not in URL_VALUE_KINDS:
                continue
            if tag != "meta" or name != "content" or refresh:
                self.urls.extend(_attribute_urls(name, value))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.shape.append(("/" + tag,))


def _attribute_urls(name: str, value: str) -> list[str]:
    if name.endswith("srcset"):
        return [part.split()[0] for part in value.split(",") if part.strip()]
    if name == "content":
        match = _REFRESH_URL.match(value)
        return [match.group(1)] if match else []
    return [value]


def html_shape(text: str) -> tuple[list[tuple[str, ...]], list[str]]:
    """The start and end tags (with attribute names) of ``text``, and its URL attribute values."""
    parser = _Shape()
    parser.feed(text)
    parser.close()
    return parser.shape, parser.urls


def _neutral_rendering(template: Template) -> str:
    """``template`` rendered with ``x`` in every slot (how its literal text alone parses)."""
    parts = []
    previous = 0
    for slot in template.slots:
        parts += [template.source[previous : slot.start], "x"]
        previous = slot.end
    parts.append(template.source[previous:])
    return "".join(parts)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _check(template: Template, records: Records) -> None:
    def fail(problem: str, **where: Any) -> UnsafeRenderingError:
        return UnsafeRenderingError(problem, template=template, records=records, **where)

    try:
        output = template.render(**records)
    except RenderError as exc:
        if template.mode == "strict":
            return  # refusing a value is the safe outcome strict mode promises
        raise fail(f"lax rendering raised {exc}") from exc
    # The core renders plain strings itself; the Python policy rendering each slot alone is
    # the reference it must match.
    source = template.source
    expected = ""
    previous = 0
    for slot in template.slots:
        expected += source[previous : slot.start]
        previous = slot.end
        value = slot.read(records.get(slot.resource))
        piece = slot.resolve(value)
        if not output.startswith(expected + piece):
            raise fail(
                "the rendering differs from rendering this slot alone",
                field=slot.ref,
                value=value,
                piece=piece,
                output=output,
            )
        text = slot.text(value)
        if text is not None:
            problem = _piece_problem(slot.encoder, piece, text, slot, value)
            if problem is not None:
                raise fail(problem, field=slot.ref, value=value, piece=piece, output=output)
        expected += piece
    expected += source[previous:]
    if output != expected:
        raise fail("the rendering differs from its literal text and slots", output=output)
    if template.kind == "json":
        try:
            json.loads(output, parse_constant=_no_constant)
        except ValueError as exc:
            raise fail(f"the rendered JSON does not parse: {exc}", output=output) from None
    urls: Iterable[str] = ()
    if template.kind == "url":
        urls = [output]
    elif template.kind == "json":
        urls = _json_urls(json.loads(output))
    elif template.kind == "html":
        shape, urls = html_shape(output)
        if shape != html_shape(_neutral_rendering(template))[0]:
            raise fail(
                "the rendered HTML has other tags or attributes than with neutral values",
                output=output,
            )
    for url in urls:
        scheme = _unsafe_scheme(url)
        if scheme:
            raise fail(f"the rendered URL has the scheme {scheme!r}", output=output)


def assert_renders_safely(
    template: Template | str,
    records: Records | Iterable[Records] | None = None,
    /,
    *,
    kind: Kind = "text",
    context: str | None = None,
    mode: Mode = "lax",
) -> None:
    """Render ``template`` with ``records`` and check every slot is safe for its position.

    ``template`` is a `Template`, or a source compiled with ``kind``, ``context`` and ``mode``.
    ``records`` is one set of keyword arguments of `Template.render`
    (``{"Lead": {...}, "User": {...}}``), an iterable of them, or ``None`` (no records: every
    value missing).  In strict mode a `RenderError` counts as safe (the value was refused); in
    lax mode it is a failure.  Raises `UnsafeRenderingError` (an `AssertionError`) naming the
    template, the records, the slot, the value and what came out; see the module docstring for
    what is checked.
    """
    if isinstance(template, str):
        template = compile(template, kind=kind, context=context, mode=mode)
    if records is None:
        batches: Iterable[Records] = [{}]
    elif isinstance(records, Mapping):
        batches = [records]
    else:
        batches = records
    for batch in batches:
        _check(template, batch)


def fuzz_template(
    template: Template, *, max_examples: int = 100, derandomize: bool = False
) -> None:
    """Run `assert_renders_safely` on ``template`` over records drawn for its context.

    Records come from `mergefield.strategies.records` with the template's context and catalog;
    hypothesis shrinks a failure to a small record and re-raises its `UnsafeRenderingError`.
    ``derandomize=True`` makes the run repeatable (the same records every time).  Needs the
    ``testing`` extra (``hypothesis``).
    """
    from hypothesis import HealthCheck, given, settings

    from mergefield.testing.strategies import records

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(records(template.context, catalog=template.catalog))
    def run(drawn: dict[str, dict[str, Any] | None]) -> None:
        assert_renders_safely(template, drawn)

    run()
