"""Deadlines of periods and the verdict on each: on time, late or missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.periods import (
    Period,
    deadline_after,
    first_start,
    next_period_start,
    period_of,
)

VerdictStatus = Literal["on_time", "late", "missed", "pending"]


@dataclass(frozen=True)
class DuePeriod:
    """A period and the deadline by which it must be published."""

    period: Period
    deadline: datetime


@dataclass(frozen=True)
class Verdict:
    """The SLA verdict on one period at (or after) its deadline."""

    product: str
    partition: str
    deadline: datetime
    status: VerdictStatus
    published_at: datetime | None = None

    @property
    def late_by(self) -> timedelta | None:
        """Return how late a late publish was."""
        if self.status != "late" or self.published_at is None:
            return None
        return self.published_at - self.deadline


def deadline_of(mesh: Mesh, product: DataProduct, period: Period) -> datetime:
    """Return the SLA deadline of ``period``: the first ``available_by`` after it ends."""
    sla = product.spec.sla
    assert sla is not None
    if sla.within is not None:
        return period.end + sla.within
    assert sla.available_by is not None
    return deadline_after(period.end, sla.available_by, mesh.sla_timezone_of(product))


def due_periods(
    mesh: Mesh, product: DataProduct, after: datetime, until: datetime
) -> list[DuePeriod]:
    """Return the periods whose deadline falls in ``(after, until]``, oldest first."""
    partitioning = product.spec.partitioning
    if product.spec.sla is None or partitioning is None:
        return []
    timezone = mesh.timezone_of(product)
    first = first_start(partitioning.start, partitioning.by, timezone)
    # Deadlines come at most a few periods after the period ends; start a little early.
    start = period_of(max(after - timedelta(days=40), first), partitioning.by, timezone).start
    start = max(start, first)
    found: list[DuePeriod] = []
    while True:
        end = next_period_start(start, partitioning.by)
        period = period_of(start, partitioning.by, timezone)
        deadline = deadline_of(mesh, product, period)
        if deadline > until:
            break
        if deadline > after:
            found.append(DuePeriod(period, deadline))
        start = end
    return found


def judge(
    product: DataProduct, due: DuePeriod, published_at: datetime | None, now: datetime
) -> Verdict | None:
    """Return the verdict on a due period at ``now``; None while the deadline is ahead."""
    if now < due.deadline:
        return None
    if published_at is not None and published_at <= due.deadline:
        return Verdict(product.name, due.period.key, due.deadline, "on_time", published_at)
    if published_at is not None and published_at <= now:
        return Verdict(product.name, due.period.key, due.deadline, "late", published_at)
    return Verdict(product.name, due.period.key, due.deadline, "missed")
