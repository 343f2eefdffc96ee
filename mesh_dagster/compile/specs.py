"""Pure mapping of the mesh onto Dagster specs: one asset and its checks per product."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from dagster import (
    AllPartitionMapping,
    AssetCheckSpec,
    AssetDep,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    Backoff,
    Jitter,
    PartitionMapping,
    PartitionsDefinition,
    RetryPolicy,
)

from mesh_dagster.checks.plan import CheckPlan, plan_checks
from mesh_dagster.compile.overlap_mapping import TimeOverlapPartitionMapping
from mesh_dagster.compile.timing import TimingCatalog
from mesh_dagster.compile.translator import MeshTranslator
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct, InputSpec
from mesh_dagster.spec.policy_models import RetrySettings

SLA_CHECK = "sla"
CATALOG_DRIFT_CHECK = "catalog_drift"


@dataclass(frozen=True)
class ProductSpecs:
    """A product's Dagster asset spec with its planned checks and their Dagster specs."""

    product: DataProduct
    asset: AssetSpec
    plan: CheckPlan
    checks: tuple[AssetCheckSpec, ...]
    sla_check: AssetCheckSpec | None
    catalog_check: AssetCheckSpec | None = None
    retry_policy: RetryPolicy | None = None


def source_key(name: str) -> AssetKey:
    """Return the asset key of an external source input."""
    return AssetKey(["sources", name.replace("-", "_")])


def input_mapping(product: DataProduct, item: InputSpec, mesh: Mesh) -> PartitionMapping | None:
    """Return how the product's periods map onto a product input's (None: Dagster's default).

    ``window: all`` reads every period. Between time-partitioned products in different
    timezones, a period reads the input periods overlapping it in time; within one
    timezone Dagster's default already does (the identity for the same partitioning).
    """
    assert item.product is not None
    upstream = mesh.product(item.product)
    if upstream.spec.partitioning is None:
        return None
    if item.window == "all":
        return AllPartitionMapping()
    if product.spec.partitioning is None:
        return None
    if mesh.timezone_of(product) != mesh.timezone_of(upstream):
        return TimeOverlapPartitionMapping()
    return None


def _deps(product: DataProduct, translator: MeshTranslator, mesh: Mesh) -> list[AssetDep]:
    deps: list[AssetDep] = []
    for item in product.spec.inputs:
        if item.source is not None:
            deps.append(AssetDep(source_key(item.source.name)))
            continue
        assert item.product is not None
        upstream = translator.get_asset_key(mesh.product(item.product))
        deps.append(AssetDep(upstream, partition_mapping=input_mapping(product, item, mesh)))
    return deps


def build_retry_policy(settings: RetrySettings) -> RetryPolicy | None:
    """Return the step retry policy of the policy's ``retries`` (None for one attempt).

    Waits grow exponentially (``delay``, then 3x, 7x ... ``delay`` after the failure), each
    give or take up to one ``delay`` of jitter, so builds failing together do not retry
    together. Dagster retries only failures that allow it: the build marks terminal ones.
    """
    if settings.attempts <= 1:
        return None
    return RetryPolicy(
        max_retries=settings.attempts - 1,
        delay=settings.delay.total_seconds(),
        backoff=Backoff.EXPONENTIAL,
        jitter=Jitter.PLUS_MINUS,
    )


def _automation(product: DataProduct) -> AutomationCondition[Any] | None:
    """Return eager automation for unscheduled products with inputs (built when inputs publish)."""
    if product.spec.schedule is None and product.spec.inputs and not product.is_external:
        return AutomationCondition.eager()
    return None


def registers_in_catalog(product: DataProduct, catalog: bool) -> bool:
    """Return whether publishes of ``product`` are registered in Glue (S3 mode only)."""
    output = product.spec.output
    return catalog and output.catalog == "glue" and output.location.startswith("s3://")


def build_product_specs(
    product: DataProduct,
    mesh: Mesh,
    translator: MeshTranslator,
    timing: TimingCatalog,
    catalog: bool = False,
) -> ProductSpecs:
    """Return the Dagster specs of one product; ``catalog``: register publishes in Glue."""
    key = translator.get_asset_key(product)
    partitions_def = timing.partitions_def(product)
    asset = AssetSpec(
        key=key,
        deps=_deps(product, translator, mesh),
        description=translator.get_description(product),
        metadata=translator.get_metadata(product, mesh),
        group_name=translator.get_group_name(product),
        code_version=translator.get_code_version(product),
        owners=translator.get_owners(product),
        tags=translator.get_tags(product),
        kinds=translator.get_kinds(product),
        partitions_def=partitions_def,
        freshness_policy=timing.freshness_policy(product),
        automation_condition=_automation(product),
        skippable=True,
    )
    plan = plan_checks(product)
    with warnings.catch_warnings():
        # Partitioned check specs are "preview" in Dagster 1.13; they are what records
        # results per partition, so the warning is expected here.
        warnings.simplefilter("ignore")
        checks, sla_check = _check_specs(product, key, plan, partitions_def)
        catalog_check = None
        if registers_in_catalog(product, catalog):
            catalog_check = AssetCheckSpec(
                name=CATALOG_DRIFT_CHECK,
                asset=key,
                description="The Glue table matches what the platform last registered.",
                partitions_def=partitions_def,
                metadata={"mesh/kind": "catalog_drift", "mesh/severity": "warn"},
            )
    retry_policy = build_retry_policy(mesh.policy.retries)
    return ProductSpecs(product, asset, plan, checks, sla_check, catalog_check, retry_policy)


def _check_specs(
    product: DataProduct,
    key: AssetKey,
    plan: CheckPlan,
    partitions_def: PartitionsDefinition | None,
) -> tuple[tuple[AssetCheckSpec, ...], AssetCheckSpec | None]:
    checks = tuple(
        AssetCheckSpec(
            name=check.name,
            asset=key,
            description=check.description,
            blocking=check.severity == "error",
            partitions_def=partitions_def,
            metadata={"mesh/kind": check.kind, "mesh/severity": check.severity},
        )
        for check in plan.checks
    )
    sla_check = None
    if product.spec.sla is not None:
        sla_check = AssetCheckSpec(
            name=SLA_CHECK,
            asset=key,
            description="Each period is published by its SLA deadline (judged by a sensor).",
            partitions_def=partitions_def,
        )
    return checks, sla_check


def build_asset_specs(
    mesh: Mesh,
    translator: MeshTranslator | None = None,
    timing: TimingCatalog | None = None,
    catalog: bool = False,
) -> list[ProductSpecs]:
    """Return the Dagster specs of every product of the mesh, in name order."""
    translator = translator or MeshTranslator()
    timing = timing or TimingCatalog(mesh)
    return [
        build_product_specs(product, mesh, translator, timing, catalog)
        for product in mesh.products.values()
    ]


def source_specs(mesh: Mesh) -> list[AssetSpec]:
    """Return one external asset spec per distinct source input."""
    seen: dict[AssetKey, AssetSpec] = {}
    for product in mesh.products.values():
        for item in product.spec.inputs:
            if item.source is None:
                continue
            key = source_key(item.source.name)
            seen.setdefault(
                key,
                AssetSpec(
                    key=key,
                    description=f"External {item.source.format} data at {item.source.location}.",
                    group_name="sources",
                    kinds={item.source.format},
                    metadata={"dagster/uri": item.source.location},
                ),
            )
    return list(seen.values())
