"""Bulk rendering benchmark: mergefield's cores against hand-written code, Jinja2 and the floor.

On deterministic leads (`leads.py`) it renders the SMS URL template of the issue (kind ``url``,
context ``grid``) with the hand-written baseline (an f-string per lead with
``urllib.parse.quote(v, safe="")`` and the same default rules), Jinja2 with a quoting filter,
``string.Template`` with values quoted per lead, the pure-Python core, the Cython core (rows via
``render_many``, columns via ``render_columns``, bytes via ``write_many``; "n/a" where the
Template lacks the method), and the floor (``"".join`` of pieces encoded beforehand); then a
10-field JSON body against ``json.dumps`` of a dict per lead; then, in a fresh subprocess, one
million leads streamed to a file with the peak RSS growth (VmHWM).  Every case's output is
asserted identical to the baseline's.  Each case runs several times in one process and the
table shows the median ns per render and the speedup over the baseline, since the machine is
shared and noisy.  ``--quick`` is a smoke run (10,000 leads, 100,000 streamed), ``--json PATH``
writes the results, ``--markdown PATH`` the table with the machine description.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import jinja2

import mergefield
import mergefield._core
import mergefield._fast_py as fast_py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leads as leadgen
from report import machine, minor_faults, save

try:
    import mergefield._fast as fast_c
except ImportError:  # not built: the Cython cases report n/a
    fast_c = None

URL_SOURCE = (
    "https://sms.example.com/api/v1/send?to=@{Lead:Mobile,}&name=@{Lead:FirstName,Friend}"
    "&city=@{Lead:mx_City,}&agent=@{User:EmailAddress,}&org=@{Account:ShortCode,}"
    "&note=@{Lead:Notes,}"
)
JSON_SOURCE = (
    '{"to": "@{Lead:Mobile,}", "name": "@{Lead:FirstName,Friend}", "score": @{Lead:Score Lead,0}, '
    '"email": "@{Lead:EmailAddress,}", "city": "@{Lead:mx_City,}", "company": "@{Lead:Company,}", '
    '"source": "@{Lead:Source Lead,}", "note": "@{Lead:Notes,}", '
    '"agent": "@{User:EmailAddress,}", "org": "@{Account:ShortCode,}"}'
)

TARGETS = {
    "cython_render_many_vs_baseline_min": 12.0,
    "cython_render_many_vs_floor_max": 3.0,
    "pure_vs_baseline_min": 3.5,
    "json_cython_vs_dumps_min": 8.0,
    "stream_peak_growth_mb_max": 50.0,
}

Leads = list[dict[str, Any]]
SMALL_LEADS = 2_000  # few enough that the leads and their renders stay in the CPU caches
PURE_BOUND = "bound: pure-Python percent-encoding of the lead values alone"


# --- the competitors -------------------------------------------------------------------------


def _q(value: Any, default: str = "") -> str:
    """Missing (absent, None, "") -> the default; else percent-encode like RFC 3986 unreserved."""
    if value is None or value == "":
        return quote(default, safe="")
    return quote(str(value), safe="")


def baseline_url(leads: Leads, user: dict[str, Any], account: dict[str, Any]) -> list[str]:
    """The hand-written baseline: one f-string per lead; the fixed records quoted once."""
    agent = _q(user.get("EmailAddress"))
    org = _q(account.get("ShortCode"))
    out = []
    append = out.append
    for lead in leads:
        to = lead.get("Mobile")
        name = lead.get("FirstName")
        city = lead.get("mx_City")
        note = lead.get("Notes")
        append(
            "https://sms.example.com/api/v1/send"
            f"?to={quote(to, safe='') if to else ''}"
            f"&name={quote(name, safe='') if name else 'Friend'}"
            f"&city={quote(city, safe='') if city else ''}"
            f"&agent={agent}&org={org}"
            f"&note={quote(note, safe='') if note else ''}"
        )
    return out


def naive_url(leads: Leads, user: dict[str, Any], account: dict[str, Any]) -> list[str]:
    """The baseline as often written: every value, the fixed ones too, quoted per lead."""
    return [
        f"https://sms.example.com/api/v1/send?to={_q(lead.get('Mobile'))}"
        f"&name={_q(lead.get('FirstName'), 'Friend')}&city={_q(lead.get('mx_City'))}"
        f"&agent={_q(user.get('EmailAddress'))}&org={_q(account.get('ShortCode'))}"
        f"&note={_q(lead.get('Notes'))}"
        for lead in leads
    ]


def _jinja_url() -> jinja2.Template:
    env = jinja2.Environment(autoescape=False)
    env.filters["q"] = lambda v, default="": quote(str(v), safe="") if v else default
    return env.from_string(
        "https://sms.example.com/api/v1/send?to={{ lead.Mobile|q }}"
        "&name={{ lead.FirstName|q('Friend') }}&city={{ lead.mx_City|q }}"
        "&agent={{ user.EmailAddress|q }}&org={{ account.ShortCode|q }}&note={{ lead.Notes|q }}"
    )


def jinja_url(
    tmpl: jinja2.Template,
) -> Callable[[Leads, dict[str, Any], dict[str, Any]], list[str]]:
    def run(leads: Leads, user: dict[str, Any], account: dict[str, Any]) -> list[str]:
        render = tmpl.render
        return [render(lead=lead, user=user, account=account) for lead in leads]

    return run


_STRING_TEMPLATE = string.Template(
    "https://sms.example.com/api/v1/send?to=$to&name=$name&city=$city&agent=$agent&org=$org"
    "&note=$note"
)


def string_template_url(leads: Leads, user: dict[str, Any], account: dict[str, Any]) -> list[str]:
    """``string.Template.substitute`` with values quoted per lead (fixed ones once)."""
    agent = _q(user.get("EmailAddress"))
    org = _q(account.get("ShortCode"))
    substitute = _STRING_TEMPLATE.substitute
    return [
        substitute(
            to=_q(lead.get("Mobile")),
            name=_q(lead.get("FirstName"), "Friend"),
            city=_q(lead.get("mx_City")),
            agent=agent,
            org=org,
            note=_q(lead.get("Notes")),
        )
        for lead in leads
    ]


# Percent-encoding of ASCII text as one str.translate: the fastest pure-Python primitive we know
# for it (several times faster than `quote` on short values).
_PERCENT_ASCII = {
    c: chr(c) if chr(c).isalnum() or chr(c) in "-._~" else f"%{c:02X}" for c in range(128)
}
URL_LEAD_KEYS = ("Mobile", "FirstName", "mx_City", "Notes")


def lead_values(leads: Leads) -> list[str]:
    """The per-lead values the URL template encodes (the fixed records are encoded once)."""
    return [v for lead in leads for v in map(lead.get, URL_LEAD_KEYS) if v]


def encoding_alone(values: list[str]) -> list[str]:
    """Only the encoding any pure-Python renderer of the URL template must do per lead: no
    lookups, defaults or joins.  Its time bounds what a pure-Python core can reach."""
    table = _PERCENT_ASCII
    return [
        (v if v.isalnum() else v.translate(table)) if v.isascii() else quote(v, safe="")
        for v in values
    ]


def url_pieces(
    leads: Leads, user: dict[str, Any], account: dict[str, Any]
) -> list[tuple[str, ...]]:
    """Every lead's literal and encoded pieces, prepared before the floor is timed."""
    head = "https://sms.example.com/api/v1/send?to="
    agent_org = f"&agent={_q(user.get('EmailAddress'))}&org={_q(account.get('ShortCode'))}&note="
    return [
        (
            head,
            _q(lead.get("Mobile")),
            "&name=",
            _q(lead.get("FirstName"), "Friend"),
            "&city=",
            _q(lead.get("mx_City")),
            agent_org,
            _q(lead.get("Notes")),
        )
        for lead in leads
    ]


def floor(pieces: list[tuple[str, ...]]) -> list[str]:
    """The floor: nothing but joining pieces already encoded."""
    join = "".join
    return [join(p) for p in pieces]


def _blank(value: Any) -> bool:
    return value is None or value == ""


def baseline_json(leads: Leads, user: dict[str, Any], account: dict[str, Any]) -> list[str]:
    """``json.dumps`` of a dict built per lead, with the template's default rules."""
    agent = user.get("EmailAddress") or ""
    org = account.get("ShortCode") or ""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    out = []
    append = out.append
    for lead in leads:
        get = lead.get
        score = get("Score")
        append(
            dumps(
                {
                    "to": get("Mobile") or "",
                    "name": get("FirstName") or "Friend",
                    "score": 0 if _blank(score) else score,
                    "email": get("EmailAddress") or "",
                    "city": get("mx_City") or "",
                    "company": get("Company") or "",
                    "source": get("Source") or "",
                    "note": get("Notes") or "",
                    "agent": agent,
                    "org": org,
                }
            )
        )
    return out


def json_pieces(
    leads: Leads, user: dict[str, Any], account: dict[str, Any]
) -> list[tuple[str, ...]]:
    """The JSON bodies' pieces, each value already escaped, for the floor."""
    enc = json.JSONEncoder(ensure_ascii=False).encode
    agent = enc(user.get("EmailAddress") or "")
    agent_org = f', "agent": {agent}, "org": {enc(account.get("ShortCode") or "")}}}'
    out = []
    for lead in leads:
        get = lead.get
        score = get("Score")
        out.append(
            (
                '{"to": ', enc(get("Mobile") or ""),
                ', "name": ', enc(get("FirstName") or "Friend"),
                ', "score": ', enc(0 if _blank(score) else score),
                ', "email": ', enc(get("EmailAddress") or ""),
                ', "city": ', enc(get("mx_City") or ""),
                ', "company": ', enc(get("Company") or ""),
                ', "source": ', enc(get("Source") or ""),
                ', "note": ', enc(get("Notes") or ""),
                agent_org,
            )
        )  # fmt: skip
    return out


# --- timing ----------------------------------------------------------------------------------


_DEFAULT_CORE = mergefield._core.core


def _use_core(module: Any) -> None:
    mergefield._core.core = module


def _measure(fn: Callable[[], Any], repeat: int) -> list[tuple[float, int]]:
    """``repeat`` timings of ``fn``, each with the page faults it took."""
    runs = []
    for _ in range(repeat):
        gc.collect()
        faults = minor_faults()
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        runs.append((elapsed, minor_faults() - faults))
    return runs


def _written_lines(data: bytes, expected: list[str]) -> str:
    """How ``write_*`` separated the renders: the layout that matches ``expected``, or raise."""
    for name, sep in (("newline-terminated", "\n"), ("concatenated", "")):
        if data == "".join(s + sep for s in expected).encode("utf-8"):
            return name
    raise AssertionError("write_* output differs from the baseline's renders")


def _looped(fn: Callable[[], Any], loops: int) -> Callable[[], Any]:
    if loops == 1:
        return fn

    def run() -> Any:
        for _ in range(loops - 1):
            fn()
        return fn()

    return run


class Suite:
    """One template's cases on one lead set: each checked against the baseline, then timed.

    The timed runs are interleaved (one run of every case per round) so that a burst of load
    from other processes on the shared machine hits every case alike, not one case's repeats.
    """

    def __init__(self, leads: Leads, repeat: int, loops: int = 1) -> None:
        self.leads = leads
        self.repeat = repeat
        self.loops = loops  # each timed call renders the leads this many times
        self.todo: list[tuple[str, Callable[[], Any], Any, bool]] = []
        self.bounds: set[str] = set()
        self.cases: dict[str, dict[str, Any] | None] = {}
        self.expected: list[str] | None = None

    def case(
        self,
        name: str,
        fn: Callable[[], Any] | None,
        *,
        core: Any = None,
        written: bool = False,
        bound: bool = False,
    ) -> None:
        """Add a case; a ``bound`` is timed like the others but renders nothing to compare."""
        self.cases[name] = None
        if bound:
            self.bounds.add(name)
        if fn is not None:
            self.todo.append((name, _looped(fn, self.loops), core, written))

    def run(self, reference: str) -> dict[str, dict[str, Any] | None]:
        for name, fn, core, written in self.todo:
            if core is not None:
                _use_core(core)
            result = fn()
            entry: dict[str, Any] = {"runs_s": [], "runs_faults": []}
            if name in self.bounds:
                entry["bound"] = True
            elif written:
                entry["file_layout"] = _written_lines(result, self.expected or [])
            elif self.expected is None:
                self.expected = result
            elif result != self.expected:
                bad = next(
                    i for i, (a, b) in enumerate(zip(result, self.expected, strict=True)) if a != b
                )
                raise AssertionError(
                    f"{name} differs from the baseline at lead {bad}:\n"
                    f"  {result[bad]!r}\n  {self.expected[bad]!r}"
                )
            self.cases[name] = entry
        for _ in range(self.repeat):
            for name, fn, core, _written in self.todo:
                if core is not None:
                    _use_core(core)
                for elapsed, faults in _measure(fn, 1):
                    self.cases[name]["runs_s"].append(elapsed)  # type: ignore[index]
                    self.cases[name]["runs_faults"].append(faults)  # type: ignore[index]
        ref = statistics.median(self.cases[reference]["runs_s"])  # type: ignore[index]
        for entry in self.cases.values():
            if entry is not None:
                median = statistics.median(entry["runs_s"])
                entry["median_s"] = median
                renders = len(self.leads) * self.loops
                entry["ns_per_render"] = median / renders * 1e9
                entry["faults_per_1000_renders"] = (
                    statistics.median(entry["runs_faults"]) / renders * 1000
                )
                entry["speedup_vs_baseline"] = ref / median
        _use_core(_DEFAULT_CORE)
        return self.cases


def _method(name: str) -> Callable[..., Any] | None:
    return getattr(mergefield.Template, name, None)


def _mergefield_cases(s: Suite, t: mergefield.Template, leads: Leads, path: str | None) -> None:
    """The template's cases: the pure core's render_many, then the compiled core's render_many,
    render_columns and (with a ``path``) write_many and write_columns into a real file."""
    user, account = leadgen.USER, leadgen.ACCOUNT
    cols = leadgen.columns(leads)
    s.case(
        "mergefield pure render_many",
        lambda: t.render_many(leads, User=user, Account=account),
        core=fast_py,
    )
    have_c = fast_c is not None
    s.case(
        "mergefield cython render_many",
        (lambda: t.render_many(leads, User=user, Account=account)) if have_c else None,
        core=fast_c,
    )
    s.case(
        "mergefield cython render_columns",
        (lambda: t.render_columns(cols, User=user, Account=account))
        if have_c and _method("render_columns")
        else None,
        core=fast_c,
    )
    if path is None:
        return
    for method, data in (("write_many", leads), ("write_columns", cols)):
        s.case(
            f"mergefield cython {method} (file)",
            _writer(t, method, data, path) if have_c and _method(method) else None,
            core=fast_c,
            written=True,
        )


def url_suite(leads: Leads, repeat: int, tmpdir: str) -> dict[str, Any]:
    user, account = leadgen.USER, leadgen.ACCOUNT
    t = mergefield.compile(URL_SOURCE, context="grid", kind="url")
    pieces = url_pieces(leads, user, account)
    jinja = jinja_url(_jinja_url())
    s = Suite(leads, repeat)
    s.case("baseline (f-string + quote)", lambda: baseline_url(leads, user, account))
    s.case("baseline, fixed records quoted per lead", lambda: naive_url(leads, user, account))
    s.case("jinja2 + quote filter", lambda: jinja(leads, user, account))
    s.case("string.Template, quoted values", lambda: string_template_url(leads, user, account))
    _mergefield_cases(s, t, leads, os.path.join(tmpdir, "url.out"))
    s.case("floor (join of pre-encoded pieces)", lambda: floor(pieces))
    values = lead_values(leads)
    s.case(PURE_BOUND, lambda: encoding_alone(values), bound=True)
    return s.run("baseline (f-string + quote)")


def _writer(t: mergefield.Template, method: str, data: Any, path: str) -> Callable[[], bytes]:
    """Write every render to a real file; return the bytes (read back outside the timing)."""

    def run() -> bytes:
        with open(path, "wb") as f:
            getattr(t, method)(data, f, User=leadgen.USER, Account=leadgen.ACCOUNT)
        return b""

    def first() -> bytes:
        run()
        with open(path, "rb") as f:
            return f.read()

    state = {"checked": False}

    def call() -> bytes:
        if not state["checked"]:
            state["checked"] = True
            return first()
        return run()

    return call


def json_suite(
    leads: Leads, repeat: int, loops: int = 1, tmpdir: str | None = None
) -> dict[str, Any]:
    """The JSON body cases; with ``loops`` > 1 each timed call renders ``leads`` that many times
    (a small lead set rendered again and again stays in the CPU caches)."""
    user, account = leadgen.USER, leadgen.ACCOUNT
    t = mergefield.compile(JSON_SOURCE, context="grid", kind="json")
    pieces = json_pieces(leads, user, account)
    s = Suite(leads, repeat, loops)
    s.case("json.dumps of a dict per lead", lambda: baseline_json(leads, user, account))
    _mergefield_cases(s, t, leads, None if tmpdir is None else os.path.join(tmpdir, "json.out"))
    s.case("floor (join of pre-encoded pieces)", lambda: floor(pieces))
    return s.run("json.dumps of a dict per lead")


# --- streaming a million leads, in a fresh process -------------------------------------------


def _vm(name: str) -> int:
    """A /proc/self/status size in bytes (VmHWM: peak RSS; VmRSS: current)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{name} not in /proc/self/status")


def stream(n: int, path: str) -> dict[str, Any]:
    """Render ``n`` lazily generated leads to ``path``; the peak RSS growth while doing it."""
    t = mergefield.compile(URL_SOURCE, context="grid", kind="url")
    user, account = leadgen.USER, leadgen.ACCOUNT
    t.render_many(leadgen.make_leads(10), User=user, Account=account)  # warm every code path
    start = time.perf_counter()
    for _ in leadgen.iter_leads(n):
        pass
    generate_s = time.perf_counter() - start
    gc.collect()
    before = _vm("VmHWM")
    rss_before = _vm("VmRSS")
    start = time.perf_counter()
    leads: Iterable[dict[str, Any]] = leadgen.iter_leads(n)
    with open(path, "wb") as f:
        if hasattr(t, "write_many"):
            how = "write_many"
            t.write_many(leads, f, User=user, Account=account)
        else:
            how = "iter_render + encode + write"
            write = f.write
            for text in t.iter_render(leads, User=user, Account=account):
                write(text.encode("utf-8"))
                write(b"\n")
    total_s = time.perf_counter() - start
    after = _vm("VmHWM")
    return {
        "leads": n,
        "how": how,
        "implementation": mergefield._core.IMPLEMENTATION,
        "bytes_written": os.path.getsize(path),
        "total_s": total_s,
        "generate_only_s": generate_s,
        "render_s_estimate": total_s - generate_s,
        "ns_per_render_estimate": (total_s - generate_s) / n * 1e9,
        "vmhwm_before_mb": before / 2**20,
        "vmrss_before_mb": rss_before / 2**20,
        "vmhwm_after_mb": after / 2**20,
        "peak_growth_mb": (after - max(before, rss_before)) / 2**20,
    }


def stream_in_subprocess(n: int, tmpdir: str) -> dict[str, Any]:
    """Run `stream` in a fresh interpreter, so earlier cases do not hide its peak."""
    out = subprocess.run(
        [
            sys.executable,
            os.path.abspath(__file__),
            "--stream-only",
            str(n),
            "--stream-path",
            os.path.join(tmpdir, "stream.out"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


# --- report ----------------------------------------------------------------------------------


def _table(title: str, suite: dict[str, Any], fault_us: float) -> list[str]:
    lines = [
        f"### {title}",
        "",
        "| case | ns / render | speedup vs baseline | page faults / 1,000 renders "
        "| of which faulting, ns / render |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, entry in suite.items():
        if entry is None:
            lines.append(f"| {name} | n/a | n/a | n/a | n/a |")
            continue
        faults = entry.get("faults_per_1000_renders", 0.0)
        lines.append(
            f"| {name} | {entry['ns_per_render']:,.0f} | {entry['speedup_vs_baseline']:.2f}x "
            f"| {faults:,.0f} | ~{faults * fault_us:,.0f} |"
        )
    return [*lines, ""]


def verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    url = results["url"]
    js = results["json"]
    base = url["baseline (f-string + quote)"]
    cy = url["mergefield cython render_many"]
    pure = url["mergefield pure render_many"]
    fl = url["floor (join of pre-encoded pieces)"]
    jcy = js["mergefield cython render_many"]
    st = results.get("stream")
    rows = [
        (
            "Cython render_many vs baseline",
            ">= 12x",
            cy and base["median_s"] / cy["median_s"],
            lambda v: v >= 12,
            "{:.2f}x",
        ),
        (
            "Cython render_many vs join floor",
            "within 3x",
            cy and cy["median_s"] / fl["median_s"],
            lambda v: v <= 3,
            "{:.2f}x slower",
        ),
        (
            "pure core vs baseline",
            ">= 3.5x",
            base["median_s"] / pure["median_s"],
            lambda v: v >= 3.5,
            "{:.2f}x",
        ),
        (
            "(bound) any pure-Python renderer vs baseline, from encoding alone",
            "(a ceiling, not a goal)",
            url.get(PURE_BOUND) and base["median_s"] / url[PURE_BOUND]["median_s"],
            lambda v: None,
            "{:.2f}x",
        ),
        (
            "JSON body, Cython vs json.dumps",
            ">= 8x",
            jcy and jcy["speedup_vs_baseline"],
            lambda v: v >= 8,
            "{:.2f}x",
        ),
        (
            f"{st['leads']:,} leads streamed, peak growth" if st else "streaming",
            "< 50 MB",
            st and st["peak_growth_mb"],
            lambda v: v < 50,
            "{:.1f} MB",
        ),
    ]
    return [
        {
            "target": name,
            "goal": goal,
            "measured": value,
            "shown": "n/a" if value is None else fmt.format(value),
            "met": None if value is None or ok(value) is None else bool(ok(value)),
        }
        for name, goal, value, ok, fmt in rows
    ]


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    fault_us = m.get("page_fault_us", 0.0)
    lines = [
        "# mergefield rendering benchmark",
        "",
        f"- machine: {m['platform']}, {m['cpu']}, {m['nproc']} CPUs, Python {m['python']}",
        f"- mergefield.IMPLEMENTATION: {m['implementation']} "
        f"(Cython core built: {m['cython_core_built']})",
        f"- date: {m['date']}",
        f"- first touch of a fresh memory page (a page fault) costs {fault_us:.2f} us here; "
        "each case's faults are counted (ru_minflt), and the last column estimates their share",
        f"- leads: {results['leads']:,}, median of {results['repeat']} runs per case, one process",
        f"- command: `{results['command']}`",
        "",
        *_table(
            f"URL template (kind url, context grid), {results['leads']:,} leads",
            results["url"],
            fault_us,
        ),
        *_table(
            f"JSON body (kind json, 10 fields), {results['leads']:,} leads",
            results["json"],
            fault_us,
        ),
    ]
    small = results.get("json_small")
    if small:
        lines += _table(
            f"JSON body, {SMALL_LEADS:,} leads rendered again and again (cache-resident; "
            "for comparison, not a target)",
            small,
            fault_us,
        )
    st = results.get("stream")
    if st:
        lines += [
            f"### Streaming {st['leads']:,} leads to a file ({st['how']}, fresh process)",
            "",
            f"- total {st['total_s']:.1f} s, of which generating the leads alone takes "
            f"{st['generate_only_s']:.1f} s: about {st['ns_per_render_estimate']:,.0f} ns "
            "per render",
            f"- peak RSS growth beyond the start: {st['peak_growth_mb']:.1f} MB "
            f"(VmHWM {st['vmhwm_before_mb']:.1f} -> {st['vmhwm_after_mb']:.1f} MB), "
            f"{st['bytes_written'] / 2**20:.0f} MB written",
            "",
        ]
    lines += ["### Targets", "", "| target | goal | measured | met |", "|---|---|---:|---|"]
    for v in results["targets"]:
        met = "-" if v["met"] is None else ("yes" if v["met"] else "**no**")
        lines.append(f"| {v['target']} | {v['goal']} | {v['shown']} | {met} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 10,000 leads")
    parser.add_argument("--leads", type=int, help="leads per timed case (default 100,000)")
    parser.add_argument("--repeat", type=int, help="timed runs per case (default 5)")
    parser.add_argument("--stream", type=int, help="leads streamed to a file (default 1,000,000)")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="write the tables as markdown")
    parser.add_argument("--stream-only", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stream-path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stream_only is not None:
        print(json.dumps(stream(args.stream_only, args.stream_path)))
        return 0

    n = args.leads or (10_000 if args.quick else 100_000)
    repeat = args.repeat or (3 if args.quick else 5)
    n_stream = args.stream if args.stream is not None else (100_000 if args.quick else 1_000_000)
    leads = leadgen.make_leads(n)
    results: dict[str, Any] = {
        "machine": machine(),
        "command": " ".join(["python", "benchmarks/bench_render.py", *(argv or sys.argv[1:])]),
        "leads": n,
        "repeat": repeat,
        "targets_goal": TARGETS,
    }
    with tempfile.TemporaryDirectory() as tmpdir:
        results["url"] = url_suite(leads, repeat, tmpdir)
        results["json"] = json_suite(leads, repeat, tmpdir=tmpdir)
        del leads
        gc.collect()
        small = leadgen.make_leads(SMALL_LEADS)
        results["json_small"] = json_suite(small, repeat, loops=max(1, n // SMALL_LEADS))
        del small
        gc.collect()
        if n_stream:
            results["stream"] = stream_in_subprocess(n_stream, tmpdir)
    results["targets"] = verdicts(results)
    text = markdown(results)
    print(text)
    save(results, text, args.json, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
