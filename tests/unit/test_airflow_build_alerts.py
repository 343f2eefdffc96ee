"""Build outcomes on Airflow become check_failed and run_failed incidents (pure rules),
and the watcher's store keeps the outcomes until the book that applied them is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mesh_dagster.airflow.build_alerts import BuildOutcome, RuleResult, apply_outcomes
from mesh_dagster.airflow.sla_store import SlaStore
from mesh_dagster.alerts.book import IncidentBook
from mesh_dagster.alerts.incidents import dedup_key
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh

REPO = Path(__file__).resolve().parents[2]
URL = "http://airflow.example:8080/"
DAY = "2026-03-01"
T = datetime(2026, 3, 2, 6, 5, tzinfo=UTC)
FIGURES = {"failing_rows": 3, "rows_checked": 7, "failing_ratio": 0.428571, "detail": "3 of 7"}


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    return load_mesh(REPO / "specs")


def rule(name: str, passed: bool, severity: str = "error") -> RuleResult:
    return RuleResult(name, "warn" if severity == "warn" else "error", passed, FIGURES)


def built(*rules: RuleResult, published: bool, minutes: int = 0) -> BuildOutcome:
    at = T + timedelta(minutes=minutes)
    return BuildOutcome("orders-daily", DAY, at, published=published, rules=rules, run_id="r1")


def test_a_blocked_publish_opens_one_incident_per_failed_rule_and_no_run_failed(
    mesh: Mesh,
) -> None:
    outcome = built(
        rule("schema", True), rule("no_revenue", False), rule("big", False, "warn"), published=False
    )
    book = apply_outcomes(mesh, IncidentBook(), [outcome], URL)
    error, warn = book.open_incidents()
    assert (error.kind, error.rule, error.severity, error.urgency) == (
        "check_failed",
        "no_revenue",
        "error",
        "high",
    )
    assert error.dedup_key == dedup_key("orders-daily", DAY, "check_failed", "no_revenue")
    assert error.details == FIGURES
    assert error.opened_at == T
    assert error.audience.asset_url == "http://airflow.example:8080/dags/orders__orders-daily"
    assert "orders-pagerduty" in [route.channel for route in error.audience.routes]
    assert (warn.rule, warn.severity, warn.urgency) == ("big", "warn", "low")
    assert "orders-pagerduty" not in [route.channel for route in warn.audience.routes]
    assert not book.is_open(dedup_key("orders-daily", DAY, "run_failed", None))


def test_a_rule_that_passes_on_a_later_build_of_the_period_resolves_its_incident(
    mesh: Mesh,
) -> None:
    failing = built(rule("no_revenue", False), rule("big", False, "warn"), published=False)
    still = built(rule("no_revenue", False), rule("big", True, "warn"), published=False, minutes=5)
    fixed = built(rule("no_revenue", True), rule("big", True, "warn"), published=True, minutes=9)
    book = apply_outcomes(mesh, IncidentBook(), [failing, still], URL)
    assert [incident.rule for incident in book.open_incidents()] == ["no_revenue"]
    book = apply_outcomes(mesh, book, [fixed], URL)
    assert book.open_incidents() == []
    other_day = BuildOutcome("orders-daily", "2026-03-02", T, rules=(rule("no_revenue", True),))
    reopened = apply_outcomes(mesh, IncidentBook(), [failing, other_day], URL)
    assert len(reopened.open_incidents()) == 2  # a pass on another period resolves nothing


def test_a_failed_build_opens_run_failed_and_a_later_publish_resolves_it(mesh: Mesh) -> None:
    failed = BuildOutcome("orders-daily", DAY, T, failure="missing_input", run_id="r1")
    book = apply_outcomes(mesh, IncidentBook(), [failed, failed], URL)
    [incident] = book.open_incidents()
    assert (incident.kind, incident.partition, incident.severity) == ("run_failed", DAY, "error")
    assert incident.details == {"failure": "missing_input", "run_id": "r1"}
    blocked = built(rule("no_revenue", False), published=False, minutes=5)
    book = apply_outcomes(mesh, book, [blocked], URL)
    assert {item.kind for item in book.open_incidents()} == {"run_failed", "check_failed"}
    book = apply_outcomes(mesh, book, [built(rule("no_revenue", True), published=True)], URL)
    assert book.open_incidents() == []


def test_a_product_no_longer_in_the_mesh_changes_nothing(mesh: Mesh) -> None:
    gone = BuildOutcome("old-product", DAY, T, failure="transform_failed")
    assert apply_outcomes(mesh, IncidentBook(), [gone], URL) == IncidentBook()


def test_the_store_keeps_outcomes_until_the_book_that_applied_them_is_stored(
    tmp_path: Path,
) -> None:
    store = SlaStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        first = built(rule("no_revenue", False), rule("big", True, "warn"), published=False)
        second = BuildOutcome("orders-daily", DAY, T, failure="network", run_id="r2")
        store.add_outcome(first)
        store.add_outcome(second)
        pending = store.outcomes()
        assert [outcome for _, outcome in pending] == [first, second]
        store.record({}, [], IncidentBook(), applied_until=pending[0][0])
        assert [outcome for _, outcome in store.outcomes()] == [second]
        store.record({}, [], IncidentBook())
        assert [outcome for _, outcome in store.outcomes()] == [second]
    finally:
        store.close()
