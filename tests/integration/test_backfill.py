"""`mesh backfill` for real: in-process runs recorded in the project's instance, resumable;
and a range launched as the UI does (GraphQL, `mesh dev`'s daemon) runs one build a period.
"""

from __future__ import annotations

import re
import shutil
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import AssetCheckKey, AssetKey, DagsterRunStatus
from fixtures.dagster_env import EXAMPLE_SPECS, TEST_PII_KEY
from fixtures.mesh_dev import VENV, MeshDev, copy_project, fresh_environment, wait_for
from fixtures.servers import free_ports
from typer.testing import CliRunner

from mesh_dagster.cli.main import app
from mesh_dagster.compile.sla_sensor import first_publish
from mesh_dagster.dev.instance import LOCAL_INSTANCE_YAML, open_instance

pytestmark = [pytest.mark.integration]

ORDERS_DAILY = AssetKey(["orders", "orders-daily"])
ORDER_EVENTS = AssetKey(["orders", "order-events"])
SHIPMENTS_DAILY = AssetKey(["shipments", "shipments-daily"])
PUBLISHED_AT = re.compile(r"already published at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a project folder (the current directory) with the example specs, no instance."""
    shutil.copytree(EXAMPLE_SPECS, tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("MESH_WAREHOUSE", raising=False)
    monkeypatch.setenv("MESH_PII_KEY", TEST_PII_KEY)
    return tmp_path


def backfill(*args: str) -> tuple[int, str, str]:
    """Return the exit code, standard output and error output of `mesh backfill ARGS`."""
    runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
    result = runner.invoke(app, ["backfill", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_a_range_builds_in_dependency_order_and_resumes(project: Path) -> None:
    started = datetime.now(UTC)
    code, out, errors = backfill(
        "orders-daily", "--from", "2026-03-01", "--to", "2026-03-02", "--with-upstream"
    )
    assert (code, out) == (
        0,
        "Backfill of orders-daily: 2 periods and 2 upstream, in the Dagster instance "
        ".dagster_home\n"
        "  published  order-events 2026-03-01  5,608 rows\n"
        "  published  orders-daily 2026-03-01  2,577 rows\n"
        "  published  order-events 2026-03-02  4,273 rows\n"
        "  published  orders-daily 2026-03-02  1,980 rows\n"
        "Backfill of orders-daily, 2026-03-01 to 2026-03-02: 4 builds, 4 published.\n",
    )
    home = project / ".dagster_home"
    assert errors.startswith(
        f"mesh backfill: wrote the local instance settings to {home}/dagster.yaml\n"
    )
    assert (home / "dagster.yaml").read_text() == LOCAL_INSTANCE_YAML
    with open_instance(home) as instance:
        runs = list(reversed(instance.get_runs()))  # newest first -> in launch order
        # Runs of the product's scheduled job, one per period, as the schedule starts them.
        assert [
            (run.tags["dagster/partition"], *(run.asset_selection or ()), run.status)
            for run in runs
        ] == [
            ("2026-03-01", ORDER_EVENTS, DagsterRunStatus.SUCCESS),
            ("2026-03-01", ORDERS_DAILY, DagsterRunStatus.SUCCESS),
            ("2026-03-02", ORDER_EVENTS, DagsterRunStatus.SUCCESS),
            ("2026-03-02", ORDERS_DAILY, DagsterRunStatus.SUCCESS),
        ]
        assert all(run.job_name.startswith("mesh_day_0_") for run in runs)
        # Published when it really happened: a backfill is not made to look on time.
        published = first_publish(instance, ORDERS_DAILY, "2026-03-01")
        assert published is not None and published >= started
        # Each period's check results are recorded, as a scheduled build records them.
        history = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(ORDERS_DAILY, "not_empty"), limit=10
        )
        assert sorted(record.partition for record in history) == ["2026-03-01", "2026-03-02"]
    code, out, _ = backfill("orders-daily", "--from", "2026-03-01", "--to", "2026-03-03")
    assert (code, PUBLISHED_AT.sub("already published at <time>", out)) == (
        1,
        "Backfill of orders-daily: 3 periods, in the Dagster instance .dagster_home\n"
        "  skipped    orders-daily 2026-03-01  already published at <time>\n"
        "  skipped    orders-daily 2026-03-02  already published at <time>\n"
        "  waiting    orders-daily 2026-03-03  needs order-events 2026-03-03, not published\n"
        "Backfill of orders-daily, 2026-03-01 to 2026-03-03: 3 builds, 2 already published, "
        "1 waiting for inputs.\n"
        "Periods waiting for inputs: add --with-upstream to build those first.\n",
    )


def test_blocked_and_failed_periods_say_why(project: Path) -> None:
    spec = project / "specs" / "orders" / "orders_daily.yaml"
    rule = '      - name: big_orders_only\n        sql: "revenue_usd > 1000000"\n'
    spec.write_text(spec.read_text().replace('      - "revenue_usd >= 0"\n', rule))
    events = project / "specs" / "shipments" / "shipment_events.yaml"
    events.write_text(
        events.read_text().replace("generators:shipment_events", "generators:no_such_generator")
    )
    code, out, _ = backfill(
        "orders-daily", "--from", "2026-03-01", "--to", "2026-03-01", "--with-upstream"
    )
    assert (code, out) == (
        1,
        "Backfill of orders-daily: 1 period and 1 upstream, in the Dagster instance "
        ".dagster_home\n"
        "  published  order-events 2026-03-01  5,608 rows\n"
        "  blocked    orders-daily 2026-03-01  failing rules:\n"
        "      big_orders_only: 2,577 of 2,577 rows (100.00%) do not satisfy "
        "revenue_usd > 1000000\n"
        "Backfill of orders-daily, 2026-03-01: 2 builds, 1 published, 1 blocked.\n",
    )
    code, out, _ = backfill("shipment-events", "--from", "2026-03-01", "--to", "2026-03-01")
    assert (code, out) == (
        1,
        "Backfill of shipment-events: 1 period, in the Dagster instance .dagster_home\n"
        "  failed     shipment-events 2026-03-01  cannot import the transform "
        "'mesh_demo.generators:no_such_generator' of 'shipment-events': module "
        "'mesh_demo.generators' has no attribute 'no_such_generator'\n"
        "Backfill of shipment-events, 2026-03-01: 1 build, 1 failed.\n",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("orders-dialy", "--from", "2026-03-01", "--to", "2026-03-02"),
            "error: there is no product 'orders-dialy' in the specs. Did you mean "
            "'orders-daily'?\n",
        ),
        (
            ("orders-daily", "--from", "2025-12-31", "--to", "2026-01-02"),
            "error: --from 2025-12-31 is before the first period of 'orders-daily' "
            "(spec.partitioning.start: 2026-01-01): start at 2026-01-01 or later.\n",
        ),
    ],
)
def test_a_range_it_cannot_build_is_a_usage_error(
    project: Path, args: tuple[str, ...], message: str
) -> None:
    assert backfill(*args) == (2, "", message)
    assert not (project / ".dagster_home").exists()


def test_an_instance_the_alert_sensor_cannot_read_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = project / "dagster-default"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    code, out, errors = backfill("orders-daily", "--from", "2026-03-01", "--to", "2026-03-01")
    assert (code, out, errors) == (
        2,
        "",
        f"error: {home}: this instance's event log is run-sharded SQLite; mesh needs a "
        "consolidated event log: run `mesh init --force` in the project folder (it writes the "
        "settings of deploy/dagster.local.yaml to $DAGSTER_HOME/dagster.yaml)\n",
    )


# --- a range launched as the UI launches it ------------------------------------------------

LAUNCH = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""
STATUS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill { status runs(limit: 10) { status tags { key value } } }
  }
}"""


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[MeshDev]:
    """Return `mesh dev` (webserver and daemon) on a fresh copy of the project."""
    project = copy_project(tmp_path / "project")
    (port,) = free_ports(1)
    server = MeshDev(
        project,
        [str(VENV / "bin" / "mesh"), "dev", "--specs", "specs", "--port", str(port)],
        port,
        tmp_path / "mesh-dev.log",
        fresh_environment(MESH_PII_KEY=TEST_PII_KEY),
    )
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop(signal.SIGINT)
        server.kill_leftovers()


def test_a_range_launched_from_the_ui_builds_one_run_per_period(dev: MeshDev) -> None:
    params = {
        "partitionsByAssets": [
            {
                "assetKey": {"path": ["orders", "order-events"]},
                "partitions": {"range": {"start": "2026-02-01", "end": "2026-02-03"}},
            }
        ]
    }
    launched = dev.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]

    def finished() -> dict[str, object] | None:
        found = dev.graphql(STATUS, {"id": backfill_id})["partitionBackfillOrError"]
        return found if found["status"] not in ("REQUESTED",) else None

    done = wait_for(finished, 300, "the backfill to finish", interval=3)
    assert done["status"] == "COMPLETED_SUCCESS", dev.tail()
    partitions = sorted(
        tag["value"]
        for run in done["runs"]  # type: ignore[attr-defined]
        for tag in run["tags"]
        if tag["key"] == "dagster/partition"
    )
    assert partitions == ["2026-02-01", "2026-02-02", "2026-02-03"]
    assert {run["status"] for run in done["runs"]} == {"SUCCESS"}  # type: ignore[attr-defined]
    with open_instance(dev.project / ".dagster_home") as instance:
        for day in partitions:
            assert first_publish(instance, ORDER_EVENTS, day) is not None


def test_a_product_without_a_schedule_is_built_by_an_asset_job(project: Path) -> None:
    spec = project / "specs" / "shipments" / "shipments_daily.yaml"
    spec.write_text(re.sub(r"  schedule:\n(    .*\n)+", "", spec.read_text()))
    code, out, _ = backfill(
        "shipments-daily", "--from", "2026-03-01", "--to", "2026-03-01", "--with-upstream"
    )
    assert (code, out) == (
        0,
        "Backfill of shipments-daily: 1 period and 1 upstream, in the Dagster instance "
        ".dagster_home\n"
        "  published  shipment-events 2026-03-01  7,840 rows\n"
        "  published  shipments-daily 2026-03-01  4 rows\n"
        "Backfill of shipments-daily, 2026-03-01: 2 builds, 2 published.\n",
    )
    with open_instance(project / ".dagster_home") as instance:
        assert [
            (run.job_name, run.tags["dagster/partition"], run.status)
            for run in reversed(instance.get_runs())
        ] == [
            ("mesh_day_0_5_x_x_x_UTC_ffbafc", "2026-03-01", DagsterRunStatus.SUCCESS),
            ("__ephemeral_asset_job__", "2026-03-01", DagsterRunStatus.SUCCESS),
        ]
        checks = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(SHIPMENTS_DAILY, "not_empty"), limit=5
        )
        assert [record.partition for record in checks] == ["2026-03-01"]
        # The SLA check is the SLA sensor's, never a build's.
        assert not instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(SHIPMENTS_DAILY, "sla"), limit=5
        )
