"""One set of window variables: the same names in transforms and checks, unknown ones refused."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from deltalake import DeltaTable
from spec_folder import SpecFolder

from mesh_dagster.build.pipeline import BuildSettings, build_product
from mesh_dagster.checks import evaluate_checks, plan_checks
from mesh_dagster.checks.engine import EngineSettings
from mesh_dagster.io.locations import StorageSettings
from mesh_dagster.spec.periods import Period
from mesh_dagster.spec.window import WINDOW_NAMES

DAILY = "specs/orders/orders_daily.yaml"
BERLIN = ZoneInfo("Europe/Berlin")
# A Berlin day: its instants are 23:00 UTC the day before; its dates are the local days.
DAY = Period("2026-03-01", datetime(2026, 3, 1, tzinfo=BERLIN), datetime(2026, 3, 2, tzinfo=BERLIN))
KNOWN = "partition_start, partition_end, partition_start_date, partition_end_date, partition_key"


def test_the_window_variables_are_one_documented_set() -> None:
    assert ", ".join(WINDOW_NAMES) == KNOWN


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "getvariable('partition_start_dat')",
            "getvariable('partition_start_dat') is not a window variable. Did you mean "
            f"'partition_start_date'? The window variables are {KNOWN}.",
        ),
        (
            "getvariable('run_date')",
            f"getvariable('run_date') is not a window variable. The window variables are {KNOWN}.",
        ),
        (
            "getvariable(order_id)",
            "getvariable takes the name of a window variable as a quoted string. For example "
            f"getvariable('partition_start'); the names are {KNOWN}.",
        ),
    ],
    ids=["misspelt", "unknown", "not-a-literal"],
)
def test_an_unknown_variable_in_a_transform_is_a_located_problem(
    specs: SpecFolder, call: str, message: str
) -> None:
    sql = (
        "select order_id, customer_id, order_date, revenue_usd from raw_orders "
        f"where order_date >= {call}"
    )
    specs.product(spec={"transform": {"sql": sql}})

    assert specs.problems() == [f"{DAILY}:29:5: spec.transform.sql: {message}"]


def test_an_unknown_variable_in_a_check_is_a_located_problem(specs: SpecFolder) -> None:
    check = "order_date < getvariable('partition_end_dat')"
    specs.product(spec={"quality": {"custom_checks": [check]}})

    assert specs.problems() == [
        f"{DAILY}:48:7: spec.quality.custom_checks[0]: invalid check: getvariable("
        "'partition_end_dat') is not a window variable. Did you mean 'partition_end_date'? "
        f"The window variables are {KNOWN}."
    ]


def test_a_check_reads_the_same_window_as_the_transform(specs: SpecFolder) -> None:
    check = (
        "order_date >= getvariable('partition_start_date') "
        "and order_date < getvariable('partition_end_date')"
    )
    specs.product(spec={"quality": {"custom_checks": [check]}})
    product = specs.load().product("orders-daily")
    plan = plan_checks(product)
    custom = plan.checks[-1]
    inside = pa.table(
        {
            "order_id": ["o1"],
            "customer_id": ["c" * 64],
            "order_date": pa.array([datetime(2026, 3, 1).date()], pa.date32()),
            "revenue_usd": [1.0],
        }
    )

    outcomes = {outcome.name: outcome for outcome in evaluate_checks(plan, inside, DAY)}
    unwindowed = {outcome.name: outcome for outcome in evaluate_checks(plan, inside, None)}

    assert custom.variables == ("partition_start_date", "partition_end_date")
    assert outcomes[custom.name].passed is True
    assert unwindowed[custom.name].detail == "not evaluated: no partition window was given"


def test_a_transform_sees_every_window_variable_of_its_period(
    specs: SpecFolder, tmp_path: Path
) -> None:
    # Each variable becomes a column: the build must give all five, typed, for the Berlin day.
    sql = (
        "select getvariable('partition_key') as order_id, "
        "strftime(getvariable('partition_start') at time zone 'UTC', '%Y-%m-%dT%H:%M') "
        "|| '/' || strftime(getvariable('partition_end') at time zone 'UTC', '%Y-%m-%dT%H:%M') "
        "as customer_id, getvariable('partition_start_date') as order_date, "
        "date_diff('day', getvariable('partition_start_date'), "
        "getvariable('partition_end_date'))::double as revenue_usd"
    )
    specs.product(
        spec={
            "inputs": [],
            "transform": {"sql": sql},
            "schema": [
                {"name": "order_id", "type": "string"},
                {"name": "customer_id", "type": "string"},
                {"name": "order_date", "type": "date"},
                {"name": "revenue_usd", "type": "double"},
            ],
            "grain": ["order_id"],
            "quality": {"custom_checks": []},
        }
    )
    mesh = specs.load()
    settings = BuildSettings(
        StorageSettings(mode="local", warehouse=tmp_path / "warehouse"),
        EngineSettings(temp_directory=str(tmp_path / "spill")),
        b"a test key of at least thirty-two bytes",
    )

    result = build_product(mesh, mesh.product("orders-daily"), DAY, settings)

    assert result.published, [outcome.detail for outcome in result.failed_errors]
    rows = DeltaTable(result.uri).to_pyarrow_table().to_pylist()
    assert rows == [
        {
            "order_id": "2026-03-01",
            "customer_id": "2026-02-28T23:00/2026-03-01T23:00",
            "order_date": datetime(2026, 3, 1).date(),
            "revenue_usd": 1.0,
        }
    ]
