"""The ``mesh_sla`` DAG: every few minutes, judge due periods and send SLA incidents."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Asset, CronTriggerTimetable, get_current_context, task

from mesh_dagster.airflow.events import publishes_of
from mesh_dagster.airflow.names import SLA_DAG_ID, SLA_TASK_ID
from mesh_dagster.airflow.sla_store import SlaStore, state_url
from mesh_dagster.airflow.sla_watch import watch
from mesh_dagster.alerts.resolve import resolve_channels
from mesh_dagster.spec.mesh import Mesh

log = logging.getLogger("mesh_dagster.airflow")

WATCH_CRON = "*/5 * * * *"
AIRFLOW_URL_ENV = "MESH_AIRFLOW_URL"
DEFAULT_AIRFLOW_URL = "http://localhost:8080"
LOOKBACK = timedelta(days=45)
"""Publishes are read this long before the oldest period still to judge."""


def _read_from(progress: Mapping[str, Any], now: datetime) -> datetime:
    """Return the instant from which publishes matter to this tick."""
    instants = [now]
    for state in progress.values():
        instants.append(state.judged_until)
        instants += list(state.missed.values())
    return min(instants) - LOOKBACK


def build_sla_dag(mesh: Mesh, assets: Mapping[str, Asset]) -> DAG:
    """Return the watcher DAG; a run judges at its ``run_after`` instant (the tick)."""
    with DAG(
        dag_id=SLA_DAG_ID,
        schedule=CronTriggerTimetable(WATCH_CRON, timezone="UTC"),
        start_date=datetime(2020, 1, 1, tzinfo=UTC),
        catchup=False,
        max_active_runs=1,
        tags=["mesh"],
        default_args={"owner": "mesh", "retries": 0},
        doc_md=(
            "# mesh_sla\n\nJudges each product's periods at their SLA deadline (on time, "
            "late, missed) from the products' asset events, records the verdicts in the "
            "`mesh_sla_verdicts` table of `$MESH_SLA_STATE_URL`, turns the build tasks' "
            "recorded outcomes (`mesh_build_outcomes`) into `check_failed` and `run_failed` "
            "incidents, and sends them and `sla_missed` incidents, with their recovery, "
            "through the mesh's alert channels.\n"
        ),
    ) as dag:

        @task(task_id=SLA_TASK_ID, inlets=list(assets.values()))
        def judge_and_notify() -> dict[str, Any]:
            context = get_current_context()
            now = context["dag_run"].run_after.astimezone(UTC)
            production = os.environ.get("MESH_STORAGE_MODE", "local") == "s3"
            channels = resolve_channels(mesh, os.environ, production)
            for warning in channels.warnings:
                log.warning(warning)
            store = SlaStore(state_url(os.environ))
            try:
                after = _read_from(store.progress(), now)
                first = {
                    name: publishes_of(context["inlet_events"], asset, after)
                    for name, asset in assets.items()
                }

                def published(name: str, partition: str) -> datetime | None:
                    return first.get(name, {}).get(partition)

                url = os.environ.get(AIRFLOW_URL_ENV) or DEFAULT_AIRFLOW_URL
                verdicts, report = watch(mesh, store, now, published, channels.senders, url)
            finally:
                store.close()
            for verdict in verdicts:
                log.info(
                    "sla %s %s: %s (deadline %s)",
                    verdict.product,
                    verdict.partition,
                    verdict.status,
                    verdict.deadline.isoformat(),
                )
            for line in report.lines():
                log.info(line)
            return {
                "verdicts": [
                    {"product": v.product, "partition": v.partition, "status": v.status}
                    for v in verdicts
                ],
                "sent": len(report.sent),
                "failed": len(report.failed),
            }

        judge_and_notify()
    return dag
