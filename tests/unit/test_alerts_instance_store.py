"""The incident book in a real Dagster instance; the rest of alerts/ never imports Dagster."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from dagster import DagsterInstance

from mesh_dagster.alerts import Audience, Incident, IncidentBook, Route, deliver
from mesh_dagster.alerts.instance_store import InstanceBookStore

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def test_the_book_is_stored_in_the_instance() -> None:
    incident = Incident(
        product="orders-daily",
        domain="orders",
        partition="2026-03-01",
        kind="run_failed",
        opened_at=T0,
        details={"run_id": "8f1c"},
        audience=Audience(routes=(Route(channel="chat"),)),
    )
    with DagsterInstance.ephemeral() as instance:
        store = InstanceBookStore(instance, "sla_sensor")
        assert store.load() == IncidentBook()
        book, _ = IncidentBook().open(incident)
        # no sender for "chat": the notice is skipped, and every step is checkpointed
        book, report = deliver(book, {}, T0, checkpoint=store.save)
        assert [outcome.status for outcome in report.outcomes] == ["skipped"]
        assert store.load() == book
        assert InstanceBookStore(instance, "other").load() == IncidentBook()


def test_alerts_imports_no_dagster() -> None:
    code = (
        "import sys, mesh_dagster.alerts, mesh_dagster.alerts.channels;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'dagster'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
