"""The build task's work, apart from Airflow: one product period through write-audit-publish.

``build_period`` runs the shared pipeline (``mesh_dagster.build.pipeline.build_product``):
transform, hash PII, evaluate every rule on the staged rows, publish to Delta only when
every error rule passed. The task wrapper (``product_dag``) turns its outcome into the log,
XCom, the asset event's ``extra`` and, for a blocked publish, a failed task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mesh_dagster.airflow.periods import period_of_key
from mesh_dagster.airflow.records import period_key, period_record
from mesh_dagster.build.failure_kinds import BuildFailure, classify_failure
from mesh_dagster.build.pipeline import BuildResult, BuildSettings, build_product
from mesh_dagster.checks.outcome import CheckOutcome, summarize_failures
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct


@dataclass(frozen=True)
class PeriodBuild:
    """What building one period did: its record for XCom and the asset event, and why not."""

    partition: str | None
    record: dict[str, Any]
    blocked: str | None = None
    """The message of a blocked publish (failing error rules named), None when published."""


class BuildTaskError(RuntimeError):
    """A build that failed before its checks decided; ``failure`` says whether to retry."""

    def __init__(self, failure: BuildFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def outcome_line(outcome: CheckOutcome) -> str:
    """Return one rule's outcome as a log line (figures and detail, never a row value)."""
    verdict = "passed" if outcome.passed else "FAILED"
    return (
        f"check {outcome.name} ({outcome.severity}): {verdict}; "
        f"{outcome.failing_rows} of {outcome.rows_checked} rows failing; {outcome.detail}"
    )


def blocked_message(product: DataProduct, partition: str | None, result: BuildResult) -> str:
    """Return the failure text of a blocked publish: the product, its period, each failed rule."""
    where = f" for {partition}" if partition else ""
    return f"'{product.name}' was not published{where}; nothing was written: " + summarize_failures(
        result.outcomes
    )


def build_period(
    mesh: Mesh, product: DataProduct, partition: str | None, settings: BuildSettings
) -> tuple[PeriodBuild, list[CheckOutcome]]:
    """Build one period of ``product``; raise BuildTaskError when it could not be judged."""
    try:
        period = period_of_key(mesh, product, partition) if partition is not None else None
        result = build_product(mesh, product, period, settings)
    except Exception as error:
        raise BuildTaskError(classify_failure(error, product.name)) from error
    record = period_record(result.outcomes, result.published, result.rows, result.version)
    record["partition"] = period_key(partition)
    blocked = None if result.published else blocked_message(product, partition, result)
    return PeriodBuild(partition, record, blocked), result.outcomes
