"""Quality rules as plain data (CheckPlan) and their evaluation on Arrow tables in DuckDB."""

from __future__ import annotations

from mesh_dagster.checks.engine import CheckRefusedError, EngineSettings
from mesh_dagster.checks.evaluate import evaluate_checks
from mesh_dagster.checks.names import CheckPlanError
from mesh_dagster.checks.outcome import CheckOutcome, failed_errors, summarize_failures
from mesh_dagster.checks.plan import (
    CheckKind,
    CheckPlan,
    CheckScope,
    DeclaredColumn,
    PlannedCheck,
    plan_checks,
)

__all__ = [
    "CheckKind",
    "CheckOutcome",
    "CheckPlan",
    "CheckPlanError",
    "CheckRefusedError",
    "CheckScope",
    "DeclaredColumn",
    "EngineSettings",
    "PlannedCheck",
    "evaluate_checks",
    "failed_errors",
    "plan_checks",
    "summarize_failures",
]
