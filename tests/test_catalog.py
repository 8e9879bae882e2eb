"""Tests of `mergefield.catalog`: the seed's tables, the contexts, extension in code and JSON.

The central test reads the seed page's field tables, kept verbatim in
``tests/fixtures/seed_fields.txt`` (copied from the seed page ``create-a-connector.txt``; a clone
has nothing beside it), with its own small parser, independent of ``seed.json``, so a field that
is missing, mistyped or mislabelled in the packaged catalog fails here.
"""

from __future__ import annotations

import importlib
import json
import pickle
import re
from dataclasses import FrozenInstanceError, dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mergefield
from mergefield.catalog import (
    CONTEXTS,
    DEFAULT_CATALOG,
    Catalog,
    CatalogError,
    Context,
    FieldSpec,
    ValueType,
)

SEED = Path(__file__).resolve().parent / "fixtures" / "seed_fields.txt"
DATA = Path(__file__).resolve().parent / "data" / "catalog"

# The heading that precedes each field table in the seed, by the context it describes.
TABLE_HEADINGS = {
    "Merge fields available for connector configuration": "configuration",
    "Merge fields available for connector events": "events",
    "Merge fields available for lead grid actions": "grid",
    "Merge fields available for application menu": "menu",
    "Merge fields available in automation actions": "automation",
    "Merge fields available for custom lead tabs": "lead_tab",
}

# The seed words Lead:ModifiedOn differently in its two Lead tables; the catalog keeps one of them
# ("last modified", the more precise) and any other wording of a field fails the test.
DESCRIPTION_VARIANTS = {
    ("Lead", "ModifiedOn"): {"Date the lead was modified", "Date the lead was last modified"}
}

_ROW = re.compile(
    r"^(?P<before>.*?)\s*@\{(?P<resource>[A-Za-z][A-Za-z0-9_]*):(?P<field>[^,{}]+),\}"
    r"\s+(?P<type>String|Number|Date)\b\s*(?P<description>.*)$"
)


@dataclass(frozen=True)
class SeedRow:
    context: str
    resource: str
    field: str
    label: str
    type: str
    description: str


def read_seed() -> list[SeedRow]:
    """Every ``@{Resource:Field,}`` row of every field table of the seed, with its context."""
    rows: list[SeedRow] = []
    context: str | None = None
    previous: str | None = None
    for line in SEED.read_text(encoding="utf-8").splitlines():
        heading = next((c for h, c in TABLE_HEADINGS.items() if line.startswith(h)), None)
        if heading is not None:
            context, previous = heading, None
            continue
        match = _ROW.match(line)
        if match is None:
            previous = None
            continue
        assert context is not None, f"field row outside a table: {line!r}"
        resource, label = match["resource"], match["before"].strip()
        # The first row of a resource's group starts with the resource column ("Lead First
        # Name"); later rows start with the label ("Lead Age" is a label of Lead).
        if resource != previous and label.startswith(resource + " "):
            label = label[len(resource) + 1 :]
        previous = resource
        rows.append(
            SeedRow(context, resource, match["field"], label, match["type"],
                    match["description"].strip())
        )
    return rows


ROWS = read_seed()


def test_seed_parser_sees_every_table() -> None:
    assert {row.context for row in ROWS} == set(TABLE_HEADINGS.values())
    # 9 + 9 + 49 + 9 + 11 + 49 rows in the six tables of the page.
    assert len(ROWS) == 136


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.context}-{r.resource}:{r.field}")
def test_every_seed_row_is_in_the_default_catalog(row: SeedRow) -> None:
    spec = DEFAULT_CATALOG.lookup(row.resource, row.field)
    assert spec is not None
    assert DEFAULT_CATALOG.is_declared(row.resource, row.field)
    assert (spec.resource, spec.name, spec.label) == (row.resource, row.field, row.label)
    assert spec.type is ValueType(row.type)
    variants = DESCRIPTION_VARIANTS.get((row.resource, row.field), {row.description})
    assert row.description in variants
    assert spec.description in variants


def test_default_catalog_holds_nothing_beyond_the_seed() -> None:
    # Beyond the seed only fields marked with their origin (the lead API's identifiers).
    seed_names = {(row.resource, row.field) for row in ROWS}
    seed_specs = [spec for spec in DEFAULT_CATALOG if spec.origin is None]
    assert {(spec.resource, spec.name) for spec in seed_specs} == seed_names
    assert len(seed_specs) == len(seed_names) == 51
    assert DEFAULT_CATALOG.resources() == {"Lead", "User", "Account", "Automation", "AutomationId"}


@pytest.mark.parametrize("context", sorted(TABLE_HEADINGS.values()))
def test_each_context_allows_exactly_the_resources_of_its_table(context: str) -> None:
    in_table = {row.resource for row in ROWS if row.context == context}
    assert CONTEXTS[context].resources == in_table
    assert DEFAULT_CATALOG.allowed_resources(context) == in_table


def test_contexts_match_spec_section_2_in_order() -> None:
    assert list(CONTEXTS) == ["configuration", "events", "grid", "menu", "automation", "lead_tab"]
    assert {name: sorted(c.resources) for name, c in CONTEXTS.items()} == {
        "configuration": ["Account", "User"],
        "events": ["Account", "User"],
        "grid": ["Account", "Lead", "User"],
        "menu": ["Account", "User"],
        "automation": ["Account", "Automation", "AutomationId", "User"],
        "lead_tab": ["Account", "Lead", "User"],
    }
    assert all(isinstance(c, Context) and c.description for c in CONTEXTS.values())


@pytest.mark.parametrize("heading, name", sorted(TABLE_HEADINGS.items()))
def test_each_context_module_quotes_its_table(heading: str, name: str) -> None:
    module = importlib.import_module(f"mergefield.catalog.{name}")
    assert module.CONTEXT is CONTEXTS[name]
    assert module.__doc__ is not None
    assert heading in " ".join(module.__doc__.split())


def test_source_and_score_read_their_record_keys() -> None:
    for written, key in [("Source Lead", "Source"), ("Source", "Source"),
                         ("Score Lead", "Score"), ("Score", "Score")]:
        spec = DEFAULT_CATALOG.lookup("Lead", written)
        assert spec is not None, written
        assert (spec.name, spec.key) == (written, key)
    score = DEFAULT_CATALOG.lookup("Lead", "Score")
    assert score is not None and score.type is ValueType.NUMBER
    # The aliases resolve but are not extra rows of the table.
    assert [s.name for s in DEFAULT_CATALOG.fields("Lead")].count("Source") == 0
    assert "Source" in DEFAULT_CATALOG.field_names("Lead")


def test_full_name_is_derived_from_first_and_last_name() -> None:
    spec = DEFAULT_CATALOG.lookup("User", "FullName")
    assert spec is not None
    assert spec.derived_from == ("FirstName", "LastName")
    assert spec.key == "FullName"


@pytest.mark.parametrize("name", ["mx_City", "mx_Custom_12", "mx_x", "mx_Anything_At_All"])
def test_lead_custom_fields_always_resolve(name: str) -> None:
    spec = DEFAULT_CATALOG.lookup("Lead", name)
    assert spec is not None
    assert (spec.resource, spec.name, spec.key, spec.type) == ("Lead", name, name, ValueType.STRING)


@pytest.mark.parametrize(
    "resource, name",
    [("Lead", "mx_"), ("Lead", "mx_a b"), ("Lead", "MX_City"), ("User", "mx_City"),
     ("Lead", "firstname"), ("lead", "FirstName")],
)
def test_lookup_is_exact(resource: str, name: str) -> None:
    assert DEFAULT_CATALOG.lookup(resource, name) is None


def test_fields_keep_the_seed_order() -> None:
    assert [s.name for s in DEFAULT_CATALOG.fields("User")] == [
        "EmailAddress", "FirstName", "FullName", "LastName", "AssociatedPhoneNumbers", "UserId",
        "AccessKey", "SecretKey",
    ]
    assert DEFAULT_CATALOG.fields("Nope") == ()


def test_allowed_resources() -> None:
    assert DEFAULT_CATALOG.allowed_resources(None) == DEFAULT_CATALOG.resources()
    with pytest.raises(ValueError) as info:
        DEFAULT_CATALOG.allowed_resources("grids")
    assert str(info.value) == (
        "unknown context 'grids'; valid contexts: configuration, events, grid, menu, "
        "automation, lead_tab"
    )


def test_with_fields_adds_resources_and_replaces_fields() -> None:
    amount = FieldSpec("Opportunity", "Amount", "Amount", ValueType.NUMBER)
    phone = FieldSpec("Lead", "Phone", "Phone", ValueType.STRING, default="n/a")
    extended = DEFAULT_CATALOG.with_fields(amount, phone)
    assert extended.lookup("Opportunity", "Amount") == amount
    assert extended.lookup("Lead", "Phone") == phone
    assert len(extended) == len(DEFAULT_CATALOG) + 1
    assert "Opportunity" in extended.allowed_resources(None)
    # A new resource is allowed only where a grant says so.
    assert "Opportunity" not in extended.allowed_resources("grid")
    granted = extended.allow("Opportunity", "grid", "lead_tab")
    assert "Opportunity" in granted.allowed_resources("grid")
    assert "Opportunity" not in granted.allowed_resources("menu")
    assert granted.grants() == {"grid": {"Opportunity"}, "lead_tab": {"Opportunity"}}
    # The original is untouched.
    assert DEFAULT_CATALOG.lookup("Opportunity", "Amount") is None
    with pytest.raises(ValueError, match="unknown context 'nowhere'"):
        extended.allow("Opportunity", "nowhere")


def test_field_spec_normalises_and_is_frozen() -> None:
    spec = FieldSpec("Lead", "mx_N", "N", "Number", derived_from=["a"])  # type: ignore[arg-type]
    assert spec.type is ValueType.NUMBER
    assert spec.derived_from == ("a",)
    assert spec.ref == "Lead:mx_N"
    with pytest.raises(FrozenInstanceError):
        spec.name = "x"  # type: ignore[misc]


def test_catalog_is_immutable_hashable_and_picklable() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_CATALOG._specs = ()  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(DEFAULT_CATALOG.allow("Lead", "menu")))
    assert copy == DEFAULT_CATALOG.allow("Lead", "menu")
    assert hash(copy) == hash(DEFAULT_CATALOG.allow("Lead", "menu"))
    assert copy != DEFAULT_CATALOG
    assert "Lead" in copy.allowed_resources("menu")


def test_derived_from_must_name_fields_of_the_resource() -> None:
    with pytest.raises(ValueError, match="derived from unknown field 'Nick'"):
        Catalog([FieldSpec("User", "Full", "Full", ValueType.STRING, derived_from=("Nick",))])


def test_from_json_file_extends_the_default_catalog() -> None:
    catalog = Catalog.from_json(DATA / "account.json")
    plan = catalog.lookup("Lead", "mx_Plan")
    assert plan is not None and (plan.label, plan.default) == ("Plan", "basic")
    seats = catalog.lookup("Lead", "mx_Seats")
    assert seats is not None and seats.type is ValueType.NUMBER
    phone = catalog.lookup("Lead", "Phone")
    assert phone is not None and phone.type is ValueType.STRING
    assert catalog.lookup("User", "FullName") == DEFAULT_CATALOG.lookup("User", "FullName")
    assert catalog.resources() == DEFAULT_CATALOG.resources() | {"Opportunity", "Owner"}
    assert catalog.allowed_resources("grid") == {"Lead", "Account", "User", "Opportunity"}
    assert catalog.allowed_resources("lead_tab") == {"Lead", "Account", "User", "Opportunity"}
    assert catalog.allowed_resources("menu") == {"Account", "User"}
    assert "Owner" in catalog.allowed_resources(None)
    alone = Catalog.from_json(str(DATA / "account.json"), base=Catalog())
    assert alone.resources() == {"Lead", "Opportunity", "Owner"}
    assert alone.lookup("User", "FirstName") is None


def test_the_documented_example_loads() -> None:
    import mergefield.catalog as package

    assert package.__doc__ is not None
    doc = package.__doc__
    example = doc[doc.index("Example::") + len("Example::") : doc.index("Load it with")]
    catalog = Catalog.from_json(json.loads(example))
    assert catalog.lookup("Opportunity", "Amount") is not None
    assert "Opportunity" in catalog.allowed_resources("grid")


def test_invalid_json_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"resources": {\n  "Lead" {}}}\n', encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        Catalog.from_json(path)
    assert (info.value.line, info.value.column, info.value.pointer) == (2, 10, "")
    assert str(info.value) == f"{path}:2:10: invalid JSON: Expecting ':' delimiter"


def _doc(fields: object, **resource: object) -> dict[str, object]:
    return {"resources": {"Lead": {"fields": fields, **resource}}}


@pytest.mark.parametrize(
    "document, pointer, message",
    [
        ([], "", "expected an object, got an array"),
        ({}, "", "missing key 'resources'"),
        ({"resources": {}, "version": 2}, "/version", "unsupported version 2; expected 1"),
        ({"resources": {}, "fields": []}, "/fields",
         "unknown key 'fields'; allowed keys: description, resources, version"),
        ({"resources": {"Open-Deal": {}}}, "/resources/Open-Deal",
         "resource name 'Open-Deal' is not [A-Za-z][A-Za-z0-9_]*"),
        (_doc({}), "/resources/Lead/fields", "expected an array, got an object"),
        (_doc([{"name": "mx_A"}]), "/resources/Lead/fields/0", "missing key 'type'"),
        (_doc([{"name": "mx_A", "type": "Strng"}]), "/resources/Lead/fields/0/type",
         "unknown value type 'Strng'; expected one of String, Number, Date"),
        (_doc([{"name": "mx_A", "type": "String", "lable": "A"}]),
         "/resources/Lead/fields/0/lable",
         "unknown key 'lable'; allowed keys: aliases, default, derived_from, description, "
         "label, name, origin, record_key, type, url"),
        (_doc([{"name": "mx_A", "type": "String", "url": "yes"}]),
         "/resources/Lead/fields/0/url", "expected true or false, got a string"),
        (_doc([{"name": " mx_A", "type": "String"}]), "/resources/Lead/fields/0/name",
         "field name ' mx_A' is empty or has blanks at either end"),
        (_doc([{"name": "a,b", "type": "String"}]), "/resources/Lead/fields/0/name",
         "field name 'a,b' holds ',', which a token cannot"),
        (_doc([{"name": "mx_A", "type": "String", "default": 0}]),
         "/resources/Lead/fields/0/default", "expected a string, got a number"),
        (_doc([{"name": "mx_A", "type": "String", "aliases": ["ok", 1]}]),
         "/resources/Lead/fields/0/aliases/1", "expected a string, got a number"),
        (_doc([{"name": "mx_A", "type": "String"}, {"name": "mx_A", "type": "Number"}]),
         "/resources/Lead/fields/1", "field 'mx_A' is declared twice in Lead"),
        (_doc([], contexts=["grid", "sidebar"]), "/resources/Lead/contexts/1",
         "unknown context 'sidebar'; valid contexts: configuration, events, grid, menu, "
         "automation, lead_tab"),
        ({"resources": {"a/b~": {}}}, "/resources/a~1b~0",
         "resource name 'a/b~' is not [A-Za-z][A-Za-z0-9_]*"),
    ],
)
def test_bad_documents_name_the_json_pointer(document: object, pointer: str, message: str) -> None:
    with pytest.raises(CatalogError) as info:
        Catalog.from_json(document)  # type: ignore[arg-type]
    assert (info.value.pointer, info.value.message) == (pointer, message)
    # The whole document's pointer is "" (RFC 6901); messages show it as "/".
    assert str(info.value) == f"<mapping> at {pointer or '/'}: {message}"
    again = pickle.loads(pickle.dumps(info.value))
    assert (again.pointer, str(again)) == (pointer, str(info.value))


def test_unknown_derived_field_in_json_is_a_catalog_error() -> None:
    document = _doc([{"name": "mx_A", "type": "String", "derived_from": ["mx_B"]}])
    with pytest.raises(CatalogError, match="derived from unknown field 'mx_B'"):
        Catalog.from_json(document)


def test_to_json_round_trips_the_seed() -> None:
    document = DEFAULT_CATALOG.allow("Lead", "automation").to_json()
    assert Catalog.from_json(json.loads(json.dumps(document)), base=Catalog()) == (
        DEFAULT_CATALOG.allow("Lead", "automation")
    )


_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True)
_specs = st.builds(
    FieldSpec,
    resource=_names,
    name=_names,
    label=st.text(max_size=20),
    type=st.sampled_from(ValueType),
    description=st.text(max_size=20),
    default=st.none() | st.text(max_size=10),
    record_key=st.none() | _names,
)


@pytest.mark.slow
@given(st.lists(_specs, max_size=12))
def test_to_json_round_trips_any_catalog(specs: list[FieldSpec]) -> None:
    catalog = Catalog(specs)
    assert Catalog.from_json(catalog.to_json(), base=Catalog()) == catalog
    assert pickle.loads(pickle.dumps(catalog)) == catalog


@pytest.mark.parametrize(
    "resource, field, expected",
    [
        ("lead", "firstname", "Lead:FirstName"),
        ("Lead", "firstname", "Lead:FirstName"),
        ("Lead", "FristName", "Lead:FirstName"),
        ("Leed", "FirstName", "Lead:FirstName"),
        ("Leed", "Zzzzzzzz", "Lead"),
        ("Lead", "source lead", "Lead:Source Lead"),
        ("Lead", "mx_city", "Lead:mx_City"),
        ("user", "mx_City", "User"),
        ("Lead", "FirstName", None),
        ("Lead", "mx_Custom_12", None),
        ("Lead", "Zzzzzzzz", None),
        ("Qwerty", "FirstName", None),
    ],
)
def test_suggest(resource: str, field: str, expected: str | None) -> None:
    assert DEFAULT_CATALOG.suggest(resource, field) == expected


def test_suggest_a_resource_alone_and_within_a_context() -> None:
    assert DEFAULT_CATALOG.suggest("USER") == "User"
    assert DEFAULT_CATALOG.suggest("User") is None
    assert DEFAULT_CATALOG.suggest("Leed", "Phone", context="grid") == "Lead:Phone"
    assert DEFAULT_CATALOG.suggest("Leed", "Phone", context="menu") is None


# --- the lead API's identifiers beyond the seed page (issue 12, item 12) ------------------------

API_FIELDS = {
    "ProspectID": ValueType.STRING,
    "ProspectAutoId": ValueType.NUMBER,
    "ProspectStage": ValueType.STRING,
    "OwnerId": ValueType.STRING,
    "CreatedBy": ValueType.STRING,
    "ModifiedBy": ValueType.STRING,
}


@pytest.mark.parametrize(("name", "type_"), sorted(API_FIELDS.items()))
def test_lead_api_identifiers_are_declared_with_their_origin(name: str, type_: ValueType) -> None:
    spec = DEFAULT_CATALOG.lookup("Lead", name)
    assert spec is not None and DEFAULT_CATALOG.is_declared("Lead", name)
    assert (spec.type, spec.origin, spec.key) == (type_, "api", name)
    assert spec.label and spec.description
    assert name not in {row.field for row in ROWS}  # beyond the seed page, as marked


def test_only_the_lead_api_identifiers_carry_an_origin() -> None:
    marked = {(s.resource, s.name): s.origin for s in DEFAULT_CATALOG if s.origin is not None}
    assert marked == {("Lead", name): "api" for name in API_FIELDS}


def test_origin_round_trips_and_is_validated() -> None:
    assert Catalog.from_json(DEFAULT_CATALOG.to_json(), base=Catalog()) == DEFAULT_CATALOG
    document = DEFAULT_CATALOG.to_json()
    prospect = next(f for f in document["resources"]["Lead"]["fields"] if f["name"] == "ProspectID")
    assert prospect["origin"] == "api"
    assert "origin" not in document["resources"]["Lead"]["fields"][0]
    bad = {"resources": {"Lead": {"fields": [{"name": "X", "type": "String", "origin": 1}]}}}
    with pytest.raises(CatalogError, match="expected a string") as info:
        Catalog.from_json(bad)
    assert info.value.pointer == "/resources/Lead/fields/0/origin"


def test_prospect_id_checks_clean_and_renders_in_the_lead_contexts() -> None:
    # LeadSquared's help writes the token with a blank before the comma.
    source = (
        "https://x.test/lead/@{Lead:ProspectID ,}"
        "?n=@{Lead:ProspectAutoId,}&s=@{Lead:ProspectStage,}&o=@{Lead:OwnerId,}"
    )
    for context in ("grid", "lead_tab"):
        assert mergefield.check(source, context=context, kind="url") == []
    lead = {
        "ProspectID": "fd95588c-5e4e-410b-b14c-f51964cd1715",
        "ProspectAutoId": "1042",
        "ProspectStage": "Opportunity",
        "OwnerId": "6a0f2c4e-1b3d-4e5f-8a9b-0c1d2e3f4a5b",
    }
    expected = (
        "https://x.test/lead/fd95588c-5e4e-410b-b14c-f51964cd1715"
        "?n=1042&s=Opportunity&o=6a0f2c4e-1b3d-4e5f-8a9b-0c1d2e3f4a5b"
    )
    for mode in ("lax", "strict"):
        template = mergefield.compile(source, context="grid", kind="url", mode=mode)
        assert template.render(Lead=lead) == expected
        assert template.render_columns({k: [v] for k, v in lead.items()}) == [expected]
    body = mergefield.compile(
        '{"id": "@{Lead:ProspectID,}", "n": @{Lead:ProspectAutoId,}}', kind="json"
    )
    assert body.render(Lead={**lead, "ProspectAutoId": 1042}) == (
        '{"id": "fd95588c-5e4e-410b-b14c-f51964cd1715", "n": 1042}'
    )
    [typo] = mergefield.check("@{Lead:ProspectId,}", context="grid")
    assert typo.code == "case-mismatch" and "Lead:ProspectID" in typo.message
