"""An externally built product is judged by its types as stored, as `mesh check` judges."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from dagster import AssetCheckEvaluation, AssetObservation, DagsterInstance, Definitions
from deltalake import write_deltalake
from test_external_products import SPEC, _observe, _table

from mesh_dagster import MeshResource, build_definitions

pytestmark = pytest.mark.integration


@pytest.fixture
def defs(example_specs: Path, warehouse: Path) -> Definitions:
    (example_specs / "shipments" / "carrier_scans.yaml").write_text(SPEC)
    return build_definitions(
        example_specs, resources={"mesh": MeshResource(warehouse=str(warehouse))}
    )


def test_weights_stored_as_strings_fail_schema_and_do_not_publish(
    defs: Definitions, warehouse: Path, instance: DagsterInstance
) -> None:
    day = date(2026, 3, 1)
    rows = pa.table(
        {
            "scan_id": ["s1", "s2"],
            "scan_date": pa.array([day, day], pa.date32()),
            "weight_kg": ["1.5", "2.0"],  # castable to double, but not a double
        }
    )
    write_deltalake(_table(warehouse), rows, partition_by=["scan_date"])

    _, events = _observe(defs, instance, None, datetime(2026, 3, 2, 7, 30, tzinfo=UTC))

    checks = {e.check_name: e for e in events if isinstance(e, AssetCheckEvaluation)}
    schema = checks["schema"]
    assert schema.passed is False
    assert schema.metadata["detail"].value == "weight_kg is stored as VARCHAR, not DOUBLE"
    assert schema.metadata["failing_rows"].value == 0
    assert checks["check_weight_kg_0"].passed is True  # the values themselves are fine
    observations = [e for e in events if isinstance(e, AssetObservation)]
    assert [(o.partition, o.metadata["mesh/published"].value) for o in observations] == [
        ("2026-03-01", False)
    ]
