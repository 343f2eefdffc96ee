"""One tick of the Airflow SLA watcher: verdicts, progress, incidents and what is sent,
with publishes given as a function and a recording channel (no Airflow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from mesh_dagster.airflow.build_alerts import BuildOutcome
from mesh_dagster.airflow.sla_store import ProductProgress, SlaStore
from mesh_dagster.airflow.sla_watch import judge_product, watch
from mesh_dagster.alerts.channels.base import ChannelKind, Sender
from mesh_dagster.alerts.incidents import Notice, Route, dedup_key
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh

REPO = Path(__file__).resolve().parents[2]
DAY = "2026-03-10"
URL = "http://airflow.example:8080"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 11, hour, minute, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class Recorder(Sender):
    """A channel that keeps what it was told."""

    kind: ClassVar[ChannelKind] = "webhook"
    told: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def secrets(self) -> tuple[str, ...]:
        return ()

    def send(self, notice: Notice, route: Route) -> str | None:
        incident = notice.incident
        self.told.append((notice.event, incident.kind, incident.partition))
        return None


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    return load_mesh(REPO / "specs")


def test_a_period_is_judged_once_at_its_deadline(mesh: Mesh) -> None:
    daily = mesh.product("orders-daily")
    progress = ProductProgress(at(5))
    published = {DAY: at(6, 30)}

    def publishes(name: str, key: str) -> datetime | None:
        return published.get(key) if name == "orders-daily" else None

    assert judge_product(mesh, daily, progress, at(6, 59), publishes) == []
    [judged] = judge_product(mesh, daily, progress, at(7, 5), publishes)
    verdict = judged.verdict
    assert (verdict.partition, verdict.status, verdict.published_at) == (DAY, "on_time", at(6, 30))
    assert verdict.deadline == at(7)
    assert progress.judged_until == at(7, 5)
    assert judge_product(mesh, daily, progress, at(7, 10), publishes) == []


def test_a_missed_period_published_later_is_judged_late_once(mesh: Mesh) -> None:
    daily = mesh.product("orders-daily")
    progress = ProductProgress(at(5))
    published: dict[str, datetime] = {}

    def publishes(name: str, key: str) -> datetime | None:
        return published.get(key) if name == "orders-daily" else None

    [missed] = judge_product(mesh, daily, progress, at(7, 5), publishes)
    assert (missed.verdict.status, missed.failed_before) == ("missed", False)
    assert [(str(item), item.missed) for item in missed.waiting] == [
        ("order-events 2026-03-10", True)
    ]
    assert progress.missed == {DAY: at(7)}
    published[DAY] = at(7, 40)
    assert judge_product(mesh, daily, progress, at(7, 30), publishes) == []  # not yet published
    [late] = judge_product(mesh, daily, progress, at(7, 45), publishes)
    assert (late.verdict.status, late.verdict.late_by_minutes, late.failed_before) == (
        "late",
        40.0,
        True,
    )
    assert progress.missed == {}


def test_a_tick_records_verdicts_and_build_outcomes_and_tells_each_incident_once(
    mesh: Mesh, tmp_path: Path
) -> None:
    store = SlaStore(f"sqlite:///{tmp_path / 'state.db'}")
    webhook = Recorder(name="platform-webhook")
    try:

        def nothing(name: str, key: str) -> datetime | None:
            return None

        watch(mesh, store, at(5), nothing, {"platform-webhook": webhook}, URL)
        store.add_outcome(
            BuildOutcome("shipments-daily", DAY, at(6), failure="transform_failed", run_id="r")
        )
        verdicts, report = watch(mesh, store, at(7, 5), nothing, {"platform-webhook": webhook}, URL)
        watch(mesh, store, at(7, 10), nothing, {"platform-webhook": webhook}, URL)
    finally:
        stored = store.verdicts("shipments-daily")
        book = store.load_book()
        pending = store.outcomes()
        store.close()
    assert [(v.product, v.status) for v in verdicts if v.product.startswith("shipment")] == [
        ("shipment-events", "missed"),
        ("shipments-daily", "missed"),
    ]
    assert [(v.partition, v.status) for v in stored] == [(DAY, "missed")]
    assert pending == []
    assert sorted(webhook.told) == [
        ("opened", "run_failed", DAY),
        ("opened", "sla_missed", DAY),
        ("opened", "sla_missed", DAY),
    ]
    assert len(report.sent) == 3
    assert book.is_open(dedup_key("shipments-daily", DAY, "run_failed", None))
    assert book.records[
        dedup_key("shipments-daily", DAY, "run_failed", None)
    ].incident.audience.asset_url == (f"{URL}/dags/shipments__shipments-daily")
