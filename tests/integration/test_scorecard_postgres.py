"""The same 90-day history on a PostgreSQL instance: the same scorecard, to the digit."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, SkipReason, build_sensor_context, materialize
from dagster._core.test_utils import freeze_time
from fixtures.dagster_env import EXAMPLE_SPECS, TEST_PII_KEY
from fixtures.postgres import PostgresCluster, PostgresServer
from fixtures.scorecard_history import SINCE, UNTIL, play_history

from mesh_dagster import load_mesh
from mesh_dagster.compile.alert_sensor import build_alert_sensor
from mesh_dagster.compile.scorecard_asset import build_scorecard_asset
from mesh_dagster.compile.specs import build_asset_specs
from mesh_dagster.scorecard import Window
from mesh_dagster.scorecard.instance_history import read_history

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).resolve().parents[1] / "cli" / "golden"
INSTANCE_YAML = """\
telemetry: {{enabled: false}}
storage:
  postgres:
    postgres_url: "postgresql+psycopg2://{user}:{password}@{host}:{port}/{database}"
"""


@pytest.fixture(scope="module")
def postgres_history(
    postgres_cluster: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """Return a folder with ``specs/`` and a ``dagster_home/`` on PostgreSQL, history played."""
    server: PostgresServer = postgres_cluster.create_database(
        "scorecard_history", "scorecard_owner", "scorecard-test-password"
    )
    root = tmp_path_factory.mktemp("scorecard-postgres")
    shutil.copytree(EXAMPLE_SPECS, root / "specs")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        INSTANCE_YAML.format(
            user=server.user,
            password=server.password,
            host=server.host,
            port=server.port,
            database=server.database,
        )
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MESH_PII_KEY", TEST_PII_KEY)
        with DagsterInstance.from_config(str(home)) as instance:
            # The writer holds its connections (as the webserver does): the history is
            # ~7,000 events, and a new authenticated connection for each would be slow.
            for storage in (instance.event_log_storage, instance.run_storage):
                storage.optimize_for_webserver(  # type: ignore[attr-defined]
                    statement_timeout=60_000, pool_recycle=3600, max_overflow=8
                )
            play_history(instance, root / "specs", root / "warehouse", workers=6)
        yield root


def test_the_instance_is_postgres(postgres_history: Path) -> None:
    with DagsterInstance.from_config(str(postgres_history / "dagster_home")) as instance:
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"


def test_the_scorecard_is_the_one_from_sqlite(postgres_history: Path) -> None:
    # `mesh` as users run it: a process of its own, reading $DAGSTER_HOME.
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "mesh"),
            "scorecard",
            "--since",
            "90d",
            "--until",
            "2026-04-01T09:00:00Z",
            "--specs",
            str(postgres_history / "specs"),
            "--format",
            "json",
        ],
        env={**os.environ, "DAGSTER_HOME": str(postgres_history / "dagster_home")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # The golden file test_scorecard_history.py checks against SQLite.
    assert result.stdout == (GOLDEN / "scorecard.json").read_text(encoding="utf-8")


def test_the_sql_reader_reads_what_the_public_api_reads(postgres_history: Path) -> None:
    mesh = load_mesh(postgres_history / "specs")
    with DagsterInstance.from_config(str(postgres_history / "dagster_home")) as instance:
        instance.event_log_storage.optimize_for_webserver(  # type: ignore[attr-defined]
            statement_timeout=60_000, pool_recycle=3600, max_overflow=2
        )  # the public API makes a query per check: one connection for all of them
        window = Window(SINCE, UNTIL)
        fast = read_history(instance, mesh, window, method="sql")
        assert fast == read_history(instance, mesh, window, method="api")
        assert fast.products["payment-events"].run_failures


def test_the_other_instance_readers_answer(postgres_history: Path) -> None:
    # `mesh sla status`, the scorecard asset and the alert sensor read PostgreSQL too
    # (the same readers on SQLite: test_instance_storages.py).
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "mesh"),
            "sla",
            "status",
            "--date",
            "2026-01-16",
            "--now",
            "2026-04-01T09:00:00+00:00",
            "--specs",
            str(postgres_history / "specs"),
            "--format",
            "json",
        ],
        env={**os.environ, "DAGSTER_HOME": str(postgres_history / "dagster_home")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    statuses = {item["product"]: item for item in json.loads(result.stdout)}
    late = statuses["order-events"]
    assert (late["partition"], late["status"], late["published_at"]) == (
        "2026-01-15",
        "late",
        "2026-01-17T12:00:00+00:00",
    )
    mesh = load_mesh(postgres_history / "specs")
    home = str(postgres_history / "dagster_home")
    with DagsterInstance.from_config(home) as instance, freeze_time(UNTIL):
        built = materialize([build_scorecard_asset(mesh)], instance=instance)
        sensor = build_alert_sensor(mesh, build_asset_specs(mesh), {})
        tick = sensor(build_sensor_context(instance=instance))
    (materialization,) = built.asset_materializations_for_node("mesh__scorecard")
    assert materialization.metadata["availability"].value == pytest.approx(584 / 599)
    assert isinstance(tick, SkipReason)
    assert re.fullmatch(r"\d+ events read; \d+ open incidents", str(tick.skip_message))
