"""`mesh validate --resolve`: sources exist, and transforms bind to their real schemas."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from spec_folder import SpecFolder
from typer.testing import CliRunner

from mesh_dagster.cli.main import app

DAILY = "specs/orders/orders_daily.yaml"


@pytest.fixture(autouse=True)
def warehouse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MESH_STORAGE_MODE", raising=False)
    monkeypatch.setenv("MESH_WAREHOUSE", "warehouse")


def write_source() -> None:
    """Write warehouse/raw/orders/orders.parquet (one row) as a raw orders file."""
    folder = Path("warehouse/raw/orders")
    folder.mkdir(parents=True)
    table = pa.table(
        {
            "order_id": ["o1"],
            "customer_id": ["c1"],
            "order_date": pa.array([date(2026, 3, 1)], pa.date32()),
            "amount": [1.0],
        }
    )
    pq.write_table(table, folder / "orders.parquet")


def product(specs: SpecFolder, sql: str, location: str = "s3://raw/orders/orders.parquet") -> None:
    source = {
        "name": "raw_orders",
        "location": location,
        "format": "parquet",
        "partition_column": "order_date",
    }
    specs.policy()
    specs.product(spec={"inputs": [{"source": source}], "transform": {"sql": sql}})


GOOD_SQL = "select order_id, customer_id, order_date, amount as revenue_usd from raw_orders"


def test_a_transform_that_binds_to_its_source_is_valid(
    runner: CliRunner, specs: SpecFolder
) -> None:
    write_source()
    product(specs, GOOD_SQL)

    result = runner.invoke(app, ["validate", "--resolve"])

    assert (result.exit_code, result.output) == (
        0,
        "✓ 1 product in 1 domain valid (2 files checked).\n",
    )


def test_a_column_the_source_lacks_is_a_located_problem(
    runner: CliRunner, specs: SpecFolder
) -> None:
    write_source()
    product(specs, GOOD_SQL.replace("amount as", "revenue as"))

    plain = runner.invoke(app, ["validate"])
    result = runner.invoke(app, ["validate", "--resolve"])

    assert plain.exit_code == 0  # without --resolve a source's columns are unknown
    assert (result.exit_code, result.output.splitlines()[0]) == (
        1,
        f"{DAILY}:30:5: spec.transform.sql: the transform does not bind to its inputs' "
        'declared schemas: Referenced column "revenue" not found in FROM clause. Did you '
        "mean 'order_date'?",
    )


def test_a_wrong_source_location_is_a_located_problem(runner: CliRunner, specs: SpecFolder) -> None:
    write_source()
    product(specs, GOOD_SQL, "s3://raw/orders/order.parquet")

    result = runner.invoke(app, ["validate", "--resolve"])

    uri = Path("warehouse/raw/orders/order.parquet").resolve()
    assert (result.exit_code, result.output.splitlines()[0]) == (
        1,
        f"{DAILY}:26:7: spec.inputs[0].source.location: source 'raw_orders' has no "
        f"parquet data at {uri}. Check the location (a file, or a folder of files).",
    )
