"""TimeOverlapPartitionMapping: periods in different timezones and granularities, by instants."""

from __future__ import annotations

from dagster import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    PartitionKeyRange,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

from mesh_dagster.compile.overlap_mapping import TimeOverlapPartitionMapping

UTC_DAYS = DailyPartitionsDefinition(start_date="2026-03-01", timezone="UTC")
BERLIN_DAYS = DailyPartitionsDefinition(start_date="2026-02-01", timezone="Europe/Berlin")
MAPPING = TimeOverlapPartitionMapping()


def _upstream(
    keys: list[str],
    downstream: TimeWindowPartitionsDefinition,
    upstream: TimeWindowPartitionsDefinition,
) -> tuple[list[str], list[str]]:
    result = MAPPING.get_upstream_mapped_partitions_result_for_partitions(
        downstream.subset_with_partition_keys(keys), downstream, upstream
    )
    return (
        list(result.partitions_subset.get_partition_keys()),
        list(result.required_but_nonexistent_partition_keys),
    )


def test_a_berlin_day_maps_to_both_utc_days_it_overlaps() -> None:
    # 2026-03-29 (CET to CEST) runs from 23:00 UTC on the 28th to 22:00 UTC on the 29th.
    assert _upstream(["2026-03-29"], BERLIN_DAYS, UTC_DAYS) == (["2026-03-28", "2026-03-29"], [])
    assert _upstream(["2026-03-10", "2026-03-11"], BERLIN_DAYS, UTC_DAYS) == (
        ["2026-03-09", "2026-03-10", "2026-03-11"],
        [],
    )


def test_a_utc_day_maps_to_the_berlin_days_it_overlaps() -> None:
    subset = UTC_DAYS.subset_with_partition_keys(["2026-03-29"])
    downstream = MAPPING.get_downstream_partitions_for_partitions(subset, UTC_DAYS, BERLIN_DAYS)
    assert list(downstream.get_partition_keys()) == ["2026-03-29", "2026-03-30"]


def test_finer_and_coarser_periods_map_by_time_range() -> None:
    berlin_hours = HourlyPartitionsDefinition(
        start_date="2026-03-01-00:00", timezone="Europe/Berlin"
    )
    # 03:00 CEST on 2026-03-29 is 01:00 UTC: inside the UTC day of the 29th.
    assert _upstream(["2026-03-29-03:00"], berlin_hours, UTC_DAYS) == (["2026-03-29"], [])
    utc_weeks = WeeklyPartitionsDefinition(start_date="2026-03-01", timezone="UTC")
    # The UTC week from Sunday 2026-03-22 overlaps the Berlin days 22nd to 29th (not the 21st).
    keys = _upstream(["2026-03-22"], utc_weeks, BERLIN_DAYS)[0]
    assert keys == [f"2026-03-{day}" for day in range(22, 30)]


def test_upstream_periods_before_its_first_are_required_but_nonexistent() -> None:
    assert _upstream(["2026-03-01"], BERLIN_DAYS, UTC_DAYS) == (["2026-03-01"], ["2026-02-28"])
    assert _upstream(["2026-02-10"], BERLIN_DAYS, UTC_DAYS) == ([], ["2026-02-09", "2026-02-10"])


def test_every_partition_of_the_downstream_maps_to_a_range() -> None:
    result = MAPPING.get_upstream_mapped_partitions_result_for_partitions(
        BERLIN_DAYS.subset_with_partition_keys(
            BERLIN_DAYS.get_partition_keys_in_range(PartitionKeyRange("2026-03-02", "2026-03-04"))
        ),
        BERLIN_DAYS,
        UTC_DAYS,
    )
    assert list(result.partitions_subset.get_partition_keys()) == [
        "2026-03-01",
        "2026-03-02",
        "2026-03-03",
        "2026-03-04",
    ]
