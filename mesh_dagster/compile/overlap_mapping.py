"""The partition mapping of inputs in another timezone: periods that overlap in time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dagster import PartitionMapping, PartitionsDefinition, TimeWindowPartitionsDefinition
from dagster._core.definitions.partitions.mapping.partition_mapping import (
    UpstreamPartitionsResult,
)
from dagster._core.definitions.partitions.subset import (
    AllPartitionsSubset,
    PartitionsSubset,
    TimeWindowPartitionsSubset,
)
from dagster._core.definitions.partitions.utils.time_window import TimeWindow
from dagster._core.errors import DagsterInvalidDefinitionError

if TYPE_CHECKING:
    from dagster._core.instance import DynamicPartitionsStore

_Span = tuple[float, float]
"""A half-open time range ``[start, end)`` as POSIX timestamps (the same in every timezone)."""


class TimeOverlapPartitionMapping(PartitionMapping):
    """Maps each period to the other asset's periods that overlap it in time.

    Dagster's ``TimeWindowPartitionMapping`` does this only within one timezone; this one
    compares instants, so a day in Europe/Berlin (23 hours on 2026-03-29) maps to the two
    UTC days it overlaps, whatever the granularities.
    """

    @property
    def description(self) -> str:
        """Return the text Dagster shows for the dependency."""
        return "Each period depends on the upstream periods that overlap it in time."

    def validate_partition_mapping(
        self,
        upstream_partitions_def: PartitionsDefinition,
        downstream_partitions_def: PartitionsDefinition | None,
    ) -> None:
        """Raise unless both sides are time-partitioned."""
        for side, definition in (
            ("upstream", upstream_partitions_def),
            ("downstream", downstream_partitions_def),
        ):
            if not isinstance(definition, TimeWindowPartitionsDefinition):
                raise DagsterInvalidDefinitionError(
                    f"TimeOverlapPartitionMapping needs a time-partitioned {side} asset"
                )

    def get_upstream_mapped_partitions_result_for_partitions(
        self,
        downstream_partitions_subset: PartitionsSubset | None,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> UpstreamPartitionsResult:
        """Return the upstream periods overlapping the downstream ones, and those missing."""
        self.validate_partition_mapping(upstream_partitions_def, downstream_partitions_def)
        assert isinstance(upstream_partitions_def, TimeWindowPartitionsDefinition)
        assert isinstance(downstream_partitions_def, TimeWindowPartitionsDefinition)
        spans = _spans(downstream_partitions_subset, downstream_partitions_def)
        existing, missing = _overlapping(spans, upstream_partitions_def)
        return UpstreamPartitionsResult(
            partitions_subset=_subset(upstream_partitions_def, existing),
            required_but_nonexistent_subset=_subset(upstream_partitions_def, missing),
        )

    def get_downstream_partitions_for_partitions(
        self,
        upstream_partitions_subset: PartitionsSubset,
        upstream_partitions_def: PartitionsDefinition,
        downstream_partitions_def: PartitionsDefinition,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> PartitionsSubset:
        """Return the downstream periods that overlap the given upstream ones."""
        self.validate_partition_mapping(upstream_partitions_def, downstream_partitions_def)
        assert isinstance(upstream_partitions_def, TimeWindowPartitionsDefinition)
        assert isinstance(downstream_partitions_def, TimeWindowPartitionsDefinition)
        spans = _spans(upstream_partitions_subset, upstream_partitions_def)
        existing, _ = _overlapping(spans, downstream_partitions_def)
        return _subset(downstream_partitions_def, existing)


def _spans(
    subset: PartitionsSubset | None, definition: TimeWindowPartitionsDefinition
) -> list[_Span]:
    """Return the time ranges a subset of ``definition`` covers."""
    if subset is None:
        return []
    if isinstance(subset, AllPartitionsSubset):
        subset = TimeWindowPartitionsSubset.from_all_partitions_subset(subset)
    if isinstance(subset, TimeWindowPartitionsSubset):
        return [(w.start_timestamp, w.end_timestamp) for w in subset.included_time_windows]
    return [
        (window.start.timestamp(), window.end.timestamp())
        for window in definition.time_windows_for_partition_keys(
            frozenset(subset.get_partition_keys())
        )
    ]


def _overlapping(
    spans: Sequence[_Span], target: TimeWindowPartitionsDefinition
) -> tuple[list[_Span], list[_Span]]:
    """Return the target's periods overlapping ``spans``: those that exist, those that do not.

    Each span is widened to whole target periods (the one holding its start, the one holding
    its last instant), then split at the target's first and last existing period.
    """
    first, last = target.get_first_partition_window(), target.get_last_partition_window()
    bounds = (first.start.timestamp(), last.end.timestamp()) if first and last else None
    existing: list[_Span] = []
    missing: list[_Span] = []
    for start, end in spans:
        if end <= start:
            continue
        low = target.start_time_for_partition_key(target.get_partition_key_for_timestamp(start))
        high = target.end_time_for_partition_key(
            target.get_partition_key_for_timestamp(end, end_closed=True)
        )
        aligned = (low.timestamp(), high.timestamp())
        if bounds is None:
            missing.append(aligned)
            continue
        inside = (max(aligned[0], bounds[0]), min(aligned[1], bounds[1]))
        if inside[0] < inside[1]:
            existing.append(inside)
        missing += [
            part
            for part in (
                (aligned[0], min(aligned[1], bounds[0])),
                (max(aligned[0], bounds[1]), aligned[1]),
            )
            if part[0] < part[1]
        ]
    return existing, missing


def _subset(
    definition: TimeWindowPartitionsDefinition, spans: Sequence[_Span]
) -> TimeWindowPartitionsSubset:
    """Return the subset of ``definition`` covering ``spans`` (merged, in time order)."""
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    zone = definition.timezone
    windows = [TimeWindow(_instant(start, zone), _instant(end, zone)) for start, end in merged]
    return TimeWindowPartitionsSubset(
        definition, num_partitions=None, included_time_windows=windows
    )


def _instant(timestamp: float, timezone: str) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=ZoneInfo(timezone))
