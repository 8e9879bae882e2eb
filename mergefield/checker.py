"""`check()`: every problem of a template's syntax and names, with a place and a suggestion.

Compiling never rejects a name (SPEC section 2), so this is where a misspelt field, a resource
the context cannot read, or a malformed token is reported, all at once and sorted by offset.
Name diagnostics point at the resource or field name itself, not at the token's ``@``.  The
codes (``syntax-error``, ``unknown-resource``, ``case-mismatch``, ``resource-not-allowed``,
``unknown-field``, ``missing-comma``, and the compile codes of a template its ``kind`` cannot
hold, so that `check()` and compiling apply one rule) are documented with an example and a fix
in `mergefield.codes`, which also gives each its severity.
"""

from __future__ import annotations

from mergefield._options import KINDS, Kind, check_choice
from mergefield.catalog import DEFAULT_CATALOG, Catalog
from mergefield.codes import (
    CASE_MISMATCH,
    MISSING_COMMA,
    RESOURCE_NOT_ALLOWED,
    SYNTAX_ERROR,
    UNKNOWN_FIELD,
    UNKNOWN_RESOURCE,
    diagnostic,
)
from mergefield.diagnostics import Diagnostic
from mergefield.errors import LineIndex, TemplateCompileError
from mergefield.escaping import classify
from mergefield.syntax import Token, scan

__all__ = ["check"]

_BLANKS = " \t"


def _skip_blanks(source: str, at: int) -> int:
    while at < len(source) and source[at] in _BLANKS:
        at += 1
    return at


def _name_spans(source: str, token: Token) -> tuple[int, int]:
    """The offsets of the resource name and of the (trimmed) field name inside ``token``."""
    resource_at = _skip_blanks(source, token.start + 2)
    colon = source.index(":", resource_at + len(token.resource))
    return resource_at, _skip_blanks(source, colon + 1)


def _suggestion(text: str | None) -> str:
    return f"; did you mean {text}?" if text else ""


def _differs_in_case(written: str, suggested: str) -> bool:
    return written != suggested and written.casefold() == suggested.casefold()


# Which name of a token a problem is about: the resource or the field.
_RESOURCE, _FIELD = 0, 1
_Problem = tuple[str, str, int]  # code, message, _RESOURCE or _FIELD


def _name_problems(
    resource: str, field: str, catalog: Catalog, context: str | None, allowed: frozenset[str]
) -> list[_Problem]:
    """What is wrong with ``resource:field`` in ``context``, independent of where it stands."""
    problems: list[_Problem] = []
    if resource not in catalog.resources():
        hint = catalog.suggest(resource, field, context=context)
        note = ""
        if hint is None:
            # The only close name may be one the context forbids; say so rather than nothing.
            hint = catalog.suggest(resource, field)
            if hint is not None and context is not None:
                note = f" (not allowed in the {context} context)"
        suggested = hint.partition(":")[0] if hint else ""
        if _differs_in_case(resource, suggested):
            code = CASE_MISMATCH
            note += " (names are case-sensitive)"
        else:
            code = UNKNOWN_RESOURCE
            if hint is None:
                known = ", ".join(sorted(allowed & catalog.resources()))
                note = f"; known resources: {known}" if known else ""
        message = f'unknown resource "{resource}"{_suggestion(hint)}{note}'
        return [(code, message, _RESOURCE)]
    if resource not in allowed:
        message = (
            f'resource "{resource}" is not allowed in the {context} context; '
            f"allowed: {', '.join(sorted(allowed))}"
        )
        problems.append((RESOURCE_NOT_ALLOWED, message, _RESOURCE))
    if not catalog.is_declared(resource, field):
        hint = catalog.suggest(resource, field)
        if hint is not None or catalog.lookup(resource, field) is None:
            suggested = hint.partition(":")[2] if hint else ""
            code = CASE_MISMATCH if _differs_in_case(field, suggested) else UNKNOWN_FIELD
            message = f'unknown field "{field}" of {resource}{_suggestion(hint)}'
            if code == CASE_MISMATCH:
                message += " (names are case-sensitive)"
            elif hint is None and resource == "Lead":
                message += "; Lead custom fields are written mx_<SchemaName>"
            problems.append((code, message, _FIELD))
    return problems


def check(
    source: str,
    *,
    context: str | None = None,
    kind: Kind = "text",
    catalog: Catalog | None = None,
) -> list[Diagnostic]:
    """Every syntax and name problem of ``source``, sorted by offset.

    ``context`` is a name of `mergefield.catalog.CONTEXTS` or None (every resource of the
    catalog is allowed); ``kind`` is one of `KINDS`; ``catalog`` defaults to
    `DEFAULT_CATALOG`.  An unknown context or kind raises ValueError.
    """
    if isinstance(source, str):
        source = str.__str__(source)  # a str subclass is checked as its text, on both cores
    check_choice("kind", kind, KINDS)
    if catalog is None:
        catalog = DEFAULT_CATALOG
    # Raises for an unknown context even when the template has no tokens.
    allowed = catalog.allowed_resources(context)
    # One line index for every diagnostic: computing each line from the start is quadratic.
    lines = LineIndex(source)
    tokens, errors = scan(source, lines=lines)
    found = [
        diagnostic(SYNTAX_ERROR, err.message, err.line, err.column, err.offset, err.end)
        for err in errors
    ]
    # Bulk templates repeat the same few names; suggestions (difflib) are worth computing once.
    memo: dict[tuple[str, str], list[_Problem]] = {}
    for token in tokens:
        resource, field = token.resource, token.field
        problems = memo.get((resource, field))
        if problems is None:
            problems = _name_problems(resource, field, catalog, context, allowed)
            memo[(resource, field)] = problems
        if problems:
            spans = _name_spans(source, token)
            for code, message, part in problems:
                at = spans[part]
                length = len(resource) if part == _RESOURCE else len(field)
                line, column = lines.place(at)
                found.append(diagnostic(code, message, line, column, at, at + length))
        if token.default is None:
            at = token.end - 1
            line, column = lines.place(at)
            message = (
                f"@{{{resource}:{field}}} has no comma; LeadSquared documents "
                f"@{{{resource}:{field},}}, and strict rendering fails when a value without a "
                "fallback is missing"
            )
            found.append(diagnostic(MISSING_COMMA, message, line, column, at, at + 1))
    found.extend(_kind_problems(source, tokens, kind, catalog))
    found.sort(key=lambda d: d.offset)
    return found


def _kind_problems(
    source: str, tokens: list[Token], kind: Kind, catalog: Catalog
) -> list[Diagnostic]:
    """The position problem `mergefield.compile` would raise for ``kind``, as a diagnostic.

    Its code is the compile error's own (``url-scheme-slot``, ``json-invalid``, ...; see
    `mergefield.codes`).  Only the first is found: the JSON and URL scanners stop where the text
    stops making sense.
    """
    try:
        classify(
            source,
            [(t.start, t.end) for t in tokens],
            kind,
            url_fields=catalog.url_flags(tokens),
        )
    except TemplateCompileError as err:
        code = err.code
        assert code is not None  # every compile error carries its registered code
        return [diagnostic(code, err.message, err.line, err.column, err.offset, err.end)]
    return []
