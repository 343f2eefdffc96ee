"""Dagster's event-log tables as the SQL readers see them, and the span of rows to read.

Every ``SqlEventLogStorage`` (SQLite, consolidated SQLite, PostgreSQL) keeps check results
in ``asset_check_executions`` and asset events in ``event_logs``; its
``index_connection()`` reaches both (SQLite's run shards hold only run-scoped events).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from dagster._core.storage.event_log.schema import (
    AssetCheckExecutionsTable,
    SqlEventLogStorageTable,
)

from mesh_dagster.scorecard.read_plan import ORDER_SLACK, ReadPlan, naive_utc, utc

CHECKS = AssetCheckExecutionsTable
EVENTS = SqlEventLogStorageTable
DONE = ("SUCCEEDED", "FAILED")
CHUNK = 500  # values per IN list: far below every backend's limit on bound parameters
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Yield ``items`` in slices of ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def as_text(column: Any) -> Any:
    """Return a timestamp column read as stored (SQLite: text), not through SQLAlchemy.

    Parsing SQLite's text with ``fromisoformat`` is much faster than SQLAlchemy's result
    processor; PostgreSQL's driver returns datetimes either way (``utc`` takes both).
    """
    return sa.type_coerce(column, sa.String)


def first_id_at(conn: sa.Connection, id_column: Any, time_column: Any, moment: datetime) -> int:
    """Return an id from which on the rows were stored at or after ``moment``.

    Rows are stored in time order, so a binary search over the primary key finds it, and
    later queries read the span, not the table. Rows without a time count as older.
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
            sa.select(id_column, as_text(time_column))
            .where(id_column >= middle)
            .order_by(id_column)
            .limit(1)
        ).one()
        if found[1] is None or utc(found[1]) < moment:
            low = found[0] + 1
        else:
            high = middle
    return int(low)


@dataclass(frozen=True)
class Span:
    """The rows of a read: the first ids of both tables that can matter, and the times."""

    plan: ReadPlan
    check_floor: int
    event_floor: int

    @classmethod
    def of(cls, conn: sa.Connection, plan: ReadPlan) -> Span:
        """Return the span of ``plan`` in the tables behind ``conn``."""
        lookback = plan.start - ORDER_SLACK
        return cls(
            plan,
            first_id_at(conn, CHECKS.c.id, CHECKS.c.evaluation_event_timestamp, lookback),
            first_id_at(conn, EVENTS.c.id, EVENTS.c.timestamp, lookback),
        )

    def checks(self) -> list[Any]:
        """Return the conditions on a check result of the span."""
        return [
            CHECKS.c.id >= self.check_floor,
            CHECKS.c.execution_status.in_(DONE),
            CHECKS.c.evaluation_event_timestamp >= naive_utc(self.plan.start),
            CHECKS.c.evaluation_event_timestamp < naive_utc(self.plan.until),
        ]

    def events(self) -> list[Any]:
        """Return the conditions on an event of the span."""
        return [
            EVENTS.c.id >= self.event_floor,
            EVENTS.c.timestamp >= naive_utc(self.plan.start),
            EVENTS.c.timestamp < naive_utc(self.plan.until),
        ]
