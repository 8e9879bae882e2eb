"""Workload for counting the instructions of one `render_arrow` call under callgrind.

``python callgrind_arrow.py MODE TABLE.parquet`` reads the Parquet file (the first leads of
`leads.py`, written by ``--save N TABLE.parquet``), compiles the template and renders 10 rows
once, so imports and a first call's set-up are out of the way; then MODE ``url`` renders the
SMS URL template (a) and ``json`` the typed 10-field JSON body (c) of `bench_arrow.py` once
with ``threads=1``, and MODE ``none-url`` / ``none-json`` stop before that call.  The call's
cost is the program total of MODE minus that of its ``none-`` twin::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=cg.url \
        python benchmarks/callgrind_arrow.py url leads50k.parquet
    callgrind_annotate --inclusive=yes cg.url

(`results/arrow_profile.md` has the counts.)
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv: list[str]) -> None:
    import leads as leadgen
    import pyarrow.parquet as pq

    if argv[0] == "--save":
        from bench_arrow import JSON_KEYS, LEAD_KEYS

        keys = list(dict.fromkeys(LEAD_KEYS + JSON_KEYS))
        pq.write_table(leadgen.arrow_table(int(argv[1]), keys, typed=True), argv[2])
        return
    from bench_arrow import JSON_SOURCE, URL_SOURCE

    import mergefield

    mode, path = argv
    case = mode.removeprefix("none-")
    source = URL_SOURCE if case == "url" else JSON_SOURCE
    template = mergefield.compile(source, kind=case, context="grid")
    table = pq.read_table(path)
    records = {"User": leadgen.USER, "Account": leadgen.ACCOUNT}
    template.render_arrow(table.slice(0, 10), threads=1, **records)
    if not mode.startswith("none-"):
        template.render_arrow(table, threads=1, **records)


if __name__ == "__main__":
    main(sys.argv[1:])
