"""Tests of `mergefield.checker.check`: codes, exact messages, places, contexts and catalogs.

Name diagnostics must point at the wrong word itself, so most assertions compare the full
`Diagnostic` (line, column, offset, end) and check that ``source[offset:end]`` is that word.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mergefield._options import KINDS
from mergefield.catalog import CONTEXTS, DEFAULT_CATALOG, Catalog, FieldSpec, ValueType
from mergefield.checker import check
from mergefield.diagnostics import Diagnostic
from mergefield.errors import line_and_column

DATA = Path(__file__).resolve().parent / "data" / "catalog"
COMMA_NOTE = "strict rendering fails when a value without a fallback is missing"


def codes(source: str, **options: object) -> list[tuple[str, str]]:
    return [(d.code, source[d.offset : d.end]) for d in check(source, **options)]  # type: ignore[arg-type]


def test_the_issue_example_is_clean_in_grid() -> None:
    source = "https://x/send?to=@{Lead:Mobile,}&name=@{Lead:FirstName,Friend}"
    assert check(source, context="grid", kind="url") == []
    assert check(source) == []


def test_a_template_without_tokens_is_clean() -> None:
    assert check("") == []
    assert check("{{orgCode}} %s% @lead.phone @ @@{", context="menu") == [
        Diagnostic("syntax-error", "error",
                   "expected a resource name after `@{`, found end of input", 1, 32, 31, 33),
    ]


def test_every_diagnostic_of_a_multi_line_template() -> None:
    source = (
        "https://x/?org=@{Account:ShortCode,}\n"
        "&a=@{lead:firstname,}&b=@{Leed:Phone,}\n"
        "\t&c=@{ Lead : FristName ,x}&d=@{Lead:Xyzzy,}&e=@{User:EmailAddress}\n"
        "&f=@{Foo:Bar,}&g=@{Lead:mx_city,}&h=@{Lead:mx_Anything,}@{Lead:Phone"
    )
    found = check(source, context="grid")
    assert found == [
        Diagnostic("case-mismatch", "error",
                   'unknown resource "lead"; did you mean Lead:FirstName? '
                   "(names are case-sensitive)", 2, 6, 42, 46),
        Diagnostic("unknown-resource", "error",
                   'unknown resource "Leed"; did you mean Lead:Phone?', 2, 27, 63, 67),
        Diagnostic("unknown-field", "error",
                   'unknown field "FristName" of Lead; did you mean Lead:FirstName?',
                   3, 15, 90, 99),
        Diagnostic("unknown-field", "error",
                   'unknown field "Xyzzy" of Lead; Lead custom fields are written mx_<SchemaName>',
                   3, 38, 113, 118),
        Diagnostic("missing-comma", "warning",
                   "@{User:EmailAddress} has no comma; LeadSquared documents "
                   f"@{{User:EmailAddress,}}, and {COMMA_NOTE}", 3, 67, 142, 143),
        Diagnostic("unknown-resource", "error",
                   'unknown resource "Foo"; known resources: Account, Lead, User', 4, 6, 149, 152),
        Diagnostic("case-mismatch", "error",
                   'unknown field "mx_city" of Lead; did you mean Lead:mx_City? '
                   "(names are case-sensitive)", 4, 25, 168, 175),
        Diagnostic("syntax-error", "error",
                   "expected `}` to close `@{Lead:Phone`, found end of input", 4, 57, 200, 212),
    ]
    for diagnostic in found:
        assert (diagnostic.line, diagnostic.column) == line_and_column(source, diagnostic.offset)
    assert [source[d.offset : d.end] for d in found[:7]] == [
        "lead", "Leed", "FristName", "Xyzzy", "}", "Foo", "mx_city",
    ]


def test_every_malformed_token_is_reported_not_just_the_first() -> None:
    source = "@{}\n@{Lead}\n@{:X,}\n@{Lead:,}\n@{Lead:a@{Lead:b,}"
    found = check(source)
    assert [(d.code, d.line, d.column) for d in found] == [
        ("syntax-error", 1, 1), ("syntax-error", 2, 1), ("syntax-error", 3, 1),
        ("syntax-error", 4, 1), ("syntax-error", 5, 1), ("unknown-field", 5, 16),
    ]
    assert found[1].message == "expected `:` after `@{Lead`, found `}`"
    assert found[-1].message == (
        'unknown field "b" of Lead; Lead custom fields are written mx_<SchemaName>'
    )


@pytest.mark.parametrize(
    "context, source, expected",
    [
        ("menu", "@{Lead:Phone,}", [("resource-not-allowed", "Lead")]),
        ("configuration", "@{Automation:ActionId,}", [("resource-not-allowed", "Automation")]),
        ("automation", "@{AutomationId:ProcessDefinitionId,}@{Automation:ActionId,}", []),
        ("automation", "@{Lead:mx_City,}", [("resource-not-allowed", "Lead")]),
        ("events", "@{User:FullName,}@{Account:ShortCode,}", []),
        ("lead_tab", "@{Lead:Score Lead,0}@{Lead:Score,0}@{Lead:Source,}", []),
        ("menu", "@{Lead:Nope,}", [("resource-not-allowed", "Lead"), ("unknown-field", "Nope")]),
        (None, "@{Automation:ActionId,}@{Lead:Mobile,}", []),
    ],
)
def test_contexts(context: str | None, source: str, expected: list[tuple[str, str]]) -> None:
    assert codes(source, context=context) == expected


def test_not_allowed_message_lists_the_allowed_resources() -> None:
    (found,) = check("x\n  @{Lead:Phone,}", context="menu")
    assert found == Diagnostic(
        "resource-not-allowed", "error",
        'resource "Lead" is not allowed in the menu context; allowed: Account, User',
        2, 5, 6, 10,
    )


def test_a_suggestion_the_context_forbids_says_so() -> None:
    (found,) = check("@{Leed:Phone,}", context="menu")
    assert found.message == (
        'unknown resource "Leed"; did you mean Lead:Phone? (not allowed in the menu context)'
    )


def test_case_mismatch_of_a_context_forbidden_resource_is_still_a_case_mismatch() -> None:
    (found,) = check("@{lead:firstname,}", context="menu")
    assert (found.code, found.message) == (
        "case-mismatch",
        'unknown resource "lead"; did you mean Lead:FirstName? (not allowed in the menu '
        "context) (names are case-sensitive)",
    )


@pytest.mark.parametrize(
    "source, message",
    [
        ("@{Lead:firstname,}",
         'unknown field "firstname" of Lead; did you mean Lead:FirstName? '
         "(names are case-sensitive)"),
        ("@{Lead:source lead,}",
         'unknown field "source lead" of Lead; did you mean Lead:Source Lead? '
         "(names are case-sensitive)"),
        ("@{USER:emailaddress,}",
         'unknown resource "USER"; did you mean User:EmailAddress? (names are case-sensitive)'),
    ],
)
def test_case_only_mismatches_are_errors(source: str, message: str) -> None:
    (found,) = check(source)
    assert (found.code, found.severity, found.message) == ("case-mismatch", "error", message)


def test_missing_comma_is_a_warning_at_the_closing_brace() -> None:
    source = "a\n@{ User : EmailAddress }"
    (found,) = check(source)
    assert (found.code, found.severity, found.line, found.column) == (
        "missing-comma", "warning", 2, 24
    )
    assert source[found.offset : found.end] == "}"
    assert check("@{User:EmailAddress,}") == []
    assert check("@{Account:ShortCode, }") == []


def test_a_name_with_a_missing_comma_and_a_typo_gets_both() -> None:
    assert codes("@{Lead:FristName}") == [("unknown-field", "FristName"), ("missing-comma", "}")]


def test_lead_custom_fields_are_always_allowed_in_lead_contexts() -> None:
    for context in ("grid", "lead_tab", None):
        assert check("@{Lead:mx_Custom_12,}@{Lead:mx_Zip,}", context=context) == []


def test_an_extended_catalog_admits_its_resources_where_granted() -> None:
    catalog = Catalog.from_json(DATA / "account.json")
    source = "@{Opportunity:Amount,0}@{Owner:EmailAddress,}@{Lead:mx_Seats,}"
    assert codes(source, context="grid", catalog=catalog) == [("resource-not-allowed", "Owner")]
    assert codes(source, catalog=catalog) == []
    assert codes(source, context="grid") == [
        ("unknown-resource", "Opportunity"), ("unknown-resource", "Owner"),
    ]
    assert codes("@{Opportunity:Amout,}", catalog=catalog) == [("unknown-field", "Amout")]
    (found,) = check("@{Opportunity:Amout,}", catalog=catalog)
    assert found.message == 'unknown field "Amout" of Opportunity; did you mean Opportunity:Amount?'


def test_an_empty_catalog_knows_nothing() -> None:
    (found,) = check("@{Lead:Phone,}", catalog=Catalog())
    assert (found.code, found.message) == ("unknown-resource", 'unknown resource "Lead"')


def test_unknown_context_and_kind_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown context 'sidebar'; valid contexts: config"):
        check("", context="sidebar")
    with pytest.raises(ValueError) as info:
        check("", kind="xml")
    assert str(info.value) == "unknown kind 'xml'; expected one of url, json, form, html, text"
    for kind in KINDS:
        assert check("@{Lead:Phone,}", kind=kind) == []


def test_diagnostic_str() -> None:
    (found,) = check("@{User:EmailAddress}")
    assert str(found).startswith("1:20: warning missing-comma: @{User:EmailAddress} has no comma")
    with_path = Diagnostic("x", "error", "m", 1, 2, path="/events/install/url")
    assert str(with_path) == "/events/install/url:1:2: error x: m"


_blanks = st.text(alphabet=" \t", max_size=2)
_specs = [spec for spec in DEFAULT_CATALOG] + [
    DEFAULT_CATALOG.lookup("Lead", name) for name in ("Source", "Score", "mx_Anything_9")
]


@given(
    spec=st.sampled_from(_specs),
    context=st.sampled_from([None, *CONTEXTS]),
    default=st.sampled_from(["", " ", "Friend", "a,b:c@d"]),
    padding=st.tuples(_blanks, _blanks, _blanks, _blanks),
    prefix=st.text(alphabet="ab \n{}:,", max_size=5),
)
def test_every_catalog_field_written_correctly_is_clean_where_allowed(
    spec: FieldSpec | None, context: str | None, default: str,
    padding: tuple[str, str, str, str], prefix: str,
) -> None:
    assert spec is not None
    a, b, c, d = padding
    source = f"{prefix}@{{{a}{spec.resource}{b}:{c}{spec.name}{d},{default}}}"
    found = check(source, context=context)
    if spec.resource in DEFAULT_CATALOG.allowed_resources(context):
        assert found == []
    else:
        assert [(x.code, source[x.offset : x.end]) for x in found] == [
            ("resource-not-allowed", spec.resource)
        ]


@given(
    spec=st.sampled_from([s for s in DEFAULT_CATALOG if s.type is not ValueType.DATE]),
    swap=st.booleans(),
)
def test_a_case_slip_in_any_name_is_caught_and_corrected(spec: FieldSpec, swap: bool) -> None:
    resource, field = spec.resource, spec.name
    if swap:
        resource = resource.swapcase()
    else:
        field = field.swapcase()
    source = f"@{{{resource}:{field},}}"
    (found,) = check(source)
    assert found.code == "case-mismatch"
    assert f"did you mean {spec.resource}:{spec.name}?" in found.message
    assert source[found.offset : found.end] == (resource if swap else field)


@given(st.text(alphabet=st.sampled_from("@{}:, \t\nLeadUsrFitNm_xAb"), max_size=60))
def test_check_never_fails_and_places_are_consistent(source: str) -> None:
    found = check(source)
    assert [d.offset for d in found] == sorted(d.offset for d in found)
    for diagnostic in found:
        assert diagnostic.severity in {"error", "warning"}
        assert 0 <= diagnostic.offset < diagnostic.end <= len(source)
        assert (diagnostic.line, diagnostic.column) == line_and_column(source, diagnostic.offset)


def test_kind_problems_are_reported_with_the_compile_error_code() -> None:
    found = check('{\n  "a": @{Lead:Phone,}5\n}', context="grid", kind="json")
    got = [(d.code, d.severity, d.line, d.column) for d in found]
    assert got == [("json-glued", "error", 2, 8)]
    found = check("ht@{Lead:Phone,}tp://x", context="grid", kind="url")
    assert [(d.code, d.line, d.column) for d in found] == [("url-scheme-slot", 1, 3)]
    assert check("https://x/?p=@{Lead:Phone,}", context="grid", kind="url") == []
