"""The job that records a late SLA verdict for a period the sensor already judged missed.

Dagster keeps one runless result per check and partition, so a period's second verdict
(late, after missed) is logged from a small run the SLA sensor requests.
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

from collections.abc import Sequence

from dagster import (
    Config,
    JobDefinition,
    OpExecutionContext,
    job,
    op,
)

from mesh_dagster.compile.sla_sensor import first_publish, verdict_evaluation
from mesh_dagster.compile.specs import ProductSpecs
from mesh_dagster.compile.timing import period_of_key
from mesh_dagster.sla.verdicts import Verdict, deadline_of
from mesh_dagster.spec.mesh import Mesh

VERDICT_JOB = "mesh_sla_verdicts"


class LateVerdictConfig(Config):
    """Which period to record a late verdict for."""

    product: str
    partition: str


def build_verdict_job(mesh: Mesh, products: Sequence[ProductSpecs]) -> JobDefinition:
    """Return the job that logs the late ``sla`` verdict of one product period."""
    by_name = {item.product.name: item for item in products if item.sla_check is not None}

    @op(name="record_late_sla_verdict")
    def _record(context: OpExecutionContext, config: LateVerdictConfig) -> None:
        item = by_name[config.product]
        period = period_of_key(mesh, item.product, config.partition)
        deadline = deadline_of(mesh, item.product, period)
        published_at = first_publish(context.instance, item.asset.key, config.partition)
        if published_at is None or published_at <= deadline:
            context.log.info(f"{config.product} {config.partition}: no late publish to record")
            return
        verdict = Verdict(config.product, config.partition, deadline, "late", published_at)
        # log_event records check evaluations too; its annotation lags behind.
        context.log_event(verdict_evaluation(item.asset.key, verdict))  # type: ignore[arg-type]

    @job(name=VERDICT_JOB, description="Records late SLA verdicts (requested by mesh_sla).")
    def _verdicts() -> None:
        _record()

    return _verdicts
