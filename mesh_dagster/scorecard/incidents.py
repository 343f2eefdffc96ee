"""Incidents found in a product's history: when each opened and when it recovered.

The same rules as the alert sensor, applied to the recorded events: an SLA miss opens
``sla_missed`` until the period is published (or judged late), and a period first judged
late (the miss was caught up after the data landed) is an ``sla_missed`` incident from its
deadline to its publish (``sla.incidents`` holds that rule); a failed error rule opens
``check_failed`` for (period, rule) until the rule passes on that period; a failed build
step opens ``run_failed`` for the period until it is published, unless a blocking rule
failed in the same run (then the rule's incident is the one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from mesh_dagster.scorecard.history import (
    ProductHistory,
    Publish,
    RuleEvaluation,
    RunFailure,
    VerdictEvent,
)
from mesh_dagster.sla.incidents import sla_incident_steps

IncidentKind = Literal["sla_missed", "check_failed", "run_failed"]
INCIDENT_KINDS: tuple[IncidentKind, ...] = ("sla_missed", "check_failed", "run_failed")


@dataclass(frozen=True)
class IncidentSpan:
    """One incident of a product: what it was about, when it opened and recovered."""

    kind: IncidentKind
    partition: str | None
    rule: str | None
    opened_at: datetime
    resolved_at: datetime | None

    @property
    def time_to_recover(self) -> timedelta | None:
        """Return how long the incident was open; None while it is."""
        return None if self.resolved_at is None else self.resolved_at - self.opened_at


_Key = tuple[IncidentKind, str | None, str | None]
# At one instant (a frozen clock, one run's events) a build's rule results and step failure
# come before its publish, and the SLA sensor's verdict after it.
_EVALUATION, _RUN_FAILURE, _PUBLISH, _VERDICT = range(4)
_FAILED_VERDICTS = ("missed", "late")


def _events(history: ProductHistory) -> list[tuple[datetime, int, int, object]]:
    """Return the events of the periods where something failed, in time order."""
    troubled = {e.partition for e in history.evaluations if not e.passed}
    troubled |= {v.partition for v in history.verdicts if v.status in _FAILED_VERDICTS}
    troubled |= {f.partition for f in history.run_failures}
    if not troubled:
        return []  # most products, most of the time: nothing ever opened
    events: list[tuple[datetime, int, int, object]] = []
    for index, publish in enumerate(history.publishes):
        if publish.partition in troubled:
            events.append((publish.timestamp, _PUBLISH, index, publish))
    for index, evaluation in enumerate(history.evaluations):
        if evaluation.partition in troubled:
            events.append((evaluation.timestamp, _EVALUATION, index, evaluation))
    for index, verdict in enumerate(history.verdicts):
        if verdict.partition in troubled:
            events.append((verdict.timestamp, _VERDICT, index, verdict))
    for index, failure in enumerate(history.run_failures):
        events.append((failure.timestamp, _RUN_FAILURE, index, failure))
    events.sort(key=lambda item: item[:3])
    return events


def derive_incidents(
    history: ProductHistory, until: datetime, deadlines: Mapping[str, datetime] | None = None
) -> list[IncidentSpan]:
    """Return the product's incidents from events before ``until``, in the order they opened.

    ``deadlines`` (by period) date the misses caught up late; a period first judged late
    whose deadline is not given came due before the span read, and is left out.
    """
    failed_runs = {e.run_id for e in history.evaluations if not e.passed and e.run_id}
    known_deadlines = deadlines or {}
    published: dict[str, datetime] = {}
    judged_failed: set[str] = set()
    opened: dict[_Key, datetime] = {}
    spans: list[IncidentSpan] = []

    def open_(key: _Key, at: datetime) -> None:
        if key not in opened:
            opened[key] = at

    def resolve(key: _Key, at: datetime) -> None:
        start = opened.pop(key, None)
        if start is not None:
            spans.append(IncidentSpan(key[0], key[1], key[2], start, at))

    for at, _, _, event in _events(history):
        if at >= until:
            break
        if isinstance(event, Publish):
            resolve(("run_failed", event.partition, None), at)
            if event.partition is not None:
                published.setdefault(event.partition, at)
                resolve(("sla_missed", event.partition, None), at)
        elif isinstance(event, RuleEvaluation):
            key: _Key = ("check_failed", event.partition, event.rule)
            if event.passed:
                resolve(key, at)
            else:
                open_(key, at)
        elif isinstance(event, VerdictEvent):
            key = ("sla_missed", event.partition, None)
            deadline = known_deadlines.get(event.partition)
            steps = sla_incident_steps(
                event.status,
                judged_at=at,
                deadline=deadline,
                published_at=published.get(event.partition),
                failed_before=event.partition in judged_failed,
            )
            if event.status in _FAILED_VERDICTS:
                judged_failed.add(event.partition)
            for step in steps:
                if step.change == "resolve":
                    resolve(key, step.at)
                elif event.status == "missed" or deadline is not None:
                    open_(key, step.at)
        elif isinstance(event, RunFailure) and event.run_id not in failed_runs:
            open_(("run_failed", event.partition, None), at)
    spans += [IncidentSpan(k[0], k[1], k[2], start, None) for k, start in opened.items()]
    spans.sort(key=lambda span: (span.opened_at, span.kind, span.partition or "", span.rule or ""))
    return spans
