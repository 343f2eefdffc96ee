"""read_history: a Dagster instance's event history of the mesh's products, as plain records."""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Literal

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.compile.assets import op_name
from mesh_dagster.compile.translator import MeshTranslator
from mesh_dagster.scorecard.api_history import read_api_history
from mesh_dagster.scorecard.history import History, RunFailure
from mesh_dagster.scorecard.read_plan import ReadPlan, timestamp_of
from mesh_dagster.scorecard.sql_events import read_step_failures
from mesh_dagster.scorecard.sql_history import read_sql_history
from mesh_dagster.scorecard.sql_tables import Span
from mesh_dagster.scorecard.window import Window, due_periods_in, read_start
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct

Method = Literal["auto", "sql", "api"]
PARTITION_TAG = "dagster/partition"


def error_rules_of(product: DataProduct) -> frozenset[str]:
    """Return the names of the product's error-severity quality rules."""
    return frozenset(
        check.name for check in plan_checks(product).checks if check.severity == "error"
    )


def plan_read(
    mesh: Mesh,
    products: Iterable[DataProduct],
    window: Window,
    translator: MeshTranslator | None = None,
) -> ReadPlan:
    """Return what to read for ``products``: keys, error rules, and from when."""
    chosen = sorted(products, key=lambda product: product.name)
    translator = translator or MeshTranslator()
    due = due_periods_in(mesh, chosen, window)
    return ReadPlan(
        keys={product.name: translator.get_asset_key(product) for product in chosen},
        error_rules={product.name: error_rules_of(product) for product in chosen},
        start=read_start(due, window),
        until=window.until,
        observed=frozenset(product.name for product in chosen if product.is_external),
    )


def _failed_steps(
    instance: DagsterInstance, plan: ReadPlan, sql: bool
) -> list[tuple[str, str, datetime]]:
    """Return (run id, step key, time) of the failed steps of failed runs in the span.

    With ``sql``, from the event log's table (when it keeps run events: not SQLite's run
    shards); else from each failed run's events.
    """
    storage = instance.event_log_storage
    if sql and isinstance(storage, SqlEventLogStorage) and not storage.is_run_sharded:
        with storage.index_connection() as conn:
            steps = read_step_failures(conn, Span.of(conn, plan))
        failed: set[str] = set()
        run_ids = sorted({run_id for run_id, _, _ in steps})
        for start in range(0, len(run_ids), 500):
            records = instance.get_run_records(
                filters=RunsFilter(
                    run_ids=run_ids[start : start + 500], statuses=[DagsterRunStatus.FAILURE]
                )
            )
            failed |= {record.dagster_run.run_id for record in records}
        return [step for step in steps if step[0] in failed]
    runs = instance.get_run_records(
        filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE], updated_after=plan.start)
    )
    return [
        (
            run.dagster_run.run_id,
            record.event_log_entry.step_key or "",
            timestamp_of(record.timestamp),
        )
        for run in runs
        for record in instance.get_records_for_run(
            run.dagster_run.run_id, of_type=DagsterEventType.STEP_FAILURE
        ).records
    ]


def read_run_failures(
    instance: DagsterInstance, mesh: Mesh, plan: ReadPlan, sql: bool = True
) -> dict[str, list[RunFailure]]:
    """Return the failed build steps of the plan's products in its span, oldest first.

    A step is a product's when its op is the product's (``<domain>__<name>``); the period
    is the run's partition tag.
    """
    by_op = {op_name(mesh.product(name)): name for name in plan.keys}
    steps = [
        step for step in _failed_steps(instance, plan, sql) if plan.start <= step[2] < plan.until
    ]
    mine = [step for step in steps if step[1] in by_op]
    partitions: dict[str, str | None] = {}
    run_ids = sorted({run_id for run_id, _, _ in mine})
    for start in range(0, len(run_ids), 500):
        for record in instance.get_run_records(
            filters=RunsFilter(run_ids=run_ids[start : start + 500])
        ):
            partitions[record.dagster_run.run_id] = record.dagster_run.tags.get(PARTITION_TAG)
    found: dict[str, list[RunFailure]] = defaultdict(list)
    for run_id, step, at in sorted(mine, key=lambda item: (item[2], item[0])):
        found[by_op[step]].append(RunFailure(partitions.get(run_id), at, run_id))
    return dict(found)


def read_history(
    instance: DagsterInstance,
    mesh: Mesh,
    window: Window,
    products: Iterable[DataProduct] | None = None,
    translator: MeshTranslator | None = None,
    method: Method = "auto",
) -> History:
    """Return the history of ``products`` (default: all) needed for a scorecard of ``window``.

    ``method``: ``sql`` queries the event log's tables (SQLite, PostgreSQL), ``api`` uses
    Dagster's public readers (any storage), ``auto`` the first when it can.
    """
    chosen = list(products) if products is not None else list(mesh.products.values())
    plan = plan_read(mesh, chosen, window, translator)
    storage = instance.event_log_storage
    sql = method == "sql" or (method == "auto" and isinstance(storage, SqlEventLogStorage))
    if sql:
        if not isinstance(storage, SqlEventLogStorage):
            raise TypeError(f"the event log {type(storage).__name__} is not SQL tables")
        histories = read_sql_history(storage, plan)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # partitioned check records are "preview"
            histories = read_api_history(instance, plan)
    failures = read_run_failures(instance, mesh, plan, sql)
    return History(
        since=window.since,
        until=window.until,
        products={
            name: replace(history, run_failures=tuple(failures.get(name, [])))
            for name, history in histories.items()
        },
    )
