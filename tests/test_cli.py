"""The ``mergefield`` command line, driven as a user drives it: a child process per command.

Every test runs ``python -m mergefield`` in a subprocess, so exit statuses, stdout, stderr and
stdin are the real ones, and the child inherits ``MERGEFIELD_NO_EXTENSIONS`` from the run (CI
runs this file once per core).  Memory is measured as the peak RSS of a child that renders
10,000 and then 100,000 leads, and the README's quick-start command is taken from
``docs/cli.md`` itself and run on copies of the committed example files.
"""

from __future__ import annotations

import json
import os
import pty
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mergefield

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
CONNECTOR = EXAMPLES / "connectors" / "sms.json"
QUICK_START_PREFIX = "pip install . && "

MB = 1024 * 1024


def run(
    *args: str | os.PathLike[str],
    input: str | bytes | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m mergefield ARGS`` and capture its output as text."""
    data = input.encode("utf-8") if isinstance(input, str) else input
    done = subprocess.run(
        [sys.executable, "-m", "mergefield", *map(str, args)],
        input=data,
        capture_output=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8"),
        done.stderr.decode("utf-8"),
    )


def summary(stderr: str) -> str:
    """The last stderr line: `render`'s account of every row."""
    return stderr.strip().splitlines()[-1]


# --- the command itself ----------------------------------------------------------------------


def test_help_version_and_usage_errors() -> None:
    assert run("--help").returncode == 0
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("mergefield ")
    # The child inherits this run's environment, so it selects the same core as this process.
    assert version.stdout.rstrip().endswith(f"({mergefield.IMPLEMENTATION} core)")
    nothing = run()
    assert nothing.returncode == 2 and "usage:" in nothing.stderr
    bad = run("render", "x", "--leads", "-", "--kind", "yaml")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_console_script_is_declared() -> None:
    from importlib.metadata import entry_points

    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts.get("mergefield") == "mergefield.cli:main"


# --- check -----------------------------------------------------------------------------------


@pytest.fixture
def broken_connector(tmp_path: Path) -> Path:
    """The example connector with one field misspelt, beside a copy of its images."""
    shutil.copytree(CONNECTOR.parent / "images", tmp_path / "images")
    text = CONNECTOR.read_text(encoding="utf-8")
    assert "@{Lead:FirstName,Friend}" in text
    path = tmp_path / "sms.json"
    path.write_text(
        text.replace("@{Lead:FirstName,Friend}", "@{Lead:FristName,Friend}", 1), "utf-8"
    )
    return path


def test_check_clean_connector_exits_0() -> None:
    done = run("check", CONNECTOR)
    assert (done.returncode, done.stdout) == (0, "")


def test_check_connector_problem_line_and_exit_1(broken_connector: Path) -> None:
    done = run("check", broken_connector)
    assert done.returncode == 1
    text = broken_connector.read_text(encoding="utf-8")
    line_no = next(i for i, line in enumerate(text.splitlines(), 1) if "FristName" in line)
    column = text.splitlines()[line_no - 1].index("FristName") + 1
    assert done.stdout == (
        f"{broken_connector}:{line_no}:{column}: unknown-field "
        'unknown field "FristName" of Lead; did you mean Lead:FirstName?\n'
    )
    assert "1 problem (1 error, 0 warnings)" in done.stderr


def test_check_verbose_shows_caret_and_pointer(broken_connector: Path) -> None:
    lines = run("check", "--verbose", broken_connector).stdout.splitlines()
    assert len(lines) == 4
    source, caret = lines[1], lines[2]
    assert caret.strip() == "^" + "~" * 8  # under the nine letters of FristName
    assert source[caret.index("^") :].startswith("FristName")
    assert lines[3] == "  error at /grid_actions/0/iframe_url"


def test_check_json_format(broken_connector: Path) -> None:
    done = run("check", "--format", "json", broken_connector, CONNECTOR)
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert (document["errors"], document["warnings"], document["io_errors"]) == (1, 0, [])
    (found,) = document["diagnostics"]
    assert found["file"] == str(broken_connector)
    assert found["code"] == "unknown-field" and found["severity"] == "error"
    assert found["path"] == "/grid_actions/0/iframe_url"


def test_check_raw_templates_with_context_and_kind(tmp_path: Path) -> None:
    template = tmp_path / "menu.template"
    template.write_text("https://x.example/m?o=@{Account:ShortCode,}&n=@{Lead:FirstName}\n")
    clean = run("check", "--context", "menu", "--kind", "url", EXAMPLES / "sms_url.template")
    assert clean.returncode == 1  # the SMS template reads Lead, which menu pages cannot
    assert "resource-not-allowed" in clean.stdout
    done = run("check", "--context", "grid", "--kind", "url", template)
    assert done.returncode == 1
    assert done.stdout == (
        f"{template}:1:63: missing-comma @{{Lead:FirstName}} has no comma; LeadSquared documents "
        "@{Lead:FirstName,}, and strict rendering fails when a value without a fallback is "
        "missing\n"
    )
    ignored = run(
        "check", "--context", "grid", "--kind", "url", "--ignore", "missing-comma", template
    )
    assert (ignored.returncode, ignored.stdout) == (0, "")
    grid = run("check", "--context", "grid", "--kind", "url", EXAMPLES / "sms_url.template")
    assert (grid.returncode, grid.stdout) == (0, "")


def test_check_json_template_reports_compile_errors(tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"name": @{Lead:FirstName,} !}')
    done = run("check", "--kind", "json", "--context", "grid", body)
    assert done.returncode == 1
    assert done.stdout.startswith(f"{body}:1:10: json-glued ")


def test_check_stdin_template() -> None:
    done = run("check", "--context", "grid", "-", input="Hi @{Lead:FirstNme,}")
    assert done.returncode == 1
    assert done.stdout.startswith("-:1:11: unknown-field ")
    assert "did you mean Lead:FirstName?" in done.stdout


def test_check_missing_file_exits_2_and_still_checks_the_others(broken_connector: Path) -> None:
    done = run("check", "nope/missing.json", broken_connector)
    assert done.returncode == 2
    assert (
        "mergefield: error: cannot read nope/missing.json: No such file or directory" in done.stderr
    )
    assert "unknown-field" in done.stdout


# --- fields ----------------------------------------------------------------------------------


def test_fields_table_for_a_context() -> None:
    done = run("fields", "--context", "menu")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["MERGE", "FIELD", "TYPE", "DESCRIPTION"]
    assert any(line.startswith("@{Account:ShortCode,}") for line in lines)
    assert not any("@{Lead:" in line for line in lines)  # menu pages cannot read leads
    number = next(line for line in lines if line.startswith("@{User:AssociatedPhoneNumbers,}"))
    assert number.split()[1] == "Number"


def test_fields_json_for_a_resource() -> None:
    done = run("fields", "--context", "grid", "--resource", "Lead", "--format", "json")
    assert done.returncode == 0
    document = json.loads(done.stdout)
    by_name = {f["field"]: f for f in document["fields"]}
    assert {f["resource"] for f in document["fields"]} == {"Lead"}
    assert by_name["CreatedOn"]["type"] == "Date"
    assert by_name["Source Lead"]["aliases"] == ["Source"]
    assert document["lead_custom_fields"] is True


def test_fields_unknown_or_forbidden_resource_exits_2() -> None:
    unknown = run("fields", "--resource", "Leed")
    assert unknown.returncode == 2 and "did you mean Lead?" in unknown.stderr
    forbidden = run("fields", "--context", "events", "--resource", "Lead")
    assert forbidden.returncode == 2 and "not allowed in the events context" in forbidden.stderr


# --- render ----------------------------------------------------------------------------------

CSV = "ProspectID,FirstName,Mobile,Notes\np-1,Ann,+1 555,a&b\np-2,,+2,\np-3,Zoë,,x=1?\n"


def test_render_inline_template_from_stdin_csv() -> None:
    done = run(
        "render",
        "https://x.example/s?to=@{Lead:Mobile,}&n=@{Lead:FirstName,Friend}&t=@{Lead:Notes,}",
        "--kind",
        "url",
        "--context",
        "grid",
        "--leads",
        "-",
        "--leads-format",
        "csv",
        input=CSV,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "https://x.example/s?to=%2B1%20555&n=Ann&t=a%26b",
        "https://x.example/s?to=%2B2&n=Friend&t=",
        "https://x.example/s?to=&n=Zo%C3%AB&t=x%3D1%3F",
    ]
    # No terminal, no progress bar: stderr is the summary and nothing else.
    assert done.stderr == "mergefield: 3 leads read: 3 rendered (2 defaulted), 0 failed\n"


# slow: child processes; in process, test_run.py::test_jsonl_carries_ids_and_errors and
# test_default_ids_and_stop_on_failure.
@pytest.mark.slow
def test_render_jsonl_output_carries_ids(tmp_path: Path) -> None:
    done = run("render", "@{Lead:FirstName,}", "--leads", "-", "--format", "jsonl", input=CSV)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows == [
        {"row": 1, "id": "p-1", "output": "Ann"},
        {"row": 2, "id": "p-2", "output": ""},
        {"row": 3, "id": "p-3", "output": "Zoë"},
    ]
    by_mobile = run(
        "render", "x", "--leads", "-", "--format", "jsonl", "--id-field", "Mobile", input=CSV
    )
    assert [json.loads(line)["id"] for line in by_mobile.stdout.splitlines()] == ["+1 555", "+2", 3]
    no_ids = run("render", "x", "--leads", "-", "--format", "jsonl", input="A,B\n1,2\n3,4\n")
    assert [json.loads(line)["id"] for line in no_ids.stdout.splitlines()] == [1, 2]


# slow: child processes; in process, test_cli_leads.py::test_json_array_leads_cut_anywhere (and
# test_cli_inputs.py::test_quoted_line_breaks_and_lax_quotes_still_read renders JSON Lines).
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("leads.jsonl", '{"Id": 7, "FirstName": "Ann"}\n\n{"Id": 8, "Score": 12.0}\n'),
        ("leads.json", '[\n {"Id": 7, "FirstName": "Ann"},\n {"Id": 8, "Score": 12.0}\n]\n'),
        ("leads.txt", '[{"Id": 7, "FirstName": "Ann"}, {"Id": 8, "Score": 12.0}]'),
    ],
)
def test_render_json_inputs(tmp_path: Path, name: str, text: str) -> None:
    leads = tmp_path / name
    leads.write_text(text, encoding="utf-8")
    done = run(
        "render", "@{Lead:FirstName,Friend}:@{Lead:Score,0}", "--leads", leads, "--format", "jsonl"
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"row": 1, "id": 7, "output": "Ann:0"},
        {"row": 2, "id": 8, "output": "Friend:12"},
    ]


def test_render_broken_csv_row_is_reported_and_the_rest_rendered() -> None:
    leads = "Id,FirstName\n1,Ann\n2,Bob,surplus\n3,Cy\n"
    done = run("render", "Hi @{Lead:FirstName,}", "--leads", "-", input=leads)
    assert done.returncode == 1
    assert done.stdout == "Hi Ann\nHi Cy\n"
    assert "mergefield: <stdin>:3: row 2: 3 fields where the header has 2" in done.stderr
    assert summary(done.stderr) == "mergefield: 3 leads read: 2 rendered (0 defaulted), 1 failed"


# slow: child processes; in process, test_cli_leads.py::test_a_bad_json_lead_is_one_failed_row
# and test_a_broken_bracket_ends_the_array.
@pytest.mark.slow
def test_render_bad_json_lines_and_array_elements(tmp_path: Path) -> None:
    lines = run("render", "@{Lead:A,}", "--leads", "-", "--leads-format", "jsonl",
                input='{"A": 1}\n{"A": \n[1]\n{"A": 4}\n')  # fmt: skip
    assert lines.returncode == 1
    assert lines.stdout == "1\n4\n"
    assert "<stdin>:2: row 2: invalid JSON" in lines.stderr
    assert "<stdin>:3: row 3: a lead must be a JSON object, not an array" in lines.stderr
    assert summary(lines.stderr).endswith("4 leads read: 2 rendered (0 defaulted), 2 failed")
    array = run("render", "@{Lead:A,}", "--leads", "-", input='[{"A": 1},\n {"A": 2} {"A": 3}]')
    assert array.returncode == 1
    assert array.stdout == "1\n2\n"
    assert "row 3: expected , or ] after lead 2" in array.stderr
    assert "stopped reading at row 3" in summary(array.stderr)


# slow: child processes; in process, test_run.py::test_default_ids_and_stop_on_failure and
# test_cli_arrow.py::test_a_failed_row_is_reported_and_the_rows_around_it_rendered (the CLI).
@pytest.mark.slow
def test_render_strict_stops_at_an_invalid_value() -> None:
    leads = "Id,CreatedOn\n1,2024-01-02\n2,not a date\n3,2024-03-04\n"
    lax = run("render", "@{Lead:CreatedOn,}", "--leads", "-", input=leads)
    assert (lax.returncode, lax.stdout.splitlines()) == (
        0,
        ["2024-01-02 00:00:00", "not a date", "2024-03-04 00:00:00"],
    )
    strict = run("render", "@{Lead:CreatedOn,}", "--leads", "-", "--strict", input=leads)
    assert strict.returncode == 1
    assert strict.stdout == "2024-01-02 00:00:00\n"
    assert "<stdin>:3: row 2 (id 2): Lead:CreatedOn" in strict.stderr
    assert summary(strict.stderr) == (
        "mergefield: 2 leads read: 1 rendered (0 defaulted), 1 failed; stopped at row 2 (--strict)"
    )


def test_render_strict_refuses_broken_templates_and_names() -> None:
    syntax = run("render", "Hi @{Lead:FirstName", "--leads", "-", "--strict", input=CSV)
    assert syntax.returncode == 1 and syntax.stdout == ""
    assert "<template>:1:4: expected `}`" in syntax.stderr
    assert "^~~" in syntax.stderr
    name = run("render", "Hi @{Lead:FristName,}", "--leads", "-", "--strict", input=CSV)
    assert name.returncode == 1 and name.stdout == ""
    assert "did you mean Lead:FirstName?" in name.stderr
    lax = run("render", "Hi @{Lead:FristName,}", "--leads", "-", input=CSV)
    assert lax.returncode == 0 and "warning: <template>:1:11: unknown-field" in lax.stderr


# slow: child processes; in process, test_cli_arrow.py::
# test_a_failed_row_is_reported_and_the_rows_around_it_rendered (a line break fails its row);
# test_cli_inputs.py renders line breaks as JSON Lines and refuses a multi-line template.
@pytest.mark.slow
def test_render_line_breaks_fail_the_row_in_lines_and_pass_in_jsonl() -> None:
    leads = 'Id,Notes\n1,one\n2,"two\nlines"\n3,three\n'
    lines = run("render", "@{Lead:Notes,}", "--leads", "-", input=leads)
    assert lines.returncode == 1
    assert lines.stdout == "one\nthree\n"
    assert "<stdin>:3: row 2 (id 2): the rendered text holds a line break (U+000A)" in lines.stderr
    jsonl = run("render", "@{Lead:Notes,}", "--leads", "-", "--format", "jsonl", input=leads)
    assert jsonl.returncode == 0
    assert [json.loads(x)["output"] for x in jsonl.stdout.splitlines()] == [
        "one",
        "two\nlines",
        "three",
    ]
    # A URL encodes the line break, so the same lead is fine there.
    url = run("render", "https://x/?n=@{Lead:Notes,}", "--kind", "url", "--leads", "-", input=leads)
    assert url.returncode == 0 and url.stdout.splitlines()[1] == "https://x/?n=two%0Alines"
    multi = run("render", "a\nb @{Lead:Notes,}", "--leads", "-", input=leads)
    assert multi.returncode == 2 and "use --format jsonl" in multi.stderr


def test_render_missing_files_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    leads = run("render", "x", "--leads", tmp_path / "none.csv")
    assert leads.returncode == 2
    assert leads.stderr == (
        f"mergefield: error: cannot read leads {tmp_path / 'none.csv'}: No such file or directory\n"
    )
    user = run("render", "x", "--leads", "-", "--user", tmp_path / "u.json", input=CSV)
    assert user.returncode == 2
    assert f"cannot read {tmp_path / 'u.json'}: No such file or directory" in user.stderr
    template = run("render", "--template-file", "nope.template", "--leads", "-", input=CSV)
    assert template.returncode == 2 and "cannot read nope.template" in template.stderr
    neither = run("render", "--leads", "-", input=CSV)
    assert neither.returncode == 2 and "give the template exactly once" in neither.stderr


def test_render_user_account_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    done = run(
        "render",
        "@{Lead:FirstName,} from @{User:FullName,} at @{Account:ShortCode,}",
        "--leads", "-", "--user", EXAMPLES / "user.json", "--account", EXAMPLES / "account.json",
        "-o", out,
        input=CSV,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout == ""
    assert out.read_text(encoding="utf-8").splitlines()[0] == "Ann from Asha Rao at acme42"


# slow: child processes; in process, test_connector_actions.py::
# test_the_cli_renders_the_new_types_template renders a connector's action and refuses a part.
@pytest.mark.slow
def test_render_connector_action(tmp_path: Path) -> None:
    done = run("render", "--connector", CONNECTOR, "--action", "Send SMS", "--leads", "-",
               "--account", EXAMPLES / "account.json", input=CSV)  # fmt: skip
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("https://sms.example.com/lsq/compose?to=%2B1%20555&name=Ann&org=acme42")
    unknown = run("render", "--connector", CONNECTOR, "--action", "Nope", "--leads", "-", input=CSV)
    assert unknown.returncode == 2 and "'Send SMS' (row)" in unknown.stderr


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    leads = tmp_path / "l.csv"
    leads.write_text(CSV, encoding="utf-8")
    parent, child = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mergefield", "render", "x", "--leads", leads],
            stdout=subprocess.PIPE,
            stderr=child,
            timeout=60,
            check=False,
        )
        os.close(child)
        child = -1
        seen = b""
        while True:
            try:
                chunk = os.read(parent, 4096)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if child != -1:
            os.close(child)
        os.close(parent)
    assert done.returncode == 0
    assert b"3 leads" in seen and b"\r" in seen  # tqdm redraws its line
    assert b"3 leads read" in seen


# --- scale and the quick start ---------------------------------------------------------------


def peak_rss(args: list[str]) -> int:
    """Peak RSS in bytes of a fresh ``mergefield`` child, measured by an intermediate process.

    RUSAGE_CHILDREN keeps the largest child ever waited for, so a process of its own per
    measurement keeps other tests' children out of the number.
    """
    probe = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "assert done.returncode == 0, done.stderr\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "mergefield", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return int(out.stdout) * 1024  # Linux reports kilobytes


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss units differ")
def test_memory_does_not_grow_with_the_number_of_leads(tmp_path: Path) -> None:
    body = (EXAMPLES / "leads.csv").read_bytes()
    header, _, rows = body.partition(b"\n")
    big = tmp_path / "leads100k.csv"
    with big.open("wb") as f:
        f.write(header + b"\n")
        for _ in range(10):
            f.write(rows)
    common = ["--template-file", str(EXAMPLES / "sms_url.template"), "--kind", "url",
              "--user", str(EXAMPLES / "user.json"), "--account", str(EXAMPLES / "account.json"),
              "--format", "jsonl", "-o", str(tmp_path / "out.jsonl")]  # fmt: skip
    small_rss = peak_rss(["render", *common, "--leads", str(EXAMPLES / "leads.csv")])
    big_rss = peak_rss(["render", *common, "--leads", str(big)])
    with (tmp_path / "out.jsonl").open(encoding="utf-8") as out:
        assert sum(1 for _ in out) == 100_000
    assert big_rss - small_rss < 20 * MB, (small_rss, big_rss)


def quick_start() -> list[str]:
    """The README's first quick-start command, as written in docs/cli.md (after pip install)."""
    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    line = next(x for x in doc.splitlines() if x.startswith(QUICK_START_PREFIX))
    return shlex.split(line.removeprefix(QUICK_START_PREFIX))


@pytest.mark.slow
def test_quick_start_command_from_the_docs(tmp_path: Path) -> None:
    command = quick_start()
    assert command[:2] == ["mergefield", "render"]
    for name in ("sms_url.template", "leads.csv", "user.json", "account.json"):
        (tmp_path / "examples").mkdir(exist_ok=True)
        shutil.copy(EXAMPLES / name, tmp_path / "examples" / name)
    done = run(*command[1:], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "rendered.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 10_000
    assert all(line.startswith("https://sms.example.com/send?to=") for line in lines)
    assert summary(done.stderr).startswith("mergefield: 10000 leads read: 10000 rendered (")


@pytest.mark.slow
def test_example_leads_are_what_the_generator_makes(tmp_path: Path) -> None:
    out = tmp_path / "leads.csv"
    subprocess.run(
        [sys.executable, EXAMPLES / "generate_leads.py", "--output", out], check=True, timeout=60
    )
    assert out.read_bytes() == (EXAMPLES / "leads.csv").read_bytes()


def test_example_files_are_committed() -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    names = ["generate_leads.py", "leads.csv", "sms_url.template", "user.json", "account.json"]
    done = subprocess.run(
        ["git", "ls-files", "--error-unmatch", *(f"examples/{n}" for n in names), "docs/cli.md"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_render_refuses_a_record_named_after_no_resource(tmp_path: Path) -> None:
    user = tmp_path / "user.json"
    user.write_text('{"FirstName": "Ann"}', encoding="utf-8")
    done = run(
        "render", "@{User:FirstName,}", "--leads", "-", "--record", f"Usr={user}", input="A\n1\n"
    )
    assert done.returncode == 2, done.stderr
    assert "--record: render_many() got the record Usr=" in done.stderr
    assert "did you mean User=?" in done.stderr
    assert done.stdout == ""
