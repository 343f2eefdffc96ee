"""The example mesh: its specs load clean, and a day of it builds and passes its error rules."""

from __future__ import annotations

import importlib
from datetime import datetime, time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from mesh_dagster.build.context import TransformContext, view_name
from mesh_dagster.spec import DataProduct, Mesh, load_mesh
from mesh_dagster.spec.check_sql import parse_check_sql
from mesh_dagster.spec.graph import topological_order, upstream_products
from mesh_dagster.spec.periods import Period, period_for_key

SPECS = Path(__file__).resolve().parents[2] / "specs"
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
EXPECTED_PRODUCTS = {
    "order-events": ("orders", []),
    "orders-daily": ("orders", ["order-events"]),
    "payment-events": ("payments", []),
    "payments-daily": ("payments", ["payment-events"]),
    "shipment-events": ("shipments", []),
    "shipments-daily": ("shipments", ["shipment-events"]),
    "revenue-reconciliation": ("finance", ["orders-daily", "payments-daily"]),
}
RAW_PRODUCTS = ("order-events", "payment-events", "shipment-events")


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    return load_mesh(SPECS)


def test_the_example_mesh_loads_clean_with_its_products(mesh: Mesh) -> None:
    found = {
        name: (product.domain, upstream_products(product))
        for name, product in mesh.products.items()
    }

    assert found == EXPECTED_PRODUCTS
    assert mesh.domains() == ["finance", "orders", "payments", "shipments"]
    assert mesh.alert_channels_of(mesh.product("revenue-reconciliation")) == ["platform-webhook"]


def test_the_reconciliation_reads_across_domains(mesh: Mesh) -> None:
    product = mesh.product("revenue-reconciliation")
    domains = {mesh.product(name).domain for name in upstream_products(product)}

    assert domains == {"orders", "payments"}
    assert all(item.window == "partition" for item in product.spec.inputs)


@pytest.mark.parametrize("name", sorted(EXPECTED_PRODUCTS))
def test_every_product_keeps_the_platform_conventions(mesh: Mesh, name: str) -> None:
    product = mesh.product(name)
    spec, table = product.spec, name.replace("-", "_")

    assert product.metadata.steward.endswith("@company.com")
    assert spec.consumers
    assert spec.schedule is not None and spec.schedule.timezone == "UTC"
    assert spec.schedule.cron == ("0 5 * * *" if name in RAW_PRODUCTS else "0 6 * * *")
    assert spec.sla is not None and spec.sla.available_by is not None
    assert spec.partitioning is not None
    assert (spec.partitioning.by, spec.partitioning.start.isoformat()) == ("day", "2026-01-01")
    assert spec.grain
    assert spec.output.location == f"s3://data-platform/products/{product.domain}/{table}/"
    assert (spec.output.catalog, spec.output.database, spec.output.table) == (
        "glue",
        f"domain_{product.domain}",
        table,
    )


@pytest.mark.parametrize("name", RAW_PRODUCTS)
def test_raw_products_are_built_by_the_demo_generators(mesh: Mesh, name: str) -> None:
    transform = mesh.product(name).spec.transform
    assert transform is not None and transform.python is not None
    module, _, function = transform.python.partition(":")

    assert module == "mesh_demo.generators"
    assert callable(getattr(importlib.import_module(module), function))


@pytest.mark.parametrize("name", sorted(set(EXPECTED_PRODUCTS) - set(RAW_PRODUCTS)))
def test_downstream_products_are_sql_with_later_deadlines(mesh: Mesh, name: str) -> None:
    product = mesh.product(name)
    assert product.spec.transform is not None and product.spec.transform.sql is not None

    for upstream in upstream_products(product):
        assert _deadline(product) > _deadline(mesh.product(upstream))


@pytest.mark.parametrize("name", sorted(set(EXPECTED_PRODUCTS) - set(RAW_PRODUCTS)))
def test_hashed_columns_pass_through_from_an_input(mesh: Mesh, name: str) -> None:
    # DESIGN section 8: a column is hashed by the product that introduces it.
    product = mesh.product(name)
    hashed = {c.name for c in product.spec.columns if c.pii_handling == "hashed"}
    upstream_hashed = {
        column.name
        for upstream in upstream_products(product)
        for column in mesh.product(upstream).spec.columns
        if column.pii_handling == "hashed"
    }

    assert hashed <= upstream_hashed


def _deadline(product: DataProduct) -> time:
    assert product.spec.sla is not None and product.spec.sla.available_by is not None
    return product.spec.sla.available_by


# A day of the mesh, built the way the platform builds it: python transforms called with a
# context, SQL run in DuckDB (UTC session) over input views cut to the run's period.


def _within(table: pa.Table, product: DataProduct, period: Period) -> pa.Table:
    assert product.spec.partitioning is not None
    column = table.column(product.spec.partitioning.column)
    start: datetime | object = period.start
    end: datetime | object = period.end
    if pa.types.is_date32(column.type):
        start, end = period.start.date(), period.end.date()
    inside = pc.and_(
        pc.greater_equal(column, pa.scalar(start, column.type)),
        pc.less(column, pa.scalar(end, column.type)),
    )
    return table.filter(inside)


def _run_sql(sql: str, run: TransformContext) -> pa.Table:
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        for view, table in run.inputs.items():
            connection.register(view, table)
        connection.execute("SET VARIABLE partition_start = ?::TIMESTAMPTZ", [run.partition_start])
        connection.execute("SET VARIABLE partition_end = ?::TIMESTAMPTZ", [run.partition_end])
        connection.execute("SET VARIABLE partition_key = ?::VARCHAR", [run.partition_key])
        return connection.sql(sql).to_arrow_table()
    finally:
        connection.close()


def build_day(mesh: Mesh, key: str) -> dict[str, tuple[pa.Table, Period]]:
    built: dict[str, tuple[pa.Table, Period]] = {}
    for name in topological_order(mesh.products):
        product = mesh.product(name)
        period = period_for_key(key, "day", mesh.timezone_of(product))
        inputs = {
            view_name(upstream): _within(built[upstream][0], mesh.product(upstream), period)
            for upstream in upstream_products(product)
        }
        run = TransformContext(product, inputs, key, period.start, period.end)
        transform = product.spec.transform
        assert transform is not None
        if transform.sql is not None:
            table = _run_sql(transform.sql, run)
        else:
            assert transform.python is not None
            module, _, function = transform.python.partition(":")
            table = getattr(importlib.import_module(module), function)(run)
        built[name] = (table, period)
    return built


def failed_rules(product: DataProduct, table: pa.Table, period: Period) -> dict[str, str]:
    """Return the rules the table breaks, by check name, with their severity."""
    spec = product.spec
    failed: dict[str, str] = {}
    target = pa.schema([(c.name, ARROW_TYPES[c.type]) for c in spec.columns])
    if table.schema.names != target.names:
        failed["schema"] = "error"
    else:
        try:
            table = table.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            failed["schema"] = "error"
    if table.num_rows == 0:
        return {**failed, "not_empty": "error"}
    required = [c.name for c in spec.columns if not c.nullable]
    if table.select(required).drop_null().num_rows < spec.quality.completeness_threshold * len(
        table
    ):
        failed["completeness"] = "error"
    if table.select(spec.grain).group_by(spec.grain).aggregate([]).num_rows < table.num_rows:
        failed["grain_unique"] = "error"
    assert spec.partitioning is not None
    if _within(table, product, period).num_rows < table.num_rows:
        failed["partition_bounds"] = "error"
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.register("published", table)
        for check in spec.quality.custom_checks:
            parsed = parse_check_sql(check.sql, target.names)
            query = (
                f"select coalesce(({parsed.sql}), false) from published"
                if parsed.is_aggregate
                else f"select count(*) = 0 from published where not coalesce(({parsed.sql}), false)"
            )
            row = connection.execute(query).fetchone()
            if row is None or not row[0]:
                failed[check.name or check.sql] = check.severity
    finally:
        connection.close()
    return failed


@pytest.mark.parametrize(
    ("key", "warnings"),
    [
        ("2026-01-12", {}),
        # An old Android release reports 'COMPLETE' from 21:00: order-events flags it,
        # orders-daily leaves those orders out, and the reconciliation sees their payments.
        (
            "2026-02-03",
            {
                "order-events": {"known_status"},
                "revenue-reconciliation": {"match_rate_at_least_99pct"},
            },
        ),
    ],
)
def test_a_day_of_the_mesh_passes_its_error_rules(
    mesh: Mesh, key: str, warnings: dict[str, set[str]]
) -> None:
    built = build_day(mesh, key)
    results = {
        name: failed_rules(mesh.product(name), table, period)
        for name, (table, period) in built.items()
    }
    errors = {
        name: sorted(rule for rule, severity in failed.items() if severity == "error")
        for name, failed in results.items()
    }
    warned = {
        name: {rule for rule, severity in failed.items() if severity == "warn"}
        for name, failed in results.items()
    }

    assert errors == {name: [] for name in EXPECTED_PRODUCTS}
    assert {name: rules for name, rules in warned.items() if rules} == warnings
    reconciliation = built["revenue-reconciliation"][0]
    assert set(reconciliation["status"].to_pylist()) >= {"matched", "amount_mismatch"}
