"""`dag.test()` builds the example mesh's products through write-audit-publish on Airflow."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from deltalake import DeltaTable


def run_dag(dags_folder: Path, dag_id: str, tick: datetime) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(dags_folder))
    assert bag.import_errors == {}
    return bag.dags[dag_id].test(logical_date=tick, run_after=tick)


def asset_events(warehouse: Path, name: str) -> list[dict[str, Any]]:
    """Return the ``extra`` of each asset event of the orders product table ``name``."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = (
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == orders_uri(warehouse, name))
            .order_by(AssetEvent.id)
        )
        return [dict(event.extra or {}) for event in session.scalars(query)]


def pushed_checks(dag_id: str, run_id: str) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == dag_id,
                XComModel.run_id == run_id,
                XComModel.key == "mesh_checks",
            )
        ).one()
        return XComModel.deserialize_value(row)


def orders_uri(warehouse: Path, name: str) -> str:
    return (warehouse / "data-platform/products/orders" / name).resolve().as_uri()


def table(warehouse: Path, name: str) -> DeltaTable:
    return DeltaTable(str(warehouse / "data-platform/products/orders" / name))


@pytest.fixture
def published_day(mesh_env: Path, dags_folder: Path, warehouse: Path) -> Path:
    """Build and publish order-events, then orders-daily, for 2026-03-01 (ticks of 03-02)."""
    events = run_dag(dags_folder, "orders__order-events", datetime(2026, 3, 2, 5, tzinfo=UTC))
    assert events.state == "success"
    daily = run_dag(dags_folder, "orders__orders-daily", datetime(2026, 3, 2, 6, tzinfo=UTC))
    assert daily.state == "success"
    return mesh_env


def test_dag_test_publishes_a_day_then_a_failing_rule_fails_the_task_and_writes_nothing(
    published_day: Path, dags_folder: Path, warehouse: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Both products publish 2026-03-01 with every rule's outcome in the asset event; then an
    error rule that fails blocks the rebuild: the task fails naming it, the table stays."""
    mesh_env = published_day
    daily = table(warehouse, "orders_daily")
    assert daily.version() == 0
    days = {row["order_date"].isoformat() for row in daily.to_pyarrow_table().to_pylist()}
    assert days == {"2026-03-01"}
    assert table(warehouse, "order_events").version() == 0
    [extra] = asset_events(warehouse, "orders_daily")
    assert extra["mesh/product"] == "orders-daily"
    period = extra["mesh/periods"]["2026-03-01"]
    assert (period["published"], period["delta_version"]) == (True, 0)
    assert period["rows"] == daily.to_pyarrow_table().num_rows > 0
    assert list(period["checks"]) == [
        "schema",
        "completeness",
        "grain_unique",
        "partition_bounds",
        "not_empty",
        "pii_customer_id",
        "check_order_count_0",
        "check_revenue_usd_0",
    ]
    assert period["checks"]["check_order_count_0"] == {
        "passed": True,
        "severity": "error",
        "failing_rows": 0,
        "rows_checked": period["rows"],
        "failing_ratio": 0.0,
        "sql": "order_count > 0",
        "detail": f"all {period['rows']:,} rows satisfy order_count > 0",
    }
    [events_extra] = asset_events(warehouse, "order_events")
    assert events_extra["mesh/periods"]["2026-03-01"]["published"] is True

    spec_path = mesh_env / "orders/orders_daily.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["spec"]["quality"]["custom_checks"].append(
        {"name": "no_revenue", "sql": "revenue_usd < 0"}
    )
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    capfd.readouterr()
    run = run_dag(dags_folder, "orders__orders-daily", datetime(2026, 3, 2, 6, tzinfo=UTC))
    assert run.state == "failed"
    assert table(warehouse, "orders_daily").version() == 0
    assert len(asset_events(warehouse, "orders_daily")) == 1
    checks = pushed_checks("orders__orders-daily", run.run_id)
    rows = checks["no_revenue"]["rows_checked"]
    assert checks["no_revenue"]["passed"] is False
    assert checks["no_revenue"]["failing_rows"] == rows > 0
    assert checks["no_revenue"]["sql"] == "revenue_usd < 0"
    output = capfd.readouterr()
    assert (
        "'orders-daily' was not published for 2026-03-01; nothing was written: "
        "1 error check failed:\n"
        f"- no_revenue: {rows:,} of {rows:,} rows (100.00%) do not satisfy revenue_usd < 0"
    ) in output.out + output.err
