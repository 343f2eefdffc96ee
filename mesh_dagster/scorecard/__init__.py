"""Scorecards: availability against the SLA target, error budgets, quality and incidents.

The computation is pure (``compute_scorecard`` over a ``History`` of plain records); the
readers that fill a ``History`` from a Dagster instance live in
``mesh_dagster.scorecard.instance_history`` and are imported on their own.
"""

from __future__ import annotations

from mesh_dagster.scorecard.compute import compute_scorecard
from mesh_dagster.scorecard.history import (
    History,
    ProductHistory,
    Publish,
    RuleEvaluation,
    RunFailure,
    VerdictEvent,
    compact_evaluations,
    compact_verdicts,
)
from mesh_dagster.scorecard.incidents import IncidentSpan, derive_incidents
from mesh_dagster.scorecard.model import (
    Availability,
    ErrorBudget,
    IncidentSummary,
    MeshScorecard,
    PeriodOutcome,
    ProductScorecard,
    Quality,
    RollupScorecard,
)
from mesh_dagster.scorecard.window import Window, WindowError, parse_window

__all__ = [
    "Availability",
    "ErrorBudget",
    "History",
    "IncidentSpan",
    "IncidentSummary",
    "MeshScorecard",
    "PeriodOutcome",
    "ProductHistory",
    "ProductScorecard",
    "Publish",
    "Quality",
    "RollupScorecard",
    "RuleEvaluation",
    "RunFailure",
    "VerdictEvent",
    "Window",
    "WindowError",
    "compact_evaluations",
    "compact_verdicts",
    "compute_scorecard",
    "derive_incidents",
    "parse_window",
]
