"""Externally built products: their checks, and observing each new Delta version.

A product without a transform is built outside the platform. The ``mesh_external``
sensor notices a new version of its table and requests a run of ``mesh_observe_external``,
which evaluates the product's checks on the periods that version holds and records an
observation per period; a period counts as published when its error checks passed.
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

import json
from collections.abc import Iterator, Sequence

import pyarrow as pa
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetObservation,
    Config,
    DefaultSensorStatus,
    JobDefinition,
    OpExecutionContext,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    job,
    multi_asset_check,
    op,
    sensor,
)

from mesh_dagster.build.observed_periods import period_keys
from mesh_dagster.build.pipeline import period_filter_for, table_uri
from mesh_dagster.checks.evaluate import evaluate_checks
from mesh_dagster.checks.outcome import CheckOutcome, failed_errors
from mesh_dagster.compile.assets import check_evaluations, check_results
from mesh_dagster.compile.publish_index import PUBLISHED_METADATA, PublishIndex
from mesh_dagster.compile.resources import MeshResource
from mesh_dagster.compile.specs import ProductSpecs
from mesh_dagster.compile.timing import period_of_key
from mesh_dagster.io.delta import open_table
from mesh_dagster.io.locations import storage_options
from mesh_dagster.spec.mesh import Mesh

OBSERVE_JOB = "mesh_observe_external"
SENSOR_NAME = "mesh_external"


class ObserveConfig(Config):
    """Which product to observe, at which Delta version."""

    product: str
    version: int


def published_rows(
    mesh: Mesh,
    item: ProductSpecs,
    resource: MeshResource,
    version: int | None,
    key: str | None = None,
) -> pa.Table:
    """Return the product's published rows at ``version`` (latest if None), of period ``key``."""
    storage = resource.storage()
    uri = table_uri(item.product, storage)
    table = open_table(uri, storage_options(uri, storage))
    if table is None:
        return pa.table({})
    if version is not None:
        table.load_as_version(version)
    period_filter = None
    if key is not None:
        period_filter = period_filter_for(item.product, period_of_key(mesh, item.product, key))
    return table.to_pyarrow_dataset().to_table(
        filter=period_filter.expression() if period_filter else None
    )


def evaluate_period(
    mesh: Mesh, item: ProductSpecs, resource: MeshResource, key: str, rows: pa.Table
) -> tuple[list[CheckOutcome], int]:
    """Return the check outcomes of one period of ``rows``, and its row count."""
    if rows.num_rows == 0:
        return [], 0
    period = period_of_key(mesh, item.product, key)
    period_filter = period_filter_for(item.product, period)
    if period_filter is not None:
        rows = rows.filter(period_filter.expression())
    return evaluate_checks(item.plan, rows, period, resource.engine(), stored=True), rows.num_rows


def build_external_checks(mesh: Mesh, item: ProductSpecs) -> AssetChecksDefinition:
    """Return the product's quality checks, runnable on demand on a published period."""

    @multi_asset_check(
        specs=list(item.checks),
        can_subset=True,
        name=f"{item.asset.key.path[0]}__{item.product.name}_checks".replace("-", "_"),
        required_resource_keys={"mesh"},
    )
    def _checks(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
        resource: MeshResource = context.resources.mesh
        key = context.partition_key
        rows = published_rows(mesh, item, resource, None, key)
        outcomes, _ = evaluate_period(mesh, item, resource, key, rows)
        selected = {key.name for key in context.selected_asset_check_keys}
        for result in check_results(item, outcomes):
            if result.check_name in selected:
                yield result

    return _checks


def build_observe_job(mesh: Mesh, products: Sequence[ProductSpecs]) -> JobDefinition:
    """Return the job that evaluates a new version of an external product's table."""
    by_name = {item.product.name: item for item in products if item.product.is_external}

    @op(name="observe_external_product", required_resource_keys={"mesh"})
    def _observe(context: OpExecutionContext, config: ObserveConfig) -> None:
        item = by_name[config.product]
        resource: MeshResource = context.resources.mesh
        rows = published_rows(mesh, item, resource, config.version)  # read once, split by period
        keys = period_keys(item.product, rows, mesh.timezone_of(item.product))
        # The newest period, and every period not yet published, are (re)evaluated.
        published = PublishIndex(context.instance)
        published.prefetch((item.asset.key, key) for key in keys[:-1])  # one bulk read
        due = [
            key
            for key in keys
            if key == keys[-1] or not published.is_published(item.asset.key, key)
        ]
        for key in due:
            outcomes, count = evaluate_period(mesh, item, resource, key, rows)
            for evaluation in check_evaluations(item, outcomes, key):
                # log_event records check evaluations too; its annotation lags behind.
                context.log_event(evaluation)  # type: ignore[arg-type]
            context.log_event(
                AssetObservation(
                    asset_key=item.asset.key,
                    partition=key,
                    metadata={
                        "delta_version": config.version,
                        "rows": count,
                        PUBLISHED_METADATA: not failed_errors(outcomes),
                    },
                )
            )

    @job(name=OBSERVE_JOB, description="Evaluates new versions of externally built products.")
    def _job() -> None:
        _observe()

    return _job


def build_external_sensor(
    mesh: Mesh, products: Sequence[ProductSpecs], observe_job: JobDefinition
) -> SensorDefinition:
    """Return the sensor that requests an observation for each new table version."""
    external = [item for item in products if item.product.is_external]

    @sensor(
        name=SENSOR_NAME,
        job=observe_job,
        required_resource_keys={"mesh"},
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Observes new Delta versions of externally built products.",
    )
    def _external(context: SensorEvaluationContext) -> SensorResult:
        seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
        resource: MeshResource = context.resources.mesh
        storage = resource.storage()
        runs = []
        for item in external:
            uri = table_uri(item.product, storage)
            table = open_table(uri, storage_options(uri, storage))
            if table is None or table.version() <= seen.get(item.product.name, -1):
                continue
            version = int(table.version())
            seen[item.product.name] = version
            runs.append(
                RunRequest(
                    run_key=f"observe-{item.product.name}-v{version}",
                    run_config={
                        "ops": {
                            "observe_external_product": {
                                "config": {"product": item.product.name, "version": version}
                            }
                        }
                    },
                    tags={"mesh/product": item.product.name},
                )
            )
        return SensorResult(run_requests=runs, cursor=json.dumps(seen, sort_keys=True))

    return _external
