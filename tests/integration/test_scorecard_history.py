"""Scorecards of a scripted 90-day history of the example mesh on a real SQLite instance.

The history (``fixtures.scorecard_history``) is played once for the module: routine
builds, SLA sensor ticks, real runs for a failure, a fix and backfills. Every figure below
is worked out by hand from the script; the golden CLI outputs are shared with the
PostgreSQL test, which must print the same.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, evaluate_automation_conditions, materialize
from dagster._core.test_utils import freeze_time
from fixtures.dagster_env import EXAMPLE_SPECS, TEST_PII_KEY
from fixtures.scorecard_history import SINCE, UNTIL, play_history
from playwright.sync_api import Page
from typer.testing import CliRunner

from mesh_dagster import load_mesh
from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.cli.main import app
from mesh_dagster.compile.scorecard_asset import SCORECARD_KEY, build_scorecard_asset
from mesh_dagster.scorecard import MeshScorecard, Window, compute_scorecard
from mesh_dagster.scorecard.instance_history import read_history
from mesh_dagster.spec import Mesh

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "cli" / "golden"
INSTANCE_YAML = """\
telemetry: {{enabled: false}}
event_log_storage:
  module: dagster._core.storage.event_log
  class: ConsolidatedSqliteEventLogStorage
  config: {{base_dir: "{home}"}}
"""
WINDOW_ARGS = ["--since", "90d", "--until", "2026-04-01T09:00:00Z"]


def error_rules(mesh: Mesh, name: str) -> int:
    return sum(1 for c in plan_checks(mesh.product(name)).checks if c.severity == "error")


# Worked out from the script (fixtures/scorecard_history.py), product by product:
# (due, on time, late, missed), periods whose rules were evaluated, (SLA misses, failed
# rules, failed runs) opened, recovered, and the minutes each recovery took.
EXPECTED = {
    # 01-15 failed completeness (05:10 01-16), backfilled 12:00 01-17: late. Incidents:
    # the rule 05:10 -> 12:00 next day = 1850 min; the miss 08:30 -> 12:00 = 1650 min.
    "order-events": ((90, 89, 1, 0), 90, 0, (1, 1, 0), [1850, 1650]),
    # 01-15 (backfill), 02-10 (07:20), 03-20..22 (backfill 03-23 14:00) late. The misses
    # recover at the backfills: 1650; 03-21 08:30 -> 03-23 14:00 = 3210; 1770; 330 min;
    # 02-10 is first judged at 08:30, late: a miss caught up, 07:00 -> 07:20 = 20 min.
    "orders-daily": ((90, 85, 5, 0), 90, 0, (5, 0, 0), [1650, 3210, 1770, 330, 20]),
    # 03-05: the run failed at 05:05, the retry published at 06:30 (late): 85 min; the
    # miss, first judged late at 08:30, is caught up: 05:45 -> 06:30 = 45 min.
    "payment-events": ((90, 89, 1, 0), 90, 0, (1, 0, 1), [85, 45]),
    # 03-31 never built and never judged (no tick on 04-01): missed, but no incident.
    "payments-daily": ((90, 89, 0, 1), 89, 0, (0, 0, 0), []),
    # 02-25 failed pii_delivery_address, never fixed (missed, its rule failed, 2 incidents
    # open); 03-10 failed known_status at 05:10, fixed by a run at 06:00 (late; 50 min;
    # its miss is caught up at 08:30: 05:45 -> 06:00 = 15 min).
    "shipment-events": ((90, 88, 1, 1), 90, 1, (2, 2, 0), [50, 15]),
    # 02-25 never built: missed; its miss is still open.
    "shipments-daily": ((90, 89, 0, 1), 89, 0, (1, 0, 0), []),
    # Judged from 02-01 (59 periods); 03-20..22 never built (3 open misses); 03-31 never
    # built nor judged: missed without an incident.
    "revenue-reconciliation": ((59, 55, 0, 4), 55, 0, (3, 0, 0), []),
}
TARGETS = {
    "order-events": 0.995,
    "orders-daily": 0.999,
    "payment-events": 0.999,
    "payments-daily": 0.999,
    "shipment-events": 0.995,
    "shipments-daily": 0.995,
    "revenue-reconciliation": 0.995,
}


@pytest.fixture(scope="module")
def history_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Return a folder with ``specs/`` and ``dagster_home/``, the history played into it.

    In memory (/dev/shm) where there is one: SQLite syncs every one of the ~7,000 writes.
    """
    memory = Path("/dev/shm")
    if memory.is_dir() and os.access(memory, os.W_OK):
        root = Path(tempfile.mkdtemp(prefix="mesh-scorecard-", dir=memory))
    else:
        root = tmp_path_factory.mktemp("scorecard")
    shutil.copytree(EXAMPLE_SPECS, root / "specs")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML.format(home=home))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MESH_PII_KEY", TEST_PII_KEY)
        with DagsterInstance.from_config(str(home)) as instance:
            play_history(instance, root / "specs", root / "warehouse")
        yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def mesh(history_root: Path) -> Mesh:
    return load_mesh(history_root / "specs")


@pytest.fixture
def instance(history_root: Path) -> Iterator[DagsterInstance]:
    with DagsterInstance.from_config(str(history_root / "dagster_home")) as opened:
        yield opened


@pytest.fixture(scope="module")
def card(history_root: Path, mesh: Mesh) -> MeshScorecard:
    with DagsterInstance.from_config(str(history_root / "dagster_home")) as opened:
        return compute_scorecard(mesh, read_history(opened, mesh, Window(SINCE, UNTIL)))


def test_each_product_scores_what_the_script_did(card: MeshScorecard, mesh: Mesh) -> None:
    for product in card.products:
        counts, evaluated, failed_pairs, opened, recoveries = EXPECTED[product.product]
        availability = product.availability
        assert (
            availability.due,
            availability.on_time,
            availability.late,
            availability.missed,
        ) == counts, product.product
        assert availability.share == pytest.approx(counts[1] / counts[0])
        budget = product.budget
        assert budget is not None
        target = TARGETS[product.product]
        assert budget.target == pytest.approx(target)
        assert budget.periods == pytest.approx((1 - target) * counts[0])
        # Every target here allows less than one miss in 90 (or 59) periods.
        assert (budget.allowed, budget.used, budget.left) == (
            0,
            counts[2] + counts[3],
            -budget.used,
        )
        assert budget.left_share == pytest.approx(1 - budget.used / budget.periods)
        pairs = evaluated * error_rules(mesh, product.product)
        assert (product.quality.pairs, product.quality.passed) == (pairs, pairs - failed_pairs)
        incidents = product.incidents
        assert (incidents.sla_missed, incidents.check_failed, incidents.run_failed) == opened
        assert incidents.resolved == len(recoveries)
        expected_mean = timedelta(minutes=sum(recoveries) / len(recoveries)) if recoveries else None
        assert incidents.mean_time_to_recover == expected_mean, product.product


def test_domains_and_the_mesh_add_up(card: MeshScorecard, mesh: Mesh) -> None:
    orders, payments, shipments, finance = (
        {d.name: d for d in card.domains}[name]
        for name in ("orders", "payments", "shipments", "finance")
    )
    assert [d.name for d in card.domains] == ["finance", "orders", "payments", "shipments"]
    assert (orders.availability.due, orders.availability.on_time) == (180, 174)
    assert orders.availability.share == pytest.approx(174 / 180)
    assert orders.budget is not None
    # (1 - 99.5%) x 90 + (1 - 99.9%) x 90 = 0.45 + 0.09 periods, 6 misses.
    assert orders.budget.periods == pytest.approx(0.54)
    assert orders.budget.target == pytest.approx(1 - 0.54 / 180)
    assert orders.budget.left_share == pytest.approx((0.54 - 6) / 0.54)
    # (1850 + 1650 + 1650 + 3210 + 1770 + 330 + 20) / 7 minutes.
    assert orders.incidents.mean_time_to_recover == timedelta(minutes=10480 / 7)
    assert (payments.availability.late, payments.availability.missed) == (1, 1)
    assert shipments.quality.score == pytest.approx(1 - 1 / (90 * 8 + 89 * 6))
    assert (finance.availability.due, finance.availability.missed) == (59, 4)
    whole = card.mesh
    assert (whole.availability.due, whole.availability.on_time) == (6 * 90 + 59, 584)
    assert (whole.availability.late, whole.availability.missed) == (8, 7)
    assert whole.budget is not None
    assert whole.budget.periods == pytest.approx(0.54 + 0.18 + 0.9 + 0.295)
    assert (whole.budget.allowed, whole.budget.left) == (1, -14)
    pairs = sum(
        EXPECTED[name][1] * error_rules(mesh, name) for name in EXPECTED
    )  # every rule evaluated on the periods built
    assert (whole.quality.pairs, whole.quality.passed) == (pairs, pairs - 1)
    assert (whole.incidents.total, whole.incidents.open) == (17, 6)
    minutes = 10480 + 85 + 45 + 50 + 15
    assert whole.incidents.mean_time_to_recover == timedelta(minutes=minutes / 11)


def test_the_sql_reader_reads_what_the_public_api_reads(
    instance: DagsterInstance, mesh: Mesh
) -> None:
    window = Window(SINCE, UNTIL)
    fast = read_history(instance, mesh, window, method="sql")
    portable = read_history(instance, mesh, window, method="api")
    assert fast == portable
    assert fast.products["order-events"].evaluations  # the failing periods, one by one


def test_a_shorter_window_counts_only_its_own_periods(
    instance: DagsterInstance, mesh: Mesh
) -> None:
    # March 9 09:00 to March 12 09:00: the periods of March 8, 9 and 10 are due.
    window = Window(SINCE + timedelta(days=67), SINCE + timedelta(days=70))
    products = [mesh.product("shipment-events"), mesh.product("payment-events")]
    card = compute_scorecard(mesh, read_history(instance, mesh, window, products))
    shipment_events, payment_events = card.products[1], card.products[0]
    assert shipment_events.product == "shipment-events"
    assert (shipment_events.availability.due, shipment_events.availability.late) == (3, 1)
    incidents = shipment_events.incidents
    # 03-10's failed rule, and its miss caught up (deadline 03-11 05:45, in the window).
    assert (incidents.check_failed, incidents.sla_missed, incidents.resolved) == (1, 1, 2)
    assert payment_events.availability.late == 0  # its late period, 03-05, is not in it
    assert payment_events.incidents.total == 0


def _golden(name: str, output: str) -> None:
    path = GOLDEN / name
    if os.environ.get("MESH_UPDATE_GOLDEN") == "1":
        path.write_text(output, encoding="utf-8")
    assert output == path.read_text(encoding="utf-8")


def run_cli(home: Path, *args: str) -> str:
    """Return the output of a successful `mesh scorecard` against the instance in ``home``."""
    runner = CliRunner(
        env={"COLUMNS": "140", "NO_COLOR": "1", "TERM": "dumb", "DAGSTER_HOME": str(home)}
    )
    result = runner.invoke(app, ["scorecard", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_json_and_table(history_root: Path) -> None:
    specs = ["--specs", str(history_root / "specs")]
    home = history_root / "dagster_home"
    output = run_cli(home, *WINDOW_ARGS, *specs, "--format", "json")
    _golden("scorecard.json", output)
    assert json.loads(output)["mesh"]["availability"]["share"] == round(584 / 599, 6)
    _golden("scorecard.txt", run_cli(home, *WINDOW_ARGS, *specs))
    shipments = run_cli(home, *WINDOW_ARGS, *specs, "--domain", "shipments", "--format", "csv")
    _golden("scorecard-shipments.csv", shipments)


def test_cli_refuses_unknown_names_and_a_missing_home(
    history_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner(env={"COLUMNS": "140", "NO_COLOR": "1", "TERM": "dumb"})
    specs = ["--specs", str(history_root / "specs")]
    monkeypatch.setenv("DAGSTER_HOME", str(history_root / "dagster_home"))
    result = runner.invoke(app, ["scorecard", *specs, "--product", "orders-dialy"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: there is no product 'orders-dialy' in the specs. Did you mean 'orders-daily'?\n"
    )
    result = runner.invoke(app, ["scorecard", *specs, "--since", "last quarter"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --since 'last quarter' is neither a duration nor a date: use e.g. 90d, 12h, "
        "2w, or 2026-01-01.\n"
    )
    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.chdir(history_root)  # a folder without .dagster_home
    result = runner.invoke(app, ["scorecard", *specs])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: no Dagster instance: DAGSTER_HOME is not set and there is no .dagster_home in "
        f"{history_root}. Run `mesh init` in the project folder, or set DAGSTER_HOME to the "
        "instance's folder.\n"
    )


@pytest.mark.browser
def test_the_html_report_in_chromium(
    history_root: Path, page: Page, page_errors: list[str], artifacts_dir: Path
) -> None:
    report = history_root / "scorecard.html"
    specs = ["--specs", str(history_root / "specs")]
    output = run_cli(
        history_root / "dagster_home",
        *WINDOW_ARGS,
        *specs,
        "--format",
        "html",
        "--out",
        str(report),
    )
    assert output == f"Wrote the scorecard of 7 products to {report}\n"
    text = report.read_text(encoding="utf-8")
    assert "<script" not in text and "http://" not in text and "https://" not in text
    page.goto(report.as_uri())
    assert page.title().startswith("Data product scorecard")
    # The mesh's heatmap has a row per domain, each domain's a row per product: 90 days.
    cells = page.locator("svg.heatmap rect[data-status]")
    assert cells.count() == len(Window(SINCE, UNTIL).days()) * (4 + 7)  # 91 days touched
    assert page.locator('svg.heatmap rect[data-status="missed"]').count() > 0
    assert page.locator("svg.chart path").count() == 2 * ((4 + 1) + (7 + 4))
    assert page.locator("tr.total").count() == 1 + 4
    assert page_errors == []
    page.screenshot(path=str(artifacts_dir / "scorecard.png"), full_page=True)
    docs = REPO / "docs" / "img" / "scorecard.png"
    page.screenshot(path=str(docs), clip={"x": 0, "y": 0, "width": 1280, "height": 1400})


def test_the_scorecard_asset(instance: DagsterInstance, mesh: Mesh, card: MeshScorecard) -> None:
    scorecard = build_scorecard_asset(mesh)
    assert scorecard.key == SCORECARD_KEY == AssetKey(["mesh", "scorecard"])
    assert scorecard.group_names_by_key[SCORECARD_KEY] == "mesh"
    with freeze_time(UNTIL):
        result = materialize([scorecard], instance=instance)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("mesh__scorecard")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert metadata["availability"] == pytest.approx(584 / 599)
    assert metadata["quality_score"] == pytest.approx(card.mesh.quality.score)
    assert metadata["error_budget_left"] == -14
    assert metadata["availability/orders"] == pytest.approx(174 / 180)
    assert metadata["availability/finance"] == pytest.approx(55 / 59)
    assert isinstance(metadata["quality_score/shipments"], float)
    assert metadata["due_periods"] == 599
    assert "| orders/orders-daily | 90 | 85 | 5 | 0 |" in str(metadata["scorecard"])
    # Automation asks for it at 08:00 UTC, once a day. (Evaluated on a thread of its own:
    # the evaluator runs an event loop, and the browser tests keep one on this thread.)
    next_day = UNTIL + timedelta(days=1)
    with ThreadPoolExecutor(1) as thread:
        before = thread.submit(
            evaluate_automation_conditions,
            defs=[scorecard],
            instance=instance,
            evaluation_time=next_day.replace(hour=7, minute=59),
        ).result()
        after = thread.submit(
            evaluate_automation_conditions,
            defs=[scorecard],
            instance=instance,
            evaluation_time=next_day.replace(hour=8, minute=1),
            cursor=before.cursor,
        ).result()
    assert (before.total_requested, after.total_requested) == (0, 1)
