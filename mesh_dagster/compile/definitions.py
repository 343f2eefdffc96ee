"""build_definitions: a specs folder -> Dagster Definitions."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import Definitions

from mesh_dagster.compile.assets import build_product_asset
from mesh_dagster.compile.resources import mesh_resource_from_env
from mesh_dagster.compile.schedules import build_schedule, group_schedules
from mesh_dagster.compile.specs import build_asset_specs, source_specs
from mesh_dagster.compile.timing import TimingCatalog
from mesh_dagster.compile.translator import MeshTranslator
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh


def build_mesh_definitions(
    mesh: Mesh,
    *,
    translator: MeshTranslator | None = None,
    resources: Mapping[str, Any] | None = None,
) -> Definitions:
    """Return the Definitions of an already loaded mesh."""
    translator = translator or MeshTranslator()
    timing = TimingCatalog(mesh)
    products = build_asset_specs(mesh, translator, timing)
    assets: list[Any] = [
        build_product_asset(item, mesh) for item in products if not item.product.is_external
    ]
    assets += [item.asset for item in products if item.product.is_external]
    assets += source_specs(mesh)
    jobs, schedules = [], []
    for group in group_schedules(mesh, products):
        job, tick = build_schedule(group)
        jobs.append(job)
        schedules.append(tick)
    all_resources: dict[str, Any] = {"mesh": mesh_resource_from_env()}
    all_resources.update(resources or {})
    return Definitions(assets=assets, jobs=jobs, schedules=schedules, resources=all_resources)


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
