"""The inputs sensor: builds a scheduled period once its inputs' periods are published.

A product that reads periods of other products is never built over a missing one. After
its cron tick, its period waits here until every input period it reads is published, and
is then built (once) by its schedule group's job. A period waits at most ``MAX_WAIT``;
its SLA verdict (and the ``sla_missed`` notice naming the missing input) does not depend
on this sensor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster._time import get_current_datetime

from mesh_dagster.compile.input_readiness import IsPublished, plan_readiness
from mesh_dagster.compile.names import short_hash
from mesh_dagster.compile.publish_index import PublishIndex
from mesh_dagster.compile.schedules import ScheduleGroup
from mesh_dagster.spec.input_periods import input_periods
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.periods import last_complete_period, next_tick, period_for_key

SENSOR_NAME = "mesh_inputs_ready"
MAX_WAIT = timedelta(days=35)
"""How long after its tick a period may still be built when its inputs land."""
MAX_TICKS_PER_EVALUATION = 400
"""Cron ticks looked at in one evaluation (a minutely cron after a long downtime)."""


@dataclass
class GroupState:
    """What the sensor remembers of one schedule group between evaluations."""

    since: datetime
    waiting: dict[str, list[str]] = field(default_factory=dict)
    """Period key -> names of the products of that period not built yet."""


def load_state(cursor: str | None) -> dict[str, GroupState]:
    """Return the per-group state kept in the sensor cursor."""
    if not cursor:
        return {}
    raw: dict[str, Any] = json.loads(cursor)
    return {
        name: GroupState(datetime.fromisoformat(item["since"]), dict(item.get("waiting", {})))
        for name, item in raw.get("groups", {}).items()
    }


def dump_state(state: Mapping[str, GroupState]) -> str:
    """Return the state as a compact cursor string."""
    groups = {
        name: {"since": item.since.isoformat(), "waiting": dict(sorted(item.waiting.items()))}
        for name, item in sorted(state.items())
    }
    return json.dumps({"v": 1, "groups": groups}, separators=(",", ":"))


def ticks_between(cron: str, timezone: str, after: datetime, until: datetime) -> list[datetime]:
    """Return the ticks of ``cron`` in ``(after, until]``, at most the latest few hundred."""
    ticks: list[datetime] = []
    moment = next_tick(cron, after + timedelta(seconds=1), timezone)
    while moment <= until:
        ticks.append(moment)
        moment = next_tick(cron, moment + timedelta(seconds=1), timezone)
        if len(ticks) > MAX_TICKS_PER_EVALUATION:
            ticks.pop(0)
    return ticks


def record_ticks(group: ScheduleGroup, state: GroupState, now: datetime) -> None:
    """Add the periods whose tick passed since the last evaluation to those waiting."""
    assert group.unit is not None and group.partitions_def is not None
    for tick in ticks_between(group.cron, group.timezone, state.since, now):
        period = last_complete_period(tick, group.unit, group.timezone)
        end = group.partitions_def.end
        if period.start >= group.partitions_def.start and (end is None or period.start < end):
            state.waiting.setdefault(period.key, list(group.waits_for_inputs))
    state.since = max(state.since, now)


def waiting_pairs(
    mesh: Mesh, group: ScheduleGroup, state: GroupState, keys: Mapping[str, AssetKey]
) -> Iterator[tuple[AssetKey, str]]:
    """Return the (asset, partition) pairs whose publish decides the waiting periods."""
    assert group.unit is not None
    for period_key, names in state.waiting.items():
        period = period_for_key(period_key, group.unit, group.timezone)
        for name in names:
            yield keys[name], period_key
            for need in input_periods(mesh, mesh.product(name), period):
                yield keys[need.product], need.period.key


def request_ready(
    mesh: Mesh,
    group: ScheduleGroup,
    state: GroupState,
    keys: Mapping[str, AssetKey],
    is_published: IsPublished,
    now: datetime,
) -> list[RunRequest]:
    """Request the waiting periods whose inputs are published; drop those waited too long."""
    assert group.unit is not None
    requests: list[RunRequest] = []
    for period_key in sorted(state.waiting):
        period = period_for_key(period_key, group.unit, group.timezone)
        names = [
            name for name in state.waiting[period_key] if not is_published(keys[name], period_key)
        ]
        readiness = plan_readiness(mesh, names, period, keys, is_published)
        if readiness.ready:
            assets, checks = group.build_selection(readiness.ready)
            requests.append(
                RunRequest(
                    run_key=f"inputs-{period_key}-{short_hash('|'.join(readiness.ready))}",
                    job_name=group.name,
                    partition_key=period_key,
                    asset_selection=assets,
                    asset_check_keys=checks,
                    tags={"mesh/built_when": "inputs_published"},
                )
            )
        waiting = sorted(readiness.waiting)
        if waiting and period.end + MAX_WAIT > now:
            state.waiting[period_key] = waiting
        else:
            del state.waiting[period_key]
    return requests


def build_inputs_sensor(
    mesh: Mesh,
    groups: Sequence[ScheduleGroup],
    jobs: Sequence[UnresolvedAssetJobDefinition],
    keys: Mapping[str, AssetKey],
) -> SensorDefinition:
    """Return the sensor that builds each waiting period once its inputs are published."""
    watched = [group for group in groups if group.waits_for_inputs]

    @sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Builds each scheduled period of a product that reads other products' periods "
            "once, after its tick, every input period is published."
        ),
        jobs=list(jobs),
    )
    def _inputs_ready(context: SensorEvaluationContext) -> SensorResult:
        now = get_current_datetime()
        state = load_state(context.cursor)
        index = PublishIndex(context.instance)
        requests: list[RunRequest] = []
        for group in watched:
            # Like the schedule, a new sensor starts with the next tick, not the past.
            record_ticks(group, state.setdefault(group.name, GroupState(now)), now)
        # One bulk read for every waiting period's products and inputs (none: no read).
        index.prefetch(
            pair
            for group in watched
            for pair in waiting_pairs(mesh, group, state[group.name], keys)
        )
        for group in watched:
            requests += request_ready(mesh, group, state[group.name], keys, index.is_published, now)
        for name in set(state) - {group.name for group in watched}:
            del state[name]
        return SensorResult(run_requests=requests, cursor=dump_state(state))

    return _inputs_ready
