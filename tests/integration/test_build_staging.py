"""Write-audit-publish with staged files: nothing visible before the commit, one commit after."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable
from spec_folder import SpecFolder, product_data

from mesh_dagster.build.pipeline import BuildResult, BuildSettings, build_product
from mesh_dagster.checks.engine import EngineSettings
from mesh_dagster.io.locations import StorageSettings
from mesh_dagster.io.pii import hash_value
from mesh_dagster.spec.periods import Period

KEY = b"a test key of at least thirty-two bytes"
DAY = Period("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
NEXT = Period("2026-03-02", datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))


def rows_sql(count: int, revenue: str = "(i % 100)::double") -> str:
    """Return a transform making ``count`` orders of the run's day."""
    return (
        "select 'o-' || i as order_id, 'customer-' || (i % 7) as customer_id, "
        "cast(getvariable('partition_start') as date) as order_date, "
        f"{revenue} as revenue_usd from range({count}) t(i)"
    )


def build(specs: SpecFolder, tmp_path: Path, period: Period, **engine: object) -> BuildResult:
    mesh = specs.load()
    settings = BuildSettings(
        StorageSettings(mode="local", warehouse=tmp_path / "warehouse"),
        EngineSettings(temp_directory=str(tmp_path / "spill"), **engine),  # type: ignore[arg-type]
        KEY,
    )
    return build_product(mesh, mesh.product("orders-daily"), period, settings)


def table_dir(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "data-platform" / "products" / "orders" / "orders_daily"


def files_of(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def product(specs: SpecFolder, sql: str, **spec: object) -> None:
    specs.product(spec={"inputs": [], "transform": {"sql": sql}, **spec})


def test_a_published_period_hashes_in_the_engine_as_python_does(
    specs: SpecFolder, tmp_path: Path
) -> None:
    product(specs, rows_sql(20))

    result = build(specs, tmp_path, DAY)

    assert (result.published, result.rows, result.version) == (True, 20, 0)
    table = DeltaTable(str(table_dir(tmp_path))).to_pyarrow_table()
    customers = set(table.column("customer_id").to_pylist())
    assert customers == {hash_value(f"customer-{n}", KEY) for n in range(7)}
    assert table.schema.field("order_date").type == pa.date32()
    folders = {path.name for path in table_dir(tmp_path).iterdir()}
    assert folders == {"_delta_log", "order_date=2026-03-01"}


def test_a_failed_audit_leaves_no_file_and_the_version_unchanged(
    specs: SpecFolder, tmp_path: Path
) -> None:
    product(specs, rows_sql(20))
    assert build(specs, tmp_path, DAY).published
    before = files_of(table_dir(tmp_path))
    product(specs, rows_sql(30, revenue="-1.0"))

    for period in (DAY, NEXT):
        result = build(specs, tmp_path, period)
        assert not result.published and result.version is None
        failed = [outcome.name for outcome in result.failed_errors]
        assert failed == ["check_revenue_usd_0"], failed
        assert DeltaTable(str(table_dir(tmp_path))).version() == 0
        assert files_of(table_dir(tmp_path)) == before  # no staged file, no new folder


def test_a_rerun_replaces_the_period_in_one_commit_and_keeps_the_others(
    specs: SpecFolder, tmp_path: Path
) -> None:
    product(specs, rows_sql(20))
    build(specs, tmp_path, DAY)
    build(specs, tmp_path, NEXT)
    product(specs, rows_sql(5))

    result = build(specs, tmp_path, DAY)

    assert (result.published, result.version) == (True, 2)
    table = DeltaTable(str(table_dir(tmp_path)))
    rows = table.to_pyarrow_table()
    per_day = pc.value_counts(rows.column("order_date")).to_pylist()
    assert sorted((item["values"].isoformat(), item["counts"]) for item in per_day) == [
        ("2026-03-01", 5),
        ("2026-03-02", 20),
    ]
    log = (table_dir(tmp_path) / "_delta_log" / f"{2:020d}.json").read_text().splitlines()
    actions = [next(iter(json.loads(line))) for line in log]
    assert actions.count("remove") == 1 and actions.count("add") == 1


def test_a_new_nullable_column_joins_the_table(specs: SpecFolder, tmp_path: Path) -> None:
    product(specs, rows_sql(3))
    build(specs, tmp_path, DAY)
    schema = product_data()["spec"]["schema"] + [{"name": "channel", "type": "string"}]
    sql = rows_sql(3).replace(" from range", ", 'web' as channel from range")
    product(specs, sql, schema=schema)

    result = build(specs, tmp_path, NEXT)

    assert result.published
    table = DeltaTable(str(table_dir(tmp_path))).to_pyarrow_table()
    assert table.schema.names == ["order_id", "customer_id", "order_date", "revenue_usd", "channel"]
    by_day = {
        day: sorted(
            set(table.filter(pc.field("order_date") == day)["channel"].to_pylist()), key=str
        )
        for day in (DAY.start.date(), NEXT.start.date())
    }
    assert by_day == {DAY.start.date(): [None], NEXT.start.date(): ["web"]}


def test_a_value_that_does_not_cast_is_reported_by_the_audit_not_raised(
    specs: SpecFolder, tmp_path: Path
) -> None:
    product(specs, rows_sql(4, revenue="case when i = 2 then 'x-secret' else '1.5' end"))

    result = build(specs, tmp_path, DAY)

    assert not result.published
    schema = next(outcome for outcome in result.outcomes if outcome.name == "schema")
    assert not schema.passed and schema.failing_rows == 1
    assert "x-secret" not in repr(result.outcomes)
    assert not table_dir(tmp_path).exists()


def test_castable_strings_are_published_with_the_declared_type(
    specs: SpecFolder, tmp_path: Path
) -> None:
    product(specs, rows_sql(4, revenue="'2.5'"))

    result = build(specs, tmp_path, DAY)

    assert result.published
    table = DeltaTable(str(table_dir(tmp_path))).to_pyarrow_table()
    assert table.column("revenue_usd").type == pa.float64()
    assert set(table.column("revenue_usd").to_pylist()) == {2.5}


@pytest.mark.parametrize("rows", [3_000_000])
def test_a_period_three_times_the_memory_limit_builds_by_spilling(
    specs: SpecFolder, tmp_path: Path, rows: int
) -> None:
    # About 200 MB of rows (ids, 64-character hashes) under a 64 MB limit: the grain's
    # distinct count alone needs more than the limit, so DuckDB must spill to disk.
    product(specs, rows_sql(rows))

    result = build(specs, tmp_path, DAY, threads=2, memory_limit="64MB")

    assert result.published, [o.detail for o in result.outcomes if not o.passed]
    assert result.rows == rows
    table = DeltaTable(str(table_dir(tmp_path)))
    assert table.to_pyarrow_dataset().count_rows() == rows
