"""Delta tables: publish one period idempotently, and read periods back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import uuid4

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, Schema, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError
from deltalake.fs import DeltaStorageHandler
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

from mesh_dagster.io.errors import DataValueError, classify_storage_error, describe_library_error
from mesh_dagster.io.staging import Staging, discard, staged_dataset
from mesh_dagster.spec.periods import Period


class SchemaChangeRefusedError(RuntimeError):
    """Raised when a publish would change the table's schema in a breaking way."""


@dataclass(frozen=True)
class PeriodFilter:
    """Rows of one period: the partition column, its kind, and the half-open window."""

    column: str
    is_date: bool
    period: Period

    def bounds(self) -> tuple[date | datetime, date | datetime]:
        """Return the window in the column's own terms (dates, or instants)."""
        if self.is_date:
            return self.period.start.date(), self.period.end.date()
        return self.period.start, self.period.end

    def predicate(self) -> str:
        """Return the replace-where predicate of the period (our own values, never user SQL)."""
        low, high = self.bounds()
        if self.is_date:
            return f"{self.column} >= '{low.isoformat()}' AND {self.column} < '{high.isoformat()}'"
        start = self.period.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        end = self.period.end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self.column} >= '{start}Z' AND {self.column} < '{end}Z'"

    def partition_filters(self) -> list[tuple[str, str, str]]:
        """Return the period as Delta partition filters (a date-partitioned table)."""
        low, high = self.bounds()
        return [(self.column, ">=", low.isoformat()), (self.column, "<", high.isoformat())]

    def expression(self) -> pc.Expression:
        """Return the period as a pyarrow dataset filter."""
        low, high = self.bounds()
        field = pc.field(self.column)
        if self.is_date:
            return (field >= pa.scalar(low, pa.date32())) & (field < pa.scalar(high, pa.date32()))
        kind = pa.timestamp("us", tz="UTC")
        return (field >= pa.scalar(low, kind)) & (field < pa.scalar(high, kind))


@contextmanager
def storage_errors(uri: str, options: dict[str, str]) -> Iterator[None]:
    """Turn the object store's failures inside the block into a StorageError.

    Raises StorageError with ``transient`` set for an unreachable endpoint or a server
    error, unset for a missing bucket, missing or rejected credentials, or access denied.
    Other errors pass through unchanged.
    """
    try:
        yield
    except OSError as error:
        failure = classify_storage_error(error, uri, options.get("AWS_ENDPOINT_URL"))
        if failure is None:
            raise
        raise failure from error


@contextmanager
def data_errors(uri: str) -> Iterator[None]:
    """Turn delta-rs and Arrow failures on the rows into a DataValueError without values.

    delta-rs quotes offending rows (constraint and invariant violations); only the error's
    class is kept, and the original is not chained, so it reaches no log or alert.
    """
    try:
        yield
    except CommitFailedError:
        raise  # a concurrent commit won: no rows quoted, and the caller may retry
    except (DeltaError, pa.ArrowException) as error:
        raise DataValueError(f"publishing {uri} failed: {describe_library_error(error)}") from None


def open_table(uri: str, options: dict[str, str]) -> DeltaTable | None:
    """Return the Delta table at ``uri``, or None when nothing was published yet.

    Raises StorageError when the store cannot be reached or used.
    """
    with storage_errors(uri, options):
        try:
            return DeltaTable(uri, storage_options=options or None)
        except TableNotFoundError:
            return None


def _check_schema(existing: pa.Schema, incoming: pa.Schema, uri: str) -> bool:
    """Return whether new columns must be merged; refuse any other change."""
    old = {field.name: field.type for field in existing}
    changed = [
        f"{field.name}: {old[field.name]} -> {field.type}"
        for field in incoming
        if field.name in old and old[field.name] != field.type
    ]
    removed = [name for name in old if name not in incoming.names]
    if changed or removed:
        details = "; ".join(changed + [f"{name} removed" for name in removed])
        raise SchemaChangeRefusedError(
            f"refusing to change the schema of {uri} ({details}). Only new nullable columns "
            "are added automatically; run `mesh impact` to see who a breaking change affects."
        )
    return any(name not in old for name in incoming.names)


WRITE_ID_KEY = "mesh.write_id"
"""Commit metadata naming the write, so a writer finds its own version among concurrent ones."""


def _committed_version(uri: str, options: dict[str, str], write_id: str) -> int:
    # Walk the log back from the latest version to the commit carrying our write id:
    # another writer may have committed on top already. (DeltaTable.history numbers
    # commits wrongly when the log grows between loading and listing.)
    table = open_table(uri, options)
    assert table is not None
    latest = int(table.version())
    files = DeltaStorageHandler(uri, options or None)
    with storage_errors(uri, options):
        for version in range(latest, max(latest - 100, -1), -1):
            with files.open_input_stream(f"_delta_log/{version:020d}.json") as stream:
                lines = stream.read().decode("utf-8").splitlines()
            for line in lines:
                info = json.loads(line).get("commitInfo") if line.strip() else None
                if info is not None and info.get(WRITE_ID_KEY) == write_id:
                    return version
    return latest


def _as_arrow(schema: object) -> pa.Schema:
    return pa.schema(schema.to_arrow())  # type: ignore[attr-defined]


def write_period(
    table: pa.Table,
    uri: str,
    options: dict[str, str],
    period_filter: PeriodFilter | None,
) -> int:
    """Publish ``table`` as the period's rows (or the whole table); return the Delta version.

    A period is replaced with a replace-where predicate, so re-runs and backfills are
    idempotent and other periods are never touched. The predicate is used on the very
    first write too: two writers creating the table at once then both keep their period
    (the loser of the conditional put retries on top of the winner's commit).

    Either the commit is made or nothing is: data files are written first and become part
    of the table only with the log entry. Raises StorageError (nothing committed) when the
    store cannot be used, SchemaChangeRefusedError on a breaking schema change.
    """
    existing = open_table(uri, options)
    merge = _check_schema(_as_arrow(existing.schema()), table.schema, uri) if existing else False
    partition_by = [period_filter.column] if period_filter and period_filter.is_date else None
    write_id = uuid4().hex
    with storage_errors(uri, options), data_errors(uri):
        write_deltalake(
            uri,
            table,
            mode="overwrite",
            predicate=period_filter.predicate() if period_filter else None,
            partition_by=partition_by,
            schema_mode="merge" if merge else None,
            storage_options=options or None,
            commit_properties=CommitProperties(custom_metadata={WRITE_ID_KEY: write_id}),
        )
    return _committed_version(uri, options, write_id)


def read_rows(
    uri: str, options: dict[str, str], period_filter: PeriodFilter | None
) -> pa.Table | None:
    """Return the table's rows (of one period when a filter is given), or None if absent."""
    table = open_table(uri, options)
    if table is None:
        return None
    with storage_errors(uri, options):
        dataset = table.to_pyarrow_dataset()
        if period_filter is None:
            return dataset.to_table()
        return dataset.to_table(filter=period_filter.expression())


FAST_WRITER_FEATURES = frozenset({"timestampNtz", "v2Checkpoint", "domainMetadata"})
"""Table features a commit of staged files honours; any other makes delta-rs write instead.

Check constraints, invariants, generated or identity columns, deletion vectors and change
data feed all need the writer to look at the rows or write more than data files.
"""


def _commits_staged_files(table: DeltaTable) -> bool:
    """Return whether staged files can be committed as they are (no row-level features)."""
    protocol = table.protocol()
    if any(key.startswith("delta.constraints.") for key in table.metadata().configuration):
        return False
    if protocol.writer_features is not None:
        return set(protocol.writer_features) <= FAST_WRITER_FEATURES
    return protocol.min_writer_version <= 2


def _files_of_window(table: DeltaTable, period_filter: PeriodFilter) -> list[RemoveAction] | None:
    """Return removes of the files wholly inside the window; None if one straddles it."""
    actions = pa.table(table.get_add_actions(flatten=True))
    low, high = period_filter.bounds()
    removes: list[RemoveAction] = []
    now = int(datetime.now(UTC).timestamp() * 1000)
    column = period_filter.column
    names = actions.column_names
    for row in actions.to_pylist():
        rows = row.get("num_records")
        smallest = row.get(f"min.{column}") if f"min.{column}" in names else None
        largest = row.get(f"max.{column}") if f"max.{column}" in names else None
        if smallest is None or largest is None:
            if rows == 0 or (rows is not None and row.get(f"null_count.{column}") == rows):
                continue  # no value of the column: never part of a window
            return None
        if largest < low or smallest >= high:
            continue
        if smallest >= low and largest < high:
            removes.append(RemoveAction(row["path"], True, now, row["size_bytes"], {}))
            continue
        return None
    return removes


def _rewrite(staging: Staging, period_filter: PeriodFilter | None, merge: bool) -> None:
    """Publish the staged rows through delta-rs's own writer (a copy), then discard them."""
    reader = staged_dataset(staging).scanner().to_reader()
    write_deltalake(
        staging.uri,
        reader,
        mode="overwrite",
        predicate=period_filter.predicate() if period_filter else None,
        partition_by=[staging.partition_by] if staging.partition_by else None,
        schema_mode="merge" if merge else None,
        storage_options=staging.options or None,
        commit_properties=CommitProperties(custom_metadata={WRITE_ID_KEY: staging.write_id}),
    )
    discard(staging)


def _create(staging: Staging) -> bool:
    """Create the table with the staged files as version 0; False if it exists already."""
    try:
        create_table_with_add_actions(
            staging.uri,
            Schema.from_arrow(staging.schema),
            staging.add_actions(),
            mode="error",
            partition_by=[staging.partition_by] if staging.partition_by else None,
            storage_options=staging.options or None,
            commit_properties=CommitProperties(custom_metadata={WRITE_ID_KEY: staging.write_id}),
        )
    except DeltaError:
        # Another writer created it first (or it appeared since we looked): commit on top.
        if open_table(staging.uri, staging.options) is None:
            raise
        return False
    return True


def commit_staged(staging: Staging, period_filter: PeriodFilter | None) -> int:
    """Publish the staged files as the period's rows in one commit; return the version.

    The commit removes the period's old files and adds the staged ones in one transaction
    (replace-where on whole files): by partition for a date-partitioned table, by the
    files' statistics for a window of instants. When that cannot be said with whole files
    (a file straddles the window, a new column joins an unpartitioned table, the table
    has row-level features such as constraints), delta-rs writes the staged rows itself
    with a replace-where predicate, streaming them, and the staged files are discarded.

    Raises StorageError (nothing committed) when the store cannot be used,
    SchemaChangeRefusedError on a breaking schema change, DataValueError when delta-rs
    refuses the rows (without their values).
    """
    uri, options = staging.uri, staging.options
    properties = CommitProperties(custom_metadata={WRITE_ID_KEY: staging.write_id})
    with storage_errors(uri, options), data_errors(uri):
        existing = open_table(uri, options)
        if existing is None and _create(staging):
            return _committed_version(uri, options, staging.write_id)
        table = existing or open_table(uri, options)
        assert table is not None
        current = _as_arrow(table.schema())
        merge = _check_schema(current, staging.schema, uri)
        schema = staging.schema if merge else current
        partition_by = [staging.partition_by] if staging.partition_by else None
        if not _commits_staged_files(table):
            _rewrite(staging, period_filter, merge)
        elif period_filter is None or period_filter.is_date:
            filters = period_filter.partition_filters() if period_filter else None
            adds: list[AddAction | RemoveAction] = [*staging.add_actions()]
            table.create_write_transaction(
                adds,
                "overwrite",
                schema,
                partition_by,
                partition_filters=filters,
                commit_properties=properties,
            )
        else:
            removes = None if merge else _files_of_window(table, period_filter)
            if removes is None:
                _rewrite(staging, period_filter, merge)
            else:
                actions: list[AddAction | RemoveAction] = [*removes, *staging.add_actions()]
                table.create_write_transaction(
                    actions,
                    "append",
                    schema,
                    partition_by,
                    commit_properties=properties,
                )
    return _committed_version(uri, options, staging.write_id)
