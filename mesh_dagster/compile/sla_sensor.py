"""The SLA sensor: at each deadline, an ``sla`` check result for that period."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)
from dagster._time import get_current_datetime

from mesh_dagster.compile.specs import SLA_CHECK, ProductSpecs
from mesh_dagster.sla.upstream import FirstPublish, MissingInput, missing_inputs, waiting_metadata
from mesh_dagster.sla.verdicts import Verdict, due_periods, judge
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct

SENSOR_NAME = "mesh_sla"


@dataclass
class ProductSlaState:
    """What the sensor remembers of one product between ticks."""

    judged_until: datetime
    missed: dict[str, datetime] = field(default_factory=dict)


def load_state(cursor: str | None) -> dict[str, ProductSlaState]:
    """Return the per-product state kept in the sensor cursor."""
    if not cursor:
        return {}
    raw: dict[str, Any] = json.loads(cursor)
    return {
        name: ProductSlaState(
            datetime.fromisoformat(item["judged_until"]),
            {key: datetime.fromisoformat(at) for key, at in item.get("missed", {}).items()},
        )
        for name, item in raw.get("products", {}).items()
    }


def dump_state(state: dict[str, ProductSlaState]) -> str:
    """Return the state as a compact cursor string."""
    products = {
        name: {
            "judged_until": item.judged_until.isoformat(),
            "missed": {key: at.isoformat() for key, at in sorted(item.missed.items())},
        }
        for name, item in sorted(state.items())
    }
    return json.dumps({"v": 1, "products": products}, separators=(",", ":"))


PUBLISHED_METADATA = "mesh/published"


def first_publish(instance: DagsterInstance, key: AssetKey, partition: str) -> datetime | None:
    """Return when the partition was first published.

    A built product publishes with a materialization; an externally built one when an
    observation first saw rows of the period whose error checks passed.
    """
    records_filter = AssetRecordsFilter(asset_key=key, asset_partitions=[partition])
    records = instance.fetch_materializations(records_filter, limit=1, ascending=True).records
    if not records:
        observed = instance.fetch_observations(records_filter, limit=100, ascending=True).records
        records = [
            record
            for record in observed
            if (observation := record.asset_observation) is not None
            and PUBLISHED_METADATA in observation.metadata
            and observation.metadata[PUBLISHED_METADATA].value is True
        ][:1]
    if not records:
        return None
    return datetime.fromtimestamp(records[0].timestamp, tz=get_current_datetime().tzinfo)


def verdict_evaluation(
    key: AssetKey, verdict: Verdict, waiting_for: Sequence[MissingInput] = ()
) -> AssetCheckEvaluation:
    """Return the ``sla`` check result of a verdict (late is a WARN failure).

    ``waiting_for``: the input periods not published by the deadline (the miss's cause).
    """
    metadata: dict[str, Any] = {
        "partition": verdict.partition,
        "status": verdict.status,
        "deadline": verdict.deadline.isoformat(),
        "published_at": verdict.published_at.isoformat() if verdict.published_at else "",
        **waiting_metadata(waiting_for),
    }
    late_by = verdict.late_by
    if late_by is not None:
        metadata["late_by_minutes"] = round(late_by.total_seconds() / 60, 1)
    descriptions = {
        "on_time": f"published before the deadline {verdict.deadline:%Y-%m-%d %H:%M %Z}",
        "late": f"published late, after the deadline {verdict.deadline:%Y-%m-%d %H:%M %Z}",
        "missed": f"not published by the deadline {verdict.deadline:%Y-%m-%d %H:%M %Z}",
        "pending": f"not published yet; due by {verdict.deadline:%Y-%m-%d %H:%M %Z}",
    }
    description = descriptions[verdict.status]
    if waiting_for:
        description += "; waiting for " + ", ".join(
            f"{item} (itself missed)" if item.missed else str(item) for item in waiting_for
        )
    return AssetCheckEvaluation(
        asset_key=key,
        check_name=SLA_CHECK,
        passed=verdict.status == "on_time",
        severity=(
            AssetCheckSeverity.ERROR if verdict.status == "missed" else AssetCheckSeverity.WARN
        ),
        metadata=metadata,
        description=description,
        partition=verdict.partition,
    )


@dataclass
class ProductTick:
    """What one tick decided for one product: runless verdicts and late ones to run."""

    evaluations: list[AssetCheckEvaluation] = field(default_factory=list)
    late_partitions: list[str] = field(default_factory=list)


def published_lookup(instance: DagsterInstance, keys: Mapping[str, AssetKey]) -> FirstPublish:
    """Return when a product's (by name) period was first published in ``instance``."""
    return lambda name, partition: first_publish(instance, keys[name], partition)


def evaluate_product(
    instance: DagsterInstance,
    mesh: Mesh,
    product: DataProduct,
    key: AssetKey,
    state: ProductSlaState,
    now: datetime,
    inputs_published: FirstPublish | None = None,
) -> ProductTick:
    """Judge the product's periods that came due since the last tick, and late publishes.

    A period already judged missed gets its late verdict from a run of the ``sla`` check
    (Dagster keeps one runless result per check and partition). A missed or late verdict
    records the input periods that were not published by the deadline
    (``inputs_published`` tells when an input period was; None: inputs are not looked at).
    """
    result = ProductTick()
    for partition in sorted(state.missed):
        if first_publish(instance, key, partition) is not None:
            result.late_partitions.append(partition)
            del state.missed[partition]
    for item in due_periods(mesh, product, state.judged_until, now):
        verdict = judge(product, item, first_publish(instance, key, item.period.key), now)
        if verdict is None:
            continue
        waiting: list[MissingInput] = []
        if verdict.status != "on_time" and inputs_published is not None:
            waiting = missing_inputs(mesh, product, item, now, inputs_published)
        result.evaluations.append(verdict_evaluation(key, verdict, waiting))
        if verdict.status == "missed":
            state.missed[verdict.partition] = verdict.deadline
    state.judged_until = max(state.judged_until, now)
    return result


def build_sla_sensor(
    mesh: Mesh, products: Sequence[ProductSpecs], verdict_job: JobDefinition
) -> SensorDefinition:
    """Return the sensor that records an ``sla`` verdict per period at its deadline."""
    watched = [item for item in products if item.sla_check is not None]
    keys = {item.product.name: item.asset.key for item in products}

    @sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Records the per-period SLA verdict (on time, late, missed) as `sla` checks.",
        job=verdict_job,
    )
    def _sla(context: SensorEvaluationContext) -> SensorResult:
        now = get_current_datetime()
        state = load_state(context.cursor)
        events: list[AssetCheckEvaluation] = []
        runs: list[RunRequest] = []
        inputs_published = published_lookup(context.instance, keys)
        for item in watched:
            # Verdicts begin with the first deadline after the product first appears.
            product_state = state.setdefault(item.product.name, ProductSlaState(now))
            tick = evaluate_product(
                context.instance,
                mesh,
                item.product,
                item.asset.key,
                product_state,
                now,
                inputs_published,
            )
            events += tick.evaluations
            runs += [
                RunRequest(
                    run_key=f"sla-late-{item.product.name}-{partition}",
                    run_config={
                        "ops": {
                            "record_late_sla_verdict": {
                                "config": {"product": item.product.name, "partition": partition}
                            }
                        }
                    },
                    tags={"mesh/sla": "late", "mesh/product": item.product.name},
                )
                for partition in tick.late_partitions
            ]
        return SensorResult(run_requests=runs, asset_events=events, cursor=dump_state(state))

    return _sla
