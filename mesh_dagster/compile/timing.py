"""Partitions and freshness policies, each distinct one built once per definitions load."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from dagster import (
    DailyPartitionsDefinition,
    FreshnessPolicy,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct, PartitionUnit
from mesh_dagster.spec.periods import Period, period_for_key

_PERIOD_LENGTH: dict[PartitionUnit, timedelta] = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "month": timedelta(days=31),
}


@dataclass
class TimingCatalog:
    """Builds partitions definitions and freshness policies, sharing equal ones."""

    mesh: Mesh
    _partitions: dict[tuple[str, str, str], TimeWindowPartitionsDefinition] = field(
        default_factory=dict
    )
    _freshness: dict[tuple[str, float, str], FreshnessPolicy] = field(default_factory=dict)

    def partitions_def(self, product: DataProduct) -> TimeWindowPartitionsDefinition | None:
        """Return the product's partitions in its schedule's timezone, or None."""
        partitioning = product.spec.partitioning
        if partitioning is None:
            return None
        timezone = self.mesh.timezone_of(product)
        start = partitioning.start.isoformat()
        key = (partitioning.by, start, timezone)
        if key not in self._partitions:
            self._partitions[key] = _new_partitions(partitioning.by, start, timezone)
        return self._partitions[key]

    def freshness_policy(self, product: DataProduct) -> FreshnessPolicy | None:
        """Return a cron freshness policy at the SLA deadline, or a time window, or None."""
        spec = product.spec
        hours = spec.quality.freshness_sla_hours
        deadline = deadline_cron(product)
        if deadline is None:
            if hours is None:
                return None
            window = ("window", hours, "")
            if window not in self._freshness:
                self._freshness[window] = FreshnessPolicy.time_window(
                    fail_window=timedelta(hours=hours)
                )
            return self._freshness[window]
        assert spec.partitioning is not None
        lower = timedelta(hours=hours) if hours else _PERIOD_LENGTH[spec.partitioning.by]
        timezone = self.mesh.sla_timezone_of(product)
        key = (deadline, lower.total_seconds(), timezone)
        if key not in self._freshness:
            self._freshness[key] = FreshnessPolicy.cron(
                deadline_cron=deadline, lower_bound_delta=lower, timezone=timezone
            )
        return self._freshness[key]


def _new_partitions(
    unit: PartitionUnit, start: str, timezone: str
) -> TimeWindowPartitionsDefinition:
    if unit == "hour":
        return HourlyPartitionsDefinition(start_date=f"{start}-00:00", timezone=timezone)
    if unit == "day":
        return DailyPartitionsDefinition(start_date=start, timezone=timezone)
    if unit == "week":
        return WeeklyPartitionsDefinition(start_date=start, timezone=timezone)
    return MonthlyPartitionsDefinition(start_date=start, timezone=timezone)


def deadline_cron(product: DataProduct) -> str | None:
    """Return the cron of the product's SLA deadlines (read in the SLA timezone), or None."""
    sla, partitioning = product.spec.sla, product.spec.partitioning
    if sla is None or partitioning is None:
        return None
    if sla.within is not None:
        minutes = int(sla.within.total_seconds() // 60)
        if partitioning.by != "hour" or minutes >= 60:
            return None
        return f"{minutes} * * * *"
    assert sla.available_by is not None
    at = f"{sla.available_by.minute} {sla.available_by.hour}"
    return {
        "hour": f"{sla.available_by.minute} * * * *",
        "day": f"{at} * * *",
        "week": f"{at} * * 0",
        "month": f"{at} 1 * *",
    }[partitioning.by]


def period_of_key(mesh: Mesh, product: DataProduct, key: str) -> Period:
    """Return the period of partition ``key`` of ``product``."""
    assert product.spec.partitioning is not None
    return period_for_key(key, product.spec.partitioning.by, mesh.timezone_of(product))
