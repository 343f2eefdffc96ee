"""Evaluating planned checks on Arrow tables: exact outcomes for good and bad data."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest

from mesh_dagster.checks import (
    CheckOutcome,
    CheckPlan,
    CheckScope,
    EngineSettings,
    PlannedCheck,
    evaluate_checks,
    failed_errors,
    plan_checks,
    summarize_failures,
)
from mesh_dagster.checks import evaluate as evaluate_module
from mesh_dagster.checks import scan as scan_module
from mesh_dagster.checks.engine import open_engine
from mesh_dagster.spec import DataProduct
from mesh_dagster.spec.periods import period_for_key

# Not imported from conftest: tests/unit and tests/cli both have one named `conftest`.
ProductFactory = Callable[..., DataProduct]

DAY = date(2026, 3, 1)
PERIOD = period_for_key("2026-03-01", "day", "UTC")
SCHEMA_SQL = (
    "(order_id VARCHAR, customer_id VARCHAR, order_date DATE, order_count BIGINT, "
    "revenue_usd DOUBLE)"
)
COMPLETENESS_SQL = (
    "order_id is not null and customer_id is not null and order_date is not null "
    "and order_count is not null and revenue_usd is not null"
)
GRAIN_SQL = (
    "select order_id, order_date, count(*) from orders_daily "
    "group by order_id, order_date having count(*) > 1"
)
BOUNDS_SQL = (
    "order_date >= getvariable('partition_start_date') "
    "and order_date < getvariable('partition_end_date')"
)
PII_SQL = (
    "customer_id is null or (strlen(customer_id) = 64 "
    "and regexp_full_match(customer_id, '[0-9a-f]+'))"
)


def hashed(number: int) -> str:
    return hashlib.sha256(f"customer-{number}".encode()).hexdigest()


def orders(rows: int = 4, **columns: Any) -> pa.Table:
    """Return ``rows`` valid orders-daily rows; a keyword replaces (None: drops) a column."""
    data: dict[str, Any] = {
        "order_id": pa.array([f"o{i}" for i in range(rows)], pa.string()),
        "customer_id": pa.array([hashed(i) for i in range(rows)], pa.string()),
        "order_date": pa.array([DAY] * rows, pa.date32()),
        "order_count": pa.array([i + 1 for i in range(rows)], pa.int64()),
        "revenue_usd": pa.array([10.0 * (i + 1) for i in range(rows)], pa.float64()),
    }
    for name, values in columns.items():
        if values is None:
            del data[name]
        elif isinstance(values, pa.Array):
            data[name] = values
        else:
            data[name] = pa.array(values, data[name].type if name in data else None)
    return pa.table(data)


def outcome_of(outcomes: list[CheckOutcome], name: str) -> CheckOutcome:
    return next(outcome for outcome in outcomes if outcome.name == name)


def summary(outcomes: list[CheckOutcome]) -> list[tuple[str, bool, int, str]]:
    return [(o.name, o.passed, o.failing_rows, o.detail) for o in outcomes]


@pytest.fixture
def plan(orders_daily: DataProduct) -> CheckPlan:
    return plan_checks(orders_daily)


def test_valid_data_passes_every_check(plan: CheckPlan) -> None:
    outcomes = evaluate_checks(plan, orders(), PERIOD)

    assert outcomes[0] == CheckOutcome(
        name="schema",
        kind="schema",
        severity="error",
        passed=True,
        failing_rows=0,
        failing_ratio=0.0,
        rows_checked=4,
        sql=SCHEMA_SQL,
        detail="all 5 declared columns present and castable (4 rows)",
    )
    assert summary(outcomes) == [
        ("schema", True, 0, "all 5 declared columns present and castable (4 rows)"),
        (
            "completeness",
            True,
            0,
            "4 of 4 rows (100.00%) have every non-nullable column; the threshold is 99.9%",
        ),
        ("grain_unique", True, 0, "all 4 rows have a distinct (order_id, order_date)"),
        ("partition_bounds", True, 0, "all 4 rows have order_date inside [2026-03-01, 2026-03-02)"),
        ("not_empty", True, 0, "the result has 4 rows"),
        (
            "pii_customer_id",
            True,
            0,
            "every customer_id value of 4 rows is hashed (64 lowercase hex characters) or null",
        ),
        ("check_order_count_0", True, 0, "all 4 rows satisfy order_count > 0"),
        ("check_revenue_usd_0", True, 0, "all 4 rows satisfy revenue_usd >= 0"),
    ]
    assert [(o.kind, o.severity, o.rows_checked, o.sample_keys) for o in outcomes] == [
        (check.kind, "error", 4, ()) for check in plan.checks
    ]
    assert failed_errors(outcomes) == []
    assert summarize_failures(outcomes) == "All error checks passed."


def test_values_of_the_wrong_type_fail_the_schema_check(plan: CheckPlan) -> None:
    table = orders(
        order_count=pa.array(["1", "2", "three", "4"]),
        order_date=pa.array(
            [datetime(2026, 3, 1)] * 3 + [datetime(2026, 3, 1, 10, 30)], pa.timestamp("us")
        ),
        revenue_usd=pa.array([1, 2, 3, 4], pa.decimal128(10, 2)),
    )

    outcomes = evaluate_checks(plan, table, PERIOD)

    assert outcomes[0] == CheckOutcome(
        name="schema",
        kind="schema",
        severity="error",
        passed=False,
        failing_rows=2,
        failing_ratio=0.5,
        rows_checked=4,
        sql=SCHEMA_SQL,
        detail=(
            "order_date (TIMESTAMP): 1 of 4 rows (25.00%) hold a value not castable to DATE; "
            "order_count (VARCHAR): 1 of 4 rows (25.00%) hold a value not castable to BIGINT"
        ),
        sample_keys=(
            {"order_id": "o2", "order_date": "2026-03-01"},
            {"order_id": "o3", "order_date": "2026-03-01"},
        ),
    )
    # Rules read the columns as declared: a value that does not cast is null to them.
    assert summary(outcomes)[1:] == [
        (
            "completeness",
            False,
            1,
            "3 of 4 rows (75.00%) have every non-nullable column; the threshold is 99.9%; "
            "nulls: order_count 1",
        ),
        ("grain_unique", True, 0, "all 4 rows have a distinct (order_id, order_date)"),
        ("partition_bounds", True, 0, "all 4 rows have order_date inside [2026-03-01, 2026-03-02)"),
        ("not_empty", True, 0, "the result has 4 rows"),
        (
            "pii_customer_id",
            True,
            0,
            "every customer_id value of 4 rows is hashed (64 lowercase hex characters) or null",
        ),
        (
            "check_order_count_0",
            False,
            1,
            "1 of 4 rows (25.00%) do not satisfy order_count > 0 (1 of them because it is null)",
        ),
        ("check_revenue_usd_0", True, 0, "all 4 rows satisfy revenue_usd >= 0"),
    ]


def test_lossless_types_need_no_cast(plan: CheckPlan) -> None:
    table = orders(
        order_count=pa.array([1, 2, 3, 4], pa.int32()),
        order_id=pa.array(["o0", "o1", "o2", "o3"], pa.large_string()),
        revenue_usd=pa.array([1.5, 2, 3, 4], pa.float32()),
    )

    schema = evaluate_checks(plan, table, PERIOD)[0]

    assert (schema.passed, schema.detail) == (
        True,
        "all 5 declared columns present and castable (4 rows)",
    )


def test_rules_reading_a_missing_column_report_that_they_could_not_run(plan: CheckPlan) -> None:
    table = orders(revenue_usd=None, discount=[0.1, 0.2, 0.3, 0.4])

    outcomes = evaluate_checks(plan, table, PERIOD)

    assert summary(outcomes) == [
        ("schema", False, 0, "missing column revenue_usd; undeclared column discount"),
        ("completeness", False, 0, "could not run: the result has no revenue_usd"),
        ("grain_unique", True, 0, "all 4 rows have a distinct (order_id, order_date)"),
        ("partition_bounds", True, 0, "all 4 rows have order_date inside [2026-03-01, 2026-03-02)"),
        ("not_empty", True, 0, "the result has 4 rows"),
        (
            "pii_customer_id",
            True,
            0,
            "every customer_id value of 4 rows is hashed (64 lowercase hex characters) or null",
        ),
        ("check_order_count_0", True, 0, "all 4 rows satisfy order_count > 0"),
        ("check_revenue_usd_0", False, 0, "could not run: the result has no revenue_usd"),
    ]
    assert outcomes[0].failing_ratio == 0.0  # a structural failure: of the table, not rows
    assert [o.rows_checked for o in outcomes] == [4] * 8


def test_a_repeated_column_fails_the_schema_check(plan: CheckPlan) -> None:
    table = orders().append_column("Order_ID", pa.array(["x", "y", "z", "w"]))

    outcomes = evaluate_checks(plan, table, PERIOD)

    assert summary(outcomes)[0] == ("schema", False, 0, "repeated column Order_ID")
    assert all(outcome.passed for outcome in outcomes[1:])


def test_a_table_without_any_declared_column(plan: CheckPlan) -> None:
    outcomes = evaluate_checks(plan, pa.table({"other": [1, 2]}), PERIOD)

    assert summary(outcomes)[:3] == [
        (
            "schema",
            False,
            0,
            "missing columns order_id, customer_id, order_date, order_count, revenue_usd; "
            "undeclared column other",
        ),
        (
            "completeness",
            False,
            0,
            "could not run: the result has no order_id, customer_id, order_date, "
            "order_count, revenue_usd",
        ),
        ("grain_unique", False, 0, "could not run: the result has no order_id, order_date"),
    ]
    assert outcome_of(outcomes, "not_empty").passed


@pytest.mark.parametrize(
    ("threshold", "nulls", "passed"),
    [(0.999, 1, True), (0.999, 2, False), (1.0, 1, False)],
)
def test_completeness_against_its_threshold(
    example_product: ProductFactory, threshold: float, nulls: int, passed: bool
) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["quality"]["completeness_threshold"] = threshold

    plan = plan_checks(example_product(edit))
    customers = [None if i < nulls else hashed(i) for i in range(1000)]
    table = orders(1000, customer_id=customers)

    completeness = outcome_of(evaluate_checks(plan, table, PERIOD), "completeness")

    complete = 1000 - nulls
    assert completeness == CheckOutcome(
        name="completeness",
        kind="completeness",
        severity="error",
        passed=passed,
        failing_rows=nulls,
        failing_ratio=nulls / 1000,
        rows_checked=1000,
        sql=COMPLETENESS_SQL,
        detail=(
            f"{complete} of 1,000 rows ({complete / 10:.2f}%) have every non-nullable column; "
            f"the threshold is {threshold * 100:g}%; nulls: customer_id {nulls}"
        ),
        sample_keys=()
        if passed
        else tuple({"order_id": f"o{i}", "order_date": "2026-03-01"} for i in range(nulls)),
    )


def test_duplicated_grain_keys_show_sample_keys(plan: CheckPlan) -> None:
    table = orders(6, order_id=["o1", "o2", "o1", "o3", "o1", "o2"])

    grain = outcome_of(evaluate_checks(plan, table, PERIOD), "grain_unique")

    assert grain == CheckOutcome(
        name="grain_unique",
        kind="grain_unique",
        severity="error",
        passed=False,
        failing_rows=3,
        failing_ratio=0.5,
        rows_checked=6,
        sql=GRAIN_SQL,
        detail="3 of 6 rows repeat a (order_id, order_date) key another row already has",
        sample_keys=(
            {"order_id": "o1", "order_date": "2026-03-01"},
            {"order_id": "o2", "order_date": "2026-03-01"},
        ),
    )


def test_samples_never_show_a_pii_grain_column(example_product: ProductFactory) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["grain"] = ["customer_id", "order_date"]

    plan = plan_checks(example_product(edit))
    table = orders(4, customer_id=[hashed(1), hashed(1), hashed(2), "jane@example.com"])

    outcomes = evaluate_checks(plan, table, PERIOD)

    grain = outcome_of(outcomes, "grain_unique")
    assert (grain.passed, grain.failing_rows, grain.sample_keys) == (
        False,
        1,
        ({"order_date": "2026-03-01"},),
    )
    assert outcome_of(outcomes, "pii_customer_id").sample_keys == ({"order_date": "2026-03-01"},)
    assert hashed(1) not in repr(outcomes)
    assert "jane@example.com" not in repr(outcomes)


def test_rows_outside_the_partition_fail_partition_bounds(plan: CheckPlan) -> None:
    dates = [date(2026, 2, 28), DAY, date(2026, 3, 2), DAY]

    outcomes = evaluate_checks(plan, orders(order_date=dates), PERIOD)

    assert outcome_of(outcomes, "partition_bounds") == CheckOutcome(
        name="partition_bounds",
        kind="partition_bounds",
        severity="error",
        passed=False,
        failing_rows=2,
        failing_ratio=0.5,
        rows_checked=4,
        sql=BOUNDS_SQL,
        detail="2 of 4 rows (50.00%) have order_date outside [2026-03-01, 2026-03-02)",
        sample_keys=(
            {"order_id": "o0", "order_date": "2026-02-28"},
            {"order_id": "o2", "order_date": "2026-03-02"},
        ),
    )


def test_timestamp_partition_columns_are_compared_as_instants(
    example_product: ProductFactory,
) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["schema"].append({"name": "completed_at", "type": "timestamp", "nullable": False})
        spec["partitioning"]["column"] = "completed_at"

    plan = plan_checks(example_product(edit))
    period = period_for_key("2026-03-01", "day", "Europe/Berlin")  # [23:00Z, 23:00Z next day)
    instants = [
        datetime(2026, 2, 28, 22, 59, 59, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 22, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 1, 23, 0, tzinfo=UTC),
    ]
    table = orders(completed_at=pa.array(instants, pa.timestamp("us", tz="UTC")))
    naive = orders(completed_at=pa.array([i.replace(tzinfo=None) for i in instants]))

    bounds = outcome_of(evaluate_checks(plan, table, period), "partition_bounds")
    from_naive = outcome_of(evaluate_checks(plan, naive, period), "partition_bounds")

    assert (bounds.failing_rows, bounds.detail, bounds.sample_keys) == (
        2,
        "2 of 4 rows (50.00%) have completed_at outside "
        "[2026-03-01T00:00:00+01:00, 2026-03-02T00:00:00+01:00)",
        (
            {"order_id": "o0", "order_date": "2026-03-01"},
            {"order_id": "o3", "order_date": "2026-03-01"},
        ),
    )
    assert from_naive == bounds


def test_without_a_period_partition_bounds_is_not_evaluated(plan: CheckPlan) -> None:
    bounds = outcome_of(evaluate_checks(plan, orders(), None), "partition_bounds")

    assert (bounds.passed, bounds.failing_rows, bounds.detail) == (
        True,
        0,
        "not evaluated: no partition window was given",
    )


def test_unhashed_pii_fails_without_showing_the_values(plan: CheckPlan) -> None:
    customers = ["bob@example.com", hashed(1), hashed(2).upper(), None]

    outcomes = evaluate_checks(plan, orders(customer_id=customers), PERIOD)

    assert outcome_of(outcomes, "pii_customer_id") == CheckOutcome(
        name="pii_customer_id",
        kind="pii",
        severity="error",
        passed=False,
        failing_rows=2,
        failing_ratio=0.5,
        rows_checked=4,
        sql=PII_SQL,
        detail=(
            "2 of 4 rows (50.00%) have a customer_id value that is not hashed "
            "(64 lowercase hex characters)"
        ),
        sample_keys=(
            {"order_id": "o0", "order_date": "2026-03-01"},
            {"order_id": "o2", "order_date": "2026-03-01"},
        ),
    )
    assert "bob@example.com" not in repr(outcomes)
    assert hashed(2).upper() not in repr(outcomes)
    assert "bob@example.com" not in summarize_failures(outcomes)


def test_masked_and_redacted_pii(example_product: ProductFactory) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["schema"] += [
            {"name": "card", "type": "string", "pii": True, "pii_handling": "masked"},
            {"name": "phone", "type": "string", "pii": True, "pii_handling": "redacted"},
        ]

    plan = plan_checks(example_product(edit))
    cards = ["************4242", "**", "***2", "****1234", "*ab", "*****4", "**345", None]
    table = orders(
        8, card=pa.array(cards), phone=pa.array([None] * 7 + ["+1 555 0100"], pa.string())
    )

    outcomes = evaluate_checks(plan, table, PERIOD)

    assert summary(outcomes)[-4:-2] == [
        (
            "pii_card",
            False,
            3,
            "3 of 8 rows (37.50%) have a card value that is not masked "
            "(at most its last 4 characters, and at most a quarter of it, shown)",
        ),
        (
            "pii_phone",
            False,
            1,
            "1 of 8 rows (12.50%) have a phone value that is not redacted (null)",
        ),
    ]
    assert outcome_of(outcomes, "pii_card").sample_keys == tuple(
        {"order_id": f"o{i}", "order_date": "2026-03-01"} for i in (3, 4, 6)
    )
    assert "555" not in repr(outcomes)


def test_an_empty_result_fails_not_empty(plan: CheckPlan) -> None:
    outcomes = evaluate_checks(plan, orders(0), PERIOD)

    assert outcome_of(outcomes, "not_empty") == CheckOutcome(
        name="not_empty",
        kind="not_empty",
        severity="error",
        passed=False,
        failing_rows=0,
        failing_ratio=0.0,
        rows_checked=0,
        sql="count(*) > 0",
        detail=(
            "the result has no rows; publishing it would empty the partition "
            "(set spec.quality.allow_empty: true to allow an empty result)"
        ),
    )
    assert [o.name for o in failed_errors(outcomes)] == ["not_empty"]


def test_an_empty_result_passes_when_allowed(example_product: ProductFactory) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["quality"]["allow_empty"] = True

    outcomes = evaluate_checks(plan_checks(example_product(edit)), orders(0), PERIOD)

    assert "not_empty" not in [o.name for o in outcomes]
    assert all(o.passed and o.rows_checked == 0 for o in outcomes)
    assert outcome_of(outcomes, "completeness").detail == (
        "0 of 0 rows (0.00%) have every non-nullable column; the threshold is 99.9%"
    )


def test_warn_and_aggregate_custom_checks(example_product: ProductFactory) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["quality"]["custom_checks"] = [
            {"name": "big_orders", "sql": "revenue_usd < 25", "severity": "warn"},
            "count(*) > 0",
            "sum(revenue_usd) > 1000000",
            {"name": "max_revenue", "sql": "max(revenue_usd) > 0"},
        ]

    plan = plan_checks(example_product(edit))
    table = orders()

    outcomes = evaluate_checks(plan, table, PERIOD)
    on_nulls = evaluate_checks(plan, orders(revenue_usd=[None] * 4), PERIOD)

    assert outcome_of(outcomes, "big_orders") == CheckOutcome(
        name="big_orders",
        kind="custom",
        severity="warn",
        passed=False,
        failing_rows=2,
        failing_ratio=0.5,
        rows_checked=4,
        sql="revenue_usd < 25",
        detail="2 of 4 rows (50.00%) do not satisfy revenue_usd < 25",
        sample_keys=(
            {"order_id": "o2", "order_date": "2026-03-01"},
            {"order_id": "o3", "order_date": "2026-03-01"},
        ),
    )
    assert summary(outcomes)[-3:] == [
        ("check_count_0", True, 0, "COUNT(*) > 0 is true on the table (4 rows)"),
        (
            "check_sum_revenue_usd_1000000",
            False,
            0,
            "SUM(revenue_usd) > 1000000 is false on the table (4 rows)",
        ),
        ("max_revenue", True, 0, "MAX(revenue_usd) > 0 is true on the table (4 rows)"),
    ]
    assert outcome_of(on_nulls, "max_revenue").detail == (
        "MAX(revenue_usd) > 0 is null on the table (4 rows)"
    )
    assert not outcome_of(on_nulls, "max_revenue").passed
    assert [o.name for o in failed_errors(outcomes)] == ["check_sum_revenue_usd_1000000"]
    assert summarize_failures(outcomes) == (
        "1 error check failed:\n"
        "- check_sum_revenue_usd_1000000: SUM(revenue_usd) > 1000000 is false on the table "
        "(4 rows)"
    )


def test_a_rule_that_is_null_on_a_row_fails_that_row(plan: CheckPlan) -> None:
    outcomes = evaluate_checks(plan, orders(revenue_usd=[1.0, None, -2.0, 3.0]), PERIOD)

    assert outcome_of(outcomes, "check_revenue_usd_0") == CheckOutcome(
        name="check_revenue_usd_0",
        kind="custom",
        severity="error",
        passed=False,
        failing_rows=2,
        failing_ratio=0.5,
        rows_checked=4,
        sql="revenue_usd >= 0",
        detail=(
            "2 of 4 rows (50.00%) do not satisfy revenue_usd >= 0 (1 of them because it is null)"
        ),
        sample_keys=(
            {"order_id": "o1", "order_date": "2026-03-01"},
            {"order_id": "o2", "order_date": "2026-03-01"},
        ),
    )


def test_a_rule_that_raises_on_the_data_fails_alone(example_product: ProductFactory) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["quality"]["custom_checks"] = ["cast(order_id as integer) > 0", "order_count > 0"]

    plan = plan_checks(example_product(edit))

    outcomes = evaluate_checks(plan, orders(order_id=["1", "2", "x-secret-9", "4"]), PERIOD)

    assert summary(outcomes)[-2:] == [
        (
            "check_cast_order_id_as_integer_0",
            False,
            0,
            "could not run: DuckDB raised ConversionException on the data",
        ),
        ("check_order_count_0", True, 0, "all 4 rows satisfy order_count > 0"),
    ]
    assert all(o.passed for o in outcomes[:-2])
    assert "x-secret-9" not in repr(outcomes)


@pytest.mark.parametrize(
    ("predicate", "scope", "reason"),
    [
        (
            "order_total > 0",
            "row",
            "its SQL does not run on the declared columns "
            '(Binder Error: Referenced column "order_total" not found in FROM clause!)',
        ),
        ("order_count + 1", "row", "its SQL gives BIGINT, not a boolean"),
        (
            "count(*) > 0",
            "row",
            "its SQL does not run on the declared columns "
            "(Binder Error: aggregate function calls cannot be nested)",
        ),
        (
            "order_count > 0",
            "table",
            "its SQL does not run on the declared columns "
            '(Binder Error: column "order_count" must appear in the GROUP BY clause or must be '
            "part of an aggregate function.)",
        ),
    ],
)
def test_a_rule_that_cannot_run_on_the_declared_columns_says_why(
    plan: CheckPlan, predicate: str, scope: CheckScope, reason: str
) -> None:
    broken = PlannedCheck(
        name="broken",
        kind="custom",
        severity="warn",
        columns=("order_count",),
        sql=predicate,
        description=f"{predicate} holds on every row",
        scope=scope,
        predicate=predicate,
    )
    plan = CheckPlan(plan.product, (*plan.checks[:2], broken), plan.columns, plan.grain)

    outcomes = evaluate_checks(plan, orders(), PERIOD)

    assert summary(outcomes)[2] == ("broken", False, 0, f"could not run: {reason}")
    assert outcomes[2].severity == "warn"
    assert outcomes[0].passed and outcomes[1].passed


def test_all_row_rules_are_computed_in_one_scan_and_the_grain_in_another(
    plan: CheckPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries: list[str] = []
    real_run = scan_module._run

    def counting_run(connection: Any, measures: Any, result: Any) -> None:
        queries.append(scan_module.scan_query(measures))
        real_run(connection, measures, result)

    monkeypatch.setattr(scan_module, "_run", counting_run)

    evaluate_checks(plan, orders(customer_id=["x"] * 4, order_count=[0, 1, 2, 3]), PERIOD)

    # One scan for every rule; the grain's DISTINCT streams on its own (see Measure).
    assert len(queries) == 2
    assert queries[0].count("count(*) filter (where not coalesce(") == 5
    assert "(count(*) > 0)" in queries[0]
    assert queries[1] == (
        "select count(*) as rows_checked, count(*) - count(distinct row(order_id, order_date)) "
        "as m0 from __mesh_typed"
    )


def test_samples_are_fetched_in_one_query_for_failed_rules_only(
    plan: CheckPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    sampled: list[list[str]] = []
    real_keys = evaluate_module.failing_row_keys

    def recording_keys(connection: Any, columns: Any, failing: dict[str, str]) -> Any:
        sampled.append(list(failing))
        return real_keys(connection, columns, failing)

    monkeypatch.setattr(evaluate_module, "failing_row_keys", recording_keys)
    table = orders(customer_id=["x", hashed(1), hashed(2), hashed(3)], order_count=[0, 1, 2, 3])

    evaluate_checks(plan, orders(), PERIOD)
    outcomes = evaluate_checks(plan, table, PERIOD)

    assert sampled == [[], ["pii_customer_id", "check_order_count_0"]]
    assert [(o.name, o.sample_keys) for o in outcomes if o.sample_keys] == [
        ("pii_customer_id", ({"order_id": "o0", "order_date": "2026-03-01"},)),
        ("check_order_count_0", ({"order_id": "o0", "order_date": "2026-03-01"},)),
    ]


def test_the_engine_is_locked_in_utc_without_external_access() -> None:
    connection = open_engine(EngineSettings(threads=1, memory_limit="256MB"))

    settings = connection.execute(
        "select current_setting('TimeZone'), current_setting('threads'), "
        "current_setting('enable_external_access'), current_setting('lock_configuration')"
    ).fetchone()

    assert settings == ("UTC", 1, False, True)
    with pytest.raises(Exception, match="the configuration has been locked"):
        connection.execute("SET enable_external_access = true")
