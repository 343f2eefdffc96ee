"""Observing an externally built product: judge the periods a new Delta version holds.

As on Dagster: a new table version is read once; the newest period and every period not
yet published are evaluated with the product's rules; a period is published when its error
rules pass. Nothing is written to the table.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from mesh_dagster.airflow.names import OBSERVE_TASK_ID
from mesh_dagster.airflow.periods import period_of_key
from mesh_dagster.airflow.records import event_extra, period_record
from mesh_dagster.build.observed_periods import period_keys
from mesh_dagster.build.pipeline import BuildSettings, period_filter_for, table_uri
from mesh_dagster.checks.evaluate import evaluate_checks
from mesh_dagster.checks.outcome import failed_errors
from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.io.delta import open_table
from mesh_dagster.io.locations import storage_options
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct

VERSION_EXTRA = "mesh/table_version"
"""The Delta version an observation read (the next one looks for a newer version)."""

__all__ = ["OBSERVE_TASK_ID", "VERSION_EXTRA", "observe_product", "period_keys"]


def observe_product(
    mesh: Mesh,
    product: DataProduct,
    settings: BuildSettings,
    seen_version: int | None,
    already: Set[str],
) -> dict[str, Any] | None:
    """Return the asset event ``extra`` of a new table version; None when there is none."""
    uri = table_uri(product, settings.storage)
    table = open_table(uri, storage_options(uri, settings.storage))
    if table is None or (seen_version is not None and table.version() <= seen_version):
        return None
    version = int(table.version())
    rows = table.to_pyarrow_dataset().to_table()
    keys = period_keys(product, rows, mesh.timezone_of(product))
    plan = plan_checks(product)
    periods: dict[str, dict[str, Any]] = {}
    for key in keys:
        if key != keys[-1] and key in already:
            continue
        period = period_of_key(mesh, product, key)
        period_filter = period_filter_for(product, period)
        chosen = rows.filter(period_filter.expression()) if period_filter else rows
        outcomes = evaluate_checks(plan, chosen, period, settings.engine, stored=True)
        periods[key] = period_record(
            outcomes, not failed_errors(outcomes), chosen.num_rows, version
        )
    extra = event_extra(product.name, periods)
    extra[VERSION_EXTRA] = version
    return extra
