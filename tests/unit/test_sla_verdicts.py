"""Deadlines and verdicts per period, including days that DST makes 23 or 25 hours long."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import yaml

from mesh_dagster.sla.verdicts import DuePeriod, due_periods, judge
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh

EXAMPLE = Path(__file__).resolve().parents[2] / "specs"


def _berlin_mesh(tmp_path: Path) -> Mesh:
    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLE, specs)
    path = specs / "orders" / "orders_daily.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["spec"]["schedule"]["timezone"] = "Europe/Berlin"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return load_mesh(specs)


def test_spring_forward_day_is_due_at_seven_berlin_time(tmp_path: Path) -> None:
    mesh = _berlin_mesh(tmp_path)
    product = mesh.product("orders-daily")
    due = due_periods(
        mesh, product, datetime(2026, 3, 29, 12, tzinfo=UTC), datetime(2026, 3, 31, 6, tzinfo=UTC)
    )
    assert [(d.period.key, d.deadline.astimezone(UTC)) for d in due] == [
        ("2026-03-29", datetime(2026, 3, 30, 5, tzinfo=UTC)),  # 07:00 CEST
        ("2026-03-30", datetime(2026, 3, 31, 5, tzinfo=UTC)),
    ]
    assert due[0].period.end.timestamp() - due[0].period.start.timestamp() == 23 * 3600


def test_fall_back_day_has_25_hours(tmp_path: Path) -> None:
    mesh = _berlin_mesh(tmp_path)
    product = mesh.product("orders-daily")
    due = due_periods(
        mesh, product, datetime(2026, 10, 26, tzinfo=UTC), datetime(2026, 10, 26, 12, tzinfo=UTC)
    )
    assert [(d.period.key, d.deadline.astimezone(UTC)) for d in due] == [
        ("2026-10-25", datetime(2026, 10, 26, 6, tzinfo=UTC)),  # 07:00 CET
    ]
    assert due[0].period.end.timestamp() - due[0].period.start.timestamp() == 25 * 3600


def test_verdicts(tmp_path: Path) -> None:
    mesh = _berlin_mesh(tmp_path)
    product = mesh.product("orders-daily")
    [due] = due_periods(
        mesh, product, datetime(2026, 3, 29, 12, tzinfo=UTC), datetime(2026, 3, 30, 6, tzinfo=UTC)
    )
    deadline = due.deadline
    before, after = datetime(2026, 3, 30, 4, tzinfo=UTC), datetime(2026, 3, 30, 5, 40, tzinfo=UTC)
    assert judge(product, due, None, datetime(2026, 3, 30, 4, tzinfo=UTC)) is None
    on_time = judge(product, due, before, deadline)
    assert on_time is not None and on_time.status == "on_time"
    missed = judge(product, due, None, deadline)
    assert missed is not None and missed.status == "missed"
    late = judge(product, DuePeriod(due.period, deadline), after, after)
    assert late is not None and late.status == "late"
    assert late.late_by is not None and late.late_by.total_seconds() == 40 * 60
