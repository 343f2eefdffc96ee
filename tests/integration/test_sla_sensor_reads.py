"""The SLA sensor reads the instance only for what changed: due periods and open misses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    DagsterInstance,
    SensorDefinition,
    build_sensor_context,
)
from dagster._core.test_utils import freeze_time
from fixtures.asset_events import store_materialization

from mesh_dagster.compile import publish_index
from mesh_dagster.compile.sla_sensor import build_sla_sensor
from mesh_dagster.compile.sla_verdict_job import build_verdict_job
from mesh_dagster.compile.specs import build_asset_specs
from mesh_dagster.spec.loader import load_mesh

Pair = tuple[AssetKey, str]
DAY = "2026-03-02"


class Ticks:
    """The mesh's SLA sensor on one instance, its cursor, and the bulk reads of each tick."""

    def __init__(self, specs: Path, instance: DagsterInstance) -> None:
        mesh = load_mesh(specs, bind_sql=False)
        products = build_asset_specs(mesh)
        self.keys = {item.product.name: item.asset.key for item in products}
        self.sensor: SensorDefinition = build_sla_sensor(
            mesh, products, build_verdict_job(mesh, products)
        )
        self.instance = instance
        self.cursor: str | None = None
        self.reads: list[set[Pair]] = []

    def tick(self, moment: datetime) -> Any:
        """Evaluate one tick at ``moment``; return what it reported."""
        self.reads.clear()
        with freeze_time(moment):
            data = self.sensor.evaluate_tick(
                build_sensor_context(instance=self.instance, cursor=self.cursor)
            )
        self.cursor = data.cursor
        return data


@pytest.fixture
def ticks(example_specs: Path, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch) -> Ticks:
    found = Ticks(example_specs, instance)
    real = publish_index.read_first_publishes

    def counted(instance: DagsterInstance, pairs: Iterable[Pair]) -> dict[Pair, datetime]:
        wanted = set(pairs)
        found.reads.append(wanted)
        return real(instance, wanted)

    monkeypatch.setattr(publish_index, "read_first_publishes", counted)
    return found


def _statuses(data: Any, keys: dict[str, AssetKey]) -> dict[str, str]:
    names = {key: name for name, key in keys.items()}
    return {
        names[event.asset_key]: event.metadata["status"].value
        for event in data.asset_events
        if isinstance(event, AssetCheckEvaluation)
    }


def _waiting_for(data: Any, keys: dict[str, AssetKey]) -> dict[str, list[str]]:
    names = {key: name for name, key in keys.items()}
    return {
        names[event.asset_key]: (
            event.metadata["mesh/waiting_for"].value if "mesh/waiting_for" in event.metadata else []
        )
        for event in data.asset_events
    }


def test_quiet_ticks_read_nothing_and_due_ticks_read_in_bulk(
    ticks: Ticks, instance: DagsterInstance
) -> None:
    keys = ticks.keys
    ticks.tick(datetime(2026, 3, 2, 9, tzinfo=UTC))  # judging starts now
    assert ticks.reads == []
    ticks.tick(datetime(2026, 3, 2, 9, 1, tzinfo=UTC))
    assert ticks.reads == []  # nothing due, nothing missed: no query at all

    store_materialization(
        instance, keys["orders-daily"], DAY, datetime(2026, 3, 3, 6, 30, tzinfo=UTC)
    )
    data = ticks.tick(datetime(2026, 3, 3, 9, tzinfo=UTC))
    assert _statuses(data, keys) == {name: "missed" for name in keys} | {"orders-daily": "on_time"}
    # One read for every product's due period; the inputs of the missed ones (the same
    # day of products of the mesh) are known from it.
    assert ticks.reads == [{(key, DAY) for key in keys.values()}]
    assert _waiting_for(data, keys) == {
        "orders-daily": [],
        "order-events": [],
        "payments-daily": ["payment-events 2026-03-02"],
        "payment-events": [],
        "revenue-reconciliation": ["payments-daily 2026-03-02"],  # orders-daily was on time
        "shipments-daily": ["shipment-events 2026-03-02"],
        "shipment-events": [],
    }

    data = ticks.tick(datetime(2026, 3, 3, 9, 1, tzinfo=UTC))
    assert data.asset_events == []
    missed = {(key, DAY) for name, key in keys.items() if name != "orders-daily"}
    assert ticks.reads == [missed]  # only the open misses

    store_materialization(
        instance, keys["order-events"], DAY, datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    )
    data = ticks.tick(datetime(2026, 3, 3, 9, 31, tzinfo=UTC))
    assert [request.run_key for request in data.run_requests] == [f"sla-late-order-events-{DAY}"]
    data = ticks.tick(datetime(2026, 3, 3, 9, 32, tzinfo=UTC))
    assert ticks.reads == [missed - {(keys["order-events"], DAY)}]
