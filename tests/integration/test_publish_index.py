"""First publishes read in bulk equal the per-pair reader's, on a real SQLite instance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dagster import AssetKey, DagsterInstance
from fixtures.asset_events import store_materialization, store_observation

from mesh_dagster.compile import publish_index
from mesh_dagster.compile.publish_index import (
    PublishIndex,
    first_publish,
    read_first_publishes,
)

BUILT = AssetKey(["orders", "orders-daily"])
EXTERNAL = AssetKey(["orders", "order-events"])
OTHER = AssetKey(["payments", "payments-daily"])
NEVER = AssetKey(["finance", "revenue"])
DAYS = [f"2026-03-0{day}" for day in range(1, 6)]
T0 = datetime(2026, 3, 2, 6, 30, 0, 123457, tzinfo=UTC)


def _history(instance: DagsterInstance) -> None:
    """Built and external products with re-publishes, failed observations and gaps."""
    minute = timedelta(minutes=1)
    store_materialization(instance, BUILT, DAYS[0], T0)
    store_materialization(instance, BUILT, DAYS[0], T0 + 5 * minute)  # a re-publish changes nothing
    store_materialization(instance, BUILT, DAYS[2], T0 + 9 * minute)
    store_materialization(instance, OTHER, DAYS[0], T0 + 2 * minute)
    store_observation(
        instance, EXTERNAL, DAYS[0], T0 + minute, published=False
    )  # its checks failed
    store_observation(instance, EXTERNAL, DAYS[0], T0 + 3 * minute, published=True)
    store_observation(instance, EXTERNAL, DAYS[0], T0 + 4 * minute, published=True)
    store_observation(instance, EXTERNAL, DAYS[1], T0 + 6 * minute, published=False)
    store_observation(instance, BUILT, DAYS[1], T0 + 7 * minute, published=False)


ALL_PAIRS = [(key, day) for key in (BUILT, EXTERNAL, OTHER, NEVER) for day in DAYS]


def _expected() -> dict[tuple[AssetKey, str], datetime]:
    minute = timedelta(minutes=1)
    return {
        (BUILT, DAYS[0]): T0,
        (BUILT, DAYS[2]): T0 + 9 * minute,
        (OTHER, DAYS[0]): T0 + 2 * minute,
        (EXTERNAL, DAYS[0]): T0 + 3 * minute,
    }


def test_bulk_read_equals_the_per_pair_reader(instance: DagsterInstance) -> None:
    _history(instance)
    bulk = read_first_publishes(instance, ALL_PAIRS)
    one_by_one = {pair: first_publish(instance, *pair) for pair in ALL_PAIRS}
    assert bulk == {pair: at for pair, at in one_by_one.items() if at is not None}
    assert bulk == _expected()
    # Microseconds survive, and the instants carry the same zone as the per-pair reader's.
    assert bulk[(BUILT, DAYS[0])].isoformat() == "2026-03-02T06:30:00.123457+00:00"
    assert one_by_one[(BUILT, DAYS[0])] is not None
    assert bulk[(BUILT, DAYS[0])].tzinfo == one_by_one[(BUILT, DAYS[0])].tzinfo


@pytest.mark.parametrize("chunk", [1, 2, 500])
def test_bulk_read_in_chunks_by_partition_and_by_key(
    instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    _history(instance)
    monkeypatch.setattr(publish_index, "_CHUNK", chunk)
    # More keys than partitions (grouped by partition), then more partitions than keys.
    by_partition = [(key, DAYS[0]) for key in (BUILT, EXTERNAL, OTHER, NEVER)]
    assert read_first_publishes(instance, by_partition) == {
        pair: at for pair, at in _expected().items() if pair[1] == DAYS[0]
    }
    by_key = [(BUILT, day) for day in DAYS]
    assert read_first_publishes(instance, by_key) == {
        (BUILT, DAYS[0]): T0,
        (BUILT, DAYS[2]): T0 + timedelta(minutes=9),
    }


def test_a_wiped_asset_counts_only_what_came_after(instance: DagsterInstance) -> None:
    _history(instance)
    instance.wipe_assets([BUILT])
    later = datetime.now(UTC) + timedelta(seconds=5)
    store_materialization(instance, BUILT, DAYS[2], later)
    bulk = read_first_publishes(instance, [(BUILT, DAYS[0]), (BUILT, DAYS[2])])
    assert bulk == {(BUILT, DAYS[2]): later}
    assert first_publish(instance, BUILT, DAYS[2]) == later
    assert first_publish(instance, BUILT, DAYS[0]) is None


def test_storages_without_bulk_reads_fall_back_to_the_per_pair_reader(
    instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(instance)
    monkeypatch.setattr(publish_index, "_reads_in_bulk", lambda storage: False)
    assert read_first_publishes(instance, ALL_PAIRS) == _expected()


def test_the_index_reads_once_and_remembers(
    instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(instance)
    reads: list[set[tuple[AssetKey, str]]] = []
    real = publish_index.read_first_publishes

    def counted(instance: DagsterInstance, pairs: object) -> dict[tuple[AssetKey, str], datetime]:
        wanted = set(pairs)  # type: ignore[call-overload]
        reads.append(wanted)
        return real(instance, wanted)

    monkeypatch.setattr(publish_index, "read_first_publishes", counted)
    index = PublishIndex(instance)
    index.prefetch([])
    assert reads == []  # nothing asked: nothing read
    index.prefetch(ALL_PAIRS)
    assert [(pair, index.first_publish(*pair)) for pair in ALL_PAIRS if pair[1] == DAYS[0]] == [
        ((BUILT, DAYS[0]), T0),
        ((EXTERNAL, DAYS[0]), T0 + timedelta(minutes=3)),
        ((OTHER, DAYS[0]), T0 + timedelta(minutes=2)),
        ((NEVER, DAYS[0]), None),
    ]
    assert not index.is_published(EXTERNAL, DAYS[1])
    assert len(reads) == 1
    assert index.is_published(BUILT, "2026-03-09") is False  # not prefetched: read alone
    assert reads[1:] == [{(BUILT, "2026-03-09")}]
