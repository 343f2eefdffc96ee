"""The SLA sensor: at each deadline, an ``sla`` check result for that period.

A tick's work follows what changed, not the size of the mesh: each product's next
deadline is remembered between ticks (nothing to compute until it passes), due periods
are computed once per SLA shape, and whether the due and still-missed periods are
published is read in bulk (``publish_index``); with nothing due or missed, a tick reads
nothing from the instance.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetKey,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)
from dagster._time import get_current_datetime

from mesh_dagster.compile.publish_index import PUBLISHED_METADATA as PUBLISHED_METADATA
from mesh_dagster.compile.publish_index import PublishIndex
from mesh_dagster.compile.publish_index import first_publish as first_publish
from mesh_dagster.compile.specs import SLA_CHECK, ProductSpecs
from mesh_dagster.sla.upstream import FirstPublish, MissingInput, missing_inputs, waiting_metadata
from mesh_dagster.sla.verdicts import DuePeriod, Verdict, due_periods, judge, judging_start
from mesh_dagster.spec.input_periods import input_periods
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


LOOKAHEAD = timedelta(days=1)
"""How far past a tick the next deadline is looked for (none by then: look again then)."""


class DueCalendar:
    """The periods that came due, per product; computed once per SLA shape and tick.

    Remembers each product's next deadline, so that a tick before it computes nothing.
    Kept in memory only: a reload of the definitions (a changed spec) starts afresh.
    """

    def __init__(self, mesh: Mesh) -> None:
        self._mesh = mesh
        self._quiet_until: dict[str, tuple[datetime, datetime]] = {}
        self._shapes: dict[str, tuple[Hashable, ...]] = {}
        self._shared: dict[tuple[Hashable, ...], list[DuePeriod]] = {}

    def new_tick(self) -> None:
        """Forget the due periods shared within the last tick."""
        self._shared.clear()

    def due(self, product: DataProduct, after: datetime, until: datetime) -> list[DuePeriod]:
        """Return the periods whose deadline falls in ``(after, until]`` (``due_periods``)."""
        quiet = self._quiet_until.get(product.name)
        if quiet is not None and quiet[0] <= after and until < quiet[1]:
            return []  # no deadline between the last look and the next deadline
        horizon = until + LOOKAHEAD
        found = self._shared_periods(product, after, horizon)
        later = [item.deadline for item in found if item.deadline > until]
        self._quiet_until[product.name] = (until, later[0] if later else horizon)
        return [item for item in found if item.deadline <= until]

    def _shared_periods(
        self, product: DataProduct, after: datetime, until: datetime
    ) -> list[DuePeriod]:
        key = (*self._shape(product), after, until)
        if key not in self._shared:
            self._shared[key] = due_periods(self._mesh, product, after, until)
        return self._shared[key]

    def _shape(self, product: DataProduct) -> tuple[Hashable, ...]:
        """Return everything ``due_periods`` reads of the product: alike products share work."""
        shape = self._shapes.get(product.name)
        if shape is None:
            spec, mesh = product.spec, self._mesh
            shape = (spec.partitioning, spec.sla, mesh.timezone_of(product))
            shape += (mesh.sla_timezone_of(product),)
            self._shapes[product.name] = shape
        return shape


_DESCRIPTIONS = {
    "on_time": "published before the deadline",
    "late": "published late, after the deadline",
    "missed": "not published by the deadline",
    "pending": "not published yet; due by",
}


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
    description = f"{_DESCRIPTIONS[verdict.status]} {verdict.deadline:%Y-%m-%d %H:%M %Z}"
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


def published_lookup(index: PublishIndex, keys: Mapping[str, AssetKey]) -> FirstPublish:
    """Return when a product's (by name) period was first published, as ``index`` knows."""
    return lambda name, partition: index.first_publish(keys[name], partition)


@dataclass
class ProductPlan:
    """One product's work in a tick: its state and the periods that came due."""

    item: ProductSpecs
    state: ProductSlaState
    due: list[DuePeriod]

    def pairs(self) -> Iterator[tuple[AssetKey, str]]:
        """Return the (asset, partition) pairs whose publish the tick needs to know."""
        key = self.item.asset.key
        yield from ((key, partition) for partition in self.state.missed)
        yield from ((key, item.period.key) for item in self.due)


def input_pairs(
    mesh: Mesh, plan: ProductPlan, index: PublishIndex, keys: Mapping[str, AssetKey]
) -> Iterator[tuple[AssetKey, str]]:
    """Return the input periods of the plan's due periods that will not be on time."""
    for item in plan.due:
        published = index.first_publish(plan.item.asset.key, item.period.key)
        if published is None or published > item.deadline:
            for need in input_periods(mesh, plan.item.product, item.period):
                yield keys[need.product], need.period.key


def evaluate_product(
    published: PublishIndex,
    mesh: Mesh,
    product: DataProduct,
    key: AssetKey,
    state: ProductSlaState,
    due: Sequence[DuePeriod],
    now: datetime,
    inputs_published: FirstPublish | None = None,
) -> ProductTick:
    """Judge the product's periods that came ``due`` since the last tick, and late publishes.

    A period already judged missed gets its late verdict from a run of the ``sla`` check
    (Dagster keeps one runless result per check and partition). A missed or late verdict
    records the input periods that were not published by the deadline
    (``inputs_published`` tells when an input period was; None: inputs are not looked at).
    """
    result = ProductTick()
    for partition in sorted(state.missed):
        if published.first_publish(key, partition) is not None:
            result.late_partitions.append(partition)
            del state.missed[partition]
    for item in due:
        verdict = judge(product, item, published.first_publish(key, item.period.key), now)
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
    calendar = DueCalendar(mesh)

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
        index = PublishIndex(context.instance)
        inputs_published = published_lookup(index, keys)
        calendar.new_tick()
        plans: list[ProductPlan] = []
        for item in watched:
            name = item.product.name
            if name not in state:
                # Verdicts begin with sla.judged_from, else the first deadline after the
                # product first appears.
                state[name] = ProductSlaState(judging_start(mesh, item.product, now))
            due = calendar.due(item.product, state[name].judged_until, now)
            plans.append(ProductPlan(item, state[name], due))
        # Two bulk reads: the due and missed periods, then the inputs of those not on time.
        index.prefetch(pair for plan in plans for pair in plan.pairs())
        index.prefetch(pair for plan in plans for pair in input_pairs(mesh, plan, index, keys))
        for plan in plans:
            item = plan.item
            tick = evaluate_product(
                index,
                mesh,
                item.product,
                item.asset.key,
                plan.state,
                plan.due,
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
