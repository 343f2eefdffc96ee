"""History and onboarding: ``partitioning.end`` and ``sla.judged_from`` bound what is judged."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from spec_folder import SpecFolder

from mesh_dagster.compile.timing import TimingCatalog
from mesh_dagster.scorecard.compute import judged_partitions
from mesh_dagster.scorecard.history import ProductHistory, VerdictEvent
from mesh_dagster.sla.status import latest_due_period, standing_of
from mesh_dagster.sla.verdicts import (
    DuePeriod,
    due_periods,
    judging_start,
    not_judged_reason,
)
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.periods import period_for_key

HISTORY = {"partitioning": {"start": "2013-01-01", "end": "2013-12-31"}}
ONBOARDED = {"sla": {"judged_from": "2026-03-01"}}


def _mesh(specs: SpecFolder, spec: dict[str, Any]) -> Mesh:
    specs.product(spec=spec)
    specs.policy()
    return load_mesh(Path("specs"))


def _keys(due: list[DuePeriod]) -> list[str]:
    return [item.period.key for item in due]


def test_no_period_after_the_end_is_ever_due(specs: SpecFolder) -> None:
    mesh = _mesh(specs, HISTORY)
    product = mesh.product("orders-daily")
    due = due_periods(
        mesh, product, datetime(2013, 12, 29, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC)
    )
    assert _keys(due) == ["2013-12-28", "2013-12-29", "2013-12-30", "2013-12-31"]
    assert (
        due_periods(
            mesh, product, datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC)
        )
        == []
    )


def test_periods_before_judged_from_are_never_due(specs: SpecFolder) -> None:
    mesh = _mesh(specs, ONBOARDED)
    product = mesh.product("orders-daily")
    due = due_periods(
        mesh, product, datetime(2026, 2, 25, tzinfo=UTC), datetime(2026, 3, 3, 8, tzinfo=UTC)
    )
    assert _keys(due) == ["2026-03-01", "2026-03-02"]


def test_judged_from_in_the_past_makes_the_sla_sensor_catch_up(specs: SpecFolder) -> None:
    mesh = _mesh(specs, ONBOARDED)
    product = mesh.product("orders-daily")
    now = datetime(2026, 3, 4, 12, tzinfo=UTC)
    assert judging_start(mesh, product, now) == datetime(2026, 3, 1, tzinfo=UTC)
    start = judging_start(mesh, product, now)
    assert _keys(due_periods(mesh, product, start, now)) == [
        "2026-03-01",
        "2026-03-02",
        "2026-03-03",
    ]
    plain = _mesh(specs, {})
    assert judging_start(plain, plain.product("orders-daily"), now) == now


def test_the_reason_a_period_is_not_judged(specs: SpecFolder) -> None:
    mesh = _mesh(specs, ONBOARDED)
    product = mesh.product("orders-daily")
    early = period_for_key("2026-02-27", "day", "UTC")
    due = DuePeriod(early, datetime(2026, 2, 28, 7, tzinfo=UTC))
    assert not_judged_reason(mesh, product, due, None) == (
        "not judged: before sla.judged_from (2026-03-01)"
    )
    on = period_for_key("2026-03-01", "day", "UTC")
    assert (
        not_judged_reason(mesh, product, DuePeriod(on, datetime(2026, 3, 2, 7, tzinfo=UTC)), None)
        is None
    )


def test_without_judged_from_periods_due_before_the_product_appeared_are_history(
    specs: SpecFolder,
) -> None:
    mesh = _mesh(specs, HISTORY)
    product = mesh.product("orders-daily")
    day = DuePeriod(period_for_key("2013-01-02", "day", "UTC"), datetime(2013, 1, 3, 7, tzinfo=UTC))
    seen = datetime(2026, 12, 3, 9, tzinfo=UTC)
    assert not_judged_reason(mesh, product, day, seen) == (
        "not judged: its deadline 2013-01-03 07:00 UTC came before the product first appeared "
        "(2026-12-03 09:00 UTC); set sla.judged_from to judge earlier periods"
    )
    assert not_judged_reason(mesh, product, day, None) is None
    after = DuePeriod(
        period_for_key("2014-01-01", "day", "UTC"), datetime(2014, 1, 2, 7, tzinfo=UTC)
    )
    assert not_judged_reason(mesh, product, after, None) == (
        "not judged: after partitioning.end (2013-12-31)"
    )


@pytest.mark.parametrize(
    ("by", "end", "last"),
    [
        ("day", "2013-12-31", "2013-12-31"),
        ("month", "2013-12-15", "2013-12-01"),
    ],
)
def test_dagster_partitions_end_with_the_period_holding_end(
    specs: SpecFolder, by: str, end: str, last: str
) -> None:
    spec: dict[str, Any] = {"partitioning": {"by": by, "start": "2013-01-01", "end": end}}
    if by == "month":
        spec["schedule"] = {"cron": "0 6 1 * *"}
    mesh = _mesh(specs, spec)
    partitions = TimingCatalog(mesh).partitions_def(mesh.product("orders-daily"))
    assert partitions is not None
    assert partitions.get_last_partition_key() == last
    assert partitions.start.date() == date(2013, 1, 1)


SPEC_CASES = [
    pytest.param(
        {"partitioning": {"end": "2025-12-31"}},
        "specs/orders/orders_daily.yaml:20:5: spec.partitioning.end: the end 2025-12-31 comes "
        "before the start 2026-01-01. Set end to the date of the last period, on or after start.",
        id="end-before-start",
    ),
    pytest.param(
        {"sla": {"judged_from": "2025-12-01"}},
        "specs/orders/orders_daily.yaml:16:5: spec.sla.judged_from: judged_from 2025-12-01 "
        "comes before partitioning.start 2026-01-01. Set judged_from to the first period the "
        "SLA should judge, within start and end.",
        id="judged-from-before-start",
    ),
    pytest.param(
        {"sla": {"judged_from": "2027-01-01"}, "partitioning": {"end": "2026-12-31"}},
        "specs/orders/orders_daily.yaml:16:5: spec.sla.judged_from: judged_from 2027-01-01 "
        "comes after partitioning.end 2026-12-31. Set judged_from to the first period the SLA "
        "should judge, within start and end.",
        id="judged-from-after-end",
    ),
]


@pytest.mark.parametrize(("spec", "expected"), SPEC_CASES)
def test_end_and_judged_from_must_fit_the_partitions(
    specs: SpecFolder, spec: dict[str, Any], expected: str
) -> None:
    specs.product(spec=spec)
    assert specs.problems() == [expected]


def test_sla_status_after_the_end_shows_the_last_period_as_ended(specs: SpecFolder) -> None:
    mesh = _mesh(specs, HISTORY)
    product = mesh.product("orders-daily")
    now = datetime(2026, 12, 3, 9, tzinfo=UTC)
    due = latest_due_period(mesh, product, now)
    assert due.period.key == "2013-12-31"
    assert standing_of(mesh, product, now, due, None) == "ended"


def test_sla_status_before_judged_from_is_not_judged(specs: SpecFolder) -> None:
    mesh = _mesh(specs, ONBOARDED)
    product = mesh.product("orders-daily")
    before = datetime(2026, 2, 20, 9, tzinfo=UTC)
    assert standing_of(mesh, product, before, latest_due_period(mesh, product, before), None) == (
        "not_judged"
    )
    after = datetime(2026, 3, 5, 9, tzinfo=UTC)
    assert standing_of(mesh, product, after, latest_due_period(mesh, product, after), None) is None


def test_scorecard_counts_no_incident_of_a_period_it_does_not_judge(specs: SpecFolder) -> None:
    mesh = _mesh(specs, HISTORY)
    seen = datetime(2026, 12, 3, 9, tzinfo=UTC)
    history = ProductHistory(
        "orders-daily",
        first_seen=seen,
        verdicts=(VerdictEvent("2013-03-01", "late", seen),),
    )
    counts = judged_partitions(mesh, history)
    assert counts("2013-01-02") is False  # due in 2013, built in 2026: history
    assert counts("2014-01-01") is False  # after partitioning.end
    assert counts("2013-03-01") is True  # the SLA sensor judged it: it counts
    assert counts(None) is True
    onboarded = _mesh(specs, ONBOARDED)
    counts = judged_partitions(onboarded, ProductHistory("orders-daily"))
    assert counts("2026-02-28") is False
    assert counts("2026-03-01") is True
