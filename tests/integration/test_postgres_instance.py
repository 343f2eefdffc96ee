"""deploy/dagster.production.yaml against a real PostgreSQL: a run, and a daemon sensor tick."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, materialize
from dagster._core.scheduler.instigation import TickStatus
from fixtures.postgres import PostgresServer
from fixtures.servers import ServerProcess, tail

from mesh_dagster import MeshResource, build_definitions

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PRODUCTION_YAML = REPO / "deploy" / "dagster.production.yaml"
DAY = "2026-03-01"
ORDERS = [AssetKey(["orders", "order-events"]), AssetKey(["orders", "orders-daily"])]


@pytest.fixture
def production_home(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Return a DAGSTER_HOME holding the production dagster.yaml, its database variables set."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PRODUCTION_YAML, home / "dagster.yaml")
    for name, value in postgres_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture
def production_instance(production_home: Path) -> Iterator[DagsterInstance]:
    """Return the instance the production dagster.yaml describes."""
    with DagsterInstance.from_config(str(production_home)) as instance:
        yield instance


def materialized_keys(server: PostgresServer, run_id: str) -> list[list[str]]:
    rows = server.query(
        "select asset_key from event_logs where run_id = %s "
        "and dagster_event_type = 'ASSET_MATERIALIZATION' order by id",
        run_id,
    )
    return [json.loads(key) for (key,) in rows]


def test_the_production_instance_stores_everything_in_postgres(
    production_instance: DagsterInstance,
) -> None:
    storages = [
        production_instance.run_storage,
        production_instance.event_log_storage,
        production_instance.schedule_storage,
    ]
    assert [type(storage).__name__ for storage in storages] == [
        "PostgresRunStorage",
        "PostgresEventLogStorage",
        "PostgresScheduleStorage",
    ]
    assert type(production_instance.run_coordinator).__name__ == "QueuedRunCoordinator"


def test_a_materialization_lands_in_postgres(
    production_instance: DagsterInstance,
    postgres_server: PostgresServer,
    example_specs: Path,
    warehouse: Path,
    pii_key: str,
) -> None:
    defs = build_definitions(
        example_specs, resources={"mesh": MeshResource(warehouse=str(warehouse))}
    )

    result = materialize(
        list(defs.assets or []),
        selection=ORDERS,
        partition_key=DAY,
        resources=defs.resources,
        instance=production_instance,
    )

    assert result.success
    assert materialized_keys(postgres_server, result.run_id) == [
        ["orders", "order-events"],
        ["orders", "orders-daily"],
    ]
    assert postgres_server.query("select status from runs where run_id = %s", result.run_id) == [
        ("SUCCESS",)
    ]
    checks = postgres_server.query(
        "select count(*) from event_logs where run_id = %s "
        "and dagster_event_type = 'ASSET_CHECK_EVALUATION'",
        result.run_id,
    )
    assert checks[0][0] > 0
    latest = production_instance.get_latest_materialization_event(ORDERS[1])
    assert latest is not None and latest.run_id == result.run_id


LOCATION = '''
"""The example mesh, plus a sensor that requests one day of order-events."""

from pathlib import Path

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    Definitions,
    RunRequest,
    define_asset_job,
    in_process_executor,
    sensor,
)

from mesh_dagster import build_definitions

# One process for the run: a step subprocess would only add start-up time to the test.
orders = define_asset_job(
    "orders_by_sensor",
    selection=AssetSelection.assets(AssetKey(["orders", "order-events"])),
    executor_def=in_process_executor,
)


@sensor(job=orders, default_status=DefaultSensorStatus.RUNNING, minimum_interval_seconds=2)
def orders_sensor():
    yield RunRequest(run_key="{day}", partition_key="{day}")


defs = Definitions.merge(
    build_definitions(Path(__file__).parent / "specs"),
    Definitions(jobs=[orders], sensors=[orders_sensor]),
)
'''


def wait_for(predicate: object, timeout: float, daemon: ServerProcess) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        if daemon.process.poll() is not None:
            pytest.fail(f"dagster-daemon exited early:\n{tail(daemon.log, 60)}")
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for the daemon:\n{tail(daemon.log, 60)}")


def test_a_daemon_sensor_tick_and_its_run_land_in_postgres(
    production_home: Path,
    production_instance: DagsterInstance,
    postgres_server: PostgresServer,
    example_specs: Path,
    warehouse: Path,
    pii_key: str,
) -> None:
    project = example_specs.parent
    (project / "location.py").write_text(textwrap.dedent(LOCATION).replace("{day}", DAY))
    (project / "workspace.yaml").write_text(
        "load_from:\n  - python_file:\n      relative_path: location.py\n"
        "      working_directory: .\n"
    )
    daemon = ServerProcess(
        "dagster-daemon",
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        project / "daemon.log",
        env={
            "MESH_WAREHOUSE": str(warehouse),
            "PYTHONPATH": os.pathsep.join([str(project), os.environ.get("PYTHONPATH", "")]),
        },
        cwd=project,
    )
    try:

        def run_finished() -> bool:
            runs = production_instance.get_runs()
            return bool(runs) and runs[0].status in {
                DagsterRunStatus.SUCCESS,
                DagsterRunStatus.FAILURE,
                DagsterRunStatus.CANCELED,
            }

        wait_for(run_finished, timeout=180, daemon=daemon)
    finally:
        daemon.stop()

    (run,) = production_instance.get_runs()
    assert run.status == DagsterRunStatus.SUCCESS, tail(daemon.log, 60)
    assert run.tags["dagster/sensor_name"] == "orders_sensor"
    assert run.tags["dagster/partition"] == DAY
    ticks = postgres_server.query(
        "select status, tick_body from job_ticks where type = 'SENSOR' order by id"
    )
    requested = [json.loads(body) for status, body in ticks if status == TickStatus.SUCCESS.value]
    assert requested and run.run_id in requested[0]["run_ids"]
    assert materialized_keys(postgres_server, run.run_id) == [["orders", "order-events"]]
    assert (warehouse / "data-platform" / "products" / "orders" / "order_events").exists()
