"""Time limits of transforms and checks: a runaway query is stopped with a clear message."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from spec_folder import SpecFolder

from mesh_dagster.build.context import TransformContext
from mesh_dagster.build.limits import query_time_limit
from mesh_dagster.build.pipeline import BuildSettings, build_product
from mesh_dagster.build.transform import run_sql
from mesh_dagster.checks.engine import (
    EngineSettings,
    QueryTimeoutError,
    TimeLimit,
    format_duration,
    open_engine,
)
from mesh_dagster.checks.evaluate import evaluate_checks
from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.io.locations import StorageSettings
from mesh_dagster.spec.models import DataProduct, LimitsSpec
from tests.unit.conftest import ProductFactory

RUNAWAY = "with recursive t(n) as (select 1 union all select n+1 from t) select n from t"
ROWS = (
    "with recursive t(n) as (select 1 union all select n+1 from t) "
    "select n::varchar as order_id, null::varchar as customer_id, "
    "date '2026-03-01' as order_date, 1.0 as revenue_usd from t"
)


# Without the limit these queries never end; well within this, they were stopped (not a
# timing goal: a generous bound that a loaded CI machine still meets).
STOPPED_WITHIN = 30.0


@contextmanager
def ends_within(seconds: float) -> Iterator[None]:
    started = time.monotonic()
    yield
    assert time.monotonic() - started < seconds


def _with_limit(product: DataProduct, seconds: float) -> DataProduct:
    limits = LimitsSpec(query_timeout=timedelta(seconds=seconds))
    return product.model_copy(update={"spec": product.spec.model_copy(update={"limits": limits})})


def test_the_spec_overrides_the_policy_which_overrides_the_default(specs: SpecFolder) -> None:
    specs.product("orders-daily", spec={"limits": {"query_timeout": "2m"}})
    specs.product("orders-hourly")
    assert query_time_limit(specs.load(), specs.load().product("orders-daily")) == TimeLimit(
        120, "spec.limits.query_timeout"
    )
    mesh = specs.load()
    assert query_time_limit(mesh, mesh.product("orders-hourly")) == TimeLimit(
        900, "the default query_timeout"
    )
    specs.policy(limits={"query_timeout": "1h"})
    mesh = specs.load()
    assert query_time_limit(mesh, mesh.product("orders-hourly")) == TimeLimit(
        3600, "the policy's limits.query_timeout"
    )


def test_a_limit_that_is_not_a_duration_is_a_located_error(specs: SpecFolder) -> None:
    specs.product(spec={"limits": {"query_timeout": "10 minutes"}})

    assert specs.problems() == [
        "specs/orders/orders_daily.yaml:53:5: spec.limits.query_timeout: expected a positive "
        "duration such as '30m' or '2h', got '10 minutes'."
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.5, "0.5s"), (45, "45s"), (600, "10m"), (125, "2m 5s"), (5400, "1h 30m"), (7200, "2h")],
)
def test_limits_are_shown_as_durations(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_a_runaway_sql_transform_is_stopped(example_product: ProductFactory) -> None:
    context = TransformContext(product=example_product())
    limit = TimeLimit(0.5, "spec.limits.query_timeout")

    with ends_within(STOPPED_WITHIN), pytest.raises(QueryTimeoutError) as raised:
        run_sql(RUNAWAY, context, EngineSettings(threads=1, memory_limit="100MB"), limit)

    assert str(raised.value) == (
        "the SQL transform of 'orders-daily' was stopped after 0.5s (its query_timeout, from "
        "spec.limits.query_timeout); raise spec.limits.query_timeout or make the query cheaper."
    )
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_slow_checks_are_stopped(example_product: ProductFactory) -> None:
    product = example_product(
        lambda spec: spec["quality"].update(
            custom_checks=["not regexp_matches(lower(order_id), 'zz')"]
        )
    )
    # 2M rows of 200-character ids in 8 MB: a dictionary of 1,000 strings (about 4 s of work).
    words = pa.array([f"{i}-" + "ab" * 100 for i in range(1000)])
    ids = pa.DictionaryArray.from_arrays(
        pa.array(np.arange(2_000_000, dtype=np.int32) % 1000), words
    )
    table = pa.table({"order_id": ids, "order_date": pa.nulls(len(ids), pa.date32())})
    limit = TimeLimit(0.3, "the policy's limits.query_timeout")

    with ends_within(STOPPED_WITHIN), pytest.raises(QueryTimeoutError) as raised:
        evaluate_checks(plan_checks(product), table, None, EngineSettings(threads=2), limit)

    assert str(raised.value) == (
        "evaluating the checks of 'orders-daily' was stopped after 0.3s (its query_timeout, "
        "from the policy's limits.query_timeout); raise spec.limits.query_timeout or make the "
        "checks cheaper."
    )


def test_a_build_stops_its_transform_at_the_products_limit_and_writes_nothing(
    specs: SpecFolder, tmp_path: Path
) -> None:
    specs.product(spec={"inputs": [], "transform": {"sql": ROWS}})
    mesh = specs.load()
    product = _with_limit(mesh.product("orders-daily"), 0.5)
    warehouse = tmp_path / "warehouse"
    settings = BuildSettings(
        StorageSettings(mode="local", warehouse=warehouse),
        EngineSettings(threads=1, memory_limit="200MB", temp_directory=str(tmp_path / "spill")),
        b"k" * 32,
    )

    with ends_within(STOPPED_WITHIN), pytest.raises(QueryTimeoutError) as raised:
        build_product(mesh, product, None, settings)

    assert str(raised.value).startswith(
        "the SQL transform of 'orders-daily' was stopped after 0.5s (its query_timeout, from "
        "spec.limits.query_timeout)"
    )
    assert not warehouse.exists()


def test_the_engine_takes_its_memory_limit_and_temp_directory(tmp_path: Path) -> None:
    spill = str(tmp_path / "spill")
    connection = open_engine(EngineSettings(threads=1, memory_limit="64MB", temp_directory=spill))
    try:
        settings: Any = connection.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    finally:
        connection.close()
    assert settings == ("61.0 MiB", spill)
