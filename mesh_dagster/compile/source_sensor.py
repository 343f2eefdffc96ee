"""The sensor that records each new version of a source's files as an observation."""

from __future__ import annotations

import json

from dagster import (
    AssetObservation,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from mesh_dagster.build.sources import SourceError, source_version
from mesh_dagster.compile.resources import MeshResource
from mesh_dagster.compile.specs import source_key
from mesh_dagster.io.errors import ServiceError
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import SourceSpec

SENSOR_NAME = "mesh_sources"


def mesh_sources(mesh: Mesh) -> dict[str, tuple[SourceSpec, str]]:
    """Return each distinct source by name, with the spec field it was first declared at."""
    found: dict[str, tuple[SourceSpec, str]] = {}
    for name, product in sorted(mesh.products.items()):
        for index, item in enumerate(product.spec.inputs):
            if item.source is not None and item.source.name not in found:
                where = f"{mesh.sources[name].file if name in mesh.sources else name}: "
                found[item.source.name] = (item.source, f"{where}spec.inputs[{index}].source")
    return found


def build_source_sensor(mesh: Mesh) -> SensorDefinition | None:
    """Return the sensor observing the mesh's sources (None when it reads none)."""
    sources = mesh_sources(mesh)
    if not sources:
        return None

    @sensor(
        name=SENSOR_NAME,
        required_resource_keys={"mesh"},
        minimum_interval_seconds=300,
        default_status=DefaultSensorStatus.RUNNING,
        description="Records each new version of a source's files (or Delta table).",
    )
    def _sources(context: SensorEvaluationContext) -> SensorResult:
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        resource: MeshResource = context.resources.mesh
        storage = resource.storage()
        events = []
        for name, (source, where) in sources.items():
            try:
                version = source_version(source, storage, where)
            except (SourceError, ServiceError) as error:
                context.log.warning(str(error))
                continue
            if seen.get(name) == version:
                continue
            seen[name] = version
            events.append(
                AssetObservation(
                    asset_key=source_key(name),
                    metadata={"version": version},
                )
            )
        return SensorResult(asset_events=events, cursor=json.dumps(seen, sort_keys=True))

    return _sources
