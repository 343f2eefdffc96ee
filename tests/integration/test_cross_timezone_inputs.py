"""An input in another timezone: a Berlin day reads the UTC periods overlapping it, DST included."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from dagster import AssetKey, DagsterInstance, Definitions, materialize
from deltalake import DeltaTable
from fixtures.dagster_env import EXAMPLE_SPECS
from spec_folder import SpecFolder, dump_yaml, merge, product_data

from mesh_dagster import MeshResource, build_definitions

pytestmark = pytest.mark.integration

EVENTS = AssetKey(["orders", "order-events"])
BERLIN = AssetKey(["orders", "orders-berlin"])
# 2026-03-29 in Europe/Berlin: clocks go from 02:00 CET to 03:00 CEST, a 23-hour day.
BERLIN_START = datetime(2026, 3, 28, 23, tzinfo=UTC)
BERLIN_END = datetime(2026, 3, 29, 22, tzinfo=UTC)

WINDOW_SQL = (
    "select event_id, order_id, event_time, "
    "date_diff('minute', getvariable('partition_start'), getvariable('partition_end')) / 60.0 "
    "as window_hours from order_events"
)


def _berlin_product() -> dict[str, Any]:
    """Return a product partitioned by Berlin days over the UTC-daily order-events."""
    return merge(
        product_data("orders-berlin", inputs=["order-events"]),
        {
            "spec": {
                "schedule": {"cron": "0 6 * * *", "timezone": "Europe/Berlin"},
                "sla": {"available_by": "07:00"},
                "partitioning": {"by": "day", "column": "event_time", "start": "2026-01-01"},
                "grain": ["event_id"],
                "transform": {"sql": WINDOW_SQL},
                "schema": [
                    {"name": "event_id", "type": "string", "nullable": False},
                    {"name": "order_id", "type": "string", "nullable": False},
                    {"name": "event_time", "type": "timestamp", "nullable": False},
                    {"name": "window_hours", "type": "double", "nullable": False},
                ],
                "quality": {"custom_checks": []},
            }
        },
    )


@pytest.fixture
def berlin_mesh(specs: SpecFolder) -> Path:
    """Return a specs folder: the example's order-events (UTC) and orders-berlin."""
    shutil.copy(EXAMPLE_SPECS / "mesh.yaml", specs.root / "mesh.yaml")
    (specs.root / "orders").mkdir()
    shutil.copy(EXAMPLE_SPECS / "orders" / "order_events.yaml", specs.root / "orders")
    specs.write("orders/orders_berlin.yaml", dump_yaml(_berlin_product()))
    return specs.root


def _materialize(defs: Definitions, instance: DagsterInstance, key: AssetKey, day: str) -> bool:
    result = materialize(
        list(defs.assets or []),
        selection=[key],
        partition_key=day,
        resources=defs.resources,
        instance=instance,
        raise_on_error=False,
    )
    failures = [
        event.step_failure_data.error.message  # type: ignore[union-attr]
        for event in result.all_events
        if event.is_step_failure
    ]
    assert failures == []
    return result.success


def _rows(warehouse: Path, folder: str) -> pa.Table:
    path = warehouse / "data-platform" / "products" / "orders" / folder
    return DeltaTable(str(path)).to_pyarrow_table()


def test_a_berlin_day_reads_the_utc_periods_overlapping_it_across_dst(
    berlin_mesh: Path, warehouse: Path, instance: DagsterInstance, pii_key: str
) -> None:
    defs = build_definitions(
        berlin_mesh, resources={"mesh": MeshResource(warehouse=str(warehouse))}
    )
    for day in ("2026-03-28", "2026-03-29", "2026-03-30"):
        assert _materialize(defs, instance, EVENTS, day)

    assert _materialize(defs, instance, BERLIN, "2026-03-29")

    events = _rows(warehouse, "order_events")
    times = events.column("event_time")
    in_window = events.filter(
        pc.and_(
            pc.greater_equal(times, pa.scalar(BERLIN_START, pa.timestamp("us", tz="UTC"))),
            pc.less(times, pa.scalar(BERLIN_END, pa.timestamp("us", tz="UTC"))),
        )
    )
    # The Berlin day starts at 23:00 UTC the day before: both UTC days contribute.
    starts = {value.date().isoformat() for value in in_window.column("event_time").to_pylist()}
    assert starts == {"2026-03-28", "2026-03-29"}
    berlin = _rows(warehouse, "orders_berlin")
    assert sorted(berlin.column("event_id").to_pylist()) == sorted(
        in_window.column("event_id").to_pylist()
    )
    assert set(berlin.column("window_hours").to_pylist()) == {23.0}
    first, last = pc.min_max(berlin.column("event_time")).values()
    assert first.as_py() >= BERLIN_START and last.as_py() < BERLIN_END


def test_dagster_maps_a_berlin_day_to_the_utc_days_it_overlaps(
    berlin_mesh: Path, warehouse: Path
) -> None:
    defs = build_definitions(
        berlin_mesh, resources={"mesh": MeshResource(warehouse=str(warehouse))}
    )
    graph = defs.resolve_asset_graph()

    upstream = graph.get_parent_partition_keys_for_child("2026-03-29", EVENTS, BERLIN)
    downstream = graph.get_child_partition_keys_of_parent("2026-03-29", EVENTS, BERLIN)

    assert list(upstream.partitions_subset.get_partition_keys()) == ["2026-03-28", "2026-03-29"]
    assert list(upstream.required_but_nonexistent_partition_keys) == []
    assert list(downstream) == ["2026-03-29", "2026-03-30"]
    description = graph.get_partition_mapping(BERLIN, EVENTS).description
    assert description == "Each period depends on the upstream periods that overlap it in time."
