"""Executable assets: each product's build step, reporting its checks before publishing."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from mesh_dagster.build.pipeline import BuildResult, build_product
from mesh_dagster.checks.outcome import CheckOutcome, summarize_failures
from mesh_dagster.compile.names import dagster_name
from mesh_dagster.compile.resources import MeshResource
from mesh_dagster.compile.specs import ProductSpecs
from mesh_dagster.compile.timing import period_of_key
from mesh_dagster.io.errors import ServiceError
from mesh_dagster.io.glue import build_glue_client, detect_drift, fetch_table, register_table
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct


def check_metadata(outcome: CheckOutcome) -> dict[str, Any]:
    """Return the metadata shown with a check result (figures, SQL, grain-key samples)."""
    metadata: dict[str, Any] = {
        "kind": outcome.kind,
        "rows_checked": outcome.rows_checked,
        "failing_rows": outcome.failing_rows,
        "failing_ratio": float(outcome.failing_ratio),
        "sql": MetadataValue.md(f"```sql\n{outcome.sql}\n```"),
        "detail": outcome.detail,
    }
    if outcome.sample_keys:
        metadata["sample_failing_keys"] = MetadataValue.json(list(outcome.sample_keys))
    return metadata


def check_results(specs: ProductSpecs, outcomes: list[CheckOutcome]) -> Iterator[AssetCheckResult]:
    """Yield one Dagster check result per outcome."""
    for outcome in outcomes:
        yield AssetCheckResult(
            asset_key=specs.asset.key,
            check_name=outcome.name,
            passed=outcome.passed,
            severity=(
                AssetCheckSeverity.ERROR if outcome.severity == "error" else AssetCheckSeverity.WARN
            ),
            metadata=check_metadata(outcome),
        )


def check_evaluations(
    specs: ProductSpecs, outcomes: list[CheckOutcome], partition: str | None
) -> list[AssetCheckEvaluation]:
    """Return the outcomes as check evaluations of ``partition`` (logged outside a build)."""
    return [
        AssetCheckEvaluation(
            asset_key=result.asset_key or specs.asset.key,
            check_name=result.check_name or "",
            passed=result.passed,
            severity=result.severity,
            metadata=dict(result.metadata or {}),
            partition=partition,
        )
        for result in check_results(specs, outcomes)
    ]


def _materialization(
    specs: ProductSpecs, result: BuildResult, key: str | None
) -> MaterializeResult:  # type: ignore[type-arg]
    metadata: dict[str, Any] = {
        "dagster/row_count": result.rows,
        "rows_written": result.rows,
        "delta_version": result.version,
        "duration_seconds": round(result.seconds, 3),
        "dagster/uri": MetadataValue.path(result.uri),
    }
    if key is not None:
        metadata["partition"] = key
    return MaterializeResult(asset_key=specs.asset.key, metadata=metadata)


def op_name(product: DataProduct) -> str:
    """Return the name of the op that builds ``product`` (``orders__orders_daily``)."""
    return dagster_name(f"{product.domain}__{product.name}")


def build_product_asset(specs: ProductSpecs, mesh: Mesh) -> AssetsDefinition:
    """Return the asset that builds, audits and publishes one product."""
    product = specs.product

    catalog_checks = [specs.catalog_check] if specs.catalog_check else []

    @multi_asset(
        name=op_name(product),
        specs=[specs.asset],
        check_specs=[*specs.checks, *catalog_checks],
        required_resource_keys={"mesh"},
        op_tags={"mesh/product": product.name},
    )
    def _build(context: AssetExecutionContext) -> Iterator[Any]:
        resource: MeshResource = context.resources.mesh
        settings, notice = resource.build_settings(context.instance)
        if notice:
            context.log.warning(notice)
        key = context.partition_key if context.has_partition_key else None
        period = period_of_key(mesh, product, key) if key is not None else None
        try:
            result = build_product(mesh, product, period, settings)
        except ServiceError as error:  # storage: terminal errors are not retried
            raise Failure(description=str(error), allow_retries=error.transient) from None
        yield from check_results(specs, result.outcomes)
        if not result.published:
            raise Failure(
                description=(
                    f"'{product.name}' was not published"
                    + (f" for {key}" if key else "")
                    + ": "
                    + summarize_failures(result.outcomes)
                ),
                allow_retries=False,
            )
        if specs.catalog_check is None:
            yield _materialization(specs, result, key)
            return
        glue = build_glue_client(resource.glue_endpoint, resource.s3_region)
        drift = detect_drift(product, fetch_table(product, glue), result.uri)
        yield AssetCheckResult(
            asset_key=specs.asset.key,
            check_name=specs.catalog_check.name,
            passed=not drift.drifted,
            severity=AssetCheckSeverity.WARN,
            metadata={"summary": drift.describe(), "differences": list(drift.differences)},
        )
        # The data is published: record it before the catalog, which the next run retries.
        yield _materialization(specs, result, key)
        try:
            registration = register_table(product, result.uri, glue)
        except ServiceError as error:
            raise Failure(description=str(error), allow_retries=error.transient) from None
        context.log.info(f"Glue table {registration.table}: {registration.action}")

    return _build
