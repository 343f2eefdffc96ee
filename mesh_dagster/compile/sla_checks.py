"""The ``sla`` check definitions: normally reported by the SLA sensor, runnable on demand."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

from collections.abc import Iterator, Sequence
from datetime import datetime

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    DagsterInstance,
    multi_asset_check,
)
from dagster._time import get_current_datetime

from mesh_dagster.compile.names import short_hash
from mesh_dagster.compile.sla_sensor import first_publish, verdict_evaluation
from mesh_dagster.compile.specs import SLA_CHECK, ProductSpecs
from mesh_dagster.compile.timing import period_of_key
from mesh_dagster.sla.status import sla_status
from mesh_dagster.sla.verdicts import DuePeriod, Verdict, deadline_of, not_judged_reason
from mesh_dagster.spec.mesh import Mesh

NOT_JUDGED = "not_judged"


def _result(evaluation_verdict: Verdict, item: ProductSpecs) -> AssetCheckResult:
    evaluation = verdict_evaluation(item.asset.key, evaluation_verdict)
    return AssetCheckResult(
        asset_key=item.asset.key,
        check_name=evaluation.check_name,
        passed=evaluation.passed,
        severity=evaluation.severity,
        metadata=dict(evaluation.metadata),
        description=evaluation.description,
    )


def first_appearance(instance: DagsterInstance, key: AssetKey) -> datetime | None:
    """Return when the asset was first materialized or observed in ``instance``, or None."""
    moments = [
        records[0].timestamp
        for fetch in (instance.fetch_materializations, instance.fetch_observations)
        if (records := fetch(key, limit=1, ascending=True).records)
    ]
    if not moments:
        return None
    return datetime.fromtimestamp(min(moments), tz=get_current_datetime().tzinfo)


def _not_judged(item: ProductSpecs, due: DuePeriod, reason: str) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=item.asset.key,
        check_name=SLA_CHECK,
        passed=True,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "partition": due.period.key,
            "status": NOT_JUDGED,
            "deadline": due.deadline.isoformat(),
        },
        description=reason,
    )


def build_sla_checks(mesh: Mesh, products: Sequence[ProductSpecs]) -> list[AssetChecksDefinition]:
    """Return one check definition per partitioning and domain holding the ``sla`` checks.

    Schedules never run them (the sensor reports verdicts at each deadline); run by hand,
    they judge the selected partition now from its first publish. One definition per
    domain, not one for the whole mesh: Dagster 1.13 builds a job in time quadratic in the
    size of a multi-asset check (6 s of 18 for a 3,000-product mesh).
    """
    groups: dict[tuple[object, str], list[ProductSpecs]] = {}
    for item in products:
        if item.sla_check is not None:
            key = (item.asset.partitions_def, item.product.domain)
            groups.setdefault(key, []).append(item)
    return [_sla_check_definition(mesh, members) for members in groups.values()]


def _sla_check_definition(mesh: Mesh, members: list[ProductSpecs]) -> AssetChecksDefinition:
    by_key = {item.asset.key: item for item in members}
    specs: list[AssetCheckSpec] = [item.sla_check for item in members if item.sla_check]
    name = "mesh_sla_" + short_hash("|".join(sorted(i.product.name for i in members)), 8)

    @multi_asset_check(specs=specs, can_subset=True, name=name)
    def _sla(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
        now = get_current_datetime()
        key = context.partition_key
        for check_key in sorted(context.selected_asset_check_keys, key=str):
            item = by_key[check_key.asset_key]
            period = period_of_key(mesh, item.product, key)
            due = DuePeriod(period, deadline_of(mesh, item.product, period))
            seen = first_appearance(context.instance, item.asset.key)
            reason = not_judged_reason(mesh, item.product, due, seen)
            if reason is not None:
                yield _not_judged(item, due, reason)
                continue
            published_at = first_publish(context.instance, item.asset.key, key)
            yield _result(sla_status(item.product, due, published_at, now), item)

    return _sla
