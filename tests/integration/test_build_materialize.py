"""Materializing the example mesh for real: Delta tables, idempotence, audit, PII key."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest
import yaml
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    materialize,
)
from deltalake import DeltaTable

from mesh_dagster import MeshResource, build_definitions, load_mesh
from mesh_dagster.compile.resources import PiiKeyError

ORDERS_DAILY = AssetKey(["orders", "orders-daily"])
DAY = "2026-03-01"


def _defs(specs: Path, warehouse: Path) -> Definitions:
    return build_definitions(specs, resources={"mesh": MeshResource(warehouse=str(warehouse))})


def _run(
    defs: Definitions,
    instance: DagsterInstance,
    partition: str,
    selection: list[AssetKey] | None = None,
) -> ExecuteInProcessResult:
    assets: list[Any] = list(defs.assets or [])
    return materialize(
        assets,
        partition_key=partition,
        resources=defs.resources,
        instance=instance,
        selection=selection,
        raise_on_error=False,
    )


def _table(warehouse: Path, domain: str, name: str) -> DeltaTable:
    return DeltaTable(str(warehouse / "data-platform" / "products" / domain / name))


def _failed_checks(result: ExecuteInProcessResult) -> dict[str, Any]:
    found = {}
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:  # type: ignore[union-attr]
                found[evaluation.check_name] = evaluation  # type: ignore[union-attr]
    return found


def test_the_whole_example_mesh_publishes_a_day(
    example_specs: Path, warehouse: Path, instance: DagsterInstance, pii_key: str
) -> None:
    result = _run(_defs(example_specs, warehouse), instance, DAY)
    assert result.success
    mesh = load_mesh(example_specs)
    for product in mesh.products.values():
        folder = product.spec.output.location.rstrip("/").rsplit("/", 1)[-1]
        table = _table(warehouse, product.domain, folder).to_pyarrow_table()
        assert table.num_rows > 0, product.name
        assert table.column_names == [column.name for column in product.spec.columns]
    daily = _table(warehouse, "orders", "orders_daily").to_pyarrow_table()
    assert set(daily.column("order_date").to_pylist()) == {__import__("datetime").date(2026, 3, 1)}
    # customer_id is hashed once (by order-events) and passes through unchanged.
    events = _table(warehouse, "orders", "order_events").to_pyarrow_table()
    assert set(daily.column("customer_id").to_pylist()) <= set(
        events.column("customer_id").to_pylist()
    )
    assert all(
        len(value) == 64 and value == value.lower()
        for value in daily.column("customer_id").to_pylist()
    )
    # The hash is the keyed HMAC of the raw id, never a plain hash.
    from mesh_demo import generators  # noqa: F401  (raw ids come from the demo generator)

    raw_id = "C000001"
    expected = hmac.new(pii_key.encode(), raw_id.encode(), hashlib.sha256).hexdigest()
    assert expected != hashlib.sha256(raw_id.encode()).hexdigest()
    masked = events.column("customer_email").drop_null().to_pylist()
    assert masked and all(value[:-4].strip("*") == "" for value in masked)
    assert events.column("client_ip").null_count == events.num_rows


def test_materialization_metadata(
    example_specs: Path, warehouse: Path, instance: DagsterInstance, pii_key: str
) -> None:
    result = _run(_defs(example_specs, warehouse), instance, DAY)
    assert result.success
    materialization = next(
        m for m in result.asset_materializations_for_node("orders__orders_daily")
    )
    metadata = materialization.metadata
    rows = _table(warehouse, "orders", "orders_daily").to_pyarrow_table().num_rows
    assert metadata["dagster/row_count"].value == rows
    assert metadata["rows_written"].value == rows
    assert metadata["partition"].value == DAY
    assert metadata["delta_version"].value == 0
    assert str(metadata["dagster/uri"].value).endswith("orders/orders_daily")
    assert materialization.partition == DAY


def test_rerun_is_idempotent_and_backfill_adds_days(
    example_specs: Path, warehouse: Path, instance: DagsterInstance, pii_key: str
) -> None:
    defs = _defs(example_specs, warehouse)
    orders = [AssetKey(["orders", "order-events"]), ORDERS_DAILY]
    for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
        assert _run(defs, instance, day, orders).success
    table = _table(warehouse, "orders", "orders_daily")
    before = table.to_pyarrow_table().sort_by([("order_id", "ascending")])
    version = table.version()
    dates = pc.unique(before.column("order_date")).to_pylist()
    assert [d.isoformat() for d in sorted(dates)] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert _run(defs, instance, "2026-03-02", orders).success
    table = _table(warehouse, "orders", "orders_daily")
    after = table.to_pyarrow_table().sort_by([("order_id", "ascending")])
    assert after.equals(before)
    assert table.version() == version + 1


def test_failed_audit_publishes_nothing_and_stops_downstream(
    example_specs: Path, warehouse: Path, instance: DagsterInstance, pii_key: str
) -> None:
    defs = _defs(example_specs, warehouse)
    assert _run(defs, instance, DAY).success
    version = _table(warehouse, "orders", "orders_daily").version()
    finance_version = _table(warehouse, "finance", "revenue_reconciliation").version()

    path = example_specs / "orders" / "orders_daily.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["spec"]["quality"]["custom_checks"].append(
        {"name": "tiny_orders", "sql": "revenue_usd < 1"}
    )
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    defs = _defs(example_specs, warehouse)
    result = _run(
        defs,
        instance,
        DAY,
        selection=[ORDERS_DAILY, AssetKey(["finance", "revenue-reconciliation"])],
    )
    assert not result.success
    failed = _failed_checks(result)
    assert list(failed) == ["tiny_orders"]
    assert failed["tiny_orders"].metadata["failing_rows"].value > 0
    assert _table(warehouse, "orders", "orders_daily").version() == version
    assert _table(warehouse, "finance", "revenue_reconciliation").version() == finance_version
    failure = next(
        event for event in result.all_events if event.event_type == DagsterEventType.STEP_FAILURE
    )
    message = failure.event_specific_data.error_display_string  # type: ignore[union-attr]
    assert "'orders-daily' was not published for 2026-03-01" in message
    assert "- tiny_orders:" in message
    started = [e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_START]
    assert started == ["orders__orders_daily"]  # downstream never ran


def test_production_without_a_pii_key_fails_at_load_time(
    example_specs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MESH_PII_KEY", raising=False)
    with pytest.raises(PiiKeyError) as error:
        build_definitions(example_specs, resources={"mesh": MeshResource(storage_mode="s3")})
    assert str(error.value) == (
        "the PII hashing key is missing: set the environment variable MESH_PII_KEY "
        "(a long random secret of at least 32 bytes)."
    )


def test_a_key_lost_before_the_run_fails_the_run_and_writes_nothing(
    example_specs: Path,
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    pii_key: str,
    channel_env: None,
) -> None:
    production = MeshResource(storage_mode="s3", warehouse=str(warehouse))
    defs = build_definitions(example_specs, resources={"mesh": production})
    monkeypatch.delenv("MESH_PII_KEY")
    with DagsterInstance.ephemeral() as ephemeral:
        result = _run(defs, ephemeral, DAY, selection=[AssetKey(["orders", "order-events"])])
    assert not result.success
    failure = next(
        event for event in result.all_events if event.event_type == DagsterEventType.STEP_FAILURE
    )
    message = failure.event_specific_data.error_display_string  # type: ignore[union-attr]
    assert (
        "the PII hashing key is missing: 'order-events' hashes the column 'customer_id'; "
        "set the environment variable MESH_PII_KEY (a long random secret of at least 32 bytes)."
    ) in message
    assert not (warehouse / "data-platform").exists()


def test_local_mode_generates_a_development_key_once(
    example_specs: Path, warehouse: Path, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MESH_PII_KEY", raising=False)
    defs = _defs(example_specs, warehouse)
    selection = [AssetKey(["orders", "order-events"])]
    assert _run(defs, instance, DAY, selection).success
    key_file = Path(instance.root_directory) / "mesh_pii_dev.key"
    key = key_file.read_bytes()
    first = _table(warehouse, "orders", "order_events").to_pyarrow_table()
    assert _run(defs, instance, DAY, selection).success
    assert key_file.read_bytes() == key
    second = _table(warehouse, "orders", "order_events").to_pyarrow_table()
    assert first.column("customer_id").to_pylist() == second.column("customer_id").to_pylist()
