"""One job and schedule per distinct cron + timezone + partitioning, for all its products."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetSelection,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    TimeWindowPartitionsDefinition,
    define_asset_job,
    schedule,
)
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from mesh_dagster.compile.names import dagster_name, short_hash
from mesh_dagster.compile.specs import ProductSpecs
from mesh_dagster.spec.input_periods import reads_input_periods
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import PartitionUnit
from mesh_dagster.spec.periods import last_complete_period


@dataclass(frozen=True)
class ScheduleGroup:
    """Products that share a cron, a timezone and a partitioning."""

    cron: str
    timezone: str
    unit: PartitionUnit | None
    partitions_def: TimeWindowPartitionsDefinition | None
    keys: tuple[AssetKey, ...]
    products: tuple[str, ...] = ()
    checks: tuple[tuple[AssetCheckKey, ...], ...] = ()
    """The build's checks of each member (not the ``sla`` check), in member order."""
    waits_for_inputs: tuple[str, ...] = ()
    """Members built by the inputs sensor, not the schedule: they read input periods."""

    def build_selection(self, names: Sequence[str]) -> tuple[list[AssetKey], list[AssetCheckKey]]:
        """Return the asset and check keys that build the members ``names``."""
        chosen = set(names)
        members = zip(self.products, self.keys, self.checks, strict=True)
        picked = [(key, checks) for name, key, checks in members if name in chosen]
        return [key for key, _ in picked], [check for _, checks in picked for check in checks]

    @property
    def name(self) -> str:
        """Return a stable, readable name for the group's job and schedule."""
        readable = self.cron.replace("*", "x").replace("/", "every")
        unit = self.unit or "unpartitioned"
        start = (
            self.partitions_def.start.strftime("%Y%m%d") if self.partitions_def is not None else ""
        )
        if self.partitions_def is not None and self.partitions_def.end is not None:
            start += self.partitions_def.end.strftime("-%Y%m%d")  # names without an end stay
        base = dagster_name(f"mesh_{unit}_{readable}_{self.timezone}")
        return f"{base}_{short_hash(f'{self.cron}|{self.timezone}|{unit}|{start}', 6)}"


def group_schedules(mesh: Mesh, products: Sequence[ProductSpecs]) -> list[ScheduleGroup]:
    """Return the schedule groups of the scheduled products."""
    groups: dict[tuple[str, str, object], list[ProductSpecs]] = {}
    for item in products:
        schedule_spec = item.product.spec.schedule
        if schedule_spec is None or item.product.is_external:
            continue
        key = (schedule_spec.cron, mesh.timezone_of(item.product), item.asset.partitions_def)
        groups.setdefault(key, []).append(item)
    result = []
    for (cron, timezone, partitions_def), members in groups.items():
        partitioning = members[0].product.spec.partitioning
        assert partitions_def is None or isinstance(partitions_def, TimeWindowPartitionsDefinition)
        result.append(
            ScheduleGroup(
                cron=cron,
                timezone=timezone,
                unit=partitioning.by if partitioning else None,
                partitions_def=partitions_def,
                keys=tuple(member.asset.key for member in members),
                products=tuple(member.product.name for member in members),
                checks=tuple(
                    tuple(check.key for check in member.checks)
                    + ((member.catalog_check.key,) if member.catalog_check else ())
                    for member in members
                ),
                waits_for_inputs=tuple(
                    member.product.name
                    for member in members
                    if partitioning is not None and reads_input_periods(mesh, member.product)
                ),
            )
        )
    return sorted(result, key=lambda group: group.name)


def _selection(subset: bool, assets: list[AssetKey], checks: list[AssetCheckKey]) -> dict[str, Any]:
    """Return a RunRequest's selection arguments: none for the whole job."""
    return {"asset_selection": assets, "asset_check_keys": checks} if subset else {}


def build_group_job(
    group: ScheduleGroup, exclude_checks: Sequence[AssetCheckKey] = ()
) -> UnresolvedAssetJobDefinition:
    """Return the job that builds the group's products (the schedule and the inputs sensor).

    ``exclude_checks`` (the ``sla`` checks) are left to the SLA sensor, never the build.
    """
    return define_asset_job(
        name=group.name,
        selection=AssetSelection.assets(*group.keys) - AssetSelection.checks(*exclude_checks),
        partitions_def=group.partitions_def,
        description=f"Builds the products scheduled at '{group.cron}' ({group.timezone}).",
    )


def build_schedule(
    group: ScheduleGroup, job: UnresolvedAssetJobDefinition
) -> ScheduleDefinition | None:
    """Return the group's schedule; a tick requests the period that just ended.

    The schedule builds the members that read no input periods. The others are built by
    the inputs sensor as soon as, after their tick, their inputs' periods are published, so
    none is ever built over a missing input period. None when every member waits so.
    """
    scheduled = [name for name in group.products if name not in group.waits_for_inputs]
    if not scheduled:
        return None
    assets, checks = group.build_selection(scheduled)
    subset = len(scheduled) < len(group.products)

    @schedule(
        name=f"{group.name}_schedule",
        cron_schedule=group.cron,
        execution_timezone=group.timezone,
        job=job,
    )
    def _tick(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        moment = context.scheduled_execution_time
        assert moment is not None
        if group.unit is None or group.partitions_def is None:
            return RunRequest(run_key=moment.isoformat(), **_selection(subset, assets, checks))
        period = last_complete_period(moment, group.unit, group.timezone)
        if period.start < group.partitions_def.start:
            return SkipReason(f"no complete period yet: partitions start {period.key}")
        end = group.partitions_def.end
        if end is not None and period.start >= end:
            return SkipReason(f"the partitions ended: {period.key} is after partitioning.end")
        return RunRequest(
            run_key=period.key, partition_key=period.key, **_selection(subset, assets, checks)
        )

    return _tick
