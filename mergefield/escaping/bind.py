"""Bind an encoder to every merge field from where it stands in the template's literal text.

`classify` takes the template source and the ``(start, end)`` span of each token and, following
SPEC section 4 and Go's ``html/template`` (its context, transition and escaper design), hands the
literal text to the state machine of the template's kind: `mergefield.escaping.url` for ``url``,
`mergefield.escaping.json` for ``json``, `mergefield.escaping.html` for ``html``; ``form`` and
``text`` give every token that encoder.  Every position that is unsafe or ambiguous is a
`TemplateCompileError` with a short ``code`` documented in `ERROR_CODES`; decisions the SPEC
leaves open are written next to the code that makes them and there.  The whole pass is linear in
the size of the source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from mergefield._options import KINDS, Kind, check_choice
from mergefield.escaping.html import HTML_ERROR_CODES, classify_html
from mergefield.escaping.json import classify_json
from mergefield.escaping.url import classify_url

__all__ = ["ERROR_CODES", "classify"]

ERROR_CODES: Mapping[str, str] = MappingProxyType(
    {
        "url-scheme-slot": (
            "A merge field stands where the URL scheme is still being written, as in "
            "`http@{Account:Suffix,}://x/` or `go@{Lead:Id,}`: the value could turn the URL "
            "into `javascript:` or make a relative path look like a scheme. Fix: write the "
            "scheme and `://` literally and put the field after them, e.g. "
            "`https://@{Account:Host,}/`, or start the URL with `/` or `./` when it is relative. "
            "The same holds when literal text after a field that starts the URL goes on with a "
            "`:` before any `/`, `?` or `#`, as in `@{Lead:Website,}:alert(1)` or "
            "`@{Account:ShortCode,}://@{Lead:Company,}/`: the value would end up as the scheme. "
            "Fix: write the scheme literally, or put `/`, `?` or `#` before the `:`."
        ),
        "url-unsafe-scheme": (
            "The template's own text starts a URL with `javascript:`, `vbscript:` or `data:` "
            "(in any letter case, with blanks, tabs or line breaks browsers ignore, or spelled "
            "with character references such as `&#106;avascript:`), as in "
            "`javascript:send('@{Lead:Mobile,}')`, in a `url` template, a JSON URL string or an "
            "HTML URL attribute: such a URL runs script or inlines a document. Fix: link to an "
            "`http`, `https` or `mailto` URL, or a relative one."
        ),
        "entity-slot": (
            "A merge field stands inside a numeric character reference, as in "
            "`&#@{Lead:Code,};` in an `html` template, or before the first `:`, `/`, `?` or "
            "`#` of a URL of kind `url` or `json`: the value would choose the character once "
            "the text is read as HTML (`&#106;` is `j`, so `&#@{...};avascript:` could become "
            "`javascript:`). Fix: remove the `&#` before the field, or write the whole "
            "reference literally."
        ),
        "json-glued": (
            "Outside a JSON string a merge field must be a whole value: it must follow `:`, "
            "`[`, `,` in an array or the start of the document, and be followed by `,`, `}`, "
            "`]` or the end. `@{Lead:Score,}5`, `tru@{Lead:Flag,}` and "
            '`"id-"@{Lead:Id,}` glue it to other text. Fix: put the field and the text in '
            'one string, e.g. `"id-@{Lead:Id,}"`, or give the field its own value position.'
        ),
        "json-bare-url": (
            "A merge field stands as a bare JSON value where the document expects a URL, as in "
            '`{"url": @{Lead:Website,}}` or `{"links": [@{Lead:Website,}]}` (a key named as in '
            "`URL_KEY_WORDS`): it would be inserted as a JSON string without the scheme filter. "
            'Fix: quote it, e.g. `{"url": "@{Lead:Website,}"}`, so it is a whole-URL slot.'
        ),
        "json-key-slot": (
            "A merge field stands where a JSON object expects a key, as in "
            "`{@{Lead:Field,}: 1}`: JSON keys are strings. Fix: quote it, "
            'e.g. `{"@{Lead:Field,}": 1}`.'
        ),
        "json-invalid": (
            "The `json` template is not valid JSON once each merge field is replaced by a "
            "neutral value (`x` inside a string, `0` at a value position), e.g. "
            '`{"a": @{Lead:Score,} "b": 1}` lacks a comma, and `NaN`/`Infinity` are not '
            "JSON. The error points at the first offending character. Fix: repair the JSON "
            "around the field as the message says."
        ),
        "json-too-deep": (
            "The `json` template nests arrays and objects more than 500 levels deep, which the "
            "JSON checker cannot prove valid without exhausting the Python stack. Fix: flatten "
            "the document."
        ),
        **HTML_ERROR_CODES,
    }
)
"""Error code -> what it means, an example and its fix (Go ``html/template`` style)."""


def classify(
    source: str,
    spans: Sequence[tuple[int, int]],
    kind: Kind,
    *,
    url_fields: Sequence[bool] = (),
) -> tuple[str, ...]:
    """Return the encoder name bound to each token of ``source``, in the order of ``spans``.

    ``spans`` holds the ``(start, end)`` offsets of each merge-field token (``start`` at its
    ``@``, ``end`` just past its ``}``), in order and not overlapping; everything between them
    is literal text.  ``kind`` is one of `KINDS`: ``form`` and ``text`` give every token that
    encoder; ``url``, ``json`` and ``html`` run a state machine over the literal text (see the
    module docstring and `mergefield.escaping.html`).  ``url_fields`` says, per token, whether
    its catalog field holds URLs (`FieldSpec.url`): such a token starting a JSON string or an
    HTML URL attribute is a whole-URL slot.  Raises `TemplateCompileError` (with a ``code`` from
    `ERROR_CODES`) for an unsafe or ambiguous position, a literal unsafe URL scheme, or a
    ``json`` template that is not valid JSON around its tokens, and `ValueError` for an unknown
    ``kind`` or malformed ``spans``.
    """
    check_choice("kind", kind, KINDS)
    previous_end = 0
    for start, end in spans:
        if not previous_end <= start < end <= len(source):
            raise ValueError(
                f"span ({start}, {end}) is out of order, empty, overlapping or outside the "
                f"source of length {len(source)}"
            )
        previous_end = end
    flags = tuple(url_fields) if url_fields else (False,) * len(spans)
    if len(flags) != len(spans):
        raise ValueError(f"url_fields has {len(flags)} entries for {len(spans)} spans")
    if kind == "url":
        return classify_url(source, spans)
    if kind == "json":
        return classify_json(source, spans, flags)
    if kind == "html":
        return classify_html(source, spans, flags)
    return (kind,) * len(spans)

