"""What the orchestrator did, as plain records: SLA verdicts, rule evaluations, publishes, failures.

Readers (``instance_history``) fill these from a Dagster instance; the scorecard is computed
from them alone (``compute``), so it can be tested without Dagster. Every timestamp is an
aware datetime. Each tuple is in the order the events were stored, which breaks ties
between equal timestamps (a frozen clock, or one run's events).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

VerdictStatus = Literal["on_time", "late", "missed", "pending"]


@dataclass(frozen=True)
class VerdictEvent:
    """One ``sla`` check result: the SLA verdict on a period, when it was recorded."""

    partition: str
    status: VerdictStatus
    timestamp: datetime
    waiting_for: tuple[str, ...] = ()
    """Input periods (``product period``) not published by the deadline: a miss upstream."""


@dataclass(frozen=True)
class RuleEvaluation:
    """One evaluation of an error-severity quality rule on a period."""

    partition: str | None
    rule: str
    passed: bool
    timestamp: datetime
    run_id: str = ""


@dataclass(frozen=True)
class Publish:
    """A materialization of the product: data of the period was published."""

    partition: str | None
    timestamp: datetime


@dataclass(frozen=True)
class RunFailure:
    """A failed step of the product's build."""

    partition: str | None
    timestamp: datetime
    run_id: str


@dataclass(frozen=True)
class ProductHistory:
    """The events of one product in a read window.

    Readers compact what went right, which is most of it: ``on_time`` holds the periods
    whose every SLA verdict was on time (``verdicts`` the others' verdicts), and
    ``passed_rules``, per period, the error rules whose every evaluation passed
    (``evaluations`` the evaluations of the other periods). Such periods score the same
    and open no incident, so readers need not carry a record per result. A period is in
    one form or the other, never both. ``first_seen`` is the product's first publish or
    SLA verdict in the whole history.
    """

    product: str
    first_seen: datetime | None = None
    verdicts: tuple[VerdictEvent, ...] = ()
    on_time: frozenset[str] = frozenset()
    evaluations: tuple[RuleEvaluation, ...] = ()
    passed_rules: Mapping[str, frozenset[str]] = field(default_factory=dict)
    publishes: tuple[Publish, ...] = ()
    run_failures: tuple[RunFailure, ...] = ()


@dataclass(frozen=True)
class History:
    """The events of the mesh's products from ``since`` to ``until`` (``[since, until)``)."""

    since: datetime
    until: datetime
    products: Mapping[str, ProductHistory]


def waiting_causes(verdicts: Iterable[VerdictEvent], until: datetime) -> dict[str, tuple[str, ...]]:
    """Return, per period, the input periods its first verdict naming any recorded (before
    ``until``): the cause of a miss upstream. Periods without one are left out."""
    causes: dict[str, tuple[str, ...]] = {}
    for verdict in sorted(verdicts, key=lambda item: item.timestamp):
        if verdict.waiting_for and verdict.timestamp < until:
            causes.setdefault(verdict.partition, verdict.waiting_for)
    return causes


def compact_verdicts(
    verdicts: Iterable[VerdictEvent],
) -> tuple[tuple[VerdictEvent, ...], frozenset[str]]:
    """Return the verdicts of periods ever judged otherwise, and the periods only on time."""
    items = list(verdicts)
    troubled = {verdict.partition for verdict in items if verdict.status != "on_time"}
    kept = tuple(verdict for verdict in items if verdict.partition in troubled)
    return kept, frozenset(v.partition for v in items if v.partition not in troubled)


def compact_evaluations(
    evaluations: Iterable[RuleEvaluation],
) -> tuple[tuple[RuleEvaluation, ...], dict[str, frozenset[str]]]:
    """Return the evaluations of periods with a failure, and the rules of the other periods.

    Evaluations without a partition are never compacted.
    """
    by_period: dict[str | None, list[RuleEvaluation]] = {}
    for evaluation in evaluations:
        by_period.setdefault(evaluation.partition, []).append(evaluation)
    kept: list[RuleEvaluation] = []
    passed: dict[str, frozenset[str]] = {}
    failing = {key for key, items in by_period.items() if not all(e.passed for e in items)}
    for key, items in by_period.items():
        if key is None or key in failing:
            continue
        passed[key] = frozenset(item.rule for item in items)
    for items in by_period.values():
        kept += [item for item in items if item.partition is None or item.partition in failing]
    kept.sort(key=lambda item: item.timestamp)
    return tuple(kept), dict(sorted(passed.items()))
