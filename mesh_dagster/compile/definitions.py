"""build_definitions: a specs folder -> Dagster Definitions."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    Definitions,
)

from mesh_dagster.alerts import resolve_channels
from mesh_dagster.compile.alert_sensor import build_alert_sensor
from mesh_dagster.compile.assets import build_product_asset
from mesh_dagster.compile.external import (
    build_external_checks,
    build_external_sensor,
    build_observe_job,
)
from mesh_dagster.compile.inputs_sensor import build_inputs_sensor
from mesh_dagster.compile.resources import (
    MeshResource,
    PiiKeyError,
    mesh_resource_from_env,
    missing_key_message,
)
from mesh_dagster.compile.schedules import build_group_job, build_schedule, group_schedules
from mesh_dagster.compile.scorecard_asset import build_scorecard_asset
from mesh_dagster.compile.sla_checks import build_sla_checks
from mesh_dagster.compile.sla_sensor import build_sla_sensor
from mesh_dagster.compile.sla_verdict_job import build_verdict_job
from mesh_dagster.compile.source_sensor import build_source_sensor
from mesh_dagster.compile.specs import build_asset_specs, source_specs
from mesh_dagster.compile.timing import TimingCatalog
from mesh_dagster.compile.translator import MeshTranslator
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh

logger = logging.getLogger("mesh_dagster")


def build_mesh_definitions(
    mesh: Mesh,
    *,
    translator: MeshTranslator | None = None,
    resources: Mapping[str, Any] | None = None,
) -> Definitions:
    """Return the Definitions of an already loaded mesh."""
    translator = translator or MeshTranslator()
    timing = TimingCatalog(mesh)
    all_resources: dict[str, Any] = {"mesh": mesh_resource_from_env()}
    all_resources.update(resources or {})
    mesh_resource = all_resources["mesh"]
    production = isinstance(mesh_resource, MeshResource) and mesh_resource.production
    products = build_asset_specs(mesh, translator, timing, catalog=production)
    assets: list[Any] = [
        build_product_asset(item, mesh) for item in products if not item.product.is_external
    ]
    external = [item for item in products if item.product.is_external]
    assets += [item.asset for item in external]
    assets += source_specs(mesh)
    assets.append(build_scorecard_asset(mesh, translator))
    _require_production_secrets(mesh, mesh_resource)
    sla_keys = [item.sla_check.key for item in products if item.sla_check is not None]
    jobs: list[Any] = []
    schedules: list[Any] = []
    groups = group_schedules(mesh, products)
    for group in groups:
        job = build_group_job(group, exclude_checks=sla_keys)
        jobs.append(job)
        tick = build_schedule(group, job)
        if tick is not None:
            schedules.append(tick)
    # In local mode a skipped channel is said by the builds whose incidents it would carry
    # (compile/channel_warnings.py), in their run log; here only for whoever debugs.
    channels = resolve_channels(mesh, os.environ, production)
    for warning in channels.warnings:
        logger.debug(warning)
    verdict_job = build_verdict_job(mesh, products)
    jobs.append(verdict_job)
    sensors = []
    checks = build_sla_checks(mesh, products)
    if external:
        observe_job = build_observe_job(mesh, products)
        jobs.append(observe_job)
        sensors.append(build_external_sensor(mesh, products, observe_job))
        checks += [build_external_checks(mesh, item) for item in external]
    sensors.append(
        # Dagster creates its default automation sensor stopped; products without a
        # schedule (built when inputs publish) and the daily scorecard rely on it.
        AutomationConditionSensorDefinition(
            "mesh_automation",
            target=AssetSelection.all(),
            default_status=DefaultSensorStatus.RUNNING,
        )
    )
    keys = {item.product.name: item.asset.key for item in products}
    if any(group.waits_for_inputs for group in groups):
        sensors.append(build_inputs_sensor(mesh, groups, jobs[: len(groups)], keys))
    source_sensor = build_source_sensor(mesh)
    if source_sensor is not None:
        sensors.append(source_sensor)
    sensors += [
        build_sla_sensor(mesh, products, verdict_job),
        build_alert_sensor(mesh, products, channels.senders),
    ]
    return Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=jobs,
        schedules=schedules,
        sensors=sensors,
        resources=all_resources,
    )


def _require_production_secrets(mesh: Mesh, resource: object) -> None:
    """Fail at load time, not at 06:00, when production's PII key is missing or too short.

    The key is needed only when some column of the mesh is hashed; a key that is set must
    be long enough either way, so a short one never waits for the first hashed column.
    """
    if not isinstance(resource, MeshResource) or not resource.production:
        return
    key = resource.production_pii_key()
    hashes = any(
        column.pii and column.pii_handling == "hashed"
        for product in mesh.products.values()
        for column in product.spec.columns
    )
    if hashes and key is None:
        raise PiiKeyError(missing_key_message(resource.pii_key_env))


def build_definitions(
    specs_path: str | os.PathLike[str],
    *,
    translator: MeshTranslator | None = None,
    resources: Mapping[str, Any] | None = None,
) -> Definitions:
    """Return the Dagster Definitions of every data product under ``specs_path``.

    Raises SpecError (every problem, located) when the specs are invalid.
    """
    return build_mesh_definitions(
        load_mesh(Path(specs_path)), translator=translator, resources=resources
    )
