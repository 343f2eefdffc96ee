"""Every instance reader on the SQLite storages Dagster ships: run-sharded and consolidated.

Run-sharded SQLite is Dagster's plain default (a ``dagster.yaml`` without storage); there
`mesh scorecard` once deadlocked (two threads waiting for the storage's one connection).
The scorecard readers, `mesh sla status` and the scorecard asset work on both; the alert
sensor, which follows run events across runs, refuses run-sharded SQLite at once with a
sentence saying what to do. PostgreSQL is covered by ``test_scorecard_postgres.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from dagster import DagsterInstance, SkipReason, build_sensor_context, materialize
from dagster._core.test_utils import freeze_time
from fixtures.dagster_env import EXAMPLE_SPECS, TEST_PII_KEY
from fixtures.scorecard_history import Player, Run, Step, at, scenario

from mesh_dagster import load_mesh
from mesh_dagster.compile.alert_sensor import build_alert_sensor
from mesh_dagster.compile.event_log import ShardedEventLogError
from mesh_dagster.compile.scorecard_asset import build_scorecard_asset
from mesh_dagster.compile.specs import build_asset_specs
from mesh_dagster.scorecard import Window, compute_scorecard
from mesh_dagster.scorecard.instance_history import read_history
from mesh_dagster.scorecard.render_json import render_scorecard_json

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SINCE = at(date(2026, 1, 1), 9)
UNTIL = at(date(2026, 1, 19), 9)
PRODUCTS = ("order-events", "orders-daily", "payment-events")
# Dagster's plain default: no storage settings, so one SQLite file per run plus an index.
SHARDED_YAML = "telemetry:\n  enabled: false\n"
STORAGES = {
    "sharded": SHARDED_YAML,
    "consolidated": (REPO / "deploy" / "dagster.local.yaml").read_text(encoding="utf-8"),
}
STORAGE_CLASSES = {
    "sharded": "SqliteEventLogStorage",
    "consolidated": "ConsolidatedSqliteEventLogStorage",
}
MESH = str(Path(sys.executable).parent / "mesh")


def short_history() -> list[Step]:
    """Return the scripted history's first 18 days, and a failed run of payment-events.

    Order-events 01-15 fails ``completeness`` and is backfilled on 01-17 at 12:00 with
    orders-daily (both late); a run of payment-events 01-10 fails at 01-11 05:05, before
    the routine build publishes the period at 05:10.
    """
    steps = [step for step in scenario() if step.at < UNTIL]
    broken = Run(("payment-events",), "2026-01-10", broken=True)
    steps.append(Step(at(date(2026, 1, 11), 5, 5), -1, broken))
    return sorted(steps)


@pytest.fixture(scope="module", params=sorted(STORAGES))
def home(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """Return a Dagster home on the storage of the param, the short history played into it."""
    storage: str = request.param
    root = tmp_path_factory.mktemp(f"storage-{storage}")
    shutil.copytree(EXAMPLE_SPECS, root / "specs")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(STORAGES[storage], encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MESH_PII_KEY", TEST_PII_KEY)
        patch.setenv("DAGSTER_HOME", str(home))
        with DagsterInstance.from_config(str(home)) as instance:
            assert type(instance.event_log_storage).__name__ == STORAGE_CLASSES[storage]
            Player(instance, root / "specs", root / "warehouse").play(short_history())
        yield home


def storage_of(home: Path) -> str:
    return "sharded" if (home / "dagster.yaml").read_text() == SHARDED_YAML else "consolidated"


def run_mesh(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `mesh` as users do: a process of its own, reading $DAGSTER_HOME (never hangs)."""
    return subprocess.run(
        [MESH, *args, "--specs", str(home.parent / "specs")],
        env={**os.environ, "DAGSTER_HOME": str(home), "COLUMNS": "140", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_both_readers_read_the_same_history(home: Path) -> None:
    mesh = load_mesh(home.parent / "specs")
    products = [mesh.product(name) for name in PRODUCTS]
    with DagsterInstance.from_config(str(home)) as instance:
        window = Window(SINCE, UNTIL)
        fast = read_history(instance, mesh, window, products, method="sql")
        portable = read_history(instance, mesh, window, products, method="api")
    assert fast == portable
    (failure,) = fast.products["payment-events"].run_failures
    assert (failure.partition, failure.timestamp) == ("2026-01-10", at(date(2026, 1, 11), 5, 5))
    card = compute_scorecard(mesh, fast)
    figures = {
        product.product: (
            product.availability.due,
            product.availability.on_time,
            product.availability.late,
            product.availability.missed,
            product.incidents.run_failed,
        )
        for product in card.products
    }
    assert figures == {
        "order-events": (18, 17, 1, 0, 0),
        "orders-daily": (18, 17, 1, 0, 0),
        "payment-events": (18, 18, 0, 0, 1),
    }


def test_mesh_scorecard_answers(home: Path) -> None:
    products = [arg for name in PRODUCTS for arg in ("--product", name)]
    result = run_mesh(
        home, "scorecard", "--since", "18d", "--until", "2026-01-19T09:00:00Z", *products,
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    mesh = load_mesh(home.parent / "specs")
    with DagsterInstance.from_config(str(home)) as instance:
        history = read_history(
            instance, mesh, Window(SINCE, UNTIL), [mesh.product(n) for n in PRODUCTS], method="api"
        )
    assert result.stdout == render_scorecard_json(compute_scorecard(mesh, history))
    figures = json.loads(result.stdout)["mesh"]["availability"]
    assert (figures["due"], figures["on_time"], figures["late"]) == (54, 52, 2)


def test_mesh_sla_status_answers(home: Path) -> None:
    result = run_mesh(
        home, "sla", "status", "--date", "2026-01-16", "--now", "2026-01-19T09:00:00+00:00",
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    statuses = {item["product"]: item for item in json.loads(result.stdout)}
    late = statuses["order-events"]
    assert (late["partition"], late["status"], late["published_at"]) == (
        "2026-01-15",
        "late",
        "2026-01-17T12:00:00+00:00",
    )
    assert statuses["payment-events"]["status"] == "on_time"


def test_the_scorecard_asset_materializes(home: Path) -> None:
    mesh = load_mesh(home.parent / "specs")
    with DagsterInstance.from_config(str(home)) as instance, freeze_time(UNTIL):
        result = materialize([build_scorecard_asset(mesh)], instance=instance)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("mesh__scorecard")
    # 18 periods of each product but revenue-reconciliation, which starts in February.
    assert materialization.metadata["due_periods"].value == 6 * 18


def test_the_alert_sensor_reads_or_refuses_at_once(home: Path) -> None:
    mesh = load_mesh(home.parent / "specs")
    sensor = build_alert_sensor(mesh, build_asset_specs(mesh), {})
    with DagsterInstance.from_config(str(home)) as instance, freeze_time(UNTIL):
        context = build_sensor_context(instance=instance)
        if storage_of(home) == "consolidated":
            result = sensor(context)
            assert isinstance(result, SkipReason)
            assert str(result.skip_message).endswith("open incidents")
            return
        with pytest.raises(ShardedEventLogError) as refused:
            sensor(context)
    assert str(refused.value) == (
        "this instance's event log is run-sharded SQLite; mesh needs a consolidated event "
        "log: run `mesh init --force` in the project folder (it writes the settings of "
        "deploy/dagster.local.yaml to $DAGSTER_HOME/dagster.yaml)"
    )
