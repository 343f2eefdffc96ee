"""External sources as lazy datasets, limited to the run's window when they say how."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from mesh_dagster.io.delta import open_table, storage_errors
from mesh_dagster.io.locations import StorageSettings, resolve_location, storage_options
from mesh_dagster.spec.models import SourceSpec
from mesh_dagster.spec.periods import Period


class SourceError(RuntimeError):
    """A source that cannot be read as its spec says: the field, what is wrong, a hint."""

    def __init__(self, where: str, field: str, message: str, hint: str | None = None) -> None:
        self.field, self.message, self.hint = field, message, hint
        text = f"{where}.{field}: {message}"
        super().__init__(f"{text} {hint}" if hint else text)


class SourceMissingError(SourceError):
    """Raised when a source has no data where its spec says; the message says where."""


class SourceColumnError(SourceError):
    """Raised when a source's partition column is absent or not a date or timestamp."""


def source_schema(source: SourceSpec, storage: StorageSettings, where: str) -> pa.Schema:
    """Return the source's Arrow schema, read from its metadata (no rows are read).

    ``where`` is the spec field of the source, e.g. ``spec.inputs[0].source``.
    """
    return _open(source, storage, where).schema


def source_dataset(
    source: SourceSpec, storage: StorageSettings, period: Period | None, where: str
) -> ds.Dataset:
    """Return the source's rows (of ``period`` when it has a partition column), lazily.

    Raises SourceMissingError when nothing is at its location, SourceColumnError when its
    partition column is absent or of another type; neither message holds a row value.
    """
    dataset = _open(source, storage, where)
    if source.partition_column is None or period is None:
        return dataset
    return dataset.filter(_window(source, dataset.schema, period, where))


def _open(source: SourceSpec, storage: StorageSettings, where: str) -> ds.Dataset:
    uri = resolve_location(source.location, storage, confined=False)
    missing = SourceMissingError(
        where,
        "location",
        f"source '{source.name}' has no {source.format} data at {uri}.",
        "Check the location (a file, or a folder of files).",
    )
    if source.format == "delta":
        options = storage_options(uri, storage)
        table = open_table(uri, options)
        if table is None:
            raise missing
        with storage_errors(uri, options):
            return table.to_pyarrow_dataset()
    try:
        return ds.dataset(uri, format=source.format)
    except (FileNotFoundError, NotADirectoryError):
        raise missing from None


def check_partition_column(source: SourceSpec, schema: pa.Schema, where: str) -> None:
    """Raise SourceColumnError unless the source's partition column can select a window."""
    if source.partition_column is not None:
        _window(source, schema, None, where)


def _window(
    source: SourceSpec, schema: pa.Schema, period: Period | None, where: str
) -> pc.Expression:
    name = source.partition_column
    assert name is not None
    field = "partition_column"
    if name not in schema.names:
        raise SourceColumnError(
            where,
            field,
            f"source '{source.name}' has no column '{name}'; it has {', '.join(schema.names)}.",
        )
    kind = schema.field(name).type
    start = period.start if period is not None else datetime(1970, 1, 1, tzinfo=UTC)
    end = period.end if period is not None else start
    if pa.types.is_date(kind):
        low: date | datetime = start.date()
        high: date | datetime = end.date()
    elif pa.types.is_timestamp(kind):
        # A naive timestamp is taken as UTC (DESIGN: time).
        low, high = start.astimezone(UTC), end.astimezone(UTC)
        if kind.tz is None:
            low, high = low.replace(tzinfo=None), high.replace(tzinfo=None)
    else:
        raise SourceColumnError(
            where,
            field,
            f"column '{name}' of source '{source.name}' is {kind}, not a date or timestamp, "
            "so the run's window cannot select its rows.",
        )
    column = pc.field(name)
    return (column >= pa.scalar(low, kind)) & (column < pa.scalar(high, kind))


def source_version(source: SourceSpec, storage: StorageSettings, where: str) -> str:
    """Return the version of the source's data: its Delta version, or a digest of its files.

    A file's digest covers its path, size and modification time (read from the file
    system's listing, never its content), so a new or rewritten file is a new version.
    """
    dataset = _open(source, storage, where)
    if source.format == "delta":
        uri = resolve_location(source.location, storage, confined=False)
        table = open_table(uri, storage_options(uri, storage))
        assert table is not None  # _open found it
        return f"delta-{table.version()}"
    assert isinstance(dataset, ds.FileSystemDataset)
    infos = dataset.filesystem.get_file_info(sorted(dataset.files))
    digest = hashlib.sha256()
    for info in infos:
        modified = info.mtime_ns if info.mtime_ns is not None else 0
        digest.update(f"{info.path}\0{info.size}\0{modified}\n".encode())
    return f"files-{len(infos)}-{digest.hexdigest()[:16]}"
