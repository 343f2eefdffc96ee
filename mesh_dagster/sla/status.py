"""A product's SLA state at a moment: its latest due period, the deadline, where it stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from mesh_dagster.sla.verdicts import (
    DuePeriod,
    Verdict,
    deadline_of,
    judge,
    not_judged_reason,
    partitions_end,
)
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.periods import first_start, last_complete_period, period_of


@dataclass(frozen=True)
class SlaStatus(Verdict):
    """Where one product's latest due period stands against its deadline."""

    domain: str = ""
    standing: Literal["ended", "not_judged"] | None = None
    """Set when the spec does not judge the period: the partitions ended, or it is history."""

    @property
    def shown(self) -> str:
        """Return the status a reader sees: the standing when there is one."""
        return self.standing or self.status


def standing_of(
    mesh: Mesh, product: DataProduct, moment: datetime, due: DuePeriod, first_seen: datetime | None
) -> Literal["ended", "not_judged"] | None:
    """Return why the spec does not judge ``due`` at ``moment``, or None.

    ``ended``: ``moment`` is past the last period; ``not_judged``: the period is before
    ``sla.judged_from``, or came due before the product first appeared (``first_seen``).
    """
    end = partitions_end(mesh, product)
    if end is not None and moment >= end:
        return "ended"
    return "not_judged" if not_judged_reason(mesh, product, due, first_seen) else None


def status_moment(mesh: Mesh, product: DataProduct, day: date | None, now: datetime) -> datetime:
    """Return the moment whose due period ``day`` shows: now on today, else the day's end.

    ``day`` is read in the product's SLA timezone; None means today.
    """
    if day is None:
        return now
    zone = ZoneInfo(mesh.sla_timezone_of(product))
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return now if start <= now < end else end - timedelta(microseconds=1)


def latest_due_period(mesh: Mesh, product: DataProduct, moment: datetime) -> DuePeriod:
    """Return the latest period that has ended at ``moment``, with its deadline.

    A period is due once it has ended; its deadline may still be ahead. Before the first
    period has ended, that first period is returned; after ``partitioning.end``, the last.
    """
    partitioning = product.spec.partitioning
    assert partitioning is not None  # an SLA needs partitioning (validated at load time)
    timezone = mesh.timezone_of(product)
    period = last_complete_period(moment, partitioning.by, timezone)
    first = first_start(partitioning.start, partitioning.by, timezone)
    end = partitions_end(mesh, product)
    if end is not None and period.start >= end:
        period = period_of(end - timedelta(microseconds=1), partitioning.by, timezone)
    if period.start < first:
        period = period_of(first, partitioning.by, timezone)
    return DuePeriod(period, deadline_of(mesh, product, period))


def sla_status(
    product: DataProduct, due: DuePeriod, published_at: datetime | None, now: datetime
) -> SlaStatus:
    """Return the state of ``due`` at ``now``, given when it was first published.

    A publish after ``now`` is not known at ``now``. Published before the deadline is on
    time even while the deadline is ahead; unpublished with the deadline ahead is pending.
    """
    known = published_at if published_at is not None and published_at <= now else None
    verdict = judge(product, due, known, now)
    if verdict is not None:
        status, published = verdict.status, verdict.published_at
    else:
        status, published = ("on_time", known) if known is not None else ("pending", None)
    return SlaStatus(
        product.name, due.period.key, due.deadline, status, published, domain=product.domain
    )
