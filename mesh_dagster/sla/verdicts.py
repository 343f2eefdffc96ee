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


@dataclass(frozen=True)
class JudgedSpan:
    """The periods a spec lets the SLA judge: starts in ``[first, end)`` (None: open)."""

    first: datetime | None
    end: datetime | None

    def holds(self, period: Period) -> bool:
        """Return whether the spec lets ``period`` be judged."""
        if self.first is not None and period.start < self.first:
            return False
        return self.end is None or period.start < self.end


def partitions_end(mesh: Mesh, product: DataProduct) -> datetime | None:
    """Return the end of the last period (``partitioning.end`` is inside it), or None."""
    partitioning = product.spec.partitioning
    if partitioning is None or partitioning.end is None:
        return None
    last = first_start(partitioning.end, partitioning.by, mesh.timezone_of(product))
    return next_period_start(last, partitioning.by)


def judged_span(mesh: Mesh, product: DataProduct) -> JudgedSpan:
    """Return the periods the spec lets be judged: from ``sla.judged_from`` to the end.

    Without ``judged_from`` the first judged period depends on when the product first
    appeared, which only the instance knows (see ``judged_since_appearance``).
    """
    partitioning, sla = product.spec.partitioning, product.spec.sla
    first = None
    if partitioning is not None and sla is not None and sla.judged_from is not None:
        first = first_start(sla.judged_from, partitioning.by, mesh.timezone_of(product))
    return JudgedSpan(first, partitions_end(mesh, product))


def judged_since_appearance(
    product: DataProduct, due: DuePeriod, first_seen: datetime | None
) -> bool:
    """Return whether ``due`` is judged given when the product first appeared.

    With ``sla.judged_from`` the spec decides alone. Without it, a period is judged when
    its deadline comes after the product first appeared (older periods are history); a
    product never seen is judged.
    """
    sla = product.spec.sla
    if sla is not None and sla.judged_from is not None:
        return True
    return first_seen is None or due.deadline >= first_seen


def not_judged_reason(
    mesh: Mesh, product: DataProduct, due: DuePeriod, first_seen: datetime | None
) -> str | None:
    """Return why the SLA does not judge ``due`` (history, or past the end), or None."""
    partitioning, sla = product.spec.partitioning, product.spec.sla
    assert partitioning is not None and sla is not None  # a due period has both
    span = judged_span(mesh, product)
    if span.first is not None and due.period.start < span.first:
        return f"not judged: before sla.judged_from ({sla.judged_from})"
    if span.end is not None and due.period.start >= span.end:
        return f"not judged: after partitioning.end ({partitioning.end})"
    if not judged_since_appearance(product, due, first_seen):
        assert first_seen is not None
        return (
            f"not judged: its deadline {due.deadline:%Y-%m-%d %H:%M %Z} came before the "
            f"product first appeared ({first_seen:%Y-%m-%d %H:%M %Z}); set sla.judged_from "
            "to judge earlier periods"
        )
    return None


def judging_start(mesh: Mesh, product: DataProduct, now: datetime) -> datetime:
    """Return the moment after which a product seen first at ``now`` has deadlines judged.

    ``sla.judged_from`` in the past catches up its periods; without it, judging starts now.
    """
    first = judged_span(mesh, product).first
    return now if first is None else min(now, first)


def due_periods(
    mesh: Mesh, product: DataProduct, after: datetime, until: datetime
) -> list[DuePeriod]:
    """Return the judged periods whose deadline falls in ``(after, until]``, oldest first.

    Periods before ``sla.judged_from`` or after ``partitioning.end`` are never due.
    """
    partitioning = product.spec.partitioning
    if product.spec.sla is None or partitioning is None:
        return []
    timezone = mesh.timezone_of(product)
    span = judged_span(mesh, product)
    first = first_start(partitioning.start, partitioning.by, timezone)
    if span.first is not None:
        first = max(first, span.first)
    # Deadlines come at most a few periods after the period ends; start a little early.
    start = period_of(max(after - timedelta(days=40), first), partitioning.by, timezone).start
    start = max(start, first)
    found: list[DuePeriod] = []
    while span.end is None or start < span.end:
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
