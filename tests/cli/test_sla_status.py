"""`mesh sla status` on a real instance with materializations at controlled times: golden output."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import AssetKey, AssetMaterialization, DagsterInstance
from dagster._core.test_utils import freeze_time
from spec_folder import DELETE, SpecFolder
from typer.testing import CliRunner

from mesh_dagster.cli.main import app

LOCAL_INSTANCE = Path(__file__).resolve().parents[2] / "deploy" / "dagster.local.yaml"
NOW = "2026-01-06T08:00:00+00:00"

# (product, partition, first publish in UTC); a later re-publish never changes a verdict.
PUBLISHES = [
    ("orders-daily", "2026-01-04", datetime(2026, 1, 5, 6, 30, tzinfo=UTC)),
    ("orders-daily", "2026-01-05", datetime(2026, 1, 6, 6, 12, tzinfo=UTC)),
    ("orders-daily", "2026-01-05", datetime(2026, 1, 6, 7, 30, tzinfo=UTC)),
    ("refunds-daily", "2026-01-04", datetime(2026, 1, 5, 9, 15, tzinfo=UTC)),
    ("refunds-daily", "2026-01-05", datetime(2026, 1, 6, 7, 45, tzinfo=UTC)),
    ("payments-daily", "2026-01-04", datetime(2026, 1, 5, 5, 0, tzinfo=UTC)),
]


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DagsterInstance]:
    """Return the instance of a fresh DAGSTER_HOME with the local settings."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(LOCAL_INSTANCE, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as instance:
        yield instance


@pytest.fixture
def sla_mesh(specs: SpecFolder, dagster_home: DagsterInstance) -> DagsterInstance:
    """Return the instance, with a mesh of products in every SLA state at NOW.

    At NOW, partition 2026-01-05 of orders-daily was published on time, refunds-daily
    late, payments-daily (07:00 in Berlin) missed; shipments-daily is due at 09:00 and
    launch-daily starts in February; customers-daily has no SLA.
    """
    specs.policy()
    specs.product()
    specs.product("refunds-daily")
    specs.product(
        "payments-daily",
        "payments",
        spec={"schedule": {"cron": "0 5 * * *", "timezone": "Europe/Berlin"}},
    )
    specs.product("shipments-daily", spec={"sla": {"available_by": "09:00"}})
    specs.product("launch-daily", spec={"partitioning": {"start": "2026-02-01"}})
    specs.product("customers-daily", spec={"sla": DELETE})
    domains = {"payments-daily": "payments"}
    for product, partition, at in PUBLISHES:
        key = AssetKey([domains.get(product, "orders"), product])
        with freeze_time(at):
            dagster_home.report_runless_asset_event(
                AssetMaterialization(asset_key=key, partition=partition)
            )
    return dagster_home


def test_each_product_shows_its_latest_due_period(
    runner: CliRunner, sla_mesh: DagsterInstance, golden: Callable[[str, str], None]
) -> None:
    result = runner.invoke(app, ["sla", "status", "--now", NOW])
    assert result.exit_code == 0, result.output
    golden("sla_status.txt", result.output)


def test_json_has_one_object_per_product(
    runner: CliRunner, sla_mesh: DagsterInstance, golden: Callable[[str, str], None]
) -> None:
    result = runner.invoke(app, ["sla", "status", "--now", NOW, "--format", "json"])
    assert result.exit_code == 0, result.output
    golden("sla_status.json", result.output)


def test_a_past_date_shows_that_days_periods_as_known_now(
    runner: CliRunner, sla_mesh: DagsterInstance, golden: Callable[[str, str], None]
) -> None:
    result = runner.invoke(app, ["sla", "status", "--date", "2026-01-05", "--now", NOW])
    assert result.exit_code == 0, result.output
    golden("sla_status_date.txt", result.output)


def _statuses(runner: CliRunner, *args: str) -> dict[str, str]:
    result = runner.invoke(app, ["sla", "status", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return {item["product"]: item["status"] for item in json.loads(result.output)}


def test_before_the_deadline_a_publish_is_on_time_and_a_later_one_unknown(
    runner: CliRunner, sla_mesh: DagsterInstance
) -> None:
    # Naive --now is UTC: orders-daily published at 06:12, refunds-daily not until 07:45.
    assert _statuses(runner, "--now", "2026-01-06T06:30:00") == {
        "launch-daily": "pending",
        "orders-daily": "on_time",
        "payments-daily": "missed",
        "refunds-daily": "pending",
        "shipments-daily": "pending",
    }
    assert _statuses(runner, "--now", "2026-01-06T06:00:00")["orders-daily"] == "pending"


def test_a_future_date_is_pending(runner: CliRunner, sla_mesh: DagsterInstance) -> None:
    statuses = _statuses(runner, "--date", "2026-01-09", "--now", NOW)
    assert set(statuses.values()) == {"pending"}


def test_a_missing_instance_is_a_usage_error(
    runner: CliRunner, specs: SpecFolder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs.policy()
    specs.product()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["sla", "status"])
    assert (result.exit_code, result.output) == (
        2,
        f"error: no Dagster instance at {tmp_path / 'nowhere'}: DAGSTER_HOME names a folder "
        "that does not exist. Set it to the instance's folder, or run `mesh init` to create "
        "one there.\n",
    )
    monkeypatch.delenv("DAGSTER_HOME")
    result = runner.invoke(app, ["sla", "status"])
    assert (result.exit_code, result.output) == (
        2,
        "error: no Dagster instance: DAGSTER_HOME is not set and there is no .dagster_home in "
        f"{tmp_path}. Run `mesh init` in the project folder, or set DAGSTER_HOME to the "
        "instance's folder.\n",
    )


def test_without_dagster_home_it_reads_the_project_local_instance(
    runner: CliRunner, sla_mesh: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `mesh init` (or `mesh dev`) made .dagster_home in the project folder: no variable needed.
    shutil.copytree(Path(str(sla_mesh.root_directory)), Path(".dagster_home"))
    monkeypatch.delenv("DAGSTER_HOME")
    assert _statuses(runner, "--now", NOW)["orders-daily"] == "on_time"


def test_a_bad_date_is_a_usage_error(runner: CliRunner, sla_mesh: DagsterInstance) -> None:
    result = runner.invoke(app, ["sla", "status", "--date", "2026-1-5"])
    assert result.exit_code == 2
    assert "'2026-1-5' is not a date like 2026-01-05." in result.output
