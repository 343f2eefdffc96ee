"""Scorecard outputs (JSON, CSV, tables, HTML), the window and selection options, the words."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from mesh_dagster.scorecard import (
    History,
    MeshScorecard,
    ProductHistory,
    Publish,
    RuleEvaluation,
    VerdictEvent,
    Window,
    WindowError,
    compute_scorecard,
    parse_window,
)
from mesh_dagster.scorecard.render_csv import CSV_COLUMNS, render_scorecard_csv
from mesh_dagster.scorecard.render_html import render_scorecard_html
from mesh_dagster.scorecard.render_json import render_scorecard_json
from mesh_dagster.scorecard.render_markdown import render_scorecard_markdown
from mesh_dagster.scorecard.render_table import render_scorecard_tables
from mesh_dagster.scorecard.selection import SelectionError, select_products
from mesh_dagster.scorecard.svg_charts import nice_scale
from mesh_dagster.scorecard.timeline import (
    availability_so_far,
    budget_left_by_day,
    daily_outcomes,
)
from mesh_dagster.scorecard.words import budget_left, duration, percent
from mesh_dagster.spec import Mesh, load_mesh

SPECS = Path(__file__).resolve().parents[2] / "specs"
NOW = datetime(2026, 3, 5, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    return load_mesh(SPECS)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def card(mesh: Mesh) -> MeshScorecard:
    """Four days (03-01 .. 03-04 due) of orders-daily and shipments-daily."""
    orders = ProductHistory(
        product="orders-daily",
        first_seen=at(1, 0),
        verdicts=(
            VerdictEvent("2026-03-02", "missed", at(3, 7)),
            VerdictEvent("2026-03-02", "late", at(3, 9, 30)),
        ),
        on_time=frozenset({"2026-03-01", "2026-03-03", "2026-03-04"}),
        evaluations=(
            RuleEvaluation("2026-03-02", "schema", False, at(3, 6), "a"),
            RuleEvaluation("2026-03-02", "schema", True, at(3, 9), "b"),
        ),
        passed_rules={f"2026-03-0{d}": frozenset({"schema", "not_empty"}) for d in (1, 3, 4)},
        publishes=(Publish("2026-03-02", at(3, 9)),),
    )
    # 03-02 is judged missed waiting for its input (a miss upstream); the others are
    # judged from their (missing) publishes: own misses.
    shipments = ProductHistory(
        product="shipments-daily",
        first_seen=at(1, 0),
        verdicts=(VerdictEvent("2026-03-02", "missed", at(3, 8), ("shipment-events 2026-03-02",)),),
    )
    history = History(
        NOW - timedelta(days=4),
        NOW,
        {"orders-daily": orders, "shipments-daily": shipments},
    )
    return compute_scorecard(mesh, history)


def test_json_has_stable_keys_and_rounded_figures(card: MeshScorecard) -> None:
    data = json.loads(render_scorecard_json(card))
    assert list(data) == ["window", "mesh", "domains", "products"]
    assert data["window"] == {
        "since": "2026-03-01T09:00:00+00:00",
        "until": "2026-03-05T09:00:00+00:00",
    }
    orders = data["products"][0]
    assert orders == {
        "product": "orders-daily",
        "domain": "orders",
        "availability": {
            "due": 4,
            "on_time": 3,
            "late": 1,
            "missed": 0,
            "upstream": 0,
            "own": 1,
            "share": 0.75,
        },
        "error_budget": {
            "target": 0.999,
            "periods": 0.004,
            "allowed": 0,
            "used": 1,
            "left": -1,
            "left_share": -249.0,
        },
        "quality": {"pairs": 7, "passed": 7, "score": 1.0},
        "incidents": {
            "sla_missed": 1,
            "check_failed": 1,
            "run_failed": 0,
            "open": 0,
            "resolved": 2,
            "mean_time_to_recover_minutes": 150.0,  # (180 + 120) / 2
        },
    }
    shipments = data["products"][1]
    assert shipments["availability"] == {
        "due": 4,
        "on_time": 0,
        "late": 0,
        "missed": 4,
        "upstream": 1,
        "own": 3,
        "share": 0.0,
    }
    assert shipments["quality"] == {"pairs": 0, "passed": 0, "score": None}
    assert data["mesh"]["products"] == 2
    assert [d["domain"] for d in data["domains"]] == ["orders", "shipments"]
    assert render_scorecard_json(card) == render_scorecard_json(card)


def test_csv_has_a_row_per_scope(card: MeshScorecard) -> None:
    rows = list(csv.reader(io.StringIO(render_scorecard_csv(card))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [row[:3] for row in rows[1:]] == [
        ["mesh", "", ""],
        ["domain", "orders", ""],
        ["domain", "shipments", ""],
        ["product", "orders", "orders-daily"],
        ["product", "shipments", "shipments-daily"],
    ]
    shipments = dict(zip(CSV_COLUMNS, rows[-1], strict=True))
    assert shipments["quality_score"] == ""
    assert shipments["mean_time_to_recover_minutes"] == ""
    assert shipments["budget_left"] == "-4"
    assert (shipments["missed"], shipments["upstream"]) == ("4", "1")


def test_tables_show_each_domain_then_the_mesh(card: MeshScorecard) -> None:
    console = Console(width=140, record=True, color_system=None)
    console.print(render_scorecard_tables(card))
    text = console.export_text()
    assert text.startswith("Scorecard 2026-03-01 09:00 UTC → 2026-03-05 09:00 UTC (4 days)\n")
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]
    assert (
        "orders-daily │ 4 │ 3 │ 1 │ 0 │ 0 │ 75% │ 99.9% │ -1 (-24900%) │ 100% │ 2 │ 2h 30m" in lines
    )
    assert (
        "shipments-daily │ 4 │ 0 │ 0 │ 4 │ 1 │ 0% │ 99.5% │ -4 (-19900%) │ – │ 1 (1 open) │ –"
        in lines
    )
    assert any(line.startswith("mesh │ 8 │ 3 │ 1 │ 4 │ 1 │ 37.5% │ 99.7% │") for line in lines)


def test_markdown_for_the_dagster_ui(card: MeshScorecard) -> None:
    text = render_scorecard_markdown(card)
    assert (
        "| **mesh** | 8 | 3 | 1 | 4 | 1 | 37.5% | 99.7% | -5 (-20733%) | 100% | 3 (1 open) "
        "| 2h 30m |" in text
    )
    assert "| orders/orders-daily | 4 | 3 | 1 | 0 | 0 | 75% |" in text


def test_html_is_one_file_that_loads_nothing(card: MeshScorecard, mesh: Mesh) -> None:
    html = render_scorecard_html(card, mesh)
    assert html.startswith("<!DOCTYPE html>")
    assert "default-src 'none'; style-src 'sha256-" in html
    assert "<script" not in html
    assert not re.search(r"(src|href)=", html)
    # Heatmaps: 2 domains (mesh) + 1 product (orders) + 1 product (shipments), 5 days.
    assert html.count('data-status="') == (2 + 1 + 1) * 5
    assert html.count('data-status="late"') == 2  # orders-daily's 03-02, in two heatmaps
    assert 'id="domain-orders"' in html and "Owned by orders-platform-team." in html
    assert "<th>Missed</th><th>Upstream</th>" in html
    assert "<tr><td>shipments-daily</td><td>4</td><td>0</td><td>0</td><td>4</td><td>1</td>" in html


def test_timeline_series() -> None:
    from mesh_dagster.scorecard.model import PeriodOutcome

    deadline = at(2, 7)
    periods = [
        PeriodOutcome("2026-03-01", deadline, "on_time", deadline, "verdict"),
        PeriodOutcome("2026-03-02", at(3, 7), "late", at(3, 8), "verdict"),
        PeriodOutcome("2026-03-03", at(4, 7), "missed", None, "publish"),
    ]
    days = [date(2026, 3, d) for d in (1, 2, 3, 4)]
    outcomes = daily_outcomes(periods, days)
    assert [day.worst for day in outcomes] == [None, "on_time", "late", "missed"]
    assert availability_so_far("x", outcomes).values == (None, 1.0, 0.5, 1 / 3)
    assert budget_left_by_day("x", outcomes, 1.5).values == (1.5, 1.5, 0.5, -0.5)


def test_words() -> None:
    assert [percent(0.98889), percent(0.999), percent(1.0), percent(None)] == [
        "98.89%",
        "99.9%",
        "100%",
        "–",
    ]
    assert [duration(timedelta(minutes=m)) for m in (45, 150, 1850)] == [
        "45m",
        "2h 30m",
        "1d 6h",
    ]
    assert budget_left(None) == "–"
    assert nice_scale(0.915, 1.0) == pytest.approx((0.9, 1.0, 0.02))
    assert nice_scale(-13.09, 1.915) == (-15, 5, 5)


def test_window_options() -> None:
    now = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
    assert parse_window("90d", None, now) == Window(now - timedelta(days=90), now)
    assert parse_window("2w", "2026-04-01", now) == Window(
        datetime(2026, 3, 18, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    )
    assert parse_window("2026-01-01", "2026-04-01T11:00:00+02:00", now) == Window(
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, 9, tzinfo=UTC)
    )
    assert len(Window(datetime(2026, 1, 1, 9, tzinfo=UTC), now).days()) == 91
    with pytest.raises(WindowError) as raised:
        parse_window("soon", None, now)
    assert str(raised.value) == (
        "--since 'soon' is neither a duration nor a date: use e.g. 90d, 12h, 2w, or 2026-01-01."
    )
    with pytest.raises(WindowError) as raised:
        parse_window("90d", "tomorrow", now)
    assert str(raised.value) == (
        "--until 'tomorrow' is not a date or time: use ISO 8601, e.g. 2026-04-01 or "
        "2026-04-01T09:00:00Z."
    )
    with pytest.raises(WindowError) as raised:
        parse_window("2026-05-01", None, now)
    assert str(raised.value) == (
        "the window is empty: since 2026-05-01T00:00:00+00:00 is not before "
        "until 2026-04-01T09:30:00+00:00."
    )


def test_selection(mesh: Mesh) -> None:
    assert [p.name for p in select_products(mesh, ["payments"], ["orders-daily"])] == [
        "orders-daily",
        "payment-events",
        "payments-daily",
    ]
    assert len(select_products(mesh)) == 7
    with pytest.raises(SelectionError) as raised:
        select_products(mesh, ["shipment"])
    assert (
        str(raised.value) == "there is no domain 'shipment' in the specs. Did you mean 'shipments'?"
    )
    with pytest.raises(SelectionError) as raised:
        select_products(mesh, [], ["inventory"])
    assert str(raised.value) == (
        "there is no product 'inventory' in the specs. The specs have: order-events, "
        "orders-daily, payment-events, payments-daily, revenue-reconciliation, "
        "shipment-events, shipments-daily."
    )
