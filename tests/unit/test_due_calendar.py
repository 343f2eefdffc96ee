"""The SLA sensor's due calendar finds exactly the periods ``due_periods`` finds, tick by tick."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from mesh_dagster.compile.sla_sensor import DueCalendar
from mesh_dagster.sla.verdicts import due_periods
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh

EXAMPLE = Path(__file__).resolve().parents[2] / "specs"


def _mesh(tmp_path: Path) -> Mesh:
    """The example mesh, one product on Berlin time (DST changes on 2026-03-29)."""
    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLE, specs)
    path = specs / "orders" / "orders_daily.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["spec"]["schedule"]["timezone"] = "Europe/Berlin"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return load_mesh(specs)


def _ticks() -> list[datetime]:
    """Ticks every 17 minutes across the DST change, with a five-hour daemon outage."""
    moment, ticks = datetime(2026, 3, 28, 3, tzinfo=UTC), []
    while moment < datetime(2026, 3, 31, 12, tzinfo=UTC):
        ticks.append(moment)
        gap = timedelta(hours=5) if moment.hour == 4 and moment.day == 30 else timedelta(minutes=17)
        moment += gap
    return ticks


def test_calendar_finds_what_due_periods_finds(tmp_path: Path) -> None:
    mesh = _mesh(tmp_path)
    calendar = DueCalendar(mesh)
    products = [p for p in mesh.products.values() if p.spec.sla is not None]
    assert len(products) >= 3
    after = {product.name: datetime(2026, 3, 28, 2, tzinfo=UTC) for product in products}
    found: list[tuple[str, str]] = []
    for now in _ticks():
        calendar.new_tick()
        for product in products:
            expected = due_periods(mesh, product, after[product.name], now)
            assert calendar.due(product, after[product.name], now) == expected, (product, now)
            found += [(product.name, item.period.key) for item in expected]
            after[product.name] = now
    # Every day of every daily product came due once, on Berlin time too.
    assert ("orders-daily", "2026-03-29") in found
    assert len(found) == len(set(found))


def test_a_rewound_cursor_is_computed_again(tmp_path: Path) -> None:
    mesh = _mesh(tmp_path)
    product = mesh.product("orders-daily")
    calendar = DueCalendar(mesh)
    quiet = datetime(2026, 3, 30, 4, tzinfo=UTC)
    assert calendar.due(product, quiet - timedelta(minutes=1), quiet) == []
    # A cursor from before (a reset sensor) sees the deadlines the calendar skipped.
    start = datetime(2026, 3, 28, tzinfo=UTC)
    assert calendar.due(product, start, quiet) == due_periods(mesh, product, start, quiet)
    assert [item.period.key for item in calendar.due(product, start, quiet)] == [
        "2026-03-27",
        "2026-03-28",
    ]
