"""Checks on stored data: types judged as stored, and rows that no period holds."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pytest
from test_checks_evaluate import PERIOD, orders, outcome_of, summary

from mesh_dagster.checks import CheckOutcome, CheckPlan, evaluate_checks, plan_checks
from mesh_dagster.checks.stored import judge_stored
from mesh_dagster.spec import DataProduct


@pytest.fixture
def plan(orders_daily: DataProduct) -> CheckPlan:
    return plan_checks(orders_daily)


def test_numbers_stored_as_strings_fail_schema_only_when_stored(plan: CheckPlan) -> None:
    table = orders(revenue_usd=pa.array(["10.0", "20.0", "30.0", "40.0"]))

    built = evaluate_checks(plan, table, PERIOD)
    stored = evaluate_checks(plan, table, PERIOD, stored=True)

    # A build casts its result to the declared types before publishing: castable is enough.
    assert summary(built)[0] == (
        "schema",
        True,
        0,
        "all 5 declared columns present and castable (4 rows)",
    )
    # Stored, consumers read strings: a structural failure (of the table, not of rows).
    assert summary(stored)[0] == (
        "schema",
        False,
        0,
        "revenue_usd is stored as VARCHAR, not DOUBLE",
    )
    # The other rules still read the values, cast.
    assert outcome_of(stored, "check_revenue_usd_0").passed


def test_a_type_that_widens_without_loss_is_stored_as_declared(plan: CheckPlan) -> None:
    table = orders(order_count=pa.array([1, 2, 3, 4], pa.int32()))

    outcomes = evaluate_checks(plan, table, PERIOD, stored=True)

    assert summary(outcomes)[0] == (
        "schema",
        True,
        0,
        "all 5 declared columns present, stored as declared (4 rows)",
    )


def test_a_lossy_stored_type_fails_with_its_bad_values(plan: CheckPlan) -> None:
    table = orders(order_count=pa.array([1.0, 2.5, 3.0, 4.0], pa.float64()))

    outcomes = evaluate_checks(plan, table, PERIOD, stored=True)

    assert summary(outcomes)[0] == (
        "schema",
        False,
        1,
        "order_count is stored as DOUBLE, not BIGINT; order_count (DOUBLE): 1 of 4 rows "
        "(25.00%) hold a value not castable to BIGINT",
    )


def test_missing_and_undeclared_columns_fail_the_table_not_rows(plan: CheckPlan) -> None:
    outcomes = evaluate_checks(plan, orders(revenue_usd=None, extra=[1, 2, 3, 4]), PERIOD)

    schema = outcomes[0]
    assert (schema.passed, schema.failing_rows, schema.failing_ratio, schema.detail) == (
        False,
        0,
        0.0,
        "missing column revenue_usd; undeclared column extra",
    )


def outcome(kind: str, rows: int, passed: bool = True, detail: str = "") -> CheckOutcome:
    return CheckOutcome(kind, kind, "error", passed, 0, 0.0, rows, "", detail)  # type: ignore[arg-type]


def test_unplaced_rows_fail_partition_bounds_in_and_out_of_a_period() -> None:
    bounds = replace(
        outcome("partition_bounds", 5, False),
        failing_rows=2,
        detail="2 of 5 rows (40.00%) have order_date outside [2026-03-01, 2026-03-02)",
    )
    judged = judge_stored([bounds, outcome("not_empty", 5)], PERIOD, "order_date", 2)
    assert [(o.name, o.passed, o.detail) for o in judged] == [
        (
            "partition_bounds",
            False,
            "2 of 5 rows (40.00%) have order_date outside [2026-03-01, 2026-03-02) "
            "(2 rows have a null order_date, in no partition)",
        ),
        ("not_empty", True, ""),
    ]
    skipped = outcome("partition_bounds", 5, True, "not evaluated: no partition window was given")
    (whole,) = judge_stored([skipped], None, "order_date", 1)
    assert (whole.passed, whole.failing_rows, whole.detail) == (
        False,
        1,
        "1 of 5 rows (20.00%) have a null order_date, in no partition",
    )


def test_unplaced_rows_do_not_make_an_empty_period_non_empty() -> None:
    (judged,) = judge_stored(
        [outcome("not_empty", 2, True, "the result has 2 rows")], PERIOD, "order_date", 2
    )
    assert (judged.passed, judged.detail) == (False, "partition 2026-03-01 has no rows")


def test_an_empty_table_is_said_as_stored() -> None:
    failed = outcome("not_empty", 0, False, "the result has no rows; publishing it would ...")
    (judged,) = judge_stored([failed], None, None, 0)
    assert (judged.passed, judged.detail) == (False, "the table has no rows")


def test_without_unplaced_rows_nothing_changes() -> None:
    outcomes = [outcome("partition_bounds", 3), outcome("not_empty", 3)]
    assert judge_stored(outcomes, PERIOD, "order_date", 0) == outcomes
    assert judge_stored(outcomes, PERIOD, None, 0) == outcomes
