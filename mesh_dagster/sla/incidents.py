"""What an SLA verdict does to its period's ``sla_missed`` incident: the one rule both the
alert sensor and the scorecard apply.

- `missed` opens the incident when the verdict is recorded;
- `late` or `on_time` resolves it at the first publish;
- `late` as the period's first failed verdict (the sensor first judged it after the data
  landed, e.g. the daemon was down over the deadline) is a miss caught up: the incident opens
  at the deadline and resolves at the publish, both at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

IncidentChange = Literal["open", "resolve"]


@dataclass(frozen=True)
class SlaIncidentStep:
    """One change to a period's ``sla_missed`` incident, and the instant it takes effect."""

    change: IncidentChange
    at: datetime


def sla_incident_steps(
    status: str,
    *,
    judged_at: datetime,
    deadline: datetime | None,
    published_at: datetime | None,
    failed_before: bool,
) -> list[SlaIncidentStep]:
    """Return the changes a verdict makes to its period's ``sla_missed`` incident, in order.

    ``failed_before`` says whether a `missed` or `late` verdict on the period came first;
    without one, a `late` verdict opens the incident (at ``deadline``) as well as resolving
    it. Resolving an incident that is not open changes nothing (the caller decides).
    """
    if status == "missed":
        return [SlaIncidentStep("open", judged_at)]
    if status not in ("late", "on_time"):
        return []  # `pending`: a hand-run check before the deadline says nothing yet
    resolved_at = published_at or judged_at
    steps: list[SlaIncidentStep] = []
    if status == "late" and not failed_before:
        steps.append(SlaIncidentStep("open", deadline or resolved_at))
    steps.append(SlaIncidentStep("resolve", resolved_at))
    return steps
