"""Partitions and freshness policies, each distinct one built once per definitions load."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

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
from mesh_dagster.spec.periods import Period, next_period_start, period_for_key, period_start

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
    _partitions: dict[tuple[str, str, str, str], TimeWindowPartitionsDefinition] = field(
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
        end = _exclusive_end(partitioning.by, partitioning.end)
        key = (partitioning.by, start, end, timezone)
        if key not in self._partitions:
            self._partitions[key] = _new_partitions(partitioning.by, start, end, timezone)
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


def _exclusive_end(unit: PartitionUnit, end: date | None) -> str:
    """Return Dagster's (exclusive) end date: the start of the period after ``end``'s; or ""."""
    if end is None:
        return ""
    # Wall-clock arithmetic on a naive midnight: the date is what Dagster reads.
    last = period_start(datetime.combine(end, time(0)), unit)
    return next_period_start(last, unit).date().isoformat()


def _new_partitions(
    unit: PartitionUnit, start: str, end: str, timezone: str
) -> TimeWindowPartitionsDefinition:
    end_date = end or None
    if unit == "hour":
        return HourlyPartitionsDefinition(
            start_date=f"{start}-00:00",
            end_date=f"{end}-00:00" if end else None,
            timezone=timezone,
        )
    if unit == "day":
        return DailyPartitionsDefinition(start_date=start, end_date=end_date, timezone=timezone)
    if unit == "week":
        return WeeklyPartitionsDefinition(start_date=start, end_date=end_date, timezone=timezone)
    return MonthlyPartitionsDefinition(start_date=start, end_date=end_date, timezone=timezone)


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
