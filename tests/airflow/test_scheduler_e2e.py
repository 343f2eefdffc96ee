"""End to end: Airflow's own scheduler (LocalExecutor, SQLite) runs the example mesh for a
scheduled day, and the mesh_sla watcher judges it on time.

Airflow 3's workers talk to the Execution API, so two real processes run: `airflow
api-server --apps execution` and `airflow scheduler`. The DAGs are serialized from the test
(as `airflow dags reserialize` does) instead of running a `dag-processor`. The test's copy
of the specs gives order-events and orders-daily a daily cron tick a minute ago (the
scheduler runs that tick, catchup off: it builds yesterday) and an SLA deadline (``within``)
a minute or two ahead, so that scheduled day is built, published and judged within the test.
"""

from __future__ import annotations

import math
import os
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

import pytest
import yaml
from deltalake import DeltaTable
from fixtures.servers import ServerProcess, free_ports, tail

from mesh_dagster.airflow.sla_store import SlaStore

PRODUCTS = {"order-events": "orders/order_events.yaml", "orders-daily": "orders/orders_daily.yaml"}
DAG_IDS = {"order-events": "orders__order-events", "orders-daily": "orders__orders-daily"}
RUN_TIMEOUT = 300.0  # a generous bound: the scheduler picks runs up late on a loaded machine
AFTER = "after_deadline"
"""The run id of the mesh_sla run triggered once the deadline passed."""
DEADLINE_MARGIN = timedelta(seconds=60)
"""The SLA deadline is the first whole minute at least this long after the day is scheduled."""


def schedule_at(specs: Path, tick: datetime, deadline: datetime) -> None:
    """Give both products a daily UTC cron at ``tick`` and an SLA deadline at ``deadline``."""
    midnight = tick.replace(hour=0, minute=0, second=0, microsecond=0)
    within = f"{math.ceil((deadline - midnight).total_seconds() / 60)}m"
    for relative in PRODUCTS.values():
        path = specs / relative
        spec = yaml.safe_load(path.read_text())
        spec["spec"]["schedule"] = {"cron": f"{tick.minute} {tick.hour} * * *", "timezone": "UTC"}
        spec["spec"]["sla"].pop("available_by", None)
        spec["spec"]["sla"]["within"] = within
        path.write_text(yaml.safe_dump(spec, sort_keys=False))


def serialize_dags(dags_folder: Path) -> None:
    """Write the DAGs to the metadata database, as the dag-processor would."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.utils.session import create_session

    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    bag = BundleDagBag(
        dag_folder=str(dags_folder), bundle_path=dags_folder, bundle_name="dags-folder"
    )
    assert bag.import_errors == {}
    sync_bag_to_db(bag, "dags-folder", None)


def unpause(dag_id: str) -> None:
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        session.get(DagModel, dag_id).is_paused = False  # type: ignore[union-attr]


def runs(dag_id: str) -> list[tuple[str, str, datetime]]:
    """Return (run type, state, run_after) of the DAG's runs by the scheduler, oldest first.

    Runs by hand (`dag.test()` in the other Airflow tests, which share this database, and
    the mesh_sla run this test triggers) are left out.
    """
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunType
    from sqlalchemy import select

    with create_session() as session:
        found = session.scalars(
            select(DagRun)
            .where(DagRun.dag_id == dag_id, DagRun.run_type != DagRunType.MANUAL)
            .order_by(DagRun.run_after)
        )
        return [(str(run.run_type), str(run.state), run.run_after) for run in found]


def published_periods(warehouse: Path, table: str) -> list[str]:
    """Return the periods the asset events of the orders product ``table`` say were published."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    uri = (warehouse / "data-platform/products/orders" / table).resolve().as_uri()
    with create_session() as session:
        query = (
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == uri)
            .order_by(AssetEvent.id)
        )
        return [
            key
            for event in session.scalars(query)
            for key, period in (event.extra or {}).get("mesh/periods", {}).items()
            if period.get("published") is True
        ]


def wait_for(what: str, done: Callable[[], bool], processes: list[ServerProcess]) -> None:
    """Return once ``done()``; fail with the processes' logs after RUN_TIMEOUT."""
    limit = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < limit:
        for process in processes:
            assert process.process.poll() is None, f"{process.name} exited:\n{tail(process.log)}"
        if done():
            return
        time.sleep(1)
    logs = "\n".join(f"--- {p.name}\n{tail(p.log, 40)}" for p in processes)
    pytest.fail(f"{what} did not happen within {RUN_TIMEOUT:.0f}s\n{logs}")


def run_state(run_id: str) -> str | None:
    """Return the state of mesh_sla's run ``run_id`` (None: not created)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalars(
            select(DagRun).where(DagRun.dag_id == "mesh_sla", DagRun.run_id == run_id)
        ).one_or_none()
        return None if run is None else str(run.state)


def succeeded(dag_id: str) -> bool:
    """Return whether a run of ``dag_id`` succeeded; fail at once when one failed."""
    states = [state for _, state, _ in runs(dag_id)]
    assert "failed" not in states, f"a run of {dag_id} failed: {states}"
    return "success" in states


@pytest.fixture
def airflow_processes(
    mesh_env: Path, dags_folder: Path, tmp_path: Path
) -> Iterator[list[ServerProcess]]:
    """Start the Execution API server and the scheduler; stop both (and their children)."""
    [port] = free_ports(1)
    env = {
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": "mesh-e2e-jwt-secret-for-tests-only",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
    }
    airflow = str(Path(sys.executable).parent / "airflow")
    api = ServerProcess(
        "airflow api-server",
        [airflow, "api-server", "--apps", "execution", "-H", "127.0.0.1", "-p", str(port)],
        tmp_path / "api-server.log",
        env,
    )
    started = [api]
    try:
        scheduler = ServerProcess(
            "airflow scheduler", [airflow, "scheduler"], tmp_path / "scheduler.log", env
        )
        started.append(scheduler)

        def answers() -> bool:
            url = f"http://127.0.0.1:{port}/execution/health"
            with urllib.request.urlopen(url, timeout=2) as reply:
                return bool(reply.status == 200)

        api.wait_until(answers, timeout=90)
        yield started
    finally:
        for process in reversed(started):
            process.stop()  # SIGTERM to its process group, SIGKILL after a grace period


def test_the_scheduler_publishes_a_scheduled_day_and_the_watcher_judges_it_on_time(
    airflow_processes: list[ServerProcess], mesh_env: Path, dags_folder: Path, warehouse: Path
) -> None:
    processes = airflow_processes
    now = datetime.now(UTC)
    if now.time() < dt_time(0, 2):  # the tick a minute ago must fall on today
        time.sleep((now.replace(hour=0, minute=2, second=0) - now).total_seconds())
        now = datetime.now(UTC)
    tick = (now - timedelta(minutes=1)).replace(second=0, microsecond=0)
    deadline = (now + DEADLINE_MARGIN).replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = (tick - timedelta(days=1)).date().isoformat()
    schedule_at(mesh_env, tick, deadline)
    serialize_dags(dags_folder)

    unpause("mesh_sla")  # its latest 5-minute tick, before the deadline, starts judging
    unpause(DAG_IDS["order-events"])
    wait_for("the first mesh_sla tick", lambda: succeeded("mesh_sla"), processes)
    wait_for("order-events' scheduled run", lambda: succeeded(DAG_IDS["order-events"]), processes)
    unpause(DAG_IDS["orders-daily"])
    wait_for("orders-daily's scheduled run", lambda: succeeded(DAG_IDS["orders-daily"]), processes)
    for product, dag_id in DAG_IDS.items():
        assert [(kind, state) for kind, state, _ in runs(dag_id)] == [("scheduled", "success")]
        assert runs(dag_id)[0][2] == tick, product
    for table in ("order_events", "orders_daily"):
        assert published_periods(warehouse, table) == [day], table
        rows = DeltaTable(str(warehouse / "data-platform/products/orders" / table))
        assert rows.to_pyarrow_table().num_rows > 0, table

    assert datetime.now(UTC) < deadline, "the builds took longer than the SLA margin"
    time.sleep((deadline - datetime.now(UTC)).total_seconds() + 1)
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.utils.types import DagRunTriggeredByType

    trigger_dag("mesh_sla", triggered_by=DagRunTriggeredByType.TEST, run_id=AFTER)
    wait_for(
        "the mesh_sla run after the deadline", lambda: run_state(AFTER) == "success", processes
    )
    store = SlaStore(os.environ["MESH_SLA_STATE_URL"])
    try:
        verdicts = {v.product: (v.partition, v.status, v.deadline) for v in store.verdicts()}
    finally:
        store.close()
    for product in DAG_IDS:
        assert verdicts[product] == (day, "on_time", deadline), product
