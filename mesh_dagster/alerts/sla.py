"""Apply one SLA verdict to the incident book: open, resolve, or catch up a missed period.

The rule itself lives in ``sla.incidents`` (the scorecard applies it too); this module only
turns its steps into book transitions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from mesh_dagster.alerts.book import IncidentBook
from mesh_dagster.alerts.incidents import Figure, Incident, UpstreamPeriod, dedup_key
from mesh_dagster.alerts.routing import asset_url
from mesh_dagster.sla.incidents import sla_incident_steps
from mesh_dagster.sla.upstream import MissingInput
from mesh_dagster.spec.mesh import Mesh


def partition_url(dagster_url: str, mesh: Mesh, product: str, partition: str) -> str | None:
    """Return the page of a product's partition in the Dagster UI (None: not in the mesh)."""
    if product not in mesh.products:
        return None
    page = asset_url(dagster_url, mesh.product(product))
    return f"{page}?view=partitions&partition={quote(partition, safe='')}"


def upstream_periods(
    mesh: Mesh, missing: Iterable[MissingInput], dagster_url: str
) -> tuple[UpstreamPeriod, ...]:
    """Return the input periods a miss waited for, each linked to its partition's page."""
    return tuple(
        UpstreamPeriod(
            product=item.product,
            partition=item.partition,
            missed=item.missed,
            url=partition_url(dagster_url, mesh, item.product, item.partition),
        )
        for item in missing
    )


@dataclass(frozen=True)
class SlaVerdictFacts:
    """What the alert sensor reads of one recorded ``sla`` result."""

    product: str
    partition: str | None
    status: str
    judged_at: datetime
    deadline: datetime | None = None
    published_at: datetime | None = None
    failed_before: bool = False
    """Whether a `missed` or `late` verdict on the same period was recorded earlier."""
    late_by_minutes: Figure = None


def apply_sla_verdict(
    book: IncidentBook, verdict: SlaVerdictFacts, incident: Callable[[datetime], Incident]
) -> IncidentBook:
    """Return the book after ``verdict``; ``incident(opened_at)`` gives its incident if it opens.

    A `late` verdict that is its period's first failed one opens the incident at the deadline
    and resolves it at the publish, so both notices are owed at once.
    """
    steps = sla_incident_steps(
        verdict.status,
        judged_at=verdict.judged_at,
        deadline=verdict.deadline,
        published_at=verdict.published_at,
        failed_before=verdict.failed_before,
    )
    key = dedup_key(verdict.product, verdict.partition, "sla_missed", None)
    for step in steps:
        if step.change == "open":
            book, _ = book.open(incident(step.at))
        elif book.is_open(key):
            late = verdict.late_by_minutes
            details = {"late_by_minutes": late} if late is not None else None
            book, _ = book.resolve(key, at=step.at, details=details)
    return book
