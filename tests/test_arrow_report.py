"""The Arrow path reports which rows used a default: `render_arrow_report` says per row what
`render_report` says over the ``to_pylist()`` rows, and `write_arrow_report` counts them, on
both cores (the compiled core flags the defaults it inserts itself, the Python policy the rest)
for random templates and tables of every column type, chunk sizes and thread counts."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import mergefield
from mergefield import arrow
from mergefield.catalog import DEFAULT_CATALOG

from .test_arrow import SETTINGS, USER, draw_case

pa = pytest.importorskip("pyarrow")

# Fixed records: none missing, one token's value missing, no record at all.
USERS = [USER, {"FirstName": "Ann", "LastName": "Lee"}, None]


def outcome(call: Any) -> tuple[Any, ...]:
    try:
        return ("ok", call())
    except (mergefield.RenderError, UnicodeEncodeError) as exc:
        return ("error", type(exc))


@SETTINGS
@given(data=st.data())
def test_render_arrow_report_equals_render_report(core: str, data: st.DataObject) -> None:
    template, table, chunk, threads = draw_case(data)
    user = data.draw(st.sampled_from(USERS))
    expected = outcome(lambda: template.render_report(table.to_pylist(), User=user))
    assume(expected[0] == "ok")
    try:
        for text in expected[1].texts:
            text.encode("utf-8")  # an Arrow string holds UTF-8: a lone surrogate cannot be
    except UnicodeEncodeError:
        assume(False)
    saved, arrow.CHUNK = arrow.CHUNK, chunk
    try:
        got = template.render_arrow_report(table, threads=threads, User=user)
        assert got.texts.to_pylist() == expected[1].texts
        assert got.defaulted == expected[1].defaulted
        file = io.BytesIO()
        written = template.write_arrow_report(table, file, threads=threads, User=user)
        assert written == (len(expected[1].texts), sum(expected[1].defaulted))
        assert file.getvalue() == b"".join(t.encode() + b"\n" for t in expected[1].texts)
    finally:
        arrow.CHUNK = saved


# Every way a value is missing, in the column types the compiled core reads itself and in one it
# leaves to the Python policy (a list column), with a derived field (rendered by the policy) and
# a Date field (whose strings the policy parses).
CATALOG = DEFAULT_CATALOG.with_fields(
    mergefield.FieldSpec(
        "Lead", "mx_Full", "Full", "String", derived_from=("FirstName", "LastName")
    )
)
TABLE = {
    "FirstName": pa.array(["Ann", None, "", "Bo", None, "Cy"]).dictionary_encode(),
    "LastName": pa.array([None, "Kim", None, "Lee", None, "Day"], pa.large_string()),
    "Score": pa.array([1.5, float("nan"), 2.0, None, 3.0, 4.0]),
    "CreatedOn": pa.array(["2024-01-02", "2024-01-03", None, "", "2024-01-04", "2024-01-05"]),
    "Tags": pa.array([[1], [2], [3], None, [4], [5]]),
}
CASES = {
    "@{Lead:FirstName,Friend}": [False, True, True, False, True, False],
    "@{Lead:Score,0}": [False, True, False, True, False, False],
    "@{Lead:CreatedOn,}": [False, False, True, True, False, False],
    "@{Lead:Tags,none}": [False, False, False, True, False, False],
    "@{Lead:mx_Full,}": [False, False, True, False, True, False],
    "@{Lead:LastName,}-@{Lead:Score,}": [True, True, True, True, True, False],
}


@pytest.mark.parametrize("source", sorted(CASES))
@pytest.mark.parametrize("threads", [1, 2])
def test_every_kind_of_missing_value_is_reported(core: str, source: str, threads: int) -> None:
    template = mergefield.compile(source, catalog=CATALOG)
    table = pa.table(TABLE)
    expected = template.render_report(table.to_pylist())
    assert expected.defaulted == CASES[source]
    got = template.render_arrow_report(table, threads=threads)
    assert (got.texts.to_pylist(), got.defaulted) == (expected.texts, expected.defaulted)
    # Row by row in chunks of two: the flags of several chunks (and threads) line up.
    batches = table.to_batches(max_chunksize=2)
    got = template.render_arrow_report(batches, threads=threads)
    assert got.defaulted == expected.defaulted
    written = template.write_arrow_report(batches, io.BytesIO(), threads=threads)
    assert written == mergefield.WriteReport(6, sum(expected.defaulted))


def test_a_fixed_record_that_falls_back_marks_every_row(core: str) -> None:
    template = mergefield.compile("@{User:FirstName,there} @{Lead:FirstName,}")
    table = pa.table({"FirstName": ["Ann", None]})
    assert template.render_arrow_report(table, User={"FirstName": "Bo"}).defaulted == [
        False,
        True,
    ]
    report = template.render_arrow_report(table, User={})
    assert report.defaulted == [True, True]
    assert report.texts.to_pylist() == ["there Ann", "there "]
    assert template.write_arrow_report(table, io.BytesIO(), User={}).defaulted == 2


def test_the_report_refuses_what_render_arrow_refuses(core: str) -> None:
    template = mergefield.compile("@{Lead:FirstName}", mode="strict")
    with pytest.raises(mergefield.RenderError) as caught:
        template.render_arrow_report(pa.table({"FirstName": ["a", None]}))
    assert caught.value.row == 1
    with pytest.raises(TypeError, match="render_arrow_report"):
        template.render_arrow_report(pa.table({"FirstName": ["a"]}), Usr={})
    with pytest.raises(TypeError, match="write_arrow_report"):
        template.write_arrow_report(pa.table({"FirstName": ["a"]}), io.BytesIO(), Usr={})
    with pytest.raises(ValueError, match="threads"):
        template.render_arrow_report(pa.table({"FirstName": ["a"]}), threads=0)
