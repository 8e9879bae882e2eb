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

from mergefield import codes
from mergefield._options import KINDS, Kind, check_choice
from mergefield.escaping.html import classify_html
from mergefield.escaping.json import classify_json
from mergefield.escaping.url import classify_url

__all__ = ["ERROR_CODES", "classify"]

ERROR_CODES: Mapping[str, str] = MappingProxyType(
    {
        name: codes.explanation(name)
        for name, entry in codes.CODES.items()
        if entry.group == "compile"
    }
)
"""Compile error code -> what it means, an example and its fix, from `mergefield.codes`."""


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
