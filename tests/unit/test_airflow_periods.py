"""Which periods an Airflow DAG run builds, and which input periods each waits for."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mesh_dagster.airflow.periods import (
    PeriodError,
    missing_inputs,
    period_of_key,
    scheduled_periods,
    triggered_periods,
)
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    return load_mesh(REPO / "specs")


def test_a_tick_builds_the_day_that_just_ended(mesh: Mesh) -> None:
    events = mesh.product("order-events")
    assert scheduled_periods(mesh, events, datetime(2026, 3, 2, 5, tzinfo=UTC)) == ["2026-03-01"]
    assert scheduled_periods(mesh, events, datetime(2026, 3, 2, 0, tzinfo=UTC)) == ["2026-03-01"]
    assert scheduled_periods(mesh, events, datetime(2026, 3, 1, 23, 59, tzinfo=UTC)) == [
        "2026-02-28"
    ]


def test_a_tick_before_the_first_period_ended_builds_nothing(mesh: Mesh) -> None:
    events = mesh.product("order-events")
    assert scheduled_periods(mesh, events, datetime(2026, 1, 1, 5, tzinfo=UTC)) == []
    assert scheduled_periods(mesh, events, datetime(2026, 1, 2, 0, tzinfo=UTC)) == ["2026-01-01"]


def test_a_key_that_is_not_a_period_is_refused_in_a_sentence(mesh: Mesh) -> None:
    daily = mesh.product("orders-daily")
    assert period_of_key(mesh, daily, "2026-03-01").key == "2026-03-01"
    with pytest.raises(PeriodError) as refused:
        period_of_key(mesh, daily, "2026-13-01")
    assert str(refused.value) == "'2026-13-01' is not a day partition key of 'orders-daily'."
    with pytest.raises(PeriodError) as refused:
        period_of_key(mesh, daily, "yesterday")
    assert str(refused.value) == "'yesterday' is not a day partition key of 'orders-daily'."


def test_published_input_periods_trigger_the_periods_they_overlap(mesh: Mesh) -> None:
    daily = mesh.product("orders-daily")
    published = {"order-events": ["2026-03-02", "2026-03-01"], "not-in-the-mesh": ["2026-03-05"]}
    assert triggered_periods(mesh, daily, published) == ["2026-03-01", "2026-03-02"]
    assert triggered_periods(mesh, daily, {"order-events": []}) == []
    # An input period before the product's first period (2026-01-01) triggers nothing.
    assert triggered_periods(mesh, daily, {"order-events": ["2025-12-31"]}) == []
    assert triggered_periods(mesh, daily, {"order-events": ["2026-01-01"]}) == ["2026-01-01"]


def test_a_period_waits_for_each_input_period_not_published_yet(mesh: Mesh) -> None:
    recon = mesh.product("revenue-reconciliation")
    nothing = missing_inputs(mesh, recon, "2026-03-01", lambda name, key: False)
    assert [str(need) for need in nothing] == [
        "orders-daily 2026-03-01",
        "payments-daily 2026-03-01",
    ]
    only_orders = missing_inputs(
        mesh, recon, "2026-03-01", lambda name, key: name == "orders-daily"
    )
    assert [str(need) for need in only_orders] == ["payments-daily 2026-03-01"]
    assert missing_inputs(mesh, recon, "2026-03-01", lambda name, key: True) == []
    assert missing_inputs(mesh, recon, None, lambda name, key: False) == []
