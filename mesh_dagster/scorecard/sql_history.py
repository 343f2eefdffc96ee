"""The fast reader: a few SQL queries on the tables of a SQL event log (SQLite, PostgreSQL).

Dagster's public readers return one deserialized event per check result; 1,000 products
x 90 days is about a million of them. These queries read the same rows as
``get_asset_check_execution_history`` and ``fetch_materializations`` do, but let the
database sum up what went right (``sql_checks``). ``api_history`` reads the same through
the public API; the tests hold the two to the same answer.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

from mesh_dagster.scorecard.history import ProductHistory, compact_evaluations
from mesh_dagster.scorecard.read_plan import ReadPlan
from mesh_dagster.scorecard.sql_checks import (
    RuleResults,
    id_ranges,
    read_rule_results,
    read_rule_tallies,
    read_verdicts,
)
from mesh_dagster.scorecard.sql_events import read_first_seen, read_publishes
from mesh_dagster.scorecard.sql_tables import Span


def _tally(storage: SqlEventLogStorage, span: Span, ids: tuple[int, int]) -> list[Any]:
    with storage.index_connection() as conn:
        return read_rule_tallies(conn, span, ids)


def read_sql_history(storage: SqlEventLogStorage, plan: ReadPlan) -> dict[str, ProductHistory]:
    """Return each product's history in the plan's span (without run failures).

    The rule tallies, the bulk of the work and the database's, are read on two more
    connections (each half of the span), while this one reads verdicts and publishes.
    """
    with storage.index_connection() as conn:
        span = Span.of(conn, plan)
        with ThreadPoolExecutor(max_workers=2) as pool:
            halves = [pool.submit(_tally, storage, span, ids) for ids in id_ranges(conn, span, 2)]
            first_seen = read_first_seen(conn, span)
            verdicts = read_verdicts(conn, span)
            publishes = read_publishes(conn, span)
            tallies = [row for half in halves for row in half.result()]
        results = read_rule_results(conn, span, tallies)
    histories: dict[str, ProductHistory] = {}
    for name in sorted(plan.keys):
        result = results.get(name, RuleResults())
        kept, compacted = compact_evaluations(result.evaluations)
        verdict = verdicts.get(name)
        histories[name] = ProductHistory(
            product=name,
            first_seen=first_seen.get(name),
            verdicts=tuple(verdict.troubled) if verdict else (),
            on_time=verdict.on_time if verdict else frozenset(),
            evaluations=kept,
            passed_rules=dict(sorted({**result.passed, **compacted}.items())),
            publishes=tuple(publishes.get(name, [])),
        )
    return histories
