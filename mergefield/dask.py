"""Render leads held in a Dask DataFrame or Bag partition by partition, on a cluster you run.

Install it with ``pip install "mergefield[dask]"``; ``import mergefield`` never imports Dask.
`render_dataframe` adds a column of rendered strings to a Dask DataFrame (`render_series` gives the
column alone), `render_bag` maps a Bag of lead mappings to rendered strings, and `write_partitions`
writes one file of rendered lines per partition, named by partition index and written under a
temporary name that is renamed into place only when complete, so a task that a worker's death makes
the scheduler run again overwrites its file instead of duplicating or truncating it.  A DataFrame
partition goes through `Template.render_arrow` / `Template.write_arrow` when its columns are
Arrow-friendly (`arrow.pandas_table`), else `Template.render_columns` / `Template.write_columns`,
with exactly the values ``DataFrame.to_dict("records")`` would give `Template.render_many`: NaN,
``None``, ``pandas.NA`` and ``NaT`` are missing, and ints, floats, nullable integers, timestamps
(naive or zoned) and strings render as SPEC section 3 says.  The template and the fixed records
(User, Account, ...) enter the task graph once, as a single Delayed that every partition task
depends on, so each worker receives and compiles the template once, not once per task or row.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, NamedTuple

try:
    import dask.bag as db
    import dask.dataframe as dd
    import pandas as pd
    from dask.base import compute as _compute
    from dask.delayed import Delayed
    from dask.delayed import delayed as _delayed
except ImportError as exc:  # pragma: no cover - depends on what is installed
    raise ImportError(
        'mergefield.dask needs Dask and pandas: pip install "mergefield[dask]"'
    ) from exc

from ._batch import Records
from .arrow import pandas_table
from .run import RenderRun
from .template import ROW_RESOURCE, Template

__all__ = [
    "WrittenPartition",
    "lead_columns",
    "render_bag",
    "render_dataframe",
    "render_series",
    "write_partitions",
]


class WrittenPartition(NamedTuple):
    """One file written by `write_partitions`: its path and how many leads (lines) it holds."""

    path: str
    rows: int


def lead_columns(template: Template) -> list[str]:
    """The lead record keys (data frame columns) that ``template`` reads, in template order.

    Pass them to ``dask.dataframe.read_parquet(..., columns=...)`` so that only the columns the
    template needs are read; derived fields (a FullName made of FirstName and LastName) bring the
    keys they are made of.
    """
    if not isinstance(template, Template):
        raise TypeError(f"expected a compiled mergefield.Template, not {type(template).__name__}")
    return list(RenderRun(template).lead_columns)


@dataclass(frozen=True)
class _Job:
    """What every partition task needs: pickled once into the graph, shared by all tasks."""

    run: RenderRun
    column: str

    def columns(self, frame: pd.DataFrame) -> dict[str, pd.Series]:
        # The template reads each Series by position (never by a partition's index labels).
        # A key the frame lacks is left out, which makes it missing on every row, as an absent
        # key is in `render_many`.
        present = set(frame.columns)
        return {key: frame[key] for key in self.run.lead_columns if key in present}

    def render_frame(self, frame: pd.DataFrame) -> list[str]:
        return self.run.render_columns(self.columns(frame))

    def write(
        self, part: pd.DataFrame | Sequence[Records], file: BinaryIO, separator: bytes
    ) -> int:
        if isinstance(part, pd.DataFrame):
            return self.run.write(self.columns(part), file, separator)
        return self.run.write(part, file, separator)


def _untyped(value: object) -> Any:
    # Dask's collection methods and `compute` carry no annotations; calling them through Any
    # keeps `mypy --strict` meaningful for the rest of this module.
    return value


def _job(template: Template, records: Mapping[str, Records], column: str) -> Delayed:
    if not isinstance(template, Template):
        raise TypeError(f"expected a compiled mergefield.Template, not {type(template).__name__}")
    if ROW_RESOURCE in records:
        # The partitions are the leads; failing here beats failing in every task on the cluster.
        raise TypeError(f"the partitions hold the leads; do not pass {ROW_RESOURCE}=")
    job = _Job(RenderRun(template, records), column)
    # traverse=False keeps the job one opaque value: one graph key, shipped to each worker once.
    return _delayed(job, traverse=False)  # type: ignore[no-any-return]


# Arrow-backed strings, not object: Parquet writers need a string type they can see in the meta,
# and Arrow buffers move between workers far cheaper than pickled Python strings.
RENDERED_DTYPE = "string[pyarrow]"


def _series_meta(column: str) -> pd.Series:
    return pd.Series([], dtype=RENDERED_DTYPE, name=column)


def _render_series_partition(frame: pd.DataFrame, job: _Job) -> pd.Series:
    # Arrow-friendly columns (numbers, datetimes, pandas strings) render in the core's Arrow
    # path: no Python object per value, dates included; `object` columns keep the Python one.
    table = pandas_table(frame, job.run.lead_columns)
    rendered = (
        job.render_frame(frame)
        if table is None
        else job.run.template.render_arrow(table, threads=1, **job.run.records).to_pylist()
    )
    return pd.Series(rendered, index=frame.index, dtype=RENDERED_DTYPE, name=job.column)


def _render_frame_partition(frame: pd.DataFrame, job: _Job) -> pd.DataFrame:
    rendered = _render_series_partition(frame, job)
    return frame.assign(**{job.column: rendered})


def render_series(
    ddf: dd.DataFrame, template: Template, /, *, name: str = "rendered", **records: Records
) -> dd.Series:
    """A lazy ``string[pyarrow]`` Series named ``name``: one rendered string per row of ``ddf``.

    Each row is a lead: its columns are the Lead record keys.  ``records`` are the fixed records
    of the batch (``User=..., Account=...``), the same for every row.  The index and partitions
    are those of ``ddf``.
    """
    job = _job(template, records, name)
    present = set(ddf.columns)
    result: dd.Series = _untyped(ddf).map_partitions(
        _render_series_partition,
        job,
        meta=_series_meta(name),
        # Lets the optimizer read only these columns from Parquet and the like.
        required_columns=[key for key in lead_columns(template) if key in present],
    )
    return result


def render_dataframe(
    ddf: dd.DataFrame, template: Template, /, *, column: str = "rendered", **records: Records
) -> dd.DataFrame:
    """``ddf`` with a column ``column`` of rendered strings added (or replaced), lazily.

    Like `render_series`, but keeps every column, so that an id column can be written beside the
    rendered one: ``render_dataframe(ddf, t, column="url", User=user)[["ProspectID", "url"]]``.
    Read only the columns you need (see `lead_columns`): the rendering step cannot push a later
    column selection down into the reader.
    """
    job = _job(template, records, column)
    meta = ddf._meta.assign(**{column: _series_meta(column)})
    result: dd.DataFrame = _untyped(ddf).map_partitions(_render_frame_partition, job, meta=meta)
    return result


def _render_bag_partition(leads: Sequence[Records], job: _Job) -> list[str]:
    return job.run.render(leads)


def render_bag(bag: db.Bag, template: Template, /, **records: Records) -> db.Bag:
    """A lazy Bag of rendered strings, one per lead mapping of ``bag``, in order."""
    job = _job(template, records, "rendered")
    result: db.Bag = _untyped(bag).map_partitions(_render_bag_partition, job)
    return result


def _temp_glob(path: str) -> str:
    directory, base = os.path.split(path)
    return os.path.join(glob.escape(directory), f".{glob.escape(base)}.*.tmp")


def _write_partition(
    part: pd.DataFrame | Sequence[Records], job: _Job, path: str, separator: bytes
) -> WrittenPartition:
    directory, base = os.path.split(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    # A unique temporary name per attempt: two attempts at one partition (a retry racing a
    # worker thought dead) never write into the same file, and the rename makes the last one win.
    temp = os.path.join(directory, f".{base}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temp, "wb") as file:
            table = (
                pandas_table(part, job.run.lead_columns) if isinstance(part, pd.DataFrame) else None
            )
            if table is not None:  # through the Arrow path, as `_render_series_partition`
                records: Any = job.run.records
                rows = job.run.template.write_arrow(
                    table, file, separator=separator, threads=1, **records
                )
            else:
                rows = job.write(part, file, separator)
            file.flush()
            # Without it a crash after the rename can leave a complete name on empty content.
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return WrittenPartition(path, rows)


def _partition_paths(pattern: str, npartitions: int) -> list[str]:
    if pattern.count("*") != 1:
        raise ValueError(
            f"path_pattern must hold exactly one '*' (replaced by the partition index); "
            f"got {pattern!r}"
        )
    # Zero-padded so that sorting the file names gives partition order.
    width = len(str(max(npartitions - 1, 0)))
    return [pattern.replace("*", f"{index:0{width}d}") for index in range(npartitions)]


class _Run(NamedTuple):
    """The files one `write_partitions` call owns: this run's paths and the manifest's place."""

    pattern: str
    paths: list[str]
    manifest: str
    folder: str
    name: re.Pattern[str]  # a path of *some* run of this pattern, relative to ``folder``


def _run(pattern: str, npartitions: int) -> _Run:
    paths = _partition_paths(pattern, npartitions)
    head, tail = pattern.split("*")
    folder = os.path.dirname(head)
    rest_head = head[len(folder) :].lstrip(os.sep + (os.altsep or ""))
    # Hidden, beside the files, named after the pattern ("*" is not a legal name on Windows).
    label = (rest_head + "{index}" + tail).replace(os.sep, "%")
    manifest = os.path.join(folder, f".{label}.written")
    name = re.compile(re.escape(rest_head) + "[0-9]+" + re.escape(tail))
    return _Run(pattern, paths, manifest, folder, name)


def _relative(run: _Run, path: str) -> str:
    return os.path.relpath(path, run.folder or os.curdir)


def _listed(run: _Run) -> set[str]:
    """The files an earlier run recorded in the manifest (only names the pattern can make)."""
    try:
        with open(run.manifest, encoding="utf-8") as file:
            names = json.load(file)
    except (OSError, ValueError):
        return set()
    if not isinstance(names, list):
        return set()
    # A name the pattern cannot produce is never trusted: the manifest cannot delete anything else.
    return {
        os.path.join(run.folder, n) for n in names if isinstance(n, str) and run.name.fullmatch(n)
    }


def _record(run: _Run, paths: set[str]) -> None:
    if not paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(run.manifest)
        return
    if run.folder:
        os.makedirs(run.folder, exist_ok=True)
    temp = f"{run.manifest}.{uuid.uuid4().hex}.tmp"
    with open(temp, "w", encoding="utf-8") as file:
        json.dump(sorted(_relative(run, p) for p in paths), file, indent=0)
    os.replace(temp, run.manifest)


def _stale(run: _Run) -> tuple[set[str], list[str]]:
    """Files of earlier runs this run will not overwrite: (listed in the manifest, unknown)."""
    head, tail = run.pattern.split("*")
    mine = {os.path.normpath(p) for p in run.paths}
    listed = {p for p in _listed(run) if os.path.normpath(p) not in mine}
    found = glob.glob(glob.escape(head) + "*" + glob.escape(tail))
    unknown = sorted(
        p
        for p in found
        if run.name.fullmatch(_relative(run, p))
        and os.path.normpath(p) not in mine
        and p not in listed
    )
    return listed, unknown


def _remove(run: _Run, paths: set[str]) -> None:
    for path in paths:
        for leftover in [path, *glob.glob(_temp_glob(path))]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
        # A "*" in a folder name ("out/part-*/data.txt") made the folder too; rmdir only
        # removes it when empty.
        folder = os.path.dirname(path)
        while os.path.normpath(folder) != os.path.normpath(run.folder or os.curdir):
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)


def write_partitions(
    collection: dd.DataFrame | db.Bag,
    template: Template,
    path_pattern: str | os.PathLike[str],
    /,
    *,
    separator: bytes = b"\n",
    compute: bool = True,
    **records: Records,
) -> list[WrittenPartition] | list[Delayed]:
    """Render every lead of ``collection`` into one file per partition, one line per lead.

    ``path_pattern`` holds one ``*``, replaced by the zero-padded partition index
    (``"out/sms-*.txt"`` gives ``out/sms-000.txt`` ...).  Each file is UTF-8, each line followed
    by ``separator`` (see `Template.write_many` for lines that hold it).  A task writes to a
    hidden temporary file beside its target and renames it into place when complete, so the
    target path of a partition only ever holds that partition's complete output, and a task that
    the cluster runs again after a worker died replaces it: every lead is written exactly once.
    The paths must be on a file system every worker sees (local disk for a local cluster, a
    shared mount otherwise) where a rename is atomic.

    Afterwards the files of the pattern are exactly this run's: a hidden manifest beside them
    (``.sms-{index}.txt.written``) lists the files each run wrote, and the next run of the same
    pattern deletes those it does not overwrite (12 partitions, then 4: 4 files, not 16).  A
    file that the pattern matches (its ``*`` replaced by digits), that this run will not write
    and that no manifest lists (a run of an older version, a file of yours) is never deleted:
    the call raises ``FileExistsError`` naming it before anything runs.

    With ``compute=True`` (the default) the tasks run on the current Dask scheduler (the active
    ``distributed.Client``, if any), temporary files left by killed attempts are removed, and the
    list of `WrittenPartition` (path, rows) is returned in partition order; the earlier run's
    files are deleted only once every partition is written (a failed run deletes nothing).
    With ``compute=False`` the list of Delayed tasks is returned for you to compute, and the
    earlier run's files are deleted at once, before the tasks run.
    """
    job = _job(template, records, "rendered")
    parts: list[Delayed] = _untyped(collection).to_delayed()
    run = _run(os.fspath(path_pattern), len(parts))
    paths = run.paths
    listed, unknown = _stale(run)
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        raise FileExistsError(
            f"path_pattern {run.pattern!r} matches {shown}, which this run would not overwrite "
            "and no earlier write_partitions run recorded: remove them or choose another pattern"
        )
    if not compute:
        _remove(run, listed)
        _record(run, set(paths))
    sep = bytes(separator)
    tasks: list[Delayed] = [
        _delayed(_write_partition, pure=False)(part, job, path, sep)
        for part, path in zip(parts, paths, strict=True)
    ]
    if not compute:
        return tasks
    try:
        written: tuple[WrittenPartition, ...] = _untyped(_compute)(*tasks)
    except BaseException:
        # Keep the earlier files (this run failed) and make the partitions it did write known to
        # the next run, so that it can replace them.
        with contextlib.suppress(OSError):  # never hide why the run failed
            _record(run, {p for p in listed | set(paths) if os.path.exists(p)})
        raise
    for path in paths:
        for leftover in glob.glob(_temp_glob(path)):
            with contextlib.suppress(OSError):
                os.unlink(leftover)
    _remove(run, listed)
    _record(run, set(paths))
    return list(written)
