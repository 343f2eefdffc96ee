"""One tick of the SLA watcher: judge the periods that came due, update incidents, notify.

The same rules as Dagster's ``mesh_sla`` and ``mesh_alerts`` sensors (``sla.verdicts``,
``sla.upstream``, ``alerts.sla``): verdicts begin with the first deadline after the
watcher first sees a product; a period with nothing published at its deadline is missed
(whether or not a run was ever created); a missed period published later gets a late
verdict that resolves the incident; one first judged after a late publish opens and
resolves it at once. Publishes are read from Airflow's asset events of each product.
The build outcomes the build tasks recorded since the last tick become ``check_failed``
and ``run_failed`` incidents in the same book (``build_alerts``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from mesh_dagster.airflow.build_alerts import apply_outcomes
from mesh_dagster.airflow.names import dag_id
from mesh_dagster.airflow.sla_store import ProductProgress, SlaStore, StoredVerdict
from mesh_dagster.alerts.book import IncidentBook
from mesh_dagster.alerts.channels.base import Sender
from mesh_dagster.alerts.deliver import DeliveryReport, deliver
from mesh_dagster.alerts.incidents import Incident, UpstreamPeriod
from mesh_dagster.alerts.routing import incident_for
from mesh_dagster.alerts.sla import SlaVerdictFacts, apply_sla_verdict
from mesh_dagster.sla.upstream import FirstPublish, MissingInput, missing_inputs
from mesh_dagster.sla.verdicts import Verdict, due_periods, judge
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct


@dataclass(frozen=True)
class Judged:
    """A verdict of this tick, and what deciding its incident needs."""

    verdict: StoredVerdict
    failed_before: bool
    waiting: tuple[MissingInput, ...] = ()


def _stored(verdict: Verdict, now: datetime, waiting: Sequence[MissingInput]) -> StoredVerdict:
    late = verdict.late_by
    return StoredVerdict(
        product=verdict.product,
        partition=verdict.partition,
        status=verdict.status,
        deadline=verdict.deadline,
        published_at=verdict.published_at,
        judged_at=now,
        late_by_minutes=round(late.total_seconds() / 60, 1) if late is not None else None,
        waiting_for=tuple(str(item) for item in waiting),
    )


def judge_product(
    mesh: Mesh,
    product: DataProduct,
    progress: ProductProgress,
    now: datetime,
    publishes: FirstPublish,
) -> list[Judged]:
    """Return the verdicts on ``product`` at ``now``, and advance its ``progress``."""
    judged: list[Judged] = []
    for partition in sorted(progress.missed):
        published = publishes(product.name, partition)
        if published is None or published > now:
            continue
        deadline = progress.missed.pop(partition)
        verdict = Verdict(product.name, partition, deadline, "late", published)
        judged.append(Judged(_stored(verdict, now, ()), failed_before=True))
    for item in due_periods(mesh, product, progress.judged_until, now):
        found = judge(product, item, publishes(product.name, item.period.key), now)
        if found is None:
            continue
        waiting: list[MissingInput] = []
        if found.status != "on_time":
            waiting = missing_inputs(mesh, product, item, now, publishes)
        judged.append(Judged(_stored(found, now, waiting), False, tuple(waiting)))
        if found.status == "missed":
            progress.missed[found.partition] = found.deadline
    progress.judged_until = max(progress.judged_until, now)
    return judged


def airflow_incident(
    mesh: Mesh,
    product: DataProduct,
    judged: Judged,
    opened_at: datetime,
    airflow_url: str,
) -> Incident:
    """Return the ``sla_missed`` incident of a verdict, linked to the product's DAG page."""
    base = airflow_url.rstrip("/")
    opened = incident_for(
        mesh,
        product,
        "sla_missed",
        opened_at=opened_at,
        partition=judged.verdict.partition,
        deadline=judged.verdict.deadline,
        dagster_url=base,
    )
    audience = opened.audience.model_copy(update={"asset_url": f"{base}/dags/{dag_id(product)}"})
    waiting = tuple(
        UpstreamPeriod(
            product=item.product,
            partition=item.partition,
            missed=item.missed,
            url=f"{base}/dags/{dag_id(mesh.product(item.product))}"
            if item.product in mesh.products
            else None,
        )
        for item in judged.waiting
    )
    return opened.model_copy(update={"audience": audience, "waiting_for": waiting})


def _opener(
    mesh: Mesh, product: DataProduct, judged: Judged, airflow_url: str
) -> Callable[[datetime], Incident]:
    return lambda at: airflow_incident(mesh, product, judged, at, airflow_url)


def apply_judged(
    mesh: Mesh, book: IncidentBook, judged: Sequence[Judged], airflow_url: str
) -> IncidentBook:
    """Return the book after this tick's verdicts (the rule of ``alerts.sla``)."""
    for item in judged:
        verdict = item.verdict
        product = mesh.product(verdict.product)
        facts = SlaVerdictFacts(
            product=verdict.product,
            partition=verdict.partition,
            status=verdict.status,
            judged_at=verdict.judged_at,
            deadline=verdict.deadline,
            published_at=verdict.published_at,
            failed_before=item.failed_before,
            late_by_minutes=verdict.late_by_minutes,
        )
        book = apply_sla_verdict(book, facts, _opener(mesh, product, item, airflow_url))
    return book


def watch(
    mesh: Mesh,
    store: SlaStore,
    now: datetime,
    publishes: FirstPublish,
    senders: Mapping[str, Sender],
    airflow_url: str,
) -> tuple[list[StoredVerdict], DeliveryReport]:
    """Run one tick: record verdicts and incidents (one transaction), then send what is owed.

    Incidents come from this tick's verdicts and from the build outcomes recorded since the
    last tick, which are deleted in the transaction that stores their incidents.
    """
    progress = store.progress()
    judged: list[Judged] = []
    for product in mesh.products.values():
        if product.spec.sla is None:
            continue
        state = progress.setdefault(product.name, ProductProgress(now))
        judged += judge_product(mesh, product, state, now, publishes)
    book = apply_judged(mesh, store.load_book(), judged, airflow_url)
    pending = store.outcomes()
    book = apply_outcomes(mesh, book, [outcome for _, outcome in pending], airflow_url)
    verdicts = [item.verdict for item in judged]
    store.record(progress, verdicts, book, pending[-1][0] if pending else None)
    book, report = deliver(book, senders, now, checkpoint=store.save_book)
    store.save_book(book)
    return verdicts, report
