"""Write-audit-publish of one product period: transform, prepare, check, then publish."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyarrow as pa

from mesh_dagster.build.context import TransformContext
from mesh_dagster.build.engine_duckdb import (
    StagingTarget,
    publish_schema,
    stage_sql_transform,
    stage_table,
)
from mesh_dagster.build.inputs import (
    InputMissingError,
    input_datasets,
    period_filter_for,
    published_dataset,
    table_uri,
)
from mesh_dagster.build.limits import query_time_limit
from mesh_dagster.build.transform import run_transform
from mesh_dagster.checks.engine import EngineSettings
from mesh_dagster.checks.evaluate import evaluate_checks
from mesh_dagster.checks.outcome import CheckOutcome, failed_errors
from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.io.delta import commit_staged, open_table, storage_errors
from mesh_dagster.io.errors import DataValueError
from mesh_dagster.io.locations import StorageSettings, storage_options
from mesh_dagster.io.pii import PiiKeyMissingError, hashed_columns_of_inputs
from mesh_dagster.io.pii_sql import prepare_key
from mesh_dagster.io.staging import Staging, discard, staged_dataset
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.periods import Period

__all__ = [
    "BuildResult",
    "BuildSettings",
    "InputMissingError",
    "build_product",
    "period_filter_for",
    "read_published",
    "table_uri",
]


@dataclass(frozen=True)
class BuildSettings:
    """Everything a build needs from its environment."""

    storage: StorageSettings
    engine: EngineSettings
    pii_key: bytes | None
    pii_key_env: str = "MESH_PII_KEY"


@dataclass(frozen=True)
class BuildResult:
    """What a build did: the check outcomes, and what was published if anything."""

    outcomes: list[CheckOutcome]
    published: bool
    rows: int
    uri: str
    version: int | None
    seconds: float

    @property
    def failed_errors(self) -> list[CheckOutcome]:
        """Return the failed error-severity outcomes (those that blocked the publish)."""
        return failed_errors(self.outcomes)


def read_published(
    product: DataProduct, period: Period | None, storage: StorageSettings
) -> pa.Table | None:
    """Return the product's published rows of ``period`` (all if None), None if absent."""
    rows = published_dataset(product, period, storage)
    return None if rows is None else rows.to_table()


def build_context(
    mesh: Mesh, product: DataProduct, period: Period | None, storage: StorageSettings
) -> TransformContext:
    """Return the transform context: the inputs limited to the period, and the window.

    A ``python:`` transform receives its inputs as Arrow tables (read whole, in memory);
    a SQL transform scans them lazily (``input_datasets``) and gets none here.
    """
    datasets = input_datasets(mesh, product, period, storage)
    return _context(product, period, {name: rows.to_table() for name, rows in datasets.items()})


def _context(
    product: DataProduct, period: Period | None, inputs: dict[str, pa.Table]
) -> TransformContext:
    return TransformContext(
        product=product,
        inputs=inputs,
        partition_key=period.key if period else None,
        partition_start=period.start if period else None,
        partition_end=period.end if period else None,
    )


def passthrough_columns(mesh: Mesh, product: DataProduct) -> set[str]:
    """Return the columns already hashed by an input product (published unchanged)."""
    upstream = [mesh.product(i.product) for i in product.spec.inputs if i.product is not None]
    return hashed_columns_of_inputs(upstream)


def _staging_target(mesh: Mesh, product: DataProduct, settings: BuildSettings) -> StagingTarget:
    """Return where the period is staged; raise PiiKeyMissingError before any work."""
    passthrough = passthrough_columns(mesh, product)
    hashed = [
        column.name
        for column in product.spec.columns
        if column.pii and column.pii_handling == "hashed" and column.name not in passthrough
    ]
    if hashed and settings.pii_key is None:
        raise PiiKeyMissingError(
            f"the PII hashing key is missing: '{product.name}' hashes the column "
            f"'{hashed[0]}'; set the environment variable {settings.pii_key_env} (a long "
            "random secret of at least 32 bytes)."
        )
    uri = table_uri(product, settings.storage)
    partitioning = product.spec.partitioning
    column = product.column(partitioning.column) if partitioning else None
    return StagingTarget(
        uri=uri,
        options=storage_options(uri, settings.storage),
        partition_by=column.name if column is not None and column.type == "date" else None,
        key=prepare_key(settings.pii_key) if hashed and settings.pii_key else None,
        passthrough=frozenset(passthrough),
    )


def stage_period(
    mesh: Mesh, product: DataProduct, period: Period | None, settings: BuildSettings
) -> Staging:
    """Run the product's transform for ``period`` and stage its rows (cast, PII applied)."""
    target = _staging_target(mesh, product, settings)
    limit = query_time_limit(mesh, product)
    transform = product.spec.transform
    if transform is not None and transform.sql is not None:
        inputs = input_datasets(mesh, product, period, settings.storage)
        context = _context(product, period, {})
        return stage_sql_transform(transform.sql, context, inputs, settings.engine, limit, target)
    context = build_context(mesh, product, period, settings.storage)
    result = run_transform(context, settings.engine, limit)
    open_table(target.uri, target.options)  # an unusable store fails before any file
    return stage_table(result, product, settings.engine, target)


def build_product(
    mesh: Mesh, product: DataProduct, period: Period | None, settings: BuildSettings
) -> BuildResult:
    """Build one period of ``product``; publish only if every error-severity check passed.

    Write-audit-publish: the rows are staged as Parquet files in the table's folder (no
    reader sees them), the checks run on the staged files, and only when every error rule
    passed does one Delta commit replace the period's files with them. Otherwise, or on
    any failure, the staged files are deleted and the table's version is unchanged.
    """
    started = time.monotonic()
    uri = table_uri(product, settings.storage)
    options = storage_options(uri, settings.storage)
    with storage_errors(uri, options):
        staging = stage_period(mesh, product, period, settings)
    try:
        limit = query_time_limit(mesh, product)
        plan = plan_checks(product)
        outcomes = evaluate_checks(plan, staged_dataset(staging), period, settings.engine, limit)
        if failed_errors(outcomes):
            discard(staging)
            return BuildResult(
                outcomes, False, staging.rows, staging.uri, None, time.monotonic() - started
            )
        rows = staging.rows
        if staging.schema != publish_schema(product):
            raise DataValueError(
                f"'{product.name}' cannot be published: its rows do not have the declared "
                "columns and types"
            )
        version = commit_staged(staging, period_filter_for(product, period))
    except BaseException:
        discard(staging)
        raise
    return BuildResult(outcomes, True, rows, staging.uri, version, time.monotonic() - started)
