"""SQL reads of ``event_logs``: publishes, first appearances and failed build steps."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from dagster._core.events.log import EventLogEntry
from dagster._serdes import deserialize_value

from mesh_dagster.compile.specs import SLA_CHECK
from mesh_dagster.scorecard.history import Publish
from mesh_dagster.scorecard.read_plan import published_by, utc
from mesh_dagster.scorecard.sql_tables import CHECKS, EVENTS, Span, as_text, chunks

_SMALL = 50  # up to this many products, look them up by key instead of scanning the span


def read_first_seen(conn: sa.Connection, span: Span) -> dict[str, datetime]:
    """Return each product's first materialization or SLA result, in the whole history.

    The first ids come from the indexes alone; then one row each is read.
    """
    names = span.plan.product_of()
    keys = sorted(names)
    found: dict[str, datetime] = {}
    firsts = [
        (
            EVENTS,
            sa.select(sa.func.min(EVENTS.c.id)).where(
                EVENTS.c.dagster_event_type == "ASSET_MATERIALIZATION"
            ),
            EVENTS.c.timestamp,
        ),
        (
            CHECKS,
            sa.select(sa.func.min(CHECKS.c.id)).where(CHECKS.c.check_name == SLA_CHECK),
            CHECKS.c.evaluation_event_timestamp,
        ),
    ]
    for table, first, time_column in firsts:
        for chunk in chunks(keys):
            ids = first.where(table.c.asset_key.in_(chunk)).group_by(table.c.asset_key)
            rows = conn.execute(
                sa.select(table.c.asset_key, as_text(time_column)).where(table.c.id.in_(ids))
            ).all()
            for key, at in rows:
                name = names[key]
                if at is not None and (name not in found or utc(at) < found[name]):
                    found[name] = utc(at)
    return found


def read_publishes(conn: sa.Connection, span: Span) -> dict[str, list[Publish]]:
    """Return each product's publishes in the span, in storage order.

    Materializations, and for externally built products the observations that saw a
    period pass its error rules.
    """
    names = span.plan.product_of()
    columns = (EVENTS.c.id, EVENTS.c.asset_key, EVENTS.c.partition, as_text(EVENTS.c.timestamp))
    query = (
        sa.select(*columns)
        .where(EVENTS.c.dagster_event_type == "ASSET_MATERIALIZATION", *span.events())
        .order_by(EVENTS.c.id)
    )
    rows: list[Any] = []
    if len(names) > _SMALL:
        rows += conn.execute(query).all()
    else:
        for chunk in chunks(sorted(names)):
            rows += conn.execute(query.where(EVENTS.c.asset_key.in_(chunk))).all()
    observed = sorted(span.plan.keys[name].to_string() for name in span.plan.observed)
    in_order = len(names) > _SMALL and not observed
    for chunk in chunks(observed):
        found = conn.execute(
            sa.select(*columns, EVENTS.c.event).where(
                EVENTS.c.dagster_event_type == "ASSET_OBSERVATION",
                EVENTS.c.asset_key.in_(chunk),
                *span.events(),
            )
        ).all()
        rows += [
            row[:4]
            for row in found
            if published_by(deserialize_value(row[4], EventLogEntry).asset_observation)
        ]
    publishes: dict[str, list[Publish]] = defaultdict(list)
    for _, key, partition, at in rows if in_order else sorted(rows, key=lambda row: row[0]):
        name = names.get(key)
        if name is not None:
            publishes[name].append(Publish(partition, utc(at)))
    return publishes


def read_step_failures(conn: sa.Connection, span: Span) -> list[tuple[str, str, datetime]]:
    """Return the (run id, step key, time) of every failed step in the span.

    Only for event logs that keep run events in the index (not SQLite's run shards).
    """
    rows = conn.execute(
        sa.select(EVENTS.c.run_id, EVENTS.c.step_key, as_text(EVENTS.c.timestamp)).where(
            EVENTS.c.dagster_event_type == "STEP_FAILURE", *span.events()
        )
    ).all()
    return [(run_id, step or "", utc(at)) for run_id, step, at in rows]
