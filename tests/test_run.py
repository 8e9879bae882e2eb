"""`RenderRun`, the render run the command line and Dask share, called without argparse: every
row read is accounted for (rendered, defaulted, failed), ids and output formats as the CLI's."""

from __future__ import annotations

import io
import json

import pytest

import mergefield
from mergefield.leads import LeadRow
from mergefield.run import CHUNK, RenderRun, RunCounts


def rows(*records: dict[str, object] | None) -> list[LeadRow]:
    return [
        LeadRow(n, n + 1, r, None if r is not None else "bad row") for n, r in enumerate(records, 1)
    ]


def run(render: RenderRun, leads: list[LeadRow]) -> tuple[RunCounts, list[str], list[str]]:
    out: list[str] = []
    warnings: list[str] = []
    counts = render.run(leads, out.append, warnings.append)
    return counts, out, warnings


def test_lines_counts_and_defaults(core: str) -> None:
    t = mergefield.compile("@{Lead:FirstName,Friend} @{User:FirstName,}", kind="text")
    r = RenderRun(t, {"User": {"FirstName": "Asha"}}, name="leads.csv")
    counts, out, warnings = run(r, rows({"FirstName": "Zoë"}, {}, None, {"FirstName": "x\ny"}))
    assert out == ["Zoë Asha\n", "Friend Asha\n"]
    assert counts == RunCounts(read=4, rendered=2, defaulted=1, failed=2, stopped=None)
    assert warnings[0] == "leads.csv:4: row 3: bad row"
    assert warnings[1].startswith("leads.csv:5: row 4: the rendered text holds a line break")


def test_a_missing_fixed_record_defaults_every_lead(core: str) -> None:
    t = mergefield.compile("@{Lead:FirstName,} @{User:FullName,}")
    counts, _, _ = run(RenderRun(t), rows({"FirstName": "a"}, {"FirstName": "b"}))
    assert (counts.rendered, counts.defaulted) == (2, 2)
    counts, _, _ = run(RenderRun(t, {"User": {"LastName": "R"}}), rows({"FirstName": "a"}))
    assert (counts.rendered, counts.defaulted) == (1, 0)


def test_jsonl_carries_ids_and_errors(core: str) -> None:
    t = mergefield.compile("@{Lead:Score}", mode="strict")
    r = RenderRun(t, jsonl=True, id_field="Key")
    counts, out, warnings = run(r, rows({"Score": 1, "Key": "k1"}, {"Key": "k2"}, {"Score": 2}))
    lines = [json.loads(line) for line in out]
    assert lines[0] == {"row": 1, "id": "k1", "output": "1"}
    assert lines[1]["id"] == "k2" and "no value and no default" in lines[1]["error"]
    assert lines[2] == {"row": 3, "id": 3, "output": "2"}
    assert (counts.read, counts.rendered, counts.failed) == (3, 2, 1)
    assert warnings[0].startswith("<leads>:3: row 2 (id k2): ")


def test_default_ids_and_stop_on_failure(core: str) -> None:
    t = mergefield.compile("@{Lead:Score}", mode="strict")
    r = RenderRun(t, stop_on_failure=True)
    assert r.lead_id(LeadRow(7, 8, {"ProspectID": "p", "Id": "i"})) == "p"
    assert r.lead_id(LeadRow(7, 8, {"Id": "i"})) == "i"
    counts, out, _ = run(r, rows({"Score": 1}, {}, {"Score": 2}))
    assert out == ["1\n"]
    assert counts.stopped == "stopped at row 2 (--strict)" and counts.read == 2


def test_a_fatal_row_stops_reading(core: str) -> None:
    t = mergefield.compile("@{Lead:FirstName,}")
    leads = [LeadRow(1, 2, {"FirstName": "a"}), LeadRow(2, 3, None, "broken", fatal=True)]
    counts, out, _ = run(RenderRun(t), leads)
    assert out == ["a\n"] and counts.stopped == "stopped reading at row 2: cannot go on"


def test_compact_json_and_progress_by_chunk(core: str) -> None:
    t = mergefield.compile('{\n  "n": "@{Lead:FirstName,}"\n}', kind="json")
    r = RenderRun(t, compact=True)
    seen: list[int] = []
    counts = r.run(rows(*[{"FirstName": "a b"}] * (CHUNK + 1)), lambda s: None, print, seen.append)
    assert seen == [CHUNK, 1] and counts.rendered == CHUNK + 1
    out: list[str] = []
    r.run(rows({"FirstName": "a b"}), out.append, print)
    assert out == ['{"n":"a b"}\n']


def test_lead_columns_and_whole_partitions(core: str) -> None:
    t = mergefield.compile("@{Lead:FirstName,} @{Lead:City,} @{Lead:FirstName,} @{User:Email,}")
    r = RenderRun(t, {"User": {"Email": "e"}})
    assert r.lead_columns == ("FirstName", "City")
    assert r.render([{"FirstName": "a"}]) == ["a  a e"]
    assert r.render_columns({"FirstName": ["a", "b"]}) == ["a  a e", "b  b e"]
    file = io.BytesIO()
    assert r.write({"City": ["c"]}, file) == 1 and file.getvalue() == b" c  e\n"
    file = io.BytesIO()
    assert r.write([{"City": "c"}], file, b";") == 1 and file.getvalue() == b" c  e;"


def test_refuses_what_is_not_a_run() -> None:
    with pytest.raises(TypeError, match=r"compiled mergefield\.Template"):
        RenderRun("@{Lead:FirstName,}")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="do not pass Lead="):
        RenderRun(mergefield.compile("x"), {"Lead": {}})
