"""Null budgets: columns[].max_null_share, checked as null_share_<column> in the same scan."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest
from spec_folder import SpecFolder, merge, product_data

from mesh_dagster.checks import evaluate_checks, plan_checks
from mesh_dagster.odcs.export import export_contract
from mesh_dagster.odcs.load import read_contract
from mesh_dagster.spec import DataProduct
from mesh_dagster.spec.periods import Period
from mesh_dagster.spec.yaml_source import SourceMap

DAILY = "specs/orders/orders_daily.yaml"
DAY = Period("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))


def budgeted(share: object) -> DataProduct:
    """Return orders-daily with a null budget on revenue_usd (column 3, nullable)."""
    data = merge(product_data(), {"spec": {"schema": {3: {"max_null_share": share}}}})
    return DataProduct.model_validate(data)


def orders(rows: int, nulls: int) -> pa.Table:
    return pa.table(
        {
            "order_id": [f"o{i}" for i in range(rows)],
            "customer_id": ["c" * 64] * rows,
            "order_date": pa.array([date(2026, 3, 1)] * rows, pa.date32()),
            "revenue_usd": [None if i < nulls else 1.0 for i in range(rows)],
        }
    )


@pytest.mark.parametrize(("given", "share"), [("2%", 0.02), (0.02, 0.02), ("0.5 %", 0.005)])
def test_a_budget_is_a_share_or_a_percentage(given: object, share: float) -> None:
    assert budgeted(given).spec.columns[3].max_null_share == share


def test_a_budget_on_a_non_nullable_column_is_a_located_problem(specs: SpecFolder) -> None:
    specs.product(spec={"schema": {0: {"max_null_share": "2%"}}})

    assert specs.problems() == [
        f"{DAILY}:37:5: spec.schema[0].max_null_share: max_null_share is a budget for nulls, "
        "but the column is 'nullable: false'. Set 'nullable: true' to allow some nulls, or "
        "remove max_null_share."
    ]


def test_a_budget_above_100_percent_is_a_located_problem(specs: SpecFolder) -> None:
    specs.product(spec={"schema": {3: {"max_null_share": 2}}})

    assert specs.problems() == [
        f"{DAILY}:46:5: spec.schema[3].max_null_share: expected a share such as '99.9%' or "
        "0.999 (above 0, at most 100%), got 2. Did you mean '2%'?"
    ]


def test_the_budget_is_a_check_planned_after_completeness() -> None:
    plan = plan_checks(budgeted("2%"))
    check = plan.check("null_share_revenue_usd")

    assert plan.names[:3] == ("schema", "completeness", "null_share_revenue_usd")
    assert (check.kind, check.severity, check.scope) == ("null_share", "error", "row")
    assert check.description == "at most 2% of rows have no revenue_usd"


def test_a_column_over_its_budget_fails_with_sample_keys_and_within_it_passes() -> None:
    plan = plan_checks(budgeted("2%"))

    over = {o.name: o for o in evaluate_checks(plan, orders(100, 3), DAY)}
    within = {o.name: o for o in evaluate_checks(plan, orders(100, 2), DAY)}

    failed = over["null_share_revenue_usd"]
    assert (failed.passed, failed.failing_rows) == (False, 3)
    assert failed.detail == "3 of 100 rows (3.00%) have no revenue_usd; the budget is 2%"
    assert failed.sample_keys == tuple(
        {"order_id": f"o{i}", "order_date": "2026-03-01"} for i in range(3)
    )
    passed = within["null_share_revenue_usd"]
    assert passed.passed is True
    assert passed.detail == "2 of 100 rows (2.00%) have no revenue_usd; the budget is 2%"


def test_the_budget_is_an_odcs_null_values_rule_in_percent_and_imports_back() -> None:
    product = budgeted("2%")

    contract = export_contract(product)
    found = read_contract(contract, SourceMap("c.yaml"))

    prop = contract["schema"][0]["properties"][3]
    rules = [rule for rule in prop["quality"] if rule["id"] == "null_share_revenue_usd"]
    assert rules == [
        {
            "id": "null_share_revenue_usd",
            "type": "library",
            "metric": "nullValues",
            "mustBeLessOrEqualTo": 2.0,
            "unit": "percent",
            "dimension": "completeness",
            "severity": "error",
            "description": "At most 2% of rows may lack revenue_usd.",
            "customProperties": [{"property": "mesh.rule", "value": "null_share"}],
        }
    ]
    assert (found.problems, found.unmapped) == ([], [])
    assert DataProduct.model_validate(found.products[0].data) == product
