"""SQL at validate time: nesting limits, documented functions, comments, and binding.

Every case asserts the exact lines ``mesh validate`` prints (``SpecFolder.problems``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest
import sqlglot
from spec_folder import DELETE, SpecFolder

from mesh_dagster.checks import evaluate_checks, plan_checks
from mesh_dagster.checks.engine import EngineSettings, open_engine
from mesh_dagster.spec import sql_parse
from mesh_dagster.spec.check_sql import (
    BOOLEAN_FUNCTIONS,
    CHECK_FUNCTIONS,
    FUNCTION_TABLE,
    CheckSqlError,
    allowed_function_names,
    parse_check_sql,
)
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.transform_sql import TransformSqlError, check_transform_sql

DAILY = "specs/orders/orders_daily.yaml"
EVENTS = "specs/orders/order_events.yaml"
EVENT_COLUMNS = [
    {"name": "order_id", "type": "string"},
    {"name": "amount", "type": "double"},
    {"name": "status", "type": "string"},
]


def external(checks: list[Any] | None = None, columns: list[dict[str, str]] | None = None) -> Any:
    """Return the overrides of an externally built product (no transform, no inputs)."""
    return {
        "transform": DELETE,
        "inputs": DELETE,
        "grain": DELETE,
        "partitioning": DELETE,
        "sla": DELETE,
        "schema": columns or EVENT_COLUMNS,
        "quality": {"custom_checks": checks or ["amount > 0"]},
    }


def with_transform(specs: SpecFolder, sql: str) -> None:
    """Write order-events (external) and orders-daily reading it through ``sql``."""
    specs.product("order-events", spec=external())
    specs.product("orders-daily", inputs=["order-events"], spec={"transform": {"sql": sql}})


# --- nesting ----------------------------------------------------------------------------


def nested_check(depth: int) -> str:
    return "(" * depth + "revenue_usd >= 0" + ")" * depth


def nested_transform(depth: int) -> str:
    value = "(" * depth + "order_id" + ")" * depth
    return f"select {value} as order_id, customer_id, order_date, revenue_usd from raw_orders"


@pytest.mark.parametrize("depth", [40, 60, 128])
def test_sql_nested_up_to_128_levels_validates(specs: SpecFolder, depth: int) -> None:
    specs.product(
        spec={"quality": {"custom_checks": [nested_check(depth)]}},
    )
    specs.product("orders-hourly", spec={"transform": {"sql": nested_transform(depth)}})

    assert sorted(specs.load().products) == ["orders-daily", "orders-hourly"]


@pytest.mark.parametrize(("depth", "column"), [(129, 129), (200, 129), (5000, 129)])
def test_a_check_nested_too_deeply_is_a_located_problem(
    specs: SpecFolder, depth: int, column: int
) -> None:
    specs.product(
        spec={"quality": {"custom_checks": ["order_id is not null", nested_check(depth)]}}
    )

    problems = specs.problems()

    assert problems == [
        f"{DAILY}:49:7: spec.quality.custom_checks[1]: invalid check: the SQL is nested more "
        f"than 128 levels deep (at column {column}). Split it into several checks, or write "
        "it with fewer parentheses."
    ]


@pytest.mark.parametrize("depth", [200, 5000])
def test_a_transform_nested_too_deeply_is_a_located_problem(specs: SpecFolder, depth: int) -> None:
    sql = "with rows as (select * from raw_orders)\n" + nested_transform(depth)
    specs.product(spec={"transform": {"sql": sql}})

    assert specs.problems() == [
        f"{DAILY}:29:5: spec.transform.sql: the SQL is nested more than 128 levels deep (at "
        "line 2, column 136). Name the inner steps as CTEs: 'with step as (select ...) "
        "select ... from step'."
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "not " * 5000 + "revenue_usd >= 0",
        "- " * 5000 + "revenue_usd >= 0",
        "case when " * 200 + "true" + " then true end" * 200,
        "abs(" * 200 + "revenue_usd" + ")" * 200 + " >= 0",
    ],
    ids=["not", "minus", "case", "function"],
)
def test_every_kind_of_nesting_counts(sql: str) -> None:
    with pytest.raises(CheckSqlError) as raised:
        parse_check_sql(sql, ["revenue_usd"])

    assert str(raised.value).startswith("the SQL is nested more than 128 levels deep (at column ")


def test_a_recursion_error_past_the_scan_is_reported_as_too_deep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sql_parse, "_check_nesting", lambda sql, tokens: None)

    with pytest.raises(CheckSqlError) as check:
        parse_check_sql(nested_check(5000), ["revenue_usd"])
    with pytest.raises(TransformSqlError) as transform:
        check_transform_sql(nested_transform(5000), ["raw_orders"])

    assert str(check.value) == "the SQL is nested more than 128 levels deep"
    assert str(transform.value) == "the SQL is nested more than 128 levels deep"


# --- comments ---------------------------------------------------------------------------


def orders_table(revenue: float) -> pa.Table:
    return pa.table(
        {
            "order_id": ["a"],
            "customer_id": ["0" * 64],
            "order_date": [date(2026, 3, 1)],
            "revenue_usd": [revenue],
        }
    )


def planned(specs: SpecFolder, check: str) -> tuple[str, str | None, bool]:
    """Return the check's shown SQL, its predicate, and whether it passes on -5 revenue."""
    specs.product(spec={"quality": {"custom_checks": [{"name": "rule", "sql": check}]}})
    plan = plan_checks(specs.load().product("orders-daily"))
    outcome = next(o for o in evaluate_checks(plan, orders_table(-5.0), None) if o.name == "rule")
    return plan.check("rule").sql, plan.check("rule").predicate, outcome.passed


def test_a_comment_is_not_part_of_a_check(specs: SpecFolder) -> None:
    assert planned(specs, "revenue_usd > 0 -- or true") == (
        "revenue_usd > 0",
        "revenue_usd > 0",
        False,
    )


def test_what_follows_a_comment_is_shown_as_it_runs(specs: SpecFolder) -> None:
    # The line after the comment is SQL: it is shown, and it is what lets the rule pass.
    shown = "revenue_usd > 0 OR TRUE"

    assert planned(specs, "revenue_usd > 0 -- note\nor true") == (shown, shown, True)
    assert planned(specs, "revenue_usd > 0 /* note */ and true") == (
        "revenue_usd > 0 AND TRUE",
        "revenue_usd > 0 AND TRUE",
        False,
    )


# --- documented functions ---------------------------------------------------------------

ROW = {
    "x": 2.5,
    "n": 3,
    "s": "123",
    "b": True,
    "d": date(2026, 3, 1),
    "t": datetime(2026, 3, 1, 12, tzinfo=UTC),
}


def function_table() -> pa.Table:
    return pa.table({name: [value, value] for name, value in ROW.items()})


def function_product(checks: list[str]) -> DataProduct:
    columns = [{"name": name, "type": kind} for name, kind in FUNCTION_TABLE.items()]
    return DataProduct.model_validate(
        {
            "apiVersion": "dataproduct/v1",
            "kind": "DataProduct",
            "metadata": {
                "name": "functions",
                "domain": "orders",
                "owner": "orders-team",
                "steward": "jane@company.com",
            },
            "spec": {
                "description": "Every documented function.",
                "output": {
                    "format": "delta",
                    "location": "s3://data-platform/products/orders/functions/",
                },
                "schema": columns,
                "quality": {"custom_checks": checks, "allow_empty": True},
            },
        }
    )


def every_function_checks() -> list[str]:
    """Return a check calling each documented function, then each boolean one alone."""
    checks = [f"({call}) is not null" for call in CHECK_FUNCTIONS.values()]
    return checks + [CHECK_FUNCTIONS[name] for name in sorted(BOOLEAN_FUNCTIONS)]


def test_every_documented_function_is_allowed_in_a_check_and_evaluates() -> None:
    checks = every_function_checks()
    for check in checks:
        parse_check_sql(check, list(FUNCTION_TABLE), ["b"])  # raises if refused
    not_null = checks[: len(CHECK_FUNCTIONS)]

    outcomes = evaluate_checks(plan_checks(function_product(not_null)), function_table(), None)

    custom = outcomes[-len(not_null) :]
    expected = [
        f"{o.sql} is true on the table (2 rows)"
        if aggregate(name)
        else f"all 2 rows satisfy {o.sql}"
        for name, o in zip(CHECK_FUNCTIONS.values(), custom, strict=True)
    ]
    assert [(o.passed, o.detail) for o in custom] == [(True, text) for text in expected]


def test_the_normalized_sql_of_every_function_computes_what_was_written() -> None:
    connection = open_engine(EngineSettings(threads=1))
    connection.register("functions", function_table())
    try:
        for name, call in CHECK_FUNCTIONS.items():
            shown = sqlglot.parse_one(call, read="duckdb").sql(dialect="duckdb", comments=False)
            written = connection.sql(f"select {call} from functions").fetchall()
            normalized = connection.sql(f"select {shown} from functions").fetchall()
            assert (name, written) == (name, normalized)
    finally:
        connection.close()


def test_every_documented_function_is_allowed_in_a_transform_and_runs(specs: SpecFolder) -> None:
    columns = [{"name": name, "type": kind} for name, kind in FUNCTION_TABLE.items()]
    specs.product("functions", spec=external(every_function_checks(), columns))
    scalar = [n for n, call in CHECK_FUNCTIONS.items() if not aggregate(call)]
    total = [n for n, call in CHECK_FUNCTIONS.items() if aggregate(call)]
    for name, chosen in (("scalar-functions", scalar), ("aggregate-functions", total)):
        select = ", ".join(f"{CHECK_FUNCTIONS[function]} as f_{function}" for function in chosen)
        output = [{"name": f"f_{function}", "type": "string"} for function in chosen]
        spec = external(["true"], output) | {
            "inputs": [{"product": "functions"}],
            "transform": {"sql": f"select {select} from functions"},
        }
        specs.product(name, spec=spec)
        check_transform_sql(f"select {select} from functions", ["functions"])

    mesh = specs.load()  # binds both transforms, and every check of "functions"

    connection = open_engine(EngineSettings(threads=1))
    connection.register("functions", function_table())
    try:
        for name, chosen in (("scalar-functions", scalar), ("aggregate-functions", total)):
            transform = mesh.product(name).spec.transform
            assert transform is not None and transform.sql is not None
            result = connection.sql(transform.sql).fetchall()
            assert len(result[0]) == len(chosen)
    finally:
        connection.close()
    assert sorted(scalar + total) == allowed_function_names()


def aggregate(call: str) -> bool:
    return parse_check_sql(f"({call}) is not null", list(FUNCTION_TABLE), ["b"]).is_aggregate


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (
            "containz(customer_id, 'a')",
            "function 'containz' is not allowed in a check. Did you mean 'contains'?",
        ),
        (
            "getenv('HOME') = 'x'",
            "function 'getenv' is not allowed in a check. A check may call pure scalar and "
            "aggregate functions only (no file, network or environment access).",
        ),
    ],
)
def test_a_refused_function_never_suggests_itself(
    specs: SpecFolder, check: str, message: str
) -> None:
    specs.product(spec={"quality": {"custom_checks": [check]}})

    assert specs.problems() == [
        f"{DAILY}:48:7: spec.quality.custom_checks[0]: invalid check: {message}"
    ]


# --- binding ----------------------------------------------------------------------------


def test_checks_are_bound_to_the_declared_columns(specs: SpecFolder) -> None:
    checks = ["amount > 0", "E'\\x00' is not null", "* is not null", "status > 0"]
    specs.product("order-events", spec=external(checks))

    assert specs.problems() == [
        f"{EVENTS}:26:7: spec.quality.custom_checks[1]: invalid check: DuckDB cannot read it: "
        "Null character not permitted in escape string literal.",
        f"{EVENTS}:27:7: spec.quality.custom_checks[2]: invalid check: it does not bind to the "
        "declared columns: STAR expression is only allowed as the root element of an "
        "expression. Use COLUMNS(*) instead.",
        f"{EVENTS}:28:7: spec.quality.custom_checks[3]: invalid check: it does not bind to the "
        "declared columns: Cannot compare values of type VARCHAR and type INTEGER_LITERAL - an "
        "explicit cast is required.",
    ]


def test_one_unbound_check_does_not_hide_or_blame_the_others(specs: SpecFolder) -> None:
    specs.product("order-events", spec=external(["amount > 0", "count(*) > 0"]))
    specs.product("order-refunds", spec=external(["status > 0", "sum(amount) > 0"]))
    specs.product("order-returns", spec=external(["status = 'x'"]))

    assert specs.problems() == [
        "specs/orders/order_refunds.yaml:25:7: spec.quality.custom_checks[0]: invalid check: "
        "it does not bind to the declared columns: Cannot compare values of type VARCHAR and "
        "type INTEGER_LITERAL - an explicit cast is required."
    ]


@pytest.mark.parametrize(
    ("sql", "lines"),
    [
        (
            "select * from (order_events)",
            ['spec.transform.sql: DuckDB cannot read the transform: syntax error at or near ")".'],
        ),
        (
            "select amout from order_events",
            [
                "spec.transform.sql: the transform does not bind to its inputs' declared "
                'schemas: Referenced column "amout" not found in FROM clause. Did you mean '
                "'amount'?"
            ],
        ),
        (
            "select order_id, amount + interval 1 day as revenue_usd from order_events",
            [
                "spec.transform.sql: the transform does not bind to its inputs' declared "
                "schemas: No function matches the given name and argument types "
                "'+(DOUBLE, INTERVAL)'. You might need to add explicit type casts."
            ],
        ),
        (
            "select order_id, amount as revenue_usd, status from order_events",
            [
                "spec.transform.sql: the transform does not give the columns 'customer_id', "
                "'order_date', which spec.schema declares. It gives: order_id, revenue_usd, "
                "status.",
                "spec.transform.sql: the transform gives the column 'status', which spec.schema "
                "does not declare. Declare it in spec.schema, or leave it out of the SELECT.",
            ],
        ),
    ],
    ids=["parenthesized-table", "unknown-column", "type-mismatch", "output-columns"],
)
def test_transforms_are_bound_to_their_inputs_and_output(
    specs: SpecFolder, sql: str, lines: list[str]
) -> None:
    with_transform(specs, sql)

    assert specs.problems() == [f"{DAILY}:26:5: {line}" for line in lines]


def test_a_transform_that_binds_validates_without_running(specs: SpecFolder) -> None:
    # Bound, never run: an endless query costs nothing at validate time.
    sql = (
        "with recursive t(n) as (select 1 union all select n + 1 from t) "
        "select order_id, status as customer_id, current_date as order_date, amount as "
        "revenue_usd from order_events, t "
        "where getvariable('partition_start') is null or n > 0"
    )
    with_transform(specs, sql)

    mesh = specs.load()  # bound, never run: an endless query validates at once

    assert sorted(mesh.products) == ["order-events", "orders-daily"]


def test_a_transform_reading_a_source_is_not_bound(specs: SpecFolder) -> None:
    # A source declares no schema: its columns are unknown until the build reads it.
    specs.product(spec={"transform": {"sql": "select no_such_column from raw_orders"}})

    assert list(specs.load().products) == ["orders-daily"]
