"""The mesh_sources sensor: each new version of a source's files is one observation."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from dagster import AssetKey, AssetObservation, DagsterInstance, build_sensor_context
from spec_folder import SpecFolder

from mesh_dagster import MeshResource
from mesh_dagster.compile.source_sensor import build_source_sensor


def write_orders(path: Path, rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    days = pa.array([date(2026, 3, 1)] * rows, pa.date32())
    pq.write_table(pa.table({"order_id": [f"o{i}" for i in range(rows)], "order_date": days}), path)


def tick(specs: SpecFolder, warehouse: Path, cursor: str | None) -> Any:
    """Tick the sensor once; return its execution data (asset events and cursor)."""
    sensor = build_source_sensor(specs.load())
    assert sensor is not None
    context = build_sensor_context(
        instance=DagsterInstance.ephemeral(),
        cursor=cursor,
        resources={"mesh": MeshResource(warehouse=str(warehouse))},
    )
    return sensor.evaluate_tick(context)


def observed(result: Any) -> list[tuple[AssetKey, str]]:
    events = [event for event in result.asset_events if isinstance(event, AssetObservation)]
    return [(event.asset_key, str(event.metadata["version"].value)) for event in events]


def test_a_new_file_version_is_observed_once(specs: SpecFolder, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    file = warehouse / "raw" / "orders" / "orders.parquet"
    source = {"name": "raw_orders", "location": "s3://raw/orders/", "format": "parquet"}
    specs.product(spec={"inputs": [{"source": source}]})
    write_orders(file, 2)

    first = tick(specs, warehouse, None)
    unchanged = tick(specs, warehouse, first.cursor)
    os.utime(file, ns=(1_000_000_000, 1_000_000_000))  # the file is rewritten
    changed = tick(specs, warehouse, unchanged.cursor)

    [(key, version)] = observed(first)
    assert key == AssetKey(["sources", "raw_orders"])
    assert version.startswith("files-1-")
    assert observed(unchanged) == []
    [(_, new_version)] = observed(changed)
    assert new_version != version


def test_a_missing_source_is_logged_not_raised(specs: SpecFolder, tmp_path: Path) -> None:
    source = {"name": "raw_orders", "location": "s3://raw/nothing/", "format": "parquet"}
    specs.product(spec={"inputs": [{"source": source}]})

    result = tick(specs, tmp_path / "warehouse", None)

    assert observed(result) == []
    assert result.cursor == "{}"
