"""Externally built products: observed on each new Delta version, checked, judged on time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetObservation,
    DagsterInstance,
    Definitions,
    build_sensor_context,
)
from dagster._core.test_utils import freeze_time
from deltalake import write_deltalake

from mesh_dagster import MeshResource, build_definitions

SCANS = AssetKey(["shipments", "carrier-scans"])
SPEC = """\
apiVersion: dataproduct/v1
kind: DataProduct
metadata:
  name: carrier-scans
  domain: shipments
  owner: shipments-team
  steward: sam.lee@company.com
spec:
  description: Parcel scans that carriers push to us; loaded by the carriers' own job.
  schedule: {cron: "0 6 * * *", timezone: UTC}
  sla: {available_by: "09:00"}
  partitioning: {by: day, column: scan_date, start: "2026-01-01"}
  grain: [scan_id]
  output:
    format: delta
    location: s3://data-platform/products/shipments/carrier_scans/
  schema:
    - {name: scan_id, type: string, nullable: false}
    - {name: scan_date, type: date, nullable: false}
    - {name: weight_kg, type: double, nullable: false}
  quality:
    custom_checks: ["weight_kg > 0"]
  consumers:
    - {team: logistics, use_case: "Parcel tracking"}
"""


def _table(warehouse: Path) -> str:
    return str(warehouse / "data-platform" / "products" / "shipments" / "carrier_scans")


def _write(warehouse: Path, day: date, ids: list[str], weight: float = 1.5) -> None:
    rows = pa.table(
        {
            "scan_id": ids,
            "scan_date": pa.array([day] * len(ids), pa.date32()),
            "weight_kg": [weight] * len(ids),
        }
    )
    write_deltalake(
        _table(warehouse),
        rows,
        mode="overwrite",
        partition_by=["scan_date"],
        predicate=f"scan_date = '{day.isoformat()}'",
    )


@pytest.fixture
def defs(example_specs: Path, warehouse: Path) -> Definitions:
    (example_specs / "shipments" / "carrier_scans.yaml").write_text(SPEC)
    return build_definitions(
        example_specs, resources={"mesh": MeshResource(warehouse=str(warehouse))}
    )


def _observe(
    defs: Definitions, instance: DagsterInstance, cursor: str | None, at: datetime
) -> tuple[str | None, list[Any]]:
    """Tick the sensor and run what it requests; return the cursor and the events logged."""
    sensor = defs.get_sensor_def("mesh_external")
    events: list[Any] = []
    with freeze_time(at):
        data = sensor.evaluate_tick(
            build_sensor_context(
                instance=instance, cursor=cursor, definitions=defs, resources=defs.resources
            )
        )
        for request in data.run_requests or []:
            result = defs.get_job_def("mesh_observe_external").execute_in_process(
                run_config=request.run_config, instance=instance, resources=defs.resources
            )
            assert result.success
            for event in result.all_events:
                data_of = event.event_specific_data
                events.append(getattr(data_of, "asset_observation", data_of))
    return data.cursor, events


def _checks(events: list[Any], partition: str) -> dict[str, bool]:
    return {
        e.check_name: e.passed
        for e in events
        if isinstance(e, AssetCheckEvaluation) and e.partition == partition
    }


def test_external_product_is_an_asset_with_its_checks(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    assert graph.get(SCANS).is_external or not graph.get(SCANS).is_executable
    names = sorted(key.name for key in graph.get_check_keys_for_assets({SCANS}))
    assert names == sorted(
        [
            "schema",
            "completeness",
            "grain_unique",
            "partition_bounds",
            "not_empty",
            "check_weight_kg_0",
            "sla",
        ]
    )


def test_new_versions_are_observed_checked_and_judged(
    defs: Definitions, warehouse: Path, instance: DagsterInstance
) -> None:
    cursor, events = _observe(defs, instance, None, datetime(2026, 3, 2, 7, tzinfo=UTC))
    assert events == []  # nothing published yet: nothing to observe

    _write(warehouse, date(2026, 3, 1), ["s1", "s2", "s3"])
    cursor, events = _observe(defs, instance, cursor, datetime(2026, 3, 2, 7, 30, tzinfo=UTC))
    checks = _checks(events, "2026-03-01")
    assert checks and all(checks.values()), checks
    observations = [e for e in events if isinstance(e, AssetObservation)]
    assert [(o.partition, o.metadata["mesh/published"].value) for o in observations] == [
        ("2026-03-01", True)
    ]

    # The same version is not observed twice.
    cursor, events = _observe(defs, instance, cursor, datetime(2026, 3, 2, 7, 31, tzinfo=UTC))
    assert events == []

    # A new version with a duplicated scan fails grain_unique for its period only.
    _write(warehouse, date(2026, 3, 2), ["s4", "s4"])
    cursor, events = _observe(defs, instance, cursor, datetime(2026, 3, 3, 8, tzinfo=UTC))
    assert _checks(events, "2026-03-02")["grain_unique"] is False
    assert _checks(events, "2026-03-02")["check_weight_kg_0"] is True
    published = {
        o.partition: o.metadata["mesh/published"].value
        for o in events
        if isinstance(o, AssetObservation)
    }
    assert published == {"2026-03-02": False}

    # The SLA sensor judges 2026-03-01 on time (observed at 07:30 before 09:00) and
    # 2026-03-02 missed (its rows never passed their checks).
    sla = defs.get_sensor_def("mesh_sla")
    with freeze_time(datetime(2026, 3, 1, 12, tzinfo=UTC)):
        first = sla.evaluate_tick(build_sensor_context(instance=instance, definitions=defs))
    with freeze_time(datetime(2026, 3, 3, 9, 1, tzinfo=UTC)):
        data = sla.evaluate_tick(
            build_sensor_context(instance=instance, cursor=first.cursor, definitions=defs)
        )
    verdicts = {
        (e.partition, e.metadata["status"].value)
        for e in data.asset_events
        if isinstance(e, AssetCheckEvaluation) and e.asset_key == SCANS
    }
    assert verdicts == {("2026-03-01", "on_time"), ("2026-03-02", "missed")}
