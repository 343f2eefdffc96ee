"""External sources as lazy datasets, limited to the run's window when they say how."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from mesh_dagster.io.delta import open_table, storage_errors
from mesh_dagster.io.locations import StorageSettings, resolve_location, storage_options
from mesh_dagster.spec.models import SourceSpec
from mesh_dagster.spec.periods import Period


class SourceMissingError(RuntimeError):
    """Raised when a source has no data where its spec says; the message says where."""


class SourceColumnError(RuntimeError):
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
        f"{where}.location: source '{source.name}' has no {source.format} data at {uri}. "
        "Check the location (a file, or a folder of files)."
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


def _window(source: SourceSpec, schema: pa.Schema, period: Period, where: str) -> pc.Expression:
    name = source.partition_column
    assert name is not None
    path = f"{where}.partition_column"
    if name not in schema.names:
        raise SourceColumnError(
            f"{path}: source '{source.name}' has no column '{name}'; it has "
            f"{', '.join(schema.names)}."
        )
    kind = schema.field(name).type
    field = pc.field(name)
    if pa.types.is_date(kind):
        low: date | datetime = period.start.date()
        high: date | datetime = period.end.date()
    elif pa.types.is_timestamp(kind):
        # A naive timestamp is taken as UTC (DESIGN: time).
        zone = kind.tz
        low, high = period.start.astimezone(UTC), period.end.astimezone(UTC)
        if zone is None:
            low, high = low.replace(tzinfo=None), high.replace(tzinfo=None)
    else:
        raise SourceColumnError(
            f"{path}: column '{name}' of source '{source.name}' is {kind}, not a date or "
            "timestamp, so the run's window cannot select its rows."
        )
    return (field >= pa.scalar(low, kind)) & (field < pa.scalar(high, kind))
