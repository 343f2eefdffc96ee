"""Domain and mesh targets are their products' weighted targets; tables are never cut."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from mesh_dagster.scorecard import History, ProductHistory, Publish, compute_scorecard
from mesh_dagster.scorecard.render_table import render_scorecard_tables, scorecard_width
from mesh_dagster.spec import Mesh, load_mesh

SPECS = Path(__file__).resolve().parents[2] / "specs"
UNTIL = datetime(2026, 3, 5, 9, tzinfo=UTC)
SINCE = UNTIL - timedelta(days=4)


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    return load_mesh(SPECS)


def published_daily(name: str, days: range) -> ProductHistory:
    """Return a product first seen in February, each day of ``days`` published at 06:10."""
    return ProductHistory(
        product=name,
        first_seen=datetime(2026, 2, 1, tzinfo=UTC),
        publishes=tuple(
            Publish(f"2026-03-{day:02d}", datetime(2026, 3, day + 1, 6, 10, tzinfo=UTC))
            for day in days
        ),
    )


def _lines(mesh: Mesh, history: History, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(render_scorecard_tables(compute_scorecard(mesh, history)))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    return [" ".join(line.split()) for line in text.splitlines()]


def test_with_nothing_due_a_domain_shows_its_products_target(mesh: Mesh) -> None:
    history = History(
        SINCE,
        UNTIL,
        {name: ProductHistory(name) for name in ("shipment-events", "shipments-daily")},
    )
    card = compute_scorecard(mesh, history)
    (domain,) = card.domains
    assert domain.budget is not None and domain.budget.target == pytest.approx(0.995)
    assert card.mesh.budget is not None and card.mesh.budget.target == pytest.approx(0.995)
    rows = {
        line.split(" │ ")[0]: line.split(" │ ")
        for line in _lines(mesh, history, scorecard_width(card))
    }
    header = next(line for line in _lines(mesh, history, 200) if line.startswith("Domain ┃"))
    target = header.split(" ┃ ").index("Target")
    assert (rows["all"][target], rows["mesh"][target]) == ("99.5%", "99.5%")


def test_targets_are_weighted_by_due_periods(mesh: Mesh) -> None:
    # orders-daily (99.9%) has 4 due periods, order-events (99.5%) 2: (4 x 99.9 + 2 x 99.5) / 6.
    history = History(
        SINCE,
        UNTIL,
        {
            "orders-daily": published_daily("orders-daily", range(1, 5)),
            "order-events": ProductHistory(
                "order-events", first_seen=datetime(2026, 3, 4, tzinfo=UTC)
            ),
        },
    )
    card = compute_scorecard(mesh, history)
    assert [item.availability.due for item in card.products] == [2, 4]
    assert card.domains[0].budget is not None
    assert card.domains[0].budget.target == pytest.approx((4 * 0.999 + 2 * 0.995) / 6)


def test_nothing_due_anywhere_weighs_products_equally(mesh: Mesh) -> None:
    history = History(
        SINCE, UNTIL, {name: ProductHistory(name) for name in ("orders-daily", "order-events")}
    )
    card = compute_scorecard(mesh, history)
    assert card.mesh.budget is not None
    assert card.mesh.budget.target == pytest.approx((0.999 + 0.995) / 2)


def test_the_tables_fit_the_width_given_to_pipes(mesh: Mesh) -> None:
    names = ("orders-daily", "order-events", "revenue-reconciliation", "shipments-daily")
    history = History(SINCE, UNTIL, {name: published_daily(name, range(1, 5)) for name in names})
    card = compute_scorecard(mesh, history)
    width = scorecard_width(card)
    assert width > 80
    cut = _lines(mesh, history, 80)
    assert any("…" in line for line in cut)  # what a pipe got before: cells cut to 80 columns
    whole = _lines(mesh, history, width)
    assert not any("…" in line for line in whole)
    (row,) = [line for line in whole if line.startswith("revenue-reconciliation │")]
    assert row.endswith(" │ 100% │ 99.5% │ 0 (100%) │ – │ 0 │ –")
