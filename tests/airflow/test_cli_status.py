"""`mesh sla status --airflow` reads the publishes from Airflow's metadata database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from mesh_dagster.cli.main import app

DAY = "2026-03-10"


def sync_dags(dags_folder: Path) -> None:
    """Register the DAGs and their assets in the metadata database, as the DAG processor does."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(str(dags_folder))
    assert bag.import_errors == {}
    sync_bag_to_db(bag, "dags-folder", None)


def test_sla_status_airflow_shows_on_time_late_and_missed(
    mesh_env: Path, dags_folder: Path, record_publish: Any
) -> None:
    sync_dags(dags_folder)
    record_publish("orders", "order_events", DAY, datetime(2026, 3, 11, 5, 30, tzinfo=UTC))
    record_publish("orders", "orders_daily", DAY, datetime(2026, 3, 11, 7, 40, tzinfo=UTC))
    result = CliRunner().invoke(
        app,
        [
            "sla",
            "status",
            "--airflow",
            "--specs",
            str(mesh_env),
            "--now",
            "2026-03-11T08:00:00+00:00",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {item["product"]: item for item in json.loads(result.stdout)}
    assert {name: item["status"] for name, item in rows.items()} == {
        "order-events": "on_time",
        "orders-daily": "late",
        "payment-events": "missed",
        "payments-daily": "missed",
        "shipment-events": "missed",
        "shipments-daily": "missed",
        "revenue-reconciliation": "missed",
    }
    assert rows["orders-daily"] == {
        "product": "orders-daily",
        "domain": "orders",
        "partition": DAY,
        "deadline": "2026-03-11T07:00:00+00:00",
        "status": "late",
        "published_at": "2026-03-11T07:40:00+00:00",
        "late_by_minutes": 40.0,
    }
