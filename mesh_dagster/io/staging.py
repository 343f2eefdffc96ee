"""Staged files of one period: Parquet in the table's folder, invisible until committed.

A staged file is written where Delta keeps its data (``<column>=<value>/part-...parquet``
for a date-partitioned table), but no reader sees it: a Delta table is its log, and the
file enters the log only when the audit passed (``io.delta.commit_staged``). A failed
audit deletes the files; a process killed in between leaves files no log names, which
``VACUUM`` removes like any other writer's leftovers.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pa_fs
import pyarrow.parquet as pq
from deltalake.fs import DeltaStorageHandler
from deltalake.transaction import AddAction

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
ROWS_PER_FILE = 8_000_000
ROWS_PER_GROUP = 1_000_000


@dataclass(frozen=True)
class StagedFile:
    """One staged Parquet file: its path under the table's root and what Delta needs."""

    path: str
    size: int
    rows: int
    partition_values: dict[str, str | None]
    stats: str


@dataclass
class Staging:
    """The staged files of one write, and where they live."""

    uri: str
    options: dict[str, str]
    schema: pa.Schema
    """The rows' schema, partition column included (its place as in the declared order)."""
    partition_by: str | None
    write_id: str
    files: list[StagedFile] = field(default_factory=list)
    created_dirs: list[Path] = field(default_factory=list)
    complete: bool = False
    """Whether every file was written (else some may exist that ``files`` does not list)."""

    @property
    def rows(self) -> int:
        """Return how many rows were staged."""
        return sum(item.rows for item in self.files)

    def add_actions(self) -> list[AddAction]:
        """Return the Delta add actions of the staged files."""
        now = int(time.time() * 1000)
        return [
            AddAction(item.path, item.size, item.partition_values, now, True, item.stats)
            for item in self.files
        ]


def _is_local(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


def table_filesystem(uri: str, options: dict[str, str]) -> tuple[pa_fs.FileSystem, str]:
    """Return a file system and the table's root in it (native for local paths)."""
    if _is_local(uri):
        return pa_fs.LocalFileSystem(), uri.removeprefix("file://")
    return pa_fs.PyFileSystem(DeltaStorageHandler(uri, options or None)), ""


def _bound(value: object, upward: bool) -> object:
    """Return a statistics value as Delta's JSON has it (decimals widened outward)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return math.nextafter(float(value), math.inf if upward else -math.inf)
    if isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(type(value).__name__)


def _stats(metadata: pq.FileMetaData) -> str:
    """Return Delta's statistics of a file: rows, and each column's nulls, min and max.

    Bounds are given for every column or for none: deltalake's dataset reads a column
    missing from ``minValues`` as bounded by null, and then skips the file for any filter
    on that column. A column is bounded when all its values are null, or when Parquet
    kept its min and max (it drops them for values too long to be worth keeping).
    """
    nulls: dict[str, int] = {}
    low: dict[str, object] = {}
    high: dict[str, object] = {}
    groups = [metadata.row_group(g) for g in range(metadata.num_row_groups)]
    plain = {"numRecords": metadata.num_rows}
    for index in range(metadata.num_columns):
        column = metadata.schema.column(index)
        stats = [group.column(index).statistics for group in groups]
        if "." in column.path or any(s is None or not s.has_null_count for s in stats):
            return json.dumps(plain)  # nested, or no statistics: say nothing
        nulls[column.name] = sum(s.null_count for s in stats)
        valued = [s for s, g in zip(stats, groups, strict=True) if s.null_count < g.num_rows]
        if not valued:
            continue
        if not all(s.has_min_max for s in valued):
            return json.dumps(plain)
        try:
            low[column.name] = _bound(min(s.min for s in valued), upward=False)
            high[column.name] = _bound(max(s.max for s in valued), upward=True)
        except TypeError:
            return json.dumps(plain)
    return json.dumps({**plain, "minValues": low, "maxValues": high, "nullCount": nulls})


def _partition_values(relative: str, column: str | None) -> dict[str, str | None]:
    if column is None:
        return {}
    folder = relative.split("/", 1)[0]
    value = folder.split("=", 1)[1]
    return {column: None if value == HIVE_NULL else value}


def stage_batches(reader: pa.RecordBatchReader, staging: Staging) -> None:
    """Write the reader's batches as Parquet files under the table's root into ``staging``.

    The partition column (if any) is kept out of the files and in the folder names, as
    Delta keeps it. Directories this creates locally are remembered, so ``discard`` can
    leave the warehouse as it found it.
    """
    filesystem, root = table_filesystem(staging.uri, staging.options)
    if _is_local(staging.uri):
        base = Path(root)
        staging.created_dirs = [p for p in [base, *base.parents] if not p.exists()]
    partitioning = None
    if staging.partition_by is not None:
        field_ = staging.schema.field(staging.partition_by)
        partitioning = ds.partitioning(pa.schema([field_]), flavor="hive")
    written: list[tuple[str, pq.FileMetaData, int]] = []

    def visit(item: ds.WrittenFile) -> None:
        written.append((item.path, item.metadata, item.size))

    try:
        _write(reader, filesystem, root, partitioning, staging.write_id, visit)
        staging.complete = True
    finally:
        prefix = f"{root.rstrip('/')}/" if root else ""
        for path, metadata, size in written:
            relative = path.removeprefix(prefix)
            values = _partition_values(relative, staging.partition_by)
            stats = _stats(metadata)
            staging.files.append(StagedFile(relative, size, metadata.num_rows, values, stats))
    # (on failure the caller discards; files not yet reported are found by their names)


def _delete_unlisted(filesystem: pa_fs.FileSystem, root: str, write_id: str) -> None:
    """Delete files of ``write_id`` a failed write left (not yet reported as written)."""
    try:
        infos = filesystem.get_file_info(pa_fs.FileSelector(root, recursive=True))
    except (FileNotFoundError, OSError):
        return
    for info in infos:
        if info.is_file and info.base_name.startswith(f"part-{write_id}-"):
            filesystem.delete_file(info.path)


def _write(
    reader: pa.RecordBatchReader,
    filesystem: pa_fs.FileSystem,
    root: str,
    partitioning: ds.Partitioning | None,
    write_id: str,
    visit: Callable[[ds.WrittenFile], None],
) -> None:
    ds.write_dataset(
        reader,
        root,
        format="parquet",
        filesystem=filesystem,
        partitioning=partitioning,
        basename_template=f"part-{write_id}-{{i}}.c000.snappy.parquet",
        existing_data_behavior="overwrite_or_ignore",
        max_rows_per_file=ROWS_PER_FILE,
        max_rows_per_group=ROWS_PER_GROUP,
        min_rows_per_group=min(ROWS_PER_GROUP, 64 * 1024),
        file_visitor=visit,
        file_options=ds.ParquetFileFormat().make_write_options(compression="snappy"),
        create_dir=True,
    )


def staged_dataset(staging: Staging) -> ds.Dataset:
    """Return the staged rows as a lazy dataset (partition column from the folder names)."""
    filesystem, root = table_filesystem(staging.uri, staging.options)
    prefix = f"{root.rstrip('/')}/" if root else ""
    paths = [f"{prefix}{item.path}" for item in staging.files]
    if not paths:
        return ds.dataset(staging.schema.empty_table())
    partitioning = None
    if staging.partition_by is not None:
        field_ = staging.schema.field(staging.partition_by)
        partitioning = ds.partitioning(pa.schema([field_]), flavor="hive")
    dataset = ds.dataset(
        paths,
        schema=staging.schema,
        format="parquet",
        filesystem=filesystem,
        partitioning=partitioning,
        partition_base_dir=root or None,
    )
    return dataset


def discard(staging: Staging) -> None:
    """Delete the staged files (and the local folders staging created), keeping nothing."""
    filesystem, root = table_filesystem(staging.uri, staging.options)
    prefix = f"{root.rstrip('/')}/" if root else ""
    for item in staging.files:
        with contextlib.suppress(FileNotFoundError, OSError):
            filesystem.delete_file(f"{prefix}{item.path}")
    folders = {item.path.rsplit("/", 1)[0] for item in staging.files if "/" in item.path}
    staging.files = []
    if not staging.complete:
        _delete_unlisted(filesystem, root, staging.write_id)
    if not _is_local(staging.uri):
        return  # object stores have no folders
    for folder in sorted(folders, reverse=True):
        path = Path(root, folder)
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    for path in staging.created_dirs:
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
