"""The scorecard's figures: per period, per product, rolled up per domain and for the mesh."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from mesh_dagster.scorecard.incidents import IncidentSpan

PeriodStatus = Literal["on_time", "late", "missed"]
JudgedBy = Literal["verdict", "publish"]


@dataclass(frozen=True)
class PeriodOutcome:
    """A due period and how it went: judged by its SLA verdict, or by its first publish."""

    partition: str
    deadline: datetime
    status: PeriodStatus
    published_at: datetime | None
    judged_by: JudgedBy
    waiting_for: tuple[str, ...] = ()
    """A miss's input periods not published by the deadline (recorded by its verdict)."""

    @property
    def upstream(self) -> bool:
        """Return whether the period missed its deadline waiting for an input period."""
        return self.status != "on_time" and bool(self.waiting_for)


@dataclass(frozen=True)
class Availability:
    """Due periods and how many were published on time, late or not at all.

    ``upstream`` counts the misses (late or missed) caused upstream: their verdict recorded
    an input period not published by the deadline. The others are the product's own.
    """

    due: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    upstream: int = 0

    @property
    def misses(self) -> int:
        """Return the periods not published by their deadline (late and missed)."""
        return self.late + self.missed

    @property
    def own(self) -> int:
        """Return the misses not caused upstream."""
        return self.misses - self.upstream

    @property
    def share(self) -> float | None:
        """Return the share of due periods published on time; None with nothing due."""
        return self.on_time / self.due if self.due else None

    def __add__(self, other: Availability) -> Availability:
        return Availability(
            self.due + other.due,
            self.on_time + other.on_time,
            self.late + other.late,
            self.missed + other.missed,
            self.upstream + other.upstream,
        )


@dataclass(frozen=True)
class ErrorBudget:
    """The misses an availability target allows over the due periods, and what is left.

    ``periods`` is the exact budget ``(1 - target) x due``; ``allowed`` is it rounded down
    (whole periods that may be missed). ``left_share`` is what is left of the exact budget:
    1.0 untouched, 0.0 used up, negative when overspent; None when there is no budget
    (nothing due, or a 100% target).
    """

    target: float
    due: int
    periods: float
    used: int

    @property
    def allowed(self) -> int:
        """Return the whole periods that may be missed."""
        return math.floor(round(self.periods, 9))

    @property
    def left(self) -> int:
        """Return the whole periods that may still be missed (negative when overspent)."""
        return self.allowed - self.used

    @property
    def left_share(self) -> float | None:
        """Return the share of the exact budget left."""
        if self.periods <= 0:
            return None
        return (self.periods - self.used) / self.periods

    def __add__(self, other: ErrorBudget) -> ErrorBudget:
        due = self.due + other.due
        periods = self.periods + other.periods
        target = 1 - periods / due if due else 1.0
        return ErrorBudget(target, due, periods, self.used + other.used)


def error_budget(target: float, availability: Availability) -> ErrorBudget:
    """Return the error budget of ``availability`` against ``target``."""
    due = availability.due
    return ErrorBudget(target, due, (1 - target) * due, availability.misses)


@dataclass(frozen=True)
class Quality:
    """(due period, error rule) pairs evaluated, and how many passed at their last evaluation."""

    pairs: int = 0
    passed: int = 0

    @property
    def score(self) -> float | None:
        """Return the share of pairs whose last evaluation passed; None with none evaluated."""
        return self.passed / self.pairs if self.pairs else None

    def __add__(self, other: Quality) -> Quality:
        return Quality(self.pairs + other.pairs, self.passed + other.passed)


@dataclass(frozen=True)
class IncidentSummary:
    """Incidents opened in the window, by kind, and their recovery."""

    sla_missed: int = 0
    check_failed: int = 0
    run_failed: int = 0
    resolved: int = 0
    recovery: timedelta = timedelta(0)

    @property
    def total(self) -> int:
        """Return the number of incidents."""
        return self.sla_missed + self.check_failed + self.run_failed

    @property
    def open(self) -> int:
        """Return the incidents not recovered by the end of the window."""
        return self.total - self.resolved

    @property
    def mean_time_to_recover(self) -> timedelta | None:
        """Return the mean time from open to recovery of the recovered incidents."""
        return self.recovery / self.resolved if self.resolved else None

    def __add__(self, other: IncidentSummary) -> IncidentSummary:
        return IncidentSummary(
            self.sla_missed + other.sla_missed,
            self.check_failed + other.check_failed,
            self.run_failed + other.run_failed,
            self.resolved + other.resolved,
            self.recovery + other.recovery,
        )


def summarize_incidents(spans: tuple[IncidentSpan, ...]) -> IncidentSummary:
    """Return the counts and recovery time of ``spans``."""
    recovered = [span.time_to_recover for span in spans if span.time_to_recover is not None]
    return IncidentSummary(
        sum(1 for span in spans if span.kind == "sla_missed"),
        sum(1 for span in spans if span.kind == "check_failed"),
        sum(1 for span in spans if span.kind == "run_failed"),
        len(recovered),
        sum(recovered, timedelta(0)),
    )


@dataclass(frozen=True)
class ProductScorecard:
    """One product's scorecard over the window."""

    product: str
    domain: str
    availability: Availability
    budget: ErrorBudget | None
    quality: Quality
    incidents: IncidentSummary
    periods: tuple[PeriodOutcome, ...]
    incident_spans: tuple[IncidentSpan, ...]


@dataclass(frozen=True)
class RollupScorecard:
    """A domain's (or the whole mesh's) figures: sums over its products.

    The budget sums the products' exact budgets (products without a target are left out
    of it), so its ``target`` is the availability that would use it up exactly.
    """

    name: str
    products: tuple[str, ...]
    availability: Availability
    budget: ErrorBudget | None
    quality: Quality
    incidents: IncidentSummary


@dataclass(frozen=True)
class MeshScorecard:
    """Every selected product's scorecard, each domain's and the mesh's, over one window."""

    since: datetime
    until: datetime
    products: tuple[ProductScorecard, ...]
    domains: tuple[RollupScorecard, ...]
    mesh: RollupScorecard
