"""Build outcomes on Airflow become incidents through the mesh_sla watcher: a failing rule
opens one ``check_failed`` per rule (warn: no page), a fixed build resolves it; a build task
that failed for good opens ``run_failed``, a later publish resolves it.

Builds are `dag.test()` runs of the example mesh's DAGs; each watcher tick is a `dag.test()`
run of `mesh_sla` (before 07:00 UTC, so no SLA deadline falls between the ticks).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from mesh_dagster.alerts.incidents import dedup_key

DAY = "2026-03-01"
EVENTS_TICK = datetime(2026, 3, 2, 5, tzinfo=UTC)
DAILY_TICK = datetime(2026, 3, 2, 6, tzinfo=UTC)
DAG_URL = "http://airflow.example:8080/dags/orders__orders-daily"


def at(minute: int) -> datetime:
    return datetime(2026, 3, 2, 6, 30 + minute, tzinfo=UTC)


def build(dags_folder: Path, dag_id: str, moment: datetime) -> str:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(dags_folder))
    assert bag.import_errors == {}
    run = bag.dags[dag_id].test(logical_date=moment, run_after=moment)
    return str(run.state)


def set_checks(specs: Path, checks: list[Any]) -> None:
    """Replace orders-daily's custom checks."""
    path = specs / "orders/orders_daily.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["spec"]["quality"]["custom_checks"] = checks
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def test_a_failing_rule_opens_check_failed_once_per_channel_and_a_fixed_build_resolves_it(
    routed: Any, tick: Any, mesh_env: Path, dags_folder: Path
) -> None:
    receiver = routed
    tick(at(0))
    assert build(dags_folder, "orders__order-events", EVENTS_TICK) == "success"
    assert build(dags_folder, "orders__orders-daily", DAILY_TICK) == "success"
    tick(at(1))  # every rule passed: nothing to tell
    assert receiver.accepted("/slack") == receiver.accepted("/pagerduty") == []

    set_checks(
        mesh_env,
        [
            {"name": "no_revenue", "sql": "revenue_usd < 0"},
            {"name": "big_days", "sql": "order_count > 1000000", "severity": "warn"},
        ],
    )
    assert build(dags_folder, "orders__orders-daily", DAILY_TICK) == "failed"
    tick(at(2))
    tick(at(3))  # nothing new: no second notice
    error_key = dedup_key("orders-daily", DAY, "check_failed", "no_revenue")
    warn_key = dedup_key("orders-daily", DAY, "check_failed", "big_days")
    pages = [(body["event_action"], body["dedup_key"]) for body in receiver.accepted("/pagerduty")]
    assert pages == [("trigger", error_key)]  # the warn rule never pages
    slack = [body["text"] for body in receiver.accepted("/slack")]
    assert sorted(slack) == [
        "[orders] Quality check failed (big_days): orders-daily 2026-03-01: "
        "Quality check big_days (warn) failed on partition 2026-03-01 of orders-daily.",
        "[orders] Quality check failed (no_revenue): orders-daily 2026-03-01: "
        "Quality check no_revenue (error) failed on partition 2026-03-01 of orders-daily.",
    ]
    [trigger] = receiver.accepted("/pagerduty")
    details = trigger["payload"]["custom_details"]
    assert details["Rule"] == "no_revenue"
    assert details["Asset page"] == DAG_URL
    rows = int(details["rows_checked"])  # the notice's facts are text
    assert rows > 0
    assert details["failing_rows"] == str(rows)
    assert (
        details["detail"] == f"{rows:,} of {rows:,} rows (100.00%) do not satisfy revenue_usd < 0"
    )

    set_checks(
        mesh_env,
        [
            {"name": "no_revenue", "sql": "revenue_usd >= 0"},
            {"name": "big_days", "sql": "order_count > 0", "severity": "warn"},
        ],
    )
    assert build(dags_folder, "orders__orders-daily", DAILY_TICK) == "success"
    tick(at(4))
    tick(at(5))
    pages = [(body["event_action"], body["dedup_key"]) for body in receiver.accepted("/pagerduty")]
    assert pages == [("trigger", error_key), ("resolve", error_key)]
    resolved = sorted(body["text"] for body in receiver.accepted("/slack")[2:])
    assert [text.split(":")[0] for text in resolved] == [
        "[orders] Resolved",
        "[orders] Resolved",
    ]
    assert resolved == [
        "[orders] Resolved: Quality check failed (big_days): orders-daily 2026-03-01: "
        "Quality check big_days passes again on partition 2026-03-01 of orders-daily "
        f"(at {resolved[0].split('(at ')[1]}",
        "[orders] Resolved: Quality check failed (no_revenue): orders-daily 2026-03-01: "
        "Quality check no_revenue passes again on partition 2026-03-01 of orders-daily "
        f"(at {resolved[1].split('(at ')[1]}",
    ]
    assert warn_key != error_key


def test_a_terminal_build_failure_opens_run_failed_and_a_later_publish_resolves_it(
    routed: Any, tick: Any, dags_folder: Path, record_publish: Any
) -> None:
    """orders-daily's input period is announced (an asset event) but its table is missing:
    the build fails at once (missing_input, not retried), then builds once it is there."""
    receiver = routed
    tick(at(0))  # also makes the assets known to Airflow
    record_publish("orders", "order_events", DAY, at(0))
    assert build(dags_folder, "orders__orders-daily", DAILY_TICK) == "failed"
    tick(at(1))
    tick(at(2))
    key = dedup_key("orders-daily", DAY, "run_failed", None)
    [trigger] = receiver.accepted("/pagerduty")
    assert (trigger["event_action"], trigger["dedup_key"]) == ("trigger", key)
    assert trigger["payload"]["custom_details"]["failure"] == "missing_input"
    assert trigger["payload"]["custom_details"]["Asset page"] == DAG_URL
    assert [body["text"] for body in receiver.accepted("/slack")] == [
        "[orders] Build failed: orders-daily 2026-03-01: "
        "The build of partition 2026-03-01 of orders-daily failed."
    ]

    assert build(dags_folder, "orders__order-events", EVENTS_TICK) == "success"
    assert build(dags_folder, "orders__orders-daily", DAILY_TICK) == "success"
    tick(at(3))
    pages = [(body["event_action"], body["dedup_key"]) for body in receiver.accepted("/pagerduty")]
    assert pages == [("trigger", key), ("resolve", key)]
    [_, recovery] = [body["text"] for body in receiver.accepted("/slack")]
    assert recovery.startswith(
        "[orders] Resolved: Build failed: orders-daily 2026-03-01: "
        "A later build of partition 2026-03-01 of orders-daily succeeded (at "
    )
