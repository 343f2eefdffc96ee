"""The mesh_sla watcher DAG at controlled times: on-time, missed and late verdicts from the
products' asset events, and exactly one notice per incident and channel.

Publishes are asset events written into Airflow's metadata database at chosen instants;
each tick is a `dag.test()` run of `mesh_sla` whose `run_after` is the tick's instant.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mesh_dagster.airflow.sla_store import SlaStore
from mesh_dagster.alerts.incidents import dedup_key

DAY = "2026-03-10"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 11, hour, minute, tzinfo=UTC)


def test_watcher_judges_on_time_missed_and_late_and_notifies_once(
    routed: Any, tick: Any, warehouse: Path, record_publish: Any
) -> None:
    receiver = routed
    tick(at(5))  # the watcher first sees the mesh: judging starts here
    record_publish("orders", "order_events", DAY, at(5, 30))
    tick(at(5, 50))  # order-events due 05:45: on time
    tick(at(7, 5))  # orders-daily due 07:00, nothing published: missed
    tick(at(7, 10))  # nothing new: no second notice
    record_publish("orders", "orders_daily", DAY, at(7, 40))
    tick(at(7, 45))  # published 40 minutes late: the incident resolves

    store = SlaStore(f"sqlite:///{warehouse.parent / 'mesh_sla.db'}")
    stored = store.verdicts()
    store.close()
    verdicts = [(v.product, v.partition, v.status, v.late_by_minutes) for v in stored]
    assert ("order-events", DAY, "on_time", None) in verdicts
    daily = [item for item in verdicts if item[0] == "orders-daily"]
    assert daily == [("orders-daily", DAY, "missed", None), ("orders-daily", DAY, "late", 40.0)]
    assert {item[0] for item in verdicts if item[2] == "missed"} == {
        "orders-daily",
        "payment-events",
        "payments-daily",
        "shipment-events",
        "shipments-daily",
    }
    waits = {v.product: v.waiting_for for v in stored if v.status == "missed"}
    assert waits["orders-daily"] == ()
    assert waits["payments-daily"] == ("payment-events 2026-03-10",)

    key = dedup_key("orders-daily", DAY, "sla_missed", None)
    pages = [(body["event_action"], body["dedup_key"]) for body in receiver.accepted("/pagerduty")]
    assert pages == [("trigger", key), ("resolve", key)]
    slack = [body["text"] for body in receiver.accepted("/slack")]
    assert len(slack) == 2
    assert "orders-daily" in slack[0] and DAY in slack[0]
    assert "orders-daily" in slack[1] and DAY in slack[1]
    hooks = Counter((body["dedup_key"], body["event"]) for body in receiver.accepted("/webhook"))
    assert hooks == {
        (dedup_key(name, DAY, "sla_missed", None), "opened"): 1
        for name in ("shipment-events", "shipments-daily")
    }
    urls = {
        body["incident"]["product"]: body["asset_url"] for body in receiver.accepted("/webhook")
    }
    assert urls == {
        "shipment-events": "http://airflow.example:8080/dags/shipments__shipment-events",
        "shipments-daily": "http://airflow.example:8080/dags/shipments__shipments-daily",
    }
