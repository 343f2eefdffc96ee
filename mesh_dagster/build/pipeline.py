"""Write-audit-publish of one product period: transform, prepare, check, then publish."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from mesh_dagster.build.context import TransformContext, view_name
from mesh_dagster.build.limits import query_time_limit
from mesh_dagster.build.prepare import cast_to_schema, publishable
from mesh_dagster.build.transform import run_transform
from mesh_dagster.checks.engine import EngineSettings
from mesh_dagster.checks.evaluate import evaluate_checks
from mesh_dagster.checks.outcome import CheckOutcome, failed_errors
from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.io.delta import PeriodFilter, read_rows, write_period
from mesh_dagster.io.locations import StorageSettings, resolve_location, storage_options
from mesh_dagster.io.pii import apply_pii, hashed_columns_of_inputs
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct, InputSpec, SourceSpec
from mesh_dagster.spec.periods import Period


class InputMissingError(RuntimeError):
    """Raised when an input product has not published the data a build needs."""


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


def period_filter_for(product: DataProduct, period: Period | None) -> PeriodFilter | None:
    """Return the filter selecting the product's rows of ``period`` (None if unpartitioned)."""
    partitioning = product.spec.partitioning
    if partitioning is None or period is None:
        return None
    column = product.column(partitioning.column)
    assert column is not None  # validated at load time
    return PeriodFilter(partitioning.column, column.type == "date", period)


def table_uri(product: DataProduct, storage: StorageSettings) -> str:
    """Return where the product's table really lives."""
    return resolve_location(product.spec.output.location, storage)


def read_published(
    product: DataProduct, period: Period | None, storage: StorageSettings
) -> pa.Table | None:
    """Return the product's published rows of ``period`` (all if None), None if absent."""
    uri = table_uri(product, storage)
    return read_rows(uri, storage_options(uri, storage), period_filter_for(product, period))


def _read_source(source: SourceSpec, storage: StorageSettings) -> pa.Table:
    uri = resolve_location(source.location, storage, confined=False)
    if source.format == "delta":
        rows = read_rows(uri, storage_options(uri, storage), None)
        if rows is None:
            raise InputMissingError(f"source '{source.name}' has no Delta table at {uri}")
        return rows
    if source.format == "parquet":
        return pq.read_table(uri)
    return pa_csv.read_csv(uri)


def _read_input(
    mesh: Mesh, item: InputSpec, period: Period | None, storage: StorageSettings
) -> tuple[str, pa.Table]:
    if item.source is not None:
        return view_name(item.source.name), _read_source(item.source, storage)
    assert item.product is not None
    upstream = mesh.product(item.product)
    window = period if item.window == "partition" else None
    rows = read_published(upstream, window, storage)
    if rows is None:
        raise InputMissingError(
            f"input product '{upstream.name}' has not published anything yet; build it first"
        )
    return view_name(upstream.name), rows


def build_context(
    mesh: Mesh, product: DataProduct, period: Period | None, storage: StorageSettings
) -> TransformContext:
    """Return the transform context: the inputs limited to the period, and the window."""
    inputs = dict(_read_input(mesh, item, period, storage) for item in product.spec.inputs)
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


def build_product(
    mesh: Mesh, product: DataProduct, period: Period | None, settings: BuildSettings
) -> BuildResult:
    """Build one period of ``product``; publish only if every error-severity check passed."""
    started = time.monotonic()
    context = build_context(mesh, product, period, settings.storage)
    limit = query_time_limit(mesh, product)
    result = run_transform(context, settings.engine, limit)
    prepared = apply_pii(
        cast_to_schema(result, product),
        product,
        settings.pii_key,
        passthrough_columns(mesh, product),
        settings.pii_key_env,
    )
    outcomes = evaluate_checks(plan_checks(product), prepared, period, settings.engine, limit)
    uri = table_uri(product, settings.storage)
    if failed_errors(outcomes):
        return BuildResult(
            outcomes, False, prepared.num_rows, uri, None, time.monotonic() - started
        )
    version = write_period(
        publishable(prepared, product),
        uri,
        storage_options(uri, settings.storage),
        period_filter_for(product, period),
    )
    return BuildResult(outcomes, True, prepared.num_rows, uri, version, time.monotonic() - started)
