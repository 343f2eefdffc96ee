"""Sources as inputs: limited to the run's window by their partition column; clear errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable
from spec_folder import SpecFolder, product_data

from mesh_dagster.build.pipeline import BuildResult, BuildSettings, build_product
from mesh_dagster.build.sources import SourceColumnError, SourceMissingError
from mesh_dagster.checks.engine import EngineSettings
from mesh_dagster.io.locations import StorageSettings
from mesh_dagster.odcs.export import export_contract
from mesh_dagster.odcs.load import read_contract
from mesh_dagster.spec import DataProduct
from mesh_dagster.spec.periods import Period
from mesh_dagster.spec.yaml_source import SourceMap

DAY = Period("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
SQL = "select order_id, customer_id, order_date, revenue_usd from raw_orders where revenue_usd >= 0"


def write_orders(tmp_path: Path, name: str = "orders.parquet") -> None:
    """Write three days of orders (two a day), with a naive timestamp as well as a date."""
    days = [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]
    rows = [(day, n) for day in days for n in range(2)]
    folder = tmp_path / "warehouse" / "raw" / "orders"
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "order_id": [f"{day}-{n}" for day, n in rows],
            "customer_id": [f"c{n}" for _, n in rows],
            "order_date": pa.array([day for day, _ in rows], pa.date32()),
            "ordered_at": pa.array(
                [datetime(day.year, day.month, day.day, 23, 30) for day, _ in rows],
                pa.timestamp("us"),
            ),
            "revenue_usd": [1.0] * len(rows),
            "status": ["new"] * len(rows),
        }
    )
    pq.write_table(table, folder / name)


def source(
    partition_column: str | None, location: str = "s3://raw/orders/orders.parquet"
) -> dict[str, object]:
    given: dict[str, object] = {"name": "raw_orders", "location": location, "format": "parquet"}
    if partition_column is not None:
        given["partition_column"] = partition_column
    return {"source": given}


def build(specs: SpecFolder, tmp_path: Path, item: dict[str, object]) -> BuildResult:
    specs.product(spec={"inputs": [item], "transform": {"sql": SQL}})
    mesh = specs.load()
    settings = BuildSettings(
        StorageSettings(mode="local", warehouse=tmp_path / "warehouse"),
        EngineSettings(temp_directory=str(tmp_path / "spill")),
        b"a test key of at least thirty-two bytes",
    )
    return build_product(mesh, mesh.product("orders-daily"), DAY, settings)


def published_ids(result: BuildResult) -> list[str]:
    return sorted(DeltaTable(result.uri).to_pyarrow_table().column("order_id").to_pylist())


def test_a_source_with_a_date_partition_column_gives_the_run_its_day_only(
    specs: SpecFolder, tmp_path: Path
) -> None:
    write_orders(tmp_path)

    result = build(specs, tmp_path, source("order_date"))

    assert result.published
    assert published_ids(result) == ["2026-03-01-0", "2026-03-01-1"]


def test_a_naive_timestamp_partition_column_is_read_as_utc(
    specs: SpecFolder, tmp_path: Path
) -> None:
    # 23:30 on 2026-02-28 (UTC) lies in no other day than 2026-02-28: only 03-01's rows pass.
    write_orders(tmp_path)

    result = build(specs, tmp_path, source("ordered_at"))

    assert published_ids(result) == ["2026-03-01-0", "2026-03-01-1"]


def test_a_source_without_a_partition_column_gives_every_row(
    specs: SpecFolder, tmp_path: Path
) -> None:
    write_orders(tmp_path)

    result = build(specs, tmp_path, source(None))

    assert not result.published
    failed = {outcome.name: outcome.detail for outcome in result.failed_errors}
    assert failed == {
        "partition_bounds": "4 of 6 rows (66.67%) have order_date outside [2026-03-01, 2026-03-02)"
    }


def test_a_wrong_source_path_is_one_located_sentence(specs: SpecFolder, tmp_path: Path) -> None:
    write_orders(tmp_path)

    with pytest.raises(SourceMissingError) as error:
        build(specs, tmp_path, source("order_date", "s3://raw/orders/order.parquet"))

    uri = tmp_path / "warehouse" / "raw" / "orders" / "order.parquet"
    assert str(error.value) == (
        f"spec.inputs[0].source.location: source 'raw_orders' has no parquet data at {uri}. "
        "Check the location (a file, or a folder of files)."
    )


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            "order_day",
            "spec.inputs[0].source.partition_column: source 'raw_orders' has no column "
            "'order_day'; it has order_id, customer_id, order_date, ordered_at, revenue_usd, "
            "status.",
        ),
        (
            "status",
            "spec.inputs[0].source.partition_column: column 'status' of source 'raw_orders' is "
            "string, not a date or timestamp, so the run's window cannot select its rows.",
        ),
    ],
)
def test_an_unusable_partition_column_is_one_located_sentence(
    specs: SpecFolder, tmp_path: Path, column: str, message: str
) -> None:
    write_orders(tmp_path)

    with pytest.raises(SourceColumnError) as error:
        build(specs, tmp_path, source(column))

    assert str(error.value) == message


def test_a_sources_partition_column_survives_an_odcs_round_trip() -> None:
    data = product_data()
    data["spec"]["inputs"][0]["source"]["partition_column"] = "order_date"
    product = DataProduct.model_validate(data)

    found = read_contract(export_contract(product), SourceMap("c.yaml"))

    assert (found.problems, found.unmapped) == ([], [])
    assert DataProduct.model_validate(found.products[0].data) == product
