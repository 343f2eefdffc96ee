"""Planning a product's quality rules: names, kinds, severities, columns, SQL and order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mesh_dagster.checks import CheckPlanError, DeclaredColumn, PlannedCheck, plan_checks
from mesh_dagster.checks.names import derived_name, sql_hash
from mesh_dagster.spec import DataProduct

# Not imported from conftest: tests/unit and tests/cli both have one named `conftest`.
ProductFactory = Callable[..., DataProduct]

ALL_COLUMNS = ("order_id", "customer_id", "order_date", "order_count", "revenue_usd")


def test_plan_of_the_example_spec(orders_daily: DataProduct) -> None:
    plan = plan_checks(orders_daily)

    assert plan.product == "orders-daily"
    assert [(c.name, c.kind, c.severity, c.columns, c.scope) for c in plan.checks] == [
        ("schema", "schema", "error", ALL_COLUMNS, "schema"),
        ("completeness", "completeness", "error", ALL_COLUMNS, "row"),
        ("grain_unique", "grain_unique", "error", ("order_id", "order_date"), "grain"),
        ("partition_bounds", "partition_bounds", "error", ("order_date",), "row"),
        ("not_empty", "not_empty", "error", (), "table"),
        ("pii_customer_id", "pii", "error", ("customer_id",), "row"),
        ("check_order_count_0", "custom", "error", ("order_count",), "row"),
        ("check_revenue_usd_0", "custom", "error", ("revenue_usd",), "row"),
    ]
    assert plan.columns == (
        DeclaredColumn("order_id", "VARCHAR", False),
        DeclaredColumn("customer_id", "VARCHAR", True, "hashed"),
        DeclaredColumn("order_date", "DATE", False),
        DeclaredColumn("order_count", "BIGINT", False),
        DeclaredColumn("revenue_usd", "DOUBLE", False),
    )
    assert plan.grain == ("order_id", "order_date")
    assert plan.sample_columns == ("order_id", "order_date")


def test_sql_and_descriptions_of_the_example(orders_daily: DataProduct) -> None:
    plan = plan_checks(orders_daily)

    assert [(check.sql, check.description) for check in plan.checks] == [
        (
            "(order_id VARCHAR, customer_id VARCHAR, order_date DATE, order_count BIGINT, "
            "revenue_usd DOUBLE)",
            "all 5 declared columns are present and castable to their types, "
            "and no other column is present",
        ),
        (
            "order_id is not null and customer_id is not null and order_date is not null "
            "and order_count is not null and revenue_usd is not null",
            "at least 99.9% of rows have order_id, customer_id, order_date, order_count "
            "and revenue_usd present",
        ),
        (
            "select order_id, order_date, count(*) from orders_daily "
            "group by order_id, order_date having count(*) > 1",
            "no two rows share the same (order_id, order_date)",
        ),
        (
            "order_date >= getvariable('partition_start_date') "
            "and order_date < getvariable('partition_end_date')",
            "every row's order_date lies in the run's partition window [start, end)",
        ),
        (
            "count(*) > 0",
            "the result has at least one row (an empty result would empty the partition)",
        ),
        (
            (
                "customer_id is null or (strlen(customer_id) = 64 "
                "and regexp_full_match(customer_id, '[0-9a-f]+'))"
            ),
            "customer_id is null or 64 lowercase hex characters (hashed) on every row",
        ),
        ("order_count > 0", "order_count > 0 holds on every row"),
        ("revenue_usd >= 0", "revenue_usd >= 0 holds on every row"),
    ]
    bounds = plan.check("partition_bounds")
    assert bounds.variables == ("partition_start_date", "partition_end_date")
    assert bounds.predicate == bounds.sql
    assert plan.check("completeness").min_passing_share == 0.999


def test_optional_built_ins_are_only_planned_when_the_spec_asks(
    example_product: ProductFactory,
) -> None:
    def edit(spec: dict[str, Any]) -> None:
        del spec["grain"], spec["partitioning"], spec["sla"]
        spec["quality"] = {"allow_empty": True}
        spec["schema"][1]["pii_handling"] = None

    plan = plan_checks(example_product(edit))

    assert plan.names == ("schema", "completeness")
    assert plan.check("completeness").description == (
        "every row has order_id, customer_id, order_date, order_count and revenue_usd present"
    )


def test_completeness_without_required_columns_always_holds(
    example_product: ProductFactory,
) -> None:
    def edit(spec: dict[str, Any]) -> None:
        for column in spec["schema"]:
            column["nullable"] = True

    check = plan_checks(example_product(edit)).check("completeness")

    assert (check.columns, check.predicate) == ((), "true")
    assert check.description == "at least 99.9% of rows have no column declared nullable: false"


def test_pii_rules_per_handling(example_product: ProductFactory) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["schema"] += [
            {"name": "email", "type": "string", "pii": True, "pii_handling": "masked"},
            {"name": "phone", "type": "string", "pii": True, "pii_handling": "redacted"},
            {"name": "city", "type": "string", "pii": True},
        ]

    plan = plan_checks(example_product(edit))
    pii = [check for check in plan.checks if check.kind == "pii"]

    assert [(c.name, c.sql, c.description) for c in pii] == [
        (
            "pii_customer_id",
            (
                "customer_id is null or (strlen(customer_id) = 64 "
                "and regexp_full_match(customer_id, '[0-9a-f]+'))"
            ),
            "customer_id is null or 64 lowercase hex characters (hashed) on every row",
        ),
        (
            "pii_email",
            (
                "email is null or length(email) - length(ltrim(email, '*')) "
                ">= length(email) - least(4, length(email) // 4)"
            ),
            (
                "email is null or masked (at most its last 4 characters, and at most a quarter "
                "of it, are not '*') on every row"
            ),
        ),
        ("pii_phone", "phone is null", "phone is null (redacted) on every row"),
    ]
    assert plan.sample_columns == ("order_id", "order_date")


def test_custom_checks_keep_their_name_severity_and_description(
    example_product: ProductFactory,
) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["quality"]["custom_checks"] = [
            {"name": "positive_revenue", "sql": "revenue_usd >= 0", "severity": "warn"},
            {"sql": "count(*) > 0", "description": "The day has orders."},
            "sum(revenue_usd)   >   100",
        ]

    plan = plan_checks(example_product(edit))

    assert plan.check("positive_revenue") == PlannedCheck(
        name="positive_revenue",
        kind="custom",
        severity="warn",
        columns=("revenue_usd",),
        sql="revenue_usd >= 0",
        description="revenue_usd >= 0 holds on every row",
        scope="row",
        predicate="revenue_usd >= 0",
    )
    assert plan.check("check_count_0") == PlannedCheck(
        name="check_count_0",
        kind="custom",
        severity="error",
        columns=(),
        sql="COUNT(*) > 0",
        description="The day has orders.",
        scope="table",
        predicate="COUNT(*) > 0",
    )
    aggregate = plan.check("check_sum_revenue_usd_100")
    assert (aggregate.scope, aggregate.columns, aggregate.sql, aggregate.description) == (
        "table",
        ("revenue_usd",),
        "SUM(revenue_usd) > 100",
        "SUM(revenue_usd) > 100 holds on the table",
    )


def test_derived_names_are_slugs_cut_to_63_characters_with_a_hash() -> None:
    long_sql = "revenue_usd >= 0 and order_count > 0 and lower(order_id) <> upper(order_id)"

    assert derived_name("revenue_usd >= 0") == "check_revenue_usd_0"
    assert derived_name("length(order_id)  = 10") == "check_length_order_id_10"
    assert derived_name(long_sql) == (
        f"check_revenue_usd_0_and_order_count_0_and_lower_order_{sql_hash(long_sql)}"
    )
    assert len(derived_name(long_sql)) == 62  # cut at 54 characters, then a trailing '_'
    assert len(derived_name(f"x{long_sql}")) == 63
    assert sql_hash("a  >\n 1") == sql_hash("a > 1")


def test_colliding_derived_names_each_get_their_own_hash(example_product: ProductFactory) -> None:
    checks = ["revenue_usd > 0", "revenue_usd >= 0", "revenue_usd >= 0", "order_count > 0"]

    def edit(spec: dict[str, Any]) -> None:
        spec["quality"]["custom_checks"] = [
            *checks,
            {"name": "check_order_count_0", "sql": "order_count >= 1"},
        ]

    names = plan_checks(example_product(edit)).names[-5:]

    assert names == (
        f"check_revenue_usd_0_{sql_hash('revenue_usd > 0')}",
        f"check_revenue_usd_0_{sql_hash('revenue_usd >= 0')}",
        f"check_revenue_usd_0_{sql_hash('revenue_usd >= 0')}_2",
        f"check_order_count_0_{sql_hash('order_count > 0')}",
        "check_order_count_0",
    )


def test_names_are_stable_when_other_checks_are_added(example_product: ProductFactory) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["quality"]["custom_checks"].insert(0, "order_id is not null")

    before = plan_checks(example_product()).names
    after = plan_checks(example_product(edit)).names

    assert after == (*before[:-2], "check_order_id_is_not_null", *before[-2:])


@pytest.mark.parametrize(
    ("custom_checks", "message"),
    [
        (
            [{"name": "grain_unique", "sql": "order_count > 0"}],
            "the custom check name 'grain_unique' is the name of a built-in check; "
            "choose another name.",
        ),
        (
            [{"name": "pii_customer_id", "sql": "order_count > 0"}],
            "the custom check name 'pii_customer_id' is the name of a built-in check; "
            "choose another name.",
        ),
        (
            [{"name": "twice", "sql": "order_count > 0"}, {"name": "twice", "sql": "1 = 1"}],
            "two custom checks are named 'twice'; names must be unique.",
        ),
        (
            ["revenue_usd >= (select 1)"],
            "custom check 'check_revenue_usd_select_1' is invalid: "
            "subqueries are not allowed in a check",
        ),
    ],
)
def test_unplannable_custom_checks_are_errors(
    example_product: ProductFactory, custom_checks: list[Any], message: str
) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["quality"]["custom_checks"] = custom_checks

    with pytest.raises(CheckPlanError) as raised:
        plan_checks(example_product(edit))

    assert str(raised.value) == message


def test_a_timestamp_partition_column_is_compared_as_instants(
    example_product: ProductFactory,
) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["schema"].append({"name": "completed_at", "type": "timestamp", "nullable": False})
        spec["partitioning"] = {"by": "hour", "column": "completed_at", "start": "2026-01-01"}

    check = plan_checks(example_product(edit)).check("partition_bounds")

    assert check.sql == (
        "completed_at >= getvariable('partition_start') "
        "and completed_at < getvariable('partition_end')"
    )
    assert check.variables == ("partition_start", "partition_end")


def test_keyword_column_names_are_quoted(example_product: ProductFactory) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["schema"].append({"name": "order", "type": "integer", "nullable": False})
        spec["schema"].append({"name": "amount", "type": "decimal(18, 2)"})
        spec["quality"] = {}

    plan = plan_checks(example_product(edit))

    completeness = plan.check("completeness").sql
    assert completeness.endswith('revenue_usd is not null and "order" is not null')
    assert plan.columns[-2:] == (
        DeclaredColumn("order", "INTEGER", False),
        DeclaredColumn("amount", "DECIMAL(18,2)", False),
    )
