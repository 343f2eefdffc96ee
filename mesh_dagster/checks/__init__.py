"""Quality rules as plain data (CheckPlan) and their evaluation on Arrow tables in DuckDB.

Names are imported on first use: planning checks (and binding SQL at validate time) does
not import pyarrow, which only evaluation needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesh_dagster.lazy import lazy_names

if TYPE_CHECKING:
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

__getattr__ = lazy_names(
    __name__,
    {
        "CheckKind": "mesh_dagster.checks.plan",
        "CheckOutcome": "mesh_dagster.checks.outcome",
        "CheckPlan": "mesh_dagster.checks.plan",
        "CheckPlanError": "mesh_dagster.checks.names",
        "CheckRefusedError": "mesh_dagster.checks.engine",
        "CheckScope": "mesh_dagster.checks.plan",
        "DeclaredColumn": "mesh_dagster.checks.plan",
        "EngineSettings": "mesh_dagster.checks.engine",
        "PlannedCheck": "mesh_dagster.checks.plan",
        "evaluate_checks": "mesh_dagster.checks.evaluate",
        "failed_errors": "mesh_dagster.checks.outcome",
        "plan_checks": "mesh_dagster.checks.plan",
        "summarize_failures": "mesh_dagster.checks.outcome",
    },
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
