"""The fast reader: a few SQL queries on the tables of a SQL event log (SQLite, PostgreSQL).

Dagster's public readers return one deserialized event per check result; 1,000 products
x 90 days is about a million of them. These queries read the same rows as
``get_asset_check_execution_history`` and ``fetch_materializations`` (the
``asset_check_executions`` and ``event_logs`` tables of every ``SqlEventLogStorage``), but
let the database count what passed: only periods with a failure come back row by row,
and only failed SLA results are deserialized (for their status). ``api_history`` reads
the same through the public API; the tests hold the two to the same answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from dagster import AssetCheckEvaluation, AssetCheckSeverity
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.schema import (
    AssetCheckExecutionsTable,
    SqlEventLogStorageTable,
)
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage
from dagster._serdes import deserialize_value

from mesh_dagster.compile.specs import SLA_CHECK
from mesh_dagster.scorecard.history import (
    ProductHistory,
    Publish,
    RuleEvaluation,
    VerdictEvent,
    compact_evaluations,
)
from mesh_dagster.scorecard.read_plan import ORDER_SLACK, ReadPlan, naive_utc, utc, verdict_of

CHECKS = AssetCheckExecutionsTable
EVENTS = SqlEventLogStorageTable
_DONE = ("SUCCEEDED", "FAILED")
_CHUNK = 500  # keys per IN list: far below every backend's limit on bound parameters
_SMALL = 50  # up to this many products, look them up by key instead of scanning the span
_SEPARATOR = "\x1f"  # between an asset key and a partition key in one label
T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _text(column: Any) -> Any:
    # SQLite keeps timestamps as text: parsing it ourselves (fromisoformat) is much faster
    # than SQLAlchemy's result processor; PostgreSQL's driver returns datetimes anyway.
    return sa.type_coerce(column, sa.String)


def first_id_at(conn: sa.Connection, id_column: Any, time_column: Any, moment: datetime) -> int:
    """Return the first row id stored at or after ``moment`` (rows are stored in time order).

    A binary search over the primary key, so later queries read the span, not the table.
    """
    # Two queries: SQLite answers a lone min() or max() from the key, but not both at once.
    low = conn.scalar(sa.select(sa.func.min(id_column)))
    high = conn.scalar(sa.select(sa.func.max(id_column)))
    if low is None or high is None:
        return 0
    high += 1
    while low < high:
        middle = (low + high) // 2
        found = conn.execute(
            sa.select(id_column, _text(time_column))
            .where(id_column >= middle)
            .order_by(id_column)
            .limit(1)
        ).one()
        if found[1] is None or utc(found[1]) < moment:
            low = found[0] + 1
        else:
            high = middle
    return int(low)


def floors_of(conn: sa.Connection, plan: ReadPlan) -> tuple[int, int]:
    """Return the first ids of the check and event tables that can be in the plan's span."""
    lookback = plan.start - ORDER_SLACK
    return (
        first_id_at(conn, CHECKS.c.id, CHECKS.c.evaluation_event_timestamp, lookback),
        first_id_at(conn, EVENTS.c.id, EVENTS.c.timestamp, lookback),
    )


class _Reader:
    """One read of the tables, for one plan, on one connection."""

    def __init__(self, conn: sa.Connection, plan: ReadPlan, floors: tuple[int, int]) -> None:
        self.conn = conn
        self.plan = plan
        self.names = plan.product_of()
        self.keys = sorted(self.names)
        self.check_floor, self.event_floor = floors

    def _check_span(self) -> list[Any]:
        return [
            CHECKS.c.id >= self.check_floor,
            CHECKS.c.execution_status.in_(_DONE),
            CHECKS.c.evaluation_event_timestamp >= naive_utc(self.plan.start),
            CHECKS.c.evaluation_event_timestamp < naive_utc(self.plan.until),
        ]

    def _by_key(self, query: sa.Select[Any], column: Any) -> Iterator[Any]:
        """Run ``query`` for the plan's keys: by key for a few, else over the whole span."""
        if len(self.keys) > _SMALL:
            yield from self.conn.execute(query).all()
            return
        for chunk in _chunks(self.keys):
            yield from self.conn.execute(query.where(column.in_(chunk))).all()

    def first_seen(self) -> dict[str, datetime]:
        """Return each product's first publish or SLA result, in the whole history."""
        ids: list[int] = []
        for chunk in _chunks(self.keys):
            ids += self.conn.scalars(
                sa.select(sa.func.min(EVENTS.c.id))
                .where(
                    EVENTS.c.asset_key.in_(chunk),
                    EVENTS.c.dagster_event_type == "ASSET_MATERIALIZATION",
                )
                .group_by(EVENTS.c.asset_key)
            ).all()
        found: dict[str, datetime] = {}
        for id_chunk in _chunks(ids):
            rows = self.conn.execute(
                sa.select(EVENTS.c.asset_key, _text(EVENTS.c.timestamp)).where(
                    EVENTS.c.id.in_(id_chunk)
                )
            )
            for key, at in rows:
                found[self.names[key]] = utc(at)
        for chunk in _chunks(self.keys):
            first = (
                sa.select(sa.func.min(CHECKS.c.id))
                .where(CHECKS.c.asset_key.in_(chunk), CHECKS.c.check_name == SLA_CHECK)
                .group_by(CHECKS.c.asset_key)
            )
            rows = self.conn.execute(
                sa.select(CHECKS.c.asset_key, _text(CHECKS.c.evaluation_event_timestamp)).where(
                    CHECKS.c.id.in_(first)
                )
            )
            for key, at in rows:
                name = self.names[key]
                if at is not None and (name not in found or utc(at) < found[name]):
                    found[name] = utc(at)
        return found

    def verdicts(self) -> dict[str, list[VerdictEvent]]:
        """Return each product's SLA results in the span, in storage order."""
        failed_event = sa.case((CHECKS.c.execution_status == "FAILED", CHECKS.c.evaluation_event))
        found: dict[str, list[VerdictEvent]] = defaultdict(list)
        for chunk in _chunks(self.keys):
            rows = self.conn.execute(
                sa.select(
                    CHECKS.c.asset_key,
                    CHECKS.c.partition,
                    CHECKS.c.execution_status,
                    _text(CHECKS.c.evaluation_event_timestamp),
                    failed_event,
                )
                .where(
                    CHECKS.c.asset_key.in_(chunk),
                    CHECKS.c.check_name == SLA_CHECK,
                    CHECKS.c.partition.is_not(None),
                    *self._check_span(),
                )
                .order_by(CHECKS.c.id)
            ).all()
            for key, partition, status, at, event in rows:
                if status == "SUCCEEDED":
                    verdict = VerdictEvent(partition, "on_time", utc(at))
                else:
                    verdict = _failed_verdict(partition, utc(at), event)
                found[self.names[key]].append(verdict)
        return found

    def rule_tallies(
        self,
    ) -> tuple[dict[str, dict[str, frozenset[str]]], set[tuple[str, str | None]]]:
        """Return the error rules of each period that only passed, and the periods that failed.

        The database groups the span's results by (asset, period): the rules evaluated, and
        how many failures. Periods with a failure are read row by row afterwards.
        """
        failures = sa.func.sum(sa.case((CHECKS.c.execution_status == "FAILED", 1), else_=0))
        query = (
            sa.select(
                CHECKS.c.asset_key,
                CHECKS.c.partition,
                sa.func.aggregate_strings(CHECKS.c.check_name, ","),
                failures,
            )
            .where(CHECKS.c.check_name != SLA_CHECK, *self._check_span())
            .group_by(CHECKS.c.asset_key, CHECKS.c.partition)
        )
        passed: dict[str, dict[str, frozenset[str]]] = defaultdict(dict)
        failing: set[tuple[str, str | None]] = set()
        for key, partition, names, failed in self._by_key(query, CHECKS.c.asset_key):
            name = self.names.get(key)
            if name is None:
                continue
            if failed or partition is None:
                failing.add((key, partition))
                continue
            rules = frozenset(names.split(",")) & self.plan.error_rules[name]
            if rules:
                passed[name][partition] = rules
        return passed, failing

    def rule_evaluations(
        self, periods: set[tuple[str, str | None]]
    ) -> dict[str, list[RuleEvaluation]]:
        """Return every error-rule result of the given (asset, period) pairs, in storage order."""
        found: dict[str, list[RuleEvaluation]] = defaultdict(list)
        if not periods:
            return found
        query = sa.select(
            CHECKS.c.asset_key,
            CHECKS.c.partition,
            CHECKS.c.check_name,
            CHECKS.c.execution_status,
            _text(CHECKS.c.evaluation_event_timestamp),
            CHECKS.c.run_id,
        ).where(CHECKS.c.check_name != SLA_CHECK, *self._check_span())
        keys = sorted({key for key, _ in periods})
        filters: list[sa.ColumnElement[bool]]
        if len(self.keys) <= _SMALL:
            filters = [CHECKS.c.asset_key.in_(chunk) for chunk in _chunks(keys)]
        else:
            # One pass over the span: an index lookup per asset would read every row of it.
            label = CHECKS.c.asset_key + _SEPARATOR + CHECKS.c.partition
            labels = sorted(f"{key}{_SEPARATOR}{part}" for key, part in periods if part is not None)
            filters = [label.in_(chunk) for chunk in _chunks(labels, 10_000)]
            unpartitioned = sorted({key for key, part in periods if part is None})
            filters += [
                sa.and_(CHECKS.c.asset_key.in_(chunk), CHECKS.c.partition.is_(None))
                for chunk in _chunks(unpartitioned)
            ]
        rows: list[Any] = []
        for condition in filters:
            rows += self.conn.execute(query.where(condition).add_columns(CHECKS.c.id)).all()
        for key, partition, rule, status, at, run_id, _ in sorted(rows, key=lambda row: row[-1]):
            name = self.names[key]
            if (key, partition) in periods and rule in self.plan.error_rules[name]:
                found[name].append(
                    RuleEvaluation(partition, rule, status == "SUCCEEDED", utc(at), run_id or "")
                )
        return found

    def publishes(self) -> dict[str, list[Publish]]:
        """Return each product's materializations in the span, in storage order."""
        query = (
            sa.select(EVENTS.c.asset_key, EVENTS.c.partition, _text(EVENTS.c.timestamp))
            .where(
                EVENTS.c.dagster_event_type == "ASSET_MATERIALIZATION",
                EVENTS.c.id >= self.event_floor,
                EVENTS.c.timestamp >= naive_utc(self.plan.start),
                EVENTS.c.timestamp < naive_utc(self.plan.until),
            )
            .order_by(EVENTS.c.id)
        )
        found: dict[str, list[Publish]] = defaultdict(list)
        for key, partition, at in self._by_key(query, EVENTS.c.asset_key):
            name = self.names.get(key)
            if name is not None:
                found[name].append(Publish(partition, utc(at)))
        return found


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


def _read_rules(
    storage: SqlEventLogStorage, plan: ReadPlan, floors: tuple[int, int]
) -> tuple[dict[str, dict[str, frozenset[str]]], dict[str, list[RuleEvaluation]]]:
    with storage.index_connection() as conn:
        reader = _Reader(conn, plan, floors)
        passed, failing = reader.rule_tallies()
        return passed, reader.rule_evaluations(failing)


def read_sql_history(storage: SqlEventLogStorage, plan: ReadPlan) -> dict[str, ProductHistory]:
    """Return each product's history in the plan's span (without run failures).

    The rule results, the bulk of the work and mostly the database's, are read on a
    second connection while this one reads verdicts and publishes.
    """
    with storage.index_connection() as conn:
        floors = floors_of(conn, plan)
        with ThreadPoolExecutor(max_workers=1) as pool:
            rules = pool.submit(_read_rules, storage, plan, floors)
            reader = _Reader(conn, plan, floors)
            first_seen = reader.first_seen()
            verdicts = reader.verdicts()
            publishes = reader.publishes()
            passed, detailed = rules.result()
    histories: dict[str, ProductHistory] = {}
    for name in sorted(plan.keys):
        kept, compacted = compact_evaluations(detailed.get(name, []))
        histories[name] = ProductHistory(
            product=name,
            first_seen=first_seen.get(name),
            verdicts=tuple(verdicts.get(name, [])),
            evaluations=kept,
            passed_rules=dict(sorted({**passed.get(name, {}), **compacted}.items())),
            publishes=tuple(publishes.get(name, [])),
        )
    return histories
