"""When asset partitions were first published, read in bulk: a few queries for many pairs.

A built product publishes a period with its first materialization; an externally built
one when an observation first records ``mesh/published: true`` for it. Sensors ask this
for hundreds or thousands of (asset, partition) pairs per tick; asking Dagster's public
API pair by pair costs several queries each. On SQL event logs (SQLite, PostgreSQL,
MySQL) this module asks for the first event ids of many pairs at once, grouped by
partition (or by asset, whichever makes fewer queries); elsewhere it falls back to the
per-pair reader.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

import sqlalchemy as db
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    EventLogEntry,
)
from dagster._core.assets import AssetDetails
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage
from dagster._serdes import deserialize_value
from dagster._time import get_current_datetime

PUBLISHED_METADATA = "mesh/published"
"""Observation metadata of an externally built product: the period's error checks passed."""

Pair = tuple[AssetKey, str]
_CHUNK = 500  # bound parameters per query stay far below SQLite's limit
_OBSERVATION_LIMIT = 100  # as the per-pair reader: the first 100 observations of a pair
_MICROSECOND_DIALECTS = ("sqlite", "postgresql")  # their timestamp column keeps microseconds


def first_publish(instance: DagsterInstance, key: AssetKey, partition: str) -> datetime | None:
    """Return when the partition was first published (one pair, Dagster's public API).

    A built product publishes with a materialization; an externally built one when an
    observation first saw rows of the period whose error checks passed.
    """
    records_filter = AssetRecordsFilter(asset_key=key, asset_partitions=[partition])
    records = instance.fetch_materializations(records_filter, limit=1, ascending=True).records
    if not records:
        observed = instance.fetch_observations(
            records_filter, limit=_OBSERVATION_LIMIT, ascending=True
        ).records
        records = [
            record
            for record in observed
            if (observation := record.asset_observation) is not None
            and _published(observation.metadata)
        ][:1]
    if not records:
        return None
    return datetime.fromtimestamp(records[0].timestamp, tz=get_current_datetime().tzinfo)


def read_first_publishes(instance: DagsterInstance, pairs: Iterable[Pair]) -> dict[Pair, datetime]:
    """Return when each of ``pairs`` was first published; unpublished pairs are absent."""
    wanted = set(pairs)
    if not wanted:
        return {}
    storage = instance.event_log_storage
    if not _reads_in_bulk(storage):
        found = {pair: first_publish(instance, *pair) for pair in sorted(wanted, key=_order)}
        return {pair: at for pair, at in found.items() if at is not None}
    assert isinstance(storage, SqlEventLogStorage)
    zone = get_current_datetime().tzinfo
    keys = sorted({key for key, _ in wanted}, key=lambda key: tuple(key.path))
    names = {key: key.to_string() for key in keys}
    # Like Dagster's own readers, events before an asset's wipe do not count.
    details = [item for chunk in _chunks(keys) for item in storage._get_assets_details(chunk)]
    wiped = {
        key: item
        for key, item in zip(keys, details, strict=True)
        if item and item.last_wipe_timestamp
    }
    scope = _Scope(names, wiped)
    published = _first_materializations(storage, wanted, scope, zone)
    rest = wanted - set(published)
    if rest:
        published.update(_first_published_observations(storage, rest, scope, zone))
    return published


@dataclass(frozen=True)
class _Scope:
    """The stored names of the keys read, and the details of those ever wiped."""

    names: Mapping[AssetKey, str]
    wiped: Mapping[AssetKey, AssetDetails]

    def key_of(self) -> dict[str, AssetKey]:
        return {name: key for key, name in self.names.items()}


class PublishIndex:
    """First publishes of one instance, read in bulk and remembered for one sensor tick."""

    def __init__(self, instance: DagsterInstance) -> None:
        self._instance = instance
        self._known: dict[Pair, datetime | None] = {}

    def prefetch(self, pairs: Iterable[Pair]) -> None:
        """Read the pairs not known yet, in bulk (no query when there are none)."""
        unknown = {pair for pair in pairs if pair not in self._known}
        if not unknown:
            return
        found = read_first_publishes(self._instance, unknown)
        for pair in unknown:
            self._known[pair] = found.get(pair)

    def first_publish(self, key: AssetKey, partition: str) -> datetime | None:
        """Return when ``key``'s ``partition`` was first published (read now if not known)."""
        pair = (key, partition)
        if pair not in self._known:
            self.prefetch([pair])
        return self._known[pair]

    def is_published(self, key: AssetKey, partition: str) -> bool:
        """Return whether ``key``'s ``partition`` has been published."""
        return self.first_publish(key, partition) is not None


def _order(pair: Pair) -> tuple[str, str]:
    return pair[0].to_user_string(), pair[1]


def _published(metadata: Mapping[str, Any]) -> bool:
    value = metadata.get(PUBLISHED_METADATA)
    return value is not None and value.value is True


def _reads_in_bulk(storage: object) -> bool:
    """Return whether the storage offers what the bulk reader uses (Dagster's SQL storages)."""
    return isinstance(storage, SqlEventLogStorage) and all(
        hasattr(storage, name)
        for name in ("index_connection", "_get_assets_details", "_add_assets_wipe_filter_to_query")
    )


def _groups(
    pairs: Iterable[Pair], names: Mapping[AssetKey, str]
) -> list[tuple[list[AssetKey], list[str]]]:
    """Return (keys, partitions) groups whose cross products cover ``pairs``, in chunks.

    Grouped by partition when there are fewer partitions than keys (a tick's due periods
    are mostly the same day's), else by key.
    """
    by_partition: dict[str, set[AssetKey]] = defaultdict(set)
    by_key: dict[AssetKey, set[str]] = defaultdict(set)
    for key, partition in pairs:
        by_partition[partition].add(key)
        by_key[key].add(partition)
    groups: list[tuple[list[AssetKey], list[str]]] = []
    if len(by_partition) <= len(by_key):
        for partition, keys in sorted(by_partition.items()):
            ordered = sorted(keys, key=names.__getitem__)
            groups += [([*chunk], [partition]) for chunk in _chunks(ordered)]
    else:
        for key, partitions in sorted(by_key.items(), key=lambda item: names[item[0]]):
            groups += [([key], [*chunk]) for chunk in _chunks(sorted(partitions))]
    return groups


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[start : start + _CHUNK] for start in range(0, len(items), _CHUNK)]


def _select(
    storage: SqlEventLogStorage,
    columns: Sequence[Any],
    event_type: DagsterEventType,
    keys: Sequence[AssetKey],
    partitions: Sequence[str],
    scope: _Scope,
) -> Any:
    """Return a query over ``keys`` x ``partitions`` events of a type, minus wiped history."""
    table = SqlEventLogStorageTable
    query = db.select(*columns).where(
        table.c.dagster_event_type == event_type.value,
        table.c.asset_key.in_([scope.names[key] for key in keys]),
        table.c.partition.in_(list(partitions)),
    )
    wiped = [key for key in keys if key in scope.wiped]
    if not wiped:
        return query
    details = [scope.wiped[key] for key in wiped]
    return storage._add_assets_wipe_filter_to_query(query, details, wiped)


def _first_materializations(
    storage: SqlEventLogStorage,
    wanted: set[Pair],
    scope: _Scope,
    zone: tzinfo | None,
) -> dict[Pair, datetime]:
    """Return the first materialization time of the ``wanted`` pairs that have one."""
    table = SqlEventLogStorageTable
    key_of = scope.key_of()
    first_ids: dict[int, Pair] = {}
    kind = DagsterEventType.ASSET_MATERIALIZATION
    with storage.index_connection() as connection:
        for keys, partitions in _groups(wanted, scope.names):
            columns = [table.c.asset_key, table.c.partition, db.func.min(table.c.id)]
            query = _select(storage, columns, kind, keys, partitions, scope).group_by(
                table.c.asset_key, table.c.partition
            )
            for asset_key, partition, first_id in connection.execute(query):
                pair = (key_of[asset_key], partition)
                if pair in wanted:
                    first_ids[int(first_id)] = pair
        exact_column = connection.dialect.name in _MICROSECOND_DIALECTS
        found: dict[Pair, datetime] = {}
        for chunk in _chunks(sorted(first_ids)):
            column = table.c.timestamp if exact_column else table.c.event
            rows = connection.execute(db.select(table.c.id, column).where(table.c.id.in_(chunk)))
            for event_id, value in rows:
                at = _utc(value) if exact_column else _entry_time(value)
                found[first_ids[int(event_id)]] = at.astimezone(zone)
    return found


def _first_published_observations(
    storage: SqlEventLogStorage,
    wanted: set[Pair],
    scope: _Scope,
    zone: tzinfo | None,
) -> dict[Pair, datetime]:
    """Return the first observation time marked published, of the ``wanted`` pairs."""
    table = SqlEventLogStorageTable
    key_of = scope.key_of()
    seen: dict[Pair, int] = defaultdict(int)
    found: dict[Pair, datetime] = {}
    kind = DagsterEventType.ASSET_OBSERVATION
    with storage.index_connection() as connection:
        for keys, partitions in _groups(wanted, scope.names):
            columns = [table.c.asset_key, table.c.partition, table.c.event]
            query = _select(storage, columns, kind, keys, partitions, scope)
            for asset_key, partition, text in connection.execute(query.order_by(table.c.id)):
                pair = (key_of[asset_key], partition)
                if pair not in wanted or pair in found or seen[pair] >= _OBSERVATION_LIMIT:
                    continue
                seen[pair] += 1
                entry = deserialize_value(text, EventLogEntry)
                observation = entry.asset_observation
                if observation is not None and _published(observation.metadata):
                    found[pair] = datetime.fromtimestamp(entry.timestamp, tz=zone)
    return found


def _utc(value: datetime) -> datetime:
    """Return a naive-UTC column value (as Dagster stores it) as an aware instant."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _entry_time(text: str) -> datetime:
    return datetime.fromtimestamp(deserialize_value(text, EventLogEntry).timestamp, tz=UTC)
