"""SQL reads of ``asset_check_executions``: SLA verdicts and error-rule results.

Most results are good news, and the database sums them up: per (asset, period) it returns
the rules evaluated and the rules that failed; only periods where an error rule failed
come back row by row. On-time verdicts come back without being deserialized; only failed
ones are (for the status they recorded).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from dagster import AssetCheckEvaluation, AssetCheckSeverity
from dagster._core.events.log import EventLogEntry
from dagster._serdes import deserialize_value

from mesh_dagster.compile.specs import SLA_CHECK
from mesh_dagster.scorecard.history import RuleEvaluation, VerdictEvent
from mesh_dagster.scorecard.read_plan import utc, verdict_of
from mesh_dagster.scorecard.sql_tables import CHECKS, Span, as_text, chunks

_SMALL = 50  # up to this many products, look them up by key instead of scanning the span


@dataclass
class Verdicts:
    """A product's SLA verdicts: those of periods judged otherwise than on time, in storage
    order, and the periods only ever judged on time."""

    troubled: list[VerdictEvent] = field(default_factory=list)
    on_time: frozenset[str] = frozenset()


@dataclass
class RuleResults:
    """A product's error-rule results: per period whose rules all passed, those rules; the
    results of the other periods one by one, in storage order."""

    passed: dict[str, frozenset[str]] = field(default_factory=dict)
    evaluations: list[RuleEvaluation] = field(default_factory=list)


def _failed_verdict(partition: str, at: datetime, event: str | None) -> VerdictEvent:
    """Return the verdict of a failed ``sla`` result, from the status it recorded."""
    if event is None:
        return verdict_of(partition, False, None, True, at)
    entry = deserialize_value(event, EventLogEntry)
    evaluation = entry.dagster_event.event_specific_data if entry.dagster_event else None
    if not isinstance(evaluation, AssetCheckEvaluation):
        return verdict_of(partition, False, None, True, at)
    recorded = evaluation.metadata.get("status")
    return verdict_of(
        partition,
        evaluation.passed,
        recorded.value if recorded is not None else None,
        evaluation.severity == AssetCheckSeverity.ERROR,
        at,
    )


def read_verdicts(conn: sa.Connection, span: Span) -> dict[str, Verdicts]:
    """Return each product's SLA verdicts in the span."""
    names = span.plan.product_of()
    failed_event = sa.case((CHECKS.c.execution_status == "FAILED", CHECKS.c.evaluation_event))
    rows: list[Any] = []
    for chunk in chunks(sorted(names)):
        rows += conn.execute(
            sa.select(
                CHECKS.c.id,
                CHECKS.c.asset_key,
                CHECKS.c.partition,
                CHECKS.c.execution_status,
                as_text(CHECKS.c.evaluation_event_timestamp),
                failed_event,
            ).where(
                CHECKS.c.asset_key.in_(chunk),
                CHECKS.c.check_name == SLA_CHECK,
                CHECKS.c.partition.is_not(None),
                *span.checks(),
            )
        ).all()
    rows.sort(key=lambda row: row[0])
    troubled: dict[str, set[str]] = defaultdict(set)
    for _, key, partition, status, _, _ in rows:
        if status != "SUCCEEDED":
            troubled[names[key]].add(partition)
    found: dict[str, Verdicts] = defaultdict(Verdicts)
    on_time: dict[str, set[str]] = defaultdict(set)
    for _, key, partition, status, at, event in rows:
        name = names[key]
        if partition not in troubled[name]:
            on_time[name].add(partition)
        elif status == "SUCCEEDED":
            found[name].troubled.append(VerdictEvent(partition, "on_time", utc(at)))
        else:
            found[name].troubled.append(_failed_verdict(partition, utc(at), event))
    for name, partitions in on_time.items():
        found[name].on_time = frozenset(partitions)
    return found


def read_rule_tallies(conn: sa.Connection, span: Span, ids: tuple[int, int]) -> list[Any]:
    """Return per (asset, period) of the span, among rows ``ids[0] <= id < ids[1]``: the
    rules evaluated and the rules that failed (comma-separated)."""
    failed = sa.case((CHECKS.c.execution_status == "FAILED", CHECKS.c.check_name))
    query = (
        sa.select(
            CHECKS.c.asset_key,
            CHECKS.c.partition,
            sa.func.aggregate_strings(CHECKS.c.check_name, ","),
            sa.func.aggregate_strings(failed, ","),
        )
        .where(
            CHECKS.c.check_name != SLA_CHECK,
            CHECKS.c.id < ids[1],
            CHECKS.c.id >= ids[0],
            *span.checks(),
        )
        .group_by(CHECKS.c.asset_key, CHECKS.c.partition)
    )
    keys = sorted(span.plan.product_of())
    if len(keys) > _SMALL:
        # One pass over the span: looking up many keys through the index reads their rows
        # all over the table (and older ones too), which is far slower than the scan.
        return list(conn.execute(query).all())
    rows: list[Any] = []
    for chunk in chunks(keys):
        rows += conn.execute(query.where(CHECKS.c.asset_key.in_(chunk))).all()
    return rows


def id_ranges(conn: sa.Connection, span: Span, parts: int) -> list[tuple[int, int]]:
    """Return ``parts`` ranges of check ids covering the span, to read side by side."""
    last = int(conn.scalar(sa.select(sa.func.max(CHECKS.c.id))) or 0) + 1
    first = min(span.check_floor, last)
    size = max(1, -(-(last - first) // parts))
    return [(start, min(start + size, last)) for start in range(first, last, size)] or [(0, 1)]


def _evaluations(conn: sa.Connection, span: Span, periods: dict[str, set[str | None]]) -> list[Any]:
    """Return every error-rule result of the given periods of each asset, in storage order.

    A few assets per query, each term a lookup through the (asset, check) index.
    """
    names = span.plan.product_of()
    terms: list[Any] = []
    for key, wanted in sorted(periods.items()):
        rules = sorted(span.plan.error_rules[names[key]])
        partitions = sorted(part for part in wanted if part is not None)
        which = [CHECKS.c.partition.in_(partitions)] if partitions else []
        if None in wanted:
            which.append(CHECKS.c.partition.is_(None))
        terms.append(
            sa.and_(CHECKS.c.asset_key == key, CHECKS.c.check_name.in_(rules), sa.or_(*which))
        )
    rows: list[Any] = []
    for group in chunks(terms, 25):
        rows += conn.execute(
            sa.select(
                CHECKS.c.id,
                CHECKS.c.asset_key,
                CHECKS.c.partition,
                CHECKS.c.check_name,
                CHECKS.c.execution_status,
                as_text(CHECKS.c.evaluation_event_timestamp),
                CHECKS.c.run_id,
            ).where(sa.or_(*group), *span.checks())
        ).all()
    return sorted(rows, key=lambda row: row[0])


def read_rule_results(
    conn: sa.Connection, span: Span, tallies: Iterable[Any]
) -> dict[str, RuleResults]:
    """Return each product's error-rule results in the span, from its tallies."""
    names = span.plan.product_of()
    merged: dict[tuple[str, str | None], tuple[str, str]] = {}
    for key, partition, evaluated, failed in tallies:
        if key in names:  # a period split across id ranges is tallied twice
            before = merged.get((key, partition))
            if before is not None:
                evaluated = f"{before[0]},{evaluated}"
                failed = ",".join(part for part in (before[1], failed) if part)
            merged[(key, partition)] = (evaluated, failed or "")
    found: dict[str, RuleResults] = defaultdict(RuleResults)
    failing: dict[str, set[str | None]] = defaultdict(set)
    known: dict[tuple[frozenset[str], str], frozenset[str]] = {}
    for (key, partition), (evaluated, failed) in merged.items():
        errors = span.plan.error_rules[names[key]]
        if partition is None or (failed and not errors.isdisjoint(failed.split(","))):
            failing[key].add(partition)
            continue
        rules = known.get((errors, evaluated))
        if rules is None:  # most periods evaluate the same rules: intersect each list once
            rules = known[(errors, evaluated)] = errors.intersection(evaluated.split(","))
        if rules:
            found[names[key]].passed[partition] = rules
    for _, key, partition, rule, status, at, run_id in _evaluations(conn, span, failing):
        found[names[key]].evaluations.append(
            RuleEvaluation(partition, rule, status == "SUCCEEDED", utc(at), run_id or "")
        )
    return found
