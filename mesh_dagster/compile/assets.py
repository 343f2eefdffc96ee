"""Executable assets: each product's build step, reporting its checks before publishing."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    DagsterError,
    DagsterInstance,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from mesh_dagster.build.failure_kinds import BuildFailure, classify_failure
from mesh_dagster.build.pipeline import BuildResult, build_product
from mesh_dagster.checks.outcome import CheckOutcome, summarize_failures
from mesh_dagster.compile import channel_warnings
from mesh_dagster.compile.inputs_sensor import SENSOR_NAME as INPUTS_SENSOR
from mesh_dagster.compile.names import dagster_name
from mesh_dagster.compile.resources import MeshResource
from mesh_dagster.compile.sla_sensor import first_publish
from mesh_dagster.compile.specs import ProductSpecs
from mesh_dagster.compile.timing import period_of_key
from mesh_dagster.io.glue import build_glue_client, detect_drift, fetch_table, register_table
from mesh_dagster.spec.input_periods import InputPeriod, unpublished_input_periods
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.periods import Period


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


def build_failure(failure: BuildFailure) -> Failure:
    """Return a build's failure for Dagster: retried by the step's policy only if transient."""
    return Failure(
        description=failure.message,
        metadata={"mesh/failure_kind": failure.kind, "mesh/transient": failure.transient},
        allow_retries=failure.transient,
    )


def input_keys(specs: ProductSpecs) -> dict[str, AssetKey]:
    """Return the asset key of each input product, by name (deps follow the inputs' order)."""
    return {
        item.product: dep.asset_key
        for item, dep in zip(specs.product.spec.inputs, specs.asset.deps, strict=True)
        if item.product is not None
    }


def missing_input_failure(
    product: DataProduct, period: Period, missing: list[InputPeriod]
) -> Failure:
    """Return the failure of a build whose input periods are not published (never retried)."""
    names = ", ".join(str(item) for item in missing)
    inputs = f"input {names} is" if len(missing) == 1 else f"inputs {names} are"
    they = "it is" if len(missing) == 1 else "they are"
    return Failure(
        description=(
            f"{product.name} {period.key} was not built: its {inputs} not published yet; "
            f"the {INPUTS_SENSOR} sensor builds it once {they}, or build {names} first."
        ),
        metadata={"mesh/failure_kind": "missing_input", "mesh/transient": False},
        allow_retries=False,
    )


def unpublished_inputs(
    instance: DagsterInstance, specs: ProductSpecs, mesh: Mesh, period: Period
) -> list[InputPeriod]:
    """Return the input periods ``period`` reads that are not published in ``instance``."""
    keys = input_keys(specs)
    return unpublished_input_periods(
        mesh,
        specs.product,
        period,
        lambda name, key: first_publish(instance, keys[name], key) is not None,
    )


def build_product_asset(specs: ProductSpecs, mesh: Mesh) -> AssetsDefinition:
    """Return the asset that builds, audits and publishes one product.

    A transient failure is retried under the policy's ``retries`` (exponential backoff with
    jitter); any other failure fails the step at once.
    """
    product = specs.product

    catalog_checks = [specs.catalog_check] if specs.catalog_check else []

    @multi_asset(
        name=op_name(product),
        specs=[specs.asset],
        check_specs=[*specs.checks, *catalog_checks],
        required_resource_keys={"mesh"},
        op_tags={"mesh/product": product.name},
        retry_policy=specs.retry_policy,
    )
    def _build(context: AssetExecutionContext) -> Iterator[Any]:
        try:
            yield from _build_steps(context, specs, mesh)
        except (Failure, DagsterError):  # ours already, or Dagster's own
            raise
        except Exception as error:
            failure = classify_failure(error, product.name)
            # A known failure is a sentence of ours; a bug keeps its traceback.
            if failure.expected:
                raise build_failure(failure) from None
            raise build_failure(failure) from error

    return _build


def _build_steps(context: AssetExecutionContext, specs: ProductSpecs, mesh: Mesh) -> Iterator[Any]:
    """Yield the build's check results and materialization; raise on any failure."""
    product = specs.product
    resource: MeshResource = context.resources.mesh
    settings, notice = resource.build_settings(context.instance)
    if notice:
        context.log.warning(notice)
    if not resource.production:
        for warning in channel_warnings.PROCESS_WARNINGS.for_product(mesh, product):
            context.log.warning(warning)
    key = context.partition_key if context.has_partition_key else None
    period = period_of_key(mesh, product, key) if key is not None else None
    if period is not None:
        # Never over a missing input period: it would read no rows (DESIGN: missing inputs).
        missing = unpublished_inputs(context.instance, specs, mesh, period)
        if missing:
            raise missing_input_failure(product, period, missing)
    result = build_product(mesh, product, period, settings)
    yield from check_results(specs, result.outcomes)
    if not result.published:
        raise Failure(
            description=(
                f"'{product.name}' was not published"
                + (f" for {key}" if key else "")
                + ": "
                + summarize_failures(result.outcomes)
            ),
            metadata={"mesh/failure_kind": "blocked_publish", "mesh/transient": False},
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
    # The data is published: record it before the catalog, whose failure is retried.
    yield _materialization(specs, result, key)
    registration = register_table(product, result.uri, glue)
    context.log.info(f"Glue table {registration.table}: {registration.action}")
