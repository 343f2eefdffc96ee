"""`mesh check` on a Delta table written into a temporary warehouse: golden output, exit codes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from fixtures.s3 import S3Server
from spec_folder import SpecFolder
from typer.testing import CliRunner

from mesh_dagster.cli.main import app

LOCATION = "data-platform/products/orders/orders_daily"
PII_VALUE = "jane.doe@example.com"
CHECKS = [
    "revenue_usd >= 0",
    {"sql": "revenue_usd < 1000", "name": "revenue_plausible", "severity": "warn"},
]
SCHEMA = pa.schema(
    [
        pa.field("order_id", pa.string()),
        pa.field("customer_id", pa.string()),
        pa.field("order_date", pa.date32()),
        pa.field("revenue_usd", pa.float64()),
    ]
)


def _hashed(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def published_rows() -> pa.Table:
    """Return two days of orders: 2026-01-05 passes (one warn rule fails), 2026-01-06 fails.

    On 2026-01-06 one revenue is negative and one customer_id was published unhashed.
    """
    rows = [
        ("o-1", _hashed("c-1"), date(2026, 1, 5), 10.0),
        ("o-2", _hashed("c-2"), date(2026, 1, 5), 20.5),
        ("o-3", _hashed("c-3"), date(2026, 1, 5), 1500.0),
        ("o-4", _hashed("c-1"), date(2026, 1, 6), -5.0),
        ("o-5", PII_VALUE, date(2026, 1, 6), 12.0),
    ]
    return pa.Table.from_pylist([dict(zip(SCHEMA.names, row, strict=True)) for row in rows], SCHEMA)


@pytest.fixture
def warehouse(specs: SpecFolder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return the local warehouse of a mesh with orders-daily, in MESH_WAREHOUSE."""
    specs.policy()
    specs.product(spec={"quality": {"custom_checks": CHECKS}})
    path = tmp_path / "warehouse"
    path.mkdir()
    monkeypatch.setenv("MESH_WAREHOUSE", str(path))
    monkeypatch.delenv("MESH_STORAGE_MODE", raising=False)
    return path


@pytest.fixture
def published(warehouse: Path) -> Path:
    """Return the warehouse, with orders-daily published for 2026-01-05 and 2026-01-06."""
    write_deltalake(str(warehouse / LOCATION), published_rows(), partition_by=["order_date"])
    return warehouse


def test_a_passing_partition_exits_0(
    runner: CliRunner, published: Path, golden: Callable[[str, str], None]
) -> None:
    result = runner.invoke(app, ["check", "orders-daily", "--partition", "2026-01-05"])
    assert result.exit_code == 0, result.output
    golden("check_pass.txt", result.output)


def test_a_failing_partition_exits_1_without_pii_values(
    runner: CliRunner, published: Path, golden: Callable[[str, str], None]
) -> None:
    result = runner.invoke(app, ["check", "orders-daily", "--partition", "2026-01-06"])
    assert result.exit_code == 1, result.output
    golden("check_fail.txt", result.output)
    assert PII_VALUE not in result.output


def test_json_lists_every_outcome(
    runner: CliRunner, published: Path, golden: Callable[[str, str], None]
) -> None:
    args = ["check", "orders-daily", "--partition", "2026-01-06", "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    golden("check_fail.json", result.output)
    outcomes = json.loads(result.output)
    assert [item["name"] for item in outcomes if item["status"] == "failed"] == [
        "pii_customer_id",
        "check_revenue_usd_0",
    ]
    assert PII_VALUE not in result.output


def test_without_a_partition_every_row_is_checked(runner: CliRunner, published: Path) -> None:
    result = runner.invoke(app, ["check", "orders-daily", "--format", "json"])
    assert result.exit_code == 1, result.output
    outcomes = {item["name"]: item for item in json.loads(result.output)}
    assert outcomes["grain_unique"]["rows_checked"] == 5
    assert outcomes["partition_bounds"]["status"] == "skipped"
    text = runner.invoke(app, ["check", "orders-daily"]).output
    assert text.splitlines()[0] == f"orders-daily (all partitions): 5 rows in warehouse/{LOCATION}"
    assert "- partition_bounds     skipped  error  -" in text


def test_an_unknown_product_is_a_usage_error_with_a_hint(
    runner: CliRunner, published: Path
) -> None:
    result = runner.invoke(app, ["check", "orders-dayly"])
    assert (result.exit_code, result.output) == (
        2,
        "error: no product 'orders-dayly' in specs. Did you mean 'orders-daily'?\n",
    )


def test_nothing_published_is_a_usage_error(runner: CliRunner, warehouse: Path) -> None:
    result = runner.invoke(app, ["check", "orders-daily", "--partition", "2026-01-05"])
    assert (result.exit_code, result.output) == (
        2,
        "error: nothing published for 'orders-daily' yet: "
        f"no Delta table at warehouse/{LOCATION}.\n",
    )


def test_an_empty_partition_fails_not_empty_in_every_format(
    runner: CliRunner, published: Path, golden: Callable[[str, str], None]
) -> None:
    args = ["check", "orders-daily", "--partition", "2026-01-07"]
    text = runner.invoke(app, args)
    assert text.exit_code == 1, text.output
    golden("check_empty.txt", text.output)
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 1, result.output
    outcomes = {item["name"]: item for item in json.loads(result.output)}
    assert [name for name, item in outcomes.items() if item["status"] == "failed"] == ["not_empty"]
    assert outcomes["not_empty"]["rows_checked"] == 0
    assert outcomes["not_empty"]["detail"] == "partition 2026-01-07 has no rows"


def publish(warehouse: Path, table: pa.Table) -> None:
    write_deltalake(str(warehouse / LOCATION), table, partition_by=["order_date"])


def test_numbers_stored_as_strings_fail_schema(
    runner: CliRunner, warehouse: Path, golden: Callable[[str, str], None]
) -> None:
    rows = published_rows()
    as_text = pa.array([f"{value}" for value in rows.column("revenue_usd").to_pylist()])
    publish(warehouse, rows.set_column(3, "revenue_usd", as_text))
    result = runner.invoke(app, ["check", "orders-daily", "--partition", "2026-01-05"])
    assert result.exit_code == 1, result.output
    golden("check_mistyped.txt", result.output)
    assert result.output.splitlines()[1] == (
        "✗ schema               failed   error  table of 3      "
        "revenue_usd is stored as VARCHAR, not DOUBLE"
    )


def test_a_missing_or_extra_column_fails_the_table_not_its_rows(
    runner: CliRunner, warehouse: Path
) -> None:
    rows = published_rows()
    publish(warehouse, rows.drop_columns(["revenue_usd"]).append_column("discount", rows[3]))
    result = runner.invoke(app, ["check", "orders-daily", "--format", "json"])
    assert result.exit_code == 1, result.output
    schema = json.loads(result.output)[0]
    assert (schema["status"], schema["failing_rows"], schema["rows_checked"]) == ("failed", 0, 5)
    assert schema["detail"] == "missing column revenue_usd; undeclared column discount"
    text = runner.invoke(app, ["check", "orders-daily"]).output
    assert text.splitlines()[1] == (
        "✗ schema               failed   error  table of 5      "
        "missing column revenue_usd; undeclared column discount"
    )


def test_rows_with_a_null_partition_column_fail_partition_bounds(
    runner: CliRunner, warehouse: Path, golden: Callable[[str, str], None]
) -> None:
    rows = published_rows()
    stray = pa.Table.from_pylist(
        [
            {
                "order_id": "o-9",
                "customer_id": _hashed("c-9"),
                "order_date": None,
                "revenue_usd": 1.0,
            }
        ],
        SCHEMA,
    )
    publish(warehouse, pa.concat_tables([rows, stray]))
    result = runner.invoke(app, ["check", "orders-daily", "--partition", "2026-01-05"])
    assert result.exit_code == 1, result.output
    golden("check_unplaced.txt", result.output)
    whole = runner.invoke(app, ["check", "orders-daily", "--format", "json"])
    bounds = {item["name"]: item for item in json.loads(whole.output)}["partition_bounds"]
    assert (bounds["status"], bounds["failing_rows"], bounds["detail"]) == (
        "failed",
        1,
        "1 of 6 rows (16.67%) have a null order_date, in no partition",
    )
    # A period without rows of its own stays empty, whatever rows have no period.
    empty = runner.invoke(app, ["check", "orders-daily", "--partition", "2026-01-07"])
    lines = empty.output.splitlines()
    assert lines[0] == (
        f"orders-daily (partition 2026-01-07): 1 row in warehouse/{LOCATION}; "
        "1 row has a null order_date, in no partition"
    )
    assert [line.split()[1] for line in lines[1:-1] if line.startswith("✗")] == [
        "completeness",
        "partition_bounds",
        "not_empty",
    ]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "2026-01-05-10:00",
            "'2026-01-05-10:00' is not a partition key of 'orders-daily': partitioned by day, "
            "keys look like '2026-01-05' (%Y-%m-%d).",
        ),
        (
            "2025-12-31",
            "partition '2025-12-31' is before the first partition of 'orders-daily' "
            "('2026-01-01').",
        ),
    ],
)
def test_a_bad_partition_key_is_a_usage_error(
    runner: CliRunner, published: Path, key: str, message: str
) -> None:
    result = runner.invoke(app, ["check", "orders-daily", "--partition", key])
    assert (result.exit_code, result.output) == (2, f"error: {message}\n")


def test_invalid_specs_are_a_usage_error(
    runner: CliRunner, specs: SpecFolder, published: Path
) -> None:
    specs.product(spec={"schema": {2: {"nullabel": False}}})
    result = runner.invoke(app, ["check", "orders-daily"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "1 spec problem:",
        "specs/orders/orders_daily.yaml:44:5: spec.schema[2].nullabel: unknown field. "
        "Did you mean 'nullable'?",
        "error: the specs in specs do not load; see `mesh validate`.",
    ]


@pytest.mark.integration
def test_s3_mode_reads_the_published_table_from_s3(
    runner: CliRunner,
    specs: SpecFolder,
    s3_env: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    specs.policy()
    specs.product(spec={"quality": {"custom_checks": CHECKS}})
    uri = f"s3://{LOCATION}"
    options = {"AWS_ENDPOINT_URL": s3_env.endpoint, "AWS_ALLOW_HTTP": "true"}
    write_deltalake(uri, published_rows(), partition_by=["order_date"], storage_options=options)
    monkeypatch.setenv("MESH_STORAGE_MODE", "s3")
    monkeypatch.setenv("MESH_S3_ENDPOINT", s3_env.endpoint)
    passing = runner.invoke(app, ["check", "orders-daily", "--partition", "2026-01-05"])
    assert passing.exit_code == 0, passing.output
    assert passing.output.splitlines()[0] == f"orders-daily (partition 2026-01-05): 3 rows in {uri}"
    failing = runner.invoke(app, ["check", "orders-daily", "--partition", "2026-01-06"])
    assert failing.exit_code == 1, failing.output
