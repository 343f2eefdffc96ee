"""The fast reader: a few SQL queries on the tables of a SQL event log (SQLite, PostgreSQL).

Dagster's public readers return one deserialized event per check result; 1,000 products
x 90 days is about a million of them. These queries read the same rows as
``get_asset_check_execution_history`` and ``fetch_materializations`` do, but let the
database sum up what went right (``sql_checks``). ``api_history`` reads the same through
the public API; the tests hold the two to the same answer.

Run-sharded SQLite (Dagster's plain default) mirrors asset events and check results into
its index file, which these queries read; its storage serializes connections behind one
lock, so there every query runs on the one connection, one after another.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

from mesh_dagster.compile.event_log import is_run_sharded
from mesh_dagster.scorecard.history import ProductHistory, compact_evaluations
from mesh_dagster.scorecard.read_plan import ReadPlan
from mesh_dagster.scorecard.sql_checks import (
    CheckResults,
    id_ranges,
    read_check_results,
    read_check_tallies,
)
from mesh_dagster.scorecard.sql_events import read_first_seen, read_publishes
from mesh_dagster.scorecard.sql_tables import Span


def _tally(storage: SqlEventLogStorage, span: Span, ids: tuple[int, int]) -> list[Any]:
    with storage.index_connection() as conn:
        return read_check_tallies(conn, span, ids)


def read_sql_history(storage: SqlEventLogStorage, plan: ReadPlan) -> dict[str, ProductHistory]:
    """Return each product's history in the plan's span (without run failures).

    The check tallies, the bulk of the work and the database's, are read on two more
    connections (each half of the span) while this one reads publishes, where the storage
    hands out connections of their own (not run-sharded SQLite's one locked connection).
    """
    with storage.index_connection() as conn:
        span = Span.of(conn, plan)
        if is_run_sharded(storage):
            tallies = read_check_tallies(conn, span, id_ranges(conn, span, 1)[0])
            first_seen = read_first_seen(conn, span)
            publishes = read_publishes(conn, span)
        else:
            with ThreadPoolExecutor(max_workers=2) as pool:
                halves = [
                    pool.submit(_tally, storage, span, ids) for ids in id_ranges(conn, span, 2)
                ]
                first_seen = read_first_seen(conn, span)
                publishes = read_publishes(conn, span)
                tallies = [row for half in halves for row in half.result()]
        results = read_check_results(conn, span, tallies)
    histories: dict[str, ProductHistory] = {}
    for name in sorted(plan.keys):
        result = results.get(name, CheckResults())
        kept, compacted = compact_evaluations(result.evaluations)
        histories[name] = ProductHistory(
            product=name,
            first_seen=first_seen.get(name),
            verdicts=tuple(result.verdicts),
            on_time=result.on_time,
            evaluations=kept,
            passed_rules=dict(sorted({**result.passed, **compacted}.items())),
            publishes=tuple(publishes.get(name, [])),
        )
    return histories
