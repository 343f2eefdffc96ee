"""Fixtures for running Airflow 3 for real: a private AIRFLOW_HOME with SQLite, one dags file.

Airflow reads its configuration when first imported, so the environment is set here, at
collection, before any test imports it. The metadata database is migrated once per
session; each test gets its own specs copy and warehouse, which the dags file reads from
the environment whenever Airflow parses it (DagBag, ``dag.test()``, the scheduler).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
HOME = Path(tempfile.mkdtemp(prefix="mesh-airflow-home-"))
DAGS = HOME / "dags"
DAGS_FILE = """\
import os

from mesh_dagster.airflow import build_dags

globals().update(build_dags(os.environ["MESH_SPECS"]))
"""

os.environ["AIRFLOW_HOME"] = str(HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Return AIRFLOW_HOME after `airflow db migrate` created its SQLite database."""
    DAGS.mkdir(exist_ok=True)
    (DAGS / "mesh.py").write_text(DAGS_FILE)
    airflow = Path(sys.executable).parent / "airflow"
    done = subprocess.run(
        [str(airflow), "db", "migrate"], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return HOME


@pytest.fixture
def dags_folder(airflow_db: Path) -> Path:
    """Return the dags folder holding the one mesh file."""
    return DAGS


@pytest.fixture
def mesh_env(
    airflow_db: Path,
    example_specs: Path,
    warehouse: Path,
    pii_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """Point the dags file at a private copy of the example mesh and an empty warehouse."""
    monkeypatch.setenv("MESH_SPECS", str(example_specs))
    monkeypatch.setenv("MESH_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("MESH_SLA_STATE_URL", f"sqlite:///{warehouse.parent / 'mesh_sla.db'}")
    for name in (
        "ORDERS_SLACK_WEBHOOK_URL",
        "ORDERS_PAGERDUTY_ROUTING_KEY",
        "PLATFORM_ALERTS_WEBHOOK_URL",
        "MESH_SMTP_HOST",
    ):
        monkeypatch.delenv(name, raising=False)
    return example_specs


@pytest.fixture
def clean_home() -> Iterator[None]:
    """Remove the per-test logs Airflow wrote, so the session's home stays small."""
    yield
    shutil.rmtree(HOME / "logs", ignore_errors=True)


Publish = Callable[[str, str, str, datetime], None]


@pytest.fixture
def record_publish(warehouse: Path) -> Publish:
    """Return ``publish(domain, table, period, moment)``: an asset event as a build records.

    The product's asset must be known to Airflow (a DagBag synced, e.g. by ``dag.test()``).
    """

    def publish(domain: str, table: str, period: str, moment: datetime) -> None:
        from airflow.models.asset import AssetEvent, AssetModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        uri = (warehouse / "data-platform/products" / domain / table).resolve().as_uri()
        with create_session() as session:
            asset = session.scalars(select(AssetModel).where(AssetModel.uri == uri)).one()
            extra = {"mesh/periods": {period: {"published": True, "rows": 1, "checks": {}}}}
            session.add(AssetEvent(asset_id=asset.id, extra=extra, timestamp=moment))

    return publish


Tick = Callable[[datetime], None]


@pytest.fixture
def tick(dags_folder: Path) -> Tick:
    """Return ``tick(moment)``: one run of the mesh_sla watcher at ``moment`` (dag.test())."""

    def run_tick(moment: datetime) -> None:
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(str(dags_folder))
        run = bag.dags["mesh_sla"].test(logical_date=moment, run_after=moment)
        assert run.state == "success"

    return run_tick


@pytest.fixture
def routed(mesh_env: Path, http_receiver: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Route the example mesh's channels to the local receivers (e-mail left unset)."""
    policy_path = mesh_env / "mesh.yaml"
    policy = yaml.safe_load(policy_path.read_text())
    policy["alert_channels"]["orders-pagerduty"]["events_url_env"] = "PAGERDUTY_EVENTS_URL"
    policy_path.write_text(yaml.safe_dump(policy, sort_keys=False))
    monkeypatch.setenv("ORDERS_SLACK_WEBHOOK_URL", http_receiver.url("/slack"))
    monkeypatch.setenv("ORDERS_PAGERDUTY_ROUTING_KEY", "routing-key-for-tests")
    monkeypatch.setenv("PAGERDUTY_EVENTS_URL", http_receiver.url("/pagerduty"))
    monkeypatch.setenv("PLATFORM_ALERTS_WEBHOOK_URL", http_receiver.url("/webhook"))
    monkeypatch.setenv("MESH_AIRFLOW_URL", "http://airflow.example:8080")
    return http_receiver
