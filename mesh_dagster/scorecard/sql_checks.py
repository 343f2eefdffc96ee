"""SQL reads of ``asset_check_executions``: SLA verdicts and error-rule results.

Most results are good news, and the database sums them up in one pass over the span: per
(asset, period), the checks evaluated and the checks that failed. A period whose ``sla``
check never failed was on time; a period whose error rules never failed passed them all.
Only the other periods come back row by row (failed verdicts deserialized for the status
they recorded).
"""

from __future__ import annotations

import json
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
from mesh_dagster.sla.upstream import WAITING_FOR

_SMALL = 50  # up to this many products, look them up by key instead of scanning the span
_TERMS = 25  # (asset, periods) lookups per query
Periods = dict[str, set[str | None]]


@dataclass
class CheckResults:
    """A product's SLA verdicts and error-rule results in the span.

    ``on_time``: periods only ever judged on time; ``verdicts``: the verdicts of the other
    periods. ``passed``: per period whose error rules all passed, those rules;
    ``evaluations``: the results of the other periods. Both lists in storage order.
    """

    on_time: frozenset[str] = frozenset()
    verdicts: list[VerdictEvent] = field(default_factory=list)
    passed: dict[str, frozenset[str]] = field(default_factory=dict)
    evaluations: list[RuleEvaluation] = field(default_factory=list)


def read_check_tallies(conn: sa.Connection, span: Span, ids: tuple[int, int]) -> list[Any]:
    """Return per (asset, period) of the span, among rows ``ids[0] <= id < ids[1]``: the
    checks evaluated and the checks that failed (comma-separated names)."""
    failed = sa.case((CHECKS.c.execution_status == "FAILED", CHECKS.c.check_name))
    query = (
        sa.select(
            CHECKS.c.asset_key,
            CHECKS.c.partition,
            sa.func.aggregate_strings(CHECKS.c.check_name, ","),
            sa.func.aggregate_strings(failed, ","),
        )
        .where(CHECKS.c.id < ids[1], CHECKS.c.id >= ids[0], *span.checks())
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


def _merge(tallies: Iterable[Any], names: dict[str, str]) -> dict[tuple[str, Any], tuple[str, str]]:
    """Return (evaluated, failed) names per (asset, period); a period may be split in two."""
    merged: dict[tuple[str, Any], tuple[str, str]] = {}
    for key, partition, evaluated, failed in tallies:
        if key in names:
            before = merged.get((key, partition))
            if before is not None:
                evaluated = f"{before[0]},{evaluated}"
                failed = ",".join(part for part in (before[1], failed) if part)
            merged[(key, partition)] = (evaluated, failed or "")
    return merged


def _rows(
    conn: sa.Connection, span: Span, periods: Periods, rules: dict[str, list[str]], *extra: Any
) -> list[Any]:
    """Return the results of ``rules[key]`` on ``periods[key]`` of each asset, by storage id.

    A few assets per query, each term a lookup through the (asset, check) index.
    """
    terms: list[Any] = []
    for key, wanted in sorted(periods.items()):
        partitions = sorted(part for part in wanted if part is not None)
        which = [CHECKS.c.partition.in_(partitions)] if partitions else []
        if None in wanted:
            which.append(CHECKS.c.partition.is_(None))
        terms.append(
            sa.and_(CHECKS.c.asset_key == key, CHECKS.c.check_name.in_(rules[key]), sa.or_(*which))
        )
    columns = (
        CHECKS.c.id,
        CHECKS.c.asset_key,
        CHECKS.c.partition,
        CHECKS.c.check_name,
        CHECKS.c.execution_status,
        as_text(CHECKS.c.evaluation_event_timestamp),
        CHECKS.c.run_id,
    )
    rows: list[Any] = []
    for group in chunks(terms, _TERMS):
        query = sa.select(*columns, *extra).where(sa.or_(*group), *span.checks())
        rows += conn.execute(query).all()
    return sorted(rows, key=lambda row: row[0])


def _recorded(event: str) -> tuple[object, bool, bool, object] | None:
    """Return the recorded (status, passed, is error, waiting for) of a serialized ``sla``
    result.

    Reads Dagster's JSON serialization directly (a hundred times faster than deserializing
    the event); None when it is not laid out as expected.
    """
    try:
        data = json.loads(event)["dagster_event"]["event_specific_data"]
        status = data["metadata"].get("status", {}).get("text")
        waiting = data["metadata"].get(WAITING_FOR, {}).get("data")
        severity = data["severity"]["__enum__"]
        return status, bool(data["success"]), severity == "AssetCheckSeverity.ERROR", waiting
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _failed_verdict(partition: str, at: datetime, event: str | None) -> VerdictEvent:
    """Return the verdict of a failed ``sla`` result, from the status it recorded."""
    if event is None:
        return verdict_of(partition, False, None, True, at)
    recorded = _recorded(event)
    if recorded is not None:
        return verdict_of(partition, recorded[1], recorded[0], recorded[2], at, recorded[3])
    entry = deserialize_value(event, EventLogEntry)
    evaluation = entry.dagster_event.event_specific_data if entry.dagster_event else None
    if not isinstance(evaluation, AssetCheckEvaluation):
        return verdict_of(partition, False, None, True, at)
    status = evaluation.metadata.get("status")
    waiting = evaluation.metadata.get(WAITING_FOR)
    return verdict_of(
        partition,
        evaluation.passed,
        status.value if status is not None else None,
        evaluation.severity == AssetCheckSeverity.ERROR,
        at,
        waiting.value if waiting is not None else None,
    )


def read_check_results(
    conn: sa.Connection, span: Span, tallies: Iterable[Any]
) -> dict[str, CheckResults]:
    """Return each product's verdicts and error-rule results in the span, from its tallies."""
    names = span.plan.product_of()
    found: dict[str, CheckResults] = defaultdict(CheckResults)
    on_time: dict[str, set[str]] = defaultdict(set)
    late_or_worse: Periods = defaultdict(set)
    failing: Periods = defaultdict(set)
    known: dict[tuple[frozenset[str], str], frozenset[str]] = {}
    for (key, partition), (evaluated, failed) in _merge(tallies, names).items():
        name = names[key]
        checks = evaluated.split(",")
        failures = failed.split(",") if failed else ()
        if partition is not None and SLA_CHECK in failures:
            late_or_worse[key].add(partition)
        elif partition is not None and SLA_CHECK in checks:
            on_time[name].add(partition)
        errors = span.plan.error_rules[name]
        if partition is None or not errors.isdisjoint(failures):
            failing[key].add(partition)
            continue
        rules = known.get((errors, evaluated))
        if rules is None:  # most periods evaluate the same checks: intersect each list once
            rules = known[(errors, evaluated)] = errors.intersection(checks)
        if rules:
            found[name].passed[partition] = rules
    for name, partitions in on_time.items():
        found[name].on_time = frozenset(partitions)
    errors_of = {key: sorted(span.plan.error_rules[names[key]]) for key in failing}
    for _, key, partition, rule, status, at, run_id in _rows(conn, span, failing, errors_of):
        found[names[key]].evaluations.append(
            RuleEvaluation(partition, rule, status == "SUCCEEDED", utc(at), run_id or "")
        )
    failed_event = sa.case((CHECKS.c.execution_status == "FAILED", CHECKS.c.evaluation_event))
    sla = {key: [SLA_CHECK] for key in late_or_worse}
    for row in _rows(conn, span, late_or_worse, sla, failed_event):
        _, key, partition, _, status, at, _, event = row
        verdict = (
            VerdictEvent(partition, "on_time", utc(at))
            if status == "SUCCEEDED"
            else _failed_verdict(partition, utc(at), event)
        )
        found[names[key]].verdicts.append(verdict)
    return found
