"""read_history: a Dagster instance's event history of the mesh's products, as plain records."""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Literal

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.compile.assets import op_name
from mesh_dagster.compile.translator import MeshTranslator
from mesh_dagster.scorecard.api_history import read_api_history
from mesh_dagster.scorecard.history import History, RunFailure
from mesh_dagster.scorecard.read_plan import ReadPlan, timestamp_of
from mesh_dagster.scorecard.sql_history import read_sql_history
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
    )


def read_run_failures(
    instance: DagsterInstance, mesh: Mesh, plan: ReadPlan
) -> dict[str, list[RunFailure]]:
    """Return the failed build steps of the plan's products in its span, oldest first.

    Failed runs are few: their ids come from the run storage, then each run's
    ``STEP_FAILURE`` events name the ops (``<domain>__<name>``) that failed.
    """
    by_op = {op_name(mesh.product(name)): name for name in plan.keys}
    found: dict[str, list[RunFailure]] = defaultdict(list)
    runs = instance.get_run_records(
        filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE], updated_after=plan.start),
        order_by="create_timestamp",
        ascending=True,
    )
    for run in runs:
        partition = run.dagster_run.tags.get(PARTITION_TAG)
        records = instance.get_records_for_run(
            run.dagster_run.run_id, of_type=DagsterEventType.STEP_FAILURE
        ).records
        for record in records:
            name = by_op.get(record.event_log_entry.step_key or "")
            at = timestamp_of(record.timestamp)
            if name is not None and plan.start <= at < plan.until:
                found[name].append(RunFailure(partition, at, run.dagster_run.run_id))
    return {name: sorted(items, key=lambda item: item.timestamp) for name, items in found.items()}


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
    if method == "sql" or (method == "auto" and isinstance(storage, SqlEventLogStorage)):
        if not isinstance(storage, SqlEventLogStorage):
            raise TypeError(f"the event log {type(storage).__name__} is not SQL tables")
        histories = read_sql_history(storage, plan)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # partitioned check records are "preview"
            histories = read_api_history(instance, plan)
    failures = read_run_failures(instance, mesh, plan)
    return History(
        since=window.since,
        until=window.until,
        products={
            name: replace(history, run_failures=tuple(failures.get(name, [])))
            for name, history in histories.items()
        },
    )
