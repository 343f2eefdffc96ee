"""Good specs: what a valid spec loads into, and the forms the language accepts."""

from __future__ import annotations

import shutil
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from spec_folder import DELETE, SpecFolder, dump_yaml, product_data

from mesh_dagster.spec import CustomCheck, SpecError, SpecProblem, load_mesh
from mesh_dagster.spec.check_sql import parse_check_sql

EXAMPLES = Path(__file__).parent / "examples"

# The base spec every test starts from; the line numbers in test_spec_errors.py refer to it.
BASE_SPEC_YAML = """\
apiVersion: dataproduct/v1
kind: DataProduct
metadata:
  name: orders-daily
  domain: orders
  owner: orders-team
  steward: jane@company.com
spec:
  description: Daily orders.
  schedule:
    cron: 0 6 * * *
    timezone: UTC
  sla:
    available_by: 07:00
    availability_target: 99.9%
  partitioning:
    by: day
    column: order_date
    start: '2026-01-01'
  grain:
  - order_id
  - order_date
  inputs:
  - source:
      name: raw_orders
      location: s3://raw/orders/
      format: parquet
  transform:
    sql: select * from raw_orders
  output:
    format: delta
    location: s3://data-platform/products/orders/orders_daily/
  schema:
  - name: order_id
    type: string
    nullable: false
  - name: customer_id
    type: string
    pii: true
    pii_handling: hashed
  - name: order_date
    type: date
    nullable: false
  - name: revenue_usd
    type: double
  quality:
    custom_checks:
    - revenue_usd >= 0
  consumers:
  - team: finance
    use_case: Revenue reporting
"""


def test_the_base_spec_has_the_layout_the_error_tests_refer_to() -> None:
    assert dump_yaml(product_data()) == BASE_SPEC_YAML


def test_the_reference_example_loads_with_the_example_policy(specs: SpecFolder) -> None:
    shutil.copy(EXAMPLES / "mesh.yaml", specs.root / "mesh.yaml")
    (specs.root / "orders").mkdir()
    shutil.copy(EXAMPLES / "orders_daily.yaml", specs.root / "orders" / "orders_daily.yaml")
    # The columns the example's transform reads: SQL is bound to its inputs' schemas.
    events = [
        {"name": name, "type": kind}
        for name, kind in [
            ("order_id", "string"),
            ("customer_id", "string"),
            ("completed_at", "timestamp"),
            ("amount_usd", "double"),
            ("status", "string"),
        ]
    ]
    spec = {"transform": DELETE, "inputs": DELETE, "grain": DELETE, "partitioning": DELETE}
    spec |= {"sla": DELETE, "schema": events, "quality": DELETE}
    specs.product("order-events", spec=spec)

    mesh = specs.load()

    product = mesh.product("orders-daily")
    assert (product.name, product.domain, product.metadata.owner) == (
        "orders-daily",
        "orders",
        "orders-platform-team",
    )
    assert product.spec.schedule is not None and product.spec.schedule.cron == "0 6 * * *"
    assert product.spec.sla is not None
    assert product.spec.sla.available_by == time(7, 0)
    assert product.spec.sla.availability_target == pytest.approx(0.999)
    assert product.spec.partitioning is not None
    assert (product.spec.partitioning.by, product.spec.partitioning.start) == (
        "day",
        date(2026, 1, 1),
    )
    assert product.spec.grain == ["order_id", "order_date"]
    assert [(c.name, c.type) for c in product.spec.columns] == [
        ("order_id", "string"),
        ("customer_id", "string"),
        ("order_date", "date"),
        ("order_count", "bigint"),
        ("revenue_usd", "double"),
    ]
    assert product.spec.quality.custom_checks == [
        CustomCheck(sql="order_count > 0"),
        CustomCheck(sql="revenue_usd >= 0"),
    ]
    assert product.spec.quality.completeness_threshold == pytest.approx(0.999)
    assert [consumer.team for consumer in product.spec.consumers] == ["finance", "ml-platform"]
    assert mesh.alert_channels_of(product) == ["orders-slack", "orders-pagerduty"]
    assert mesh.files["orders-daily"] == specs.root / "orders" / "orders_daily.yaml"
    assert mesh.sources["orders-daily"].locate(("spec", "grain")) == (29, 3)
    assert mesh.policy.defaults.availability_target == pytest.approx(0.995)


@pytest.mark.parametrize(
    ("written", "share"),
    [("99.9%", 0.999), (0.999, 0.999), ("0.999", 0.999), ("100%", 1.0), (1, 1.0), ("42 %", 0.42)],
)
def test_availability_target_is_a_percentage_or_a_share(
    specs: SpecFolder, written: Any, share: float
) -> None:
    specs.product(spec={"sla": {"availability_target": written}})
    sla = specs.load().product("orders-daily").spec.sla
    assert sla is not None and sla.availability_target == pytest.approx(share)


def test_an_unquoted_clock_time_is_read_as_a_time_not_as_sexagesimal(specs: SpecFolder) -> None:
    text = dump_yaml(product_data()).replace("available_by: 07:00", "available_by: 07:30")
    assert "available_by: 07:30\n" in text
    specs.write("orders/orders_daily.yaml", text)
    sla = specs.load().product("orders-daily").spec.sla
    assert sla is not None and sla.available_by == time(7, 30)


def test_a_custom_check_is_a_string_or_a_mapping(specs: SpecFolder) -> None:
    checks = [
        "revenue_usd >= 0",
        {"name": "has_rows", "sql": "count(*) > 0", "severity": "warn", "description": "Rows."},
    ]
    specs.product(spec={"quality": {"custom_checks": checks}})
    loaded = specs.load().product("orders-daily").spec.quality.custom_checks
    assert loaded == [
        CustomCheck(sql="revenue_usd >= 0"),
        CustomCheck(sql="count(*) > 0", name="has_rows", severity="warn", description="Rows."),
    ]


@pytest.mark.parametrize(
    ("sql", "is_aggregate"),
    [
        ("revenue_usd >= 0", False),
        ("is_test", False),
        ("not is_test and order_id like 'O-%'", False),
        ("case when is_test then true else revenue_usd > 0 end", False),
        ("coalesce(revenue_usd, 0) between 0 and 1e6", False),
        ("count(*) > 0", True),
        ("count(distinct order_id) = count(*)", True),
        ("sum(revenue_usd) / nullif(count(*), 0) < 1000", True),
    ],
)
def test_safe_check_expressions_are_accepted(sql: str, is_aggregate: bool) -> None:
    parsed = parse_check_sql(sql, ["order_id", "revenue_usd", "is_test"], ["is_test"])
    assert parsed.is_aggregate is is_aggregate


def test_timezones_default_from_schedule_then_policy(specs: SpecFolder) -> None:
    specs.policy(defaults={"timezone": "Europe/Berlin"})
    specs.product(spec={"schedule": {"timezone": DELETE}})
    specs.product(
        "orders-hourly",
        spec={
            "schedule": {"cron": "15 * * * *", "timezone": "America/New_York"},
            "sla": {"available_by": DELETE, "within": "45m", "timezone": "UTC"},
            "partitioning": {"by": "hour", "column": "ordered_at"},
            "grain": ["order_id"],
            "schema": {2: {"name": "ordered_at", "type": "timestamp"}},
        },
    )
    mesh = specs.load()
    daily, hourly = mesh.product("orders-daily"), mesh.product("orders-hourly")
    assert (mesh.timezone_of(daily), mesh.sla_timezone_of(daily)) == (
        "Europe/Berlin",
        "Europe/Berlin",
    )
    assert (mesh.timezone_of(hourly), mesh.sla_timezone_of(hourly)) == ("America/New_York", "UTC")
    assert hourly.spec.sla is not None and hourly.spec.sla.within == timedelta(minutes=45)


def test_a_domain_may_tighten_the_global_rules(specs: SpecFolder) -> None:
    specs.policy(
        domains={
            "orders": {
                "rules": {
                    "output_locations": "s3://data-platform/products/orders/curated/",
                    "min_availability_target": "99.9%",
                    "steward_email_domains": ["company.com"],
                    "max_freshness_sla_hours": 12,
                }
            }
        }
    )
    specs.product(
        spec={"output": {"location": "s3://data-platform/products/orders/curated/orders_daily/"}}
    )
    rules = specs.load().rules_for("orders")
    assert rules.output_locations == "s3://data-platform/products/orders/curated/"
    assert rules.min_consumers == 1
    assert rules.max_freshness_sla_hours == 12


def test_products_read_each_other_across_domains(specs: SpecFolder) -> None:
    specs.product("order-events", spec={"transform": DELETE, "inputs": DELETE})
    specs.product("payment-events", "payments", spec={"transform": DELETE, "inputs": DELETE})
    specs.product(
        "revenue-reconciliation",
        "finance",
        inputs=["order-events", "payment-events"],
        spec={
            "transform": {
                "sql": "with paid as (select * from payment_events)\n"
                "select o.* from order_events o join paid using (order_id)"
            }
        },
    )
    mesh = specs.load()
    assert list(mesh.products) == ["order-events", "payment-events", "revenue-reconciliation"]
    assert mesh.domains() == ["finance", "orders", "payments"]


def test_a_single_file_loads_and_hidden_files_are_skipped(specs: SpecFolder) -> None:
    path = specs.product()
    specs.write("orders/.draft.yaml", "not: [valid")
    specs.write("orders/notes.txt", "not yaml at all: [")
    assert list(load_mesh(path).products) == ["orders-daily"]
    assert list(specs.load().products) == ["orders-daily"]


def test_a_missing_folder_is_one_problem(specs: SpecFolder) -> None:
    with pytest.raises(SpecError) as raised:
        load_mesh("nowhere")
    assert [str(problem) for problem in raised.value.problems] == [
        "nowhere:1:1: no such file or folder."
    ]


def test_spec_error_lists_its_problems_sorted_in_its_message() -> None:
    late = SpecProblem("b.yaml", 3, 1, "spec", "second.", "A hint.")
    early = SpecProblem("a.yaml", 9, 5, "metadata.name", "first.")
    error = SpecError([late, early])
    assert error.problems == (early, late)
    assert str(error) == (
        "2 spec problems:\na.yaml:9:5: metadata.name: first.\nb.yaml:3:1: spec: second. A hint."
    )
    assert late.as_dict() == {
        "file": "b.yaml",
        "line": 3,
        "column": 1,
        "path": "spec",
        "message": "second.",
        "hint": "A hint.",
    }
