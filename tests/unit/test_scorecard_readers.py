"""Pieces of the instance readers that need no instance: the span search, recorded verdicts."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from dagster import AssetCheckEvaluation, AssetCheckSeverity, AssetKey
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._serdes import serialize_value

from mesh_dagster.scorecard import VerdictEvent, compact_verdicts
from mesh_dagster.scorecard.read_plan import utc, verdict_of
from mesh_dagster.scorecard.sql_checks import _failed_verdict, _recorded
from mesh_dagster.scorecard.sql_tables import first_id_at

START = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_span_starts_at_the_first_row_stored_at_or_after_a_moment() -> None:
    metadata = sa.MetaData()
    table = sa.Table(
        "rows",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime),
    )
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [
                {"id": n * 3, "at": (START + timedelta(hours=n)).replace(tzinfo=None)}
                for n in range(1, 500)
            ],
        )
        conn.execute(table.insert(), [{"id": 2000, "at": None}])
        moment = START + timedelta(hours=100)
        # Any id after the last row before the moment, up to the first row at or after it.
        assert first_id_at(conn, table.c.id, table.c.at, moment) in (298, 299, 300)
        assert first_id_at(conn, table.c.id, table.c.at, moment - timedelta(minutes=30)) in (
            298,
            299,
            300,
        )
        assert first_id_at(conn, table.c.id, table.c.at, START) == 3
        assert first_id_at(conn, table.c.id, table.c.at, START + timedelta(days=365)) > 1497
        conn.execute(table.delete())
        assert first_id_at(conn, table.c.id, table.c.at, moment) == 0


def _sla_result(
    passed: bool, severity: AssetCheckSeverity, status: str | None, **extra: object
) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluation = AssetCheckEvaluation(
            asset_key=AssetKey(["orders", "orders-daily"]),
            check_name="sla",
            passed=passed,
            severity=severity,
            partition="2026-03-01",
            metadata={"status": status, "late_by_minutes": 20.0, **extra} if status else {},
        )
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION.value,
        job_name="",
        event_specific_data=evaluation,
    )
    return serialize_value(EventLogEntry(None, 20, "", "", 1.0, dagster_event=event))


def test_a_failed_verdict_is_read_from_the_status_it_recorded() -> None:
    late = _sla_result(False, AssetCheckSeverity.WARN, "late")
    missed = _sla_result(False, AssetCheckSeverity.ERROR, "missed")
    silent = _sla_result(False, AssetCheckSeverity.WARN, None)
    assert _recorded(late) == ("late", False, False, None)
    assert _recorded(missed) == ("missed", False, True, None)
    assert _recorded('{"dagster_event": null}') is None
    at = START
    assert _failed_verdict("2026-03-01", at, late) == VerdictEvent("2026-03-01", "late", at)
    assert _failed_verdict("2026-03-01", at, missed).status == "missed"
    # Without a status, the severity tells: a WARN failure is a late publish.
    assert _failed_verdict("2026-03-01", at, silent).status == "late"
    assert _failed_verdict("2026-03-01", at, None).status == "missed"
    assert verdict_of("p", True, None, False, at).status == "on_time"
    assert verdict_of("p", False, "pending", False, at).status == "pending"


def test_a_miss_upstream_is_read_from_the_inputs_its_verdict_recorded() -> None:
    waiting = {
        "mesh/waiting_for": ["order-events 2026-03-01", "payment-events 2026-03-01"],
        "mesh/waiting_for_missed": ["order-events 2026-03-01"],
    }
    missed = _sla_result(False, AssetCheckSeverity.ERROR, "missed", **waiting)
    assert _recorded(missed) == ("missed", False, True, waiting["mesh/waiting_for"])
    assert _failed_verdict("2026-03-01", START, missed) == VerdictEvent(
        "2026-03-01", "missed", START, ("order-events 2026-03-01", "payment-events 2026-03-01")
    )
    # Anything else recorded there is no input period; an on-time verdict has no cause.
    assert verdict_of("p", False, "late", False, START, "order-events").waiting_for == ()
    assert verdict_of("p", False, "late", False, START, [3, "x y"]).waiting_for == ("x y",)
    assert verdict_of("p", True, None, False, START, ["x y"]).waiting_for == ()


def test_stored_times_are_read_as_utc() -> None:
    assert utc("2026-03-01 06:10:00.000000") == datetime(2026, 3, 1, 6, 10, tzinfo=UTC)
    assert utc(datetime(2026, 3, 1, 6, 10)) == datetime(2026, 3, 1, 6, 10, tzinfo=UTC)


def test_on_time_verdicts_are_compacted() -> None:
    verdicts = [
        VerdictEvent("2026-03-01", "on_time", START),
        VerdictEvent("2026-03-02", "missed", START),
        VerdictEvent("2026-03-02", "late", START + timedelta(hours=3)),
        VerdictEvent("2026-03-03", "pending", START),
        VerdictEvent("2026-03-03", "on_time", START + timedelta(hours=1)),
    ]
    kept, on_time = compact_verdicts(verdicts)
    assert on_time == frozenset({"2026-03-01"})
    assert kept == tuple(verdicts[1:])
