"""plan_backfill: which builds a `mesh backfill` runs, in which order, and what it refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from spec_folder import DELETE, SpecFolder

from mesh_dagster.spec.backfill_plan import BackfillPlanError, plan_backfill
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def example() -> Mesh:
    return load_mesh(REPO / "specs")


def _steps(mesh: Mesh, name: str, first: str, last: str, upstream: bool = False) -> list[str]:
    plan = plan_backfill(
        mesh,
        name,
        date.fromisoformat(first),
        date.fromisoformat(last),
        with_upstream=upstream,
        now=NOW,
    )
    return [("^ " if step.upstream else "") + str(step) for step in plan.steps]


def test_the_named_product_alone_one_build_per_day(example: Mesh) -> None:
    assert _steps(example, "orders-daily", "2026-03-01", "2026-03-03") == [
        "orders-daily 2026-03-01",
        "orders-daily 2026-03-02",
        "orders-daily 2026-03-03",
    ]


def test_with_upstream_each_day_builds_its_inputs_first_in_dependency_order(
    example: Mesh,
) -> None:
    assert _steps(example, "revenue-reconciliation", "2026-03-01", "2026-03-02", True) == [
        "^ order-events 2026-03-01",
        "^ payment-events 2026-03-01",
        "^ orders-daily 2026-03-01",
        "^ payments-daily 2026-03-01",
        "revenue-reconciliation 2026-03-01",
        "^ order-events 2026-03-02",
        "^ payment-events 2026-03-02",
        "^ orders-daily 2026-03-02",
        "^ payments-daily 2026-03-02",
        "revenue-reconciliation 2026-03-02",
    ]


def test_an_hourly_input_gives_the_hours_of_each_day_once(specs: SpecFolder) -> None:
    specs.policy()
    hourly = {"by": "hour", "column": "event_time", "start": "2026-01-01"}
    specs.product(
        "order-events",
        spec={
            "partitioning": hourly,
            "sla": DELETE,
            "grain": ["order_id", "event_time"],
            "schema": {2: {"name": "event_time", "type": "timestamp"}},
        },
    )
    sql = (
        "select order_id, customer_id, cast(event_time as date) as order_date, revenue_usd "
        "from order_events"
    )
    specs.product(inputs=["order-events"], spec={"transform": {"sql": sql}})
    steps = _steps(specs.load(), "orders-daily", "2026-03-01", "2026-03-01", True)
    assert steps[0] == "^ order-events 2026-03-01-00:00"
    assert steps[23] == "^ order-events 2026-03-01-23:00"
    assert steps[24:] == ["orders-daily 2026-03-01"]


@pytest.mark.parametrize(
    ("name", "first", "last", "message"),
    [
        (
            "orders-dialy",
            "2026-03-01",
            "2026-03-02",
            "there is no product 'orders-dialy' in the specs. Did you mean 'orders-daily'?",
        ),
        (
            "orders-daily",
            "2026-03-02",
            "2026-03-01",
            "--to 2026-03-01 is before --from 2026-03-02.",
        ),
        (
            "orders-daily",
            "2025-12-30",
            "2026-01-02",
            "--from 2025-12-30 is before the first period of 'orders-daily' "
            "(spec.partitioning.start: 2026-01-01): start at 2026-01-01 or later.",
        ),
        (
            "orders-daily",
            "2026-03-08",
            "2026-03-12",
            "--to 2026-03-12 reaches period 2026-03-10 of 'orders-daily', which has not ended "
            "yet (it ends 2026-03-11 00:00 UTC): end the range at an earlier day.",
        ),
    ],
)
def test_ranges_it_refuses(example: Mesh, name: str, first: str, last: str, message: str) -> None:
    with pytest.raises(BackfillPlanError) as refused:
        _steps(example, name, first, last)
    assert str(refused.value) == message


def test_external_and_unpartitioned_products_have_nothing_to_backfill(specs: SpecFolder) -> None:
    specs.policy()
    specs.product("order-events", spec={"transform": DELETE, "inputs": DELETE})
    specs.product(
        inputs=["order-events"], spec={"partitioning": DELETE, "sla": DELETE, "grain": ["order_id"]}
    )
    mesh = specs.load()
    with pytest.raises(BackfillPlanError) as external:
        _steps(mesh, "order-events", "2026-03-01", "2026-03-01")
    assert str(external.value) == (
        "'order-events' is built outside the platform (it has no transform): mesh cannot build "
        "its periods; they are published when Dagster observes its table."
    )
    with pytest.raises(BackfillPlanError) as unpartitioned:
        _steps(mesh, "orders-daily", "2026-03-01", "2026-03-01")
    assert str(unpartitioned.value) == (
        "'orders-daily' has no partitioning, so it has no periods to backfill: build it with "
        "`dagster asset materialize`, or from the Dagster UI."
    )


def test_an_external_input_is_not_built(specs: SpecFolder) -> None:
    specs.policy()
    specs.product("order-events", spec={"transform": DELETE, "inputs": DELETE})
    specs.product(inputs=["order-events"])
    assert _steps(specs.load(), "orders-daily", "2026-03-01", "2026-03-01", True) == [
        "orders-daily 2026-03-01"
    ]
