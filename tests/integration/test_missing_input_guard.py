"""A product is never built over a missing input period: the build fails at once, saying so.

`dagster asset materialize` (or `mesh dev`) of a product whose input period is not published
stops before reading anything, with a sentence naming the input and the period, and is not
retried (a missing input is not a transient error, nor a quality failure).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterEventType,
    DagsterInstance,
    ExecuteInProcessResult,
    materialize,
)

from mesh_dagster import MeshResource, build_definitions

ORDER_EVENTS = AssetKey(["orders", "order-events"])
ORDERS_DAILY = AssetKey(["orders", "orders-daily"])
DAY = "2026-03-13"


def _materialize(specs: Path, warehouse: Path, instance: DagsterInstance) -> ExecuteInProcessResult:
    defs = build_definitions(specs, resources={"mesh": MeshResource(warehouse=str(warehouse))})
    return materialize(
        list(defs.assets or []),
        selection=[ORDERS_DAILY],
        partition_key=DAY,
        resources=defs.resources,
        instance=instance,
        raise_on_error=False,
    )


def _failures(result: ExecuteInProcessResult) -> list[tuple[str, dict[str, object]]]:
    found = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            assert data is not None and data.user_failure_data is not None
            metadata = {k: v.value for k, v in data.user_failure_data.metadata.items()}
            found.append((data.user_failure_data.description or "", metadata))
    return found


def test_a_product_built_alone_over_a_missing_input_fails_at_once_naming_it(
    example_specs: Path, warehouse: Path, instance: DagsterInstance, pii_key: str
) -> None:
    # allow_empty would let an empty read publish: the guard comes first, whatever it says.
    path = example_specs / "orders" / "orders_daily.yaml"
    data = yaml.safe_load(path.read_text())
    data["spec"]["quality"]["allow_empty"] = True
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = _materialize(example_specs, warehouse, instance)

    assert not result.success
    assert _failures(result) == [
        (
            "orders-daily 2026-03-13 was not built: its input order-events 2026-03-13 is not "
            "published yet; the mesh_inputs_ready sensor builds it once it is, or build "
            "order-events 2026-03-13 first.",
            {"mesh/failure_kind": "missing_input", "mesh/transient": False},
        )
    ]
    kinds = [event.event_type for event in result.all_events]
    assert DagsterEventType.STEP_UP_FOR_RETRY not in kinds
    assert DagsterEventType.ASSET_CHECK_EVALUATION not in kinds  # nothing was judged
    assert instance.fetch_materializations(ORDERS_DAILY, limit=1).records == []
    assert list(warehouse.rglob("*.parquet")) == []


def test_the_next_day_published_is_not_the_period_read(
    example_specs: Path, warehouse: Path, instance: DagsterInstance, pii_key: str
) -> None:
    # Only the very period read counts: another day of order-events does not let it build.
    instance.report_runless_asset_event(AssetMaterialization(ORDER_EVENTS, partition="2026-03-14"))
    result = _materialize(example_specs, warehouse, instance)
    assert [kind for _, kind in _failures(result)] == [
        {"mesh/failure_kind": "missing_input", "mesh/transient": False}
    ]
