"""mesh-dagster: data-mesh data product specs as SLA-governed Dagster assets.

Every public name is imported on first use: the spec API (``load_mesh``, models, errors)
never imports Dagster, and ``import mesh_dagster`` alone imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesh_dagster.lazy import lazy_names

if TYPE_CHECKING:
    from mesh_dagster.compile import (
        MeshResource,
        MeshTranslator,
        build_asset_specs,
        build_definitions,
        build_mesh_definitions,
    )
    from mesh_dagster.compile.component import MeshComponent
    from mesh_dagster.spec import DataProduct, Mesh, MeshPolicy, SpecError, SpecProblem, load_mesh

__getattr__ = lazy_names(
    __name__,
    {
        "DataProduct": "mesh_dagster.spec",
        "Mesh": "mesh_dagster.spec",
        "MeshPolicy": "mesh_dagster.spec",
        "SpecError": "mesh_dagster.spec",
        "SpecProblem": "mesh_dagster.spec",
        "load_mesh": "mesh_dagster.spec",
        "MeshResource": "mesh_dagster.compile",
        "MeshTranslator": "mesh_dagster.compile",
        "build_asset_specs": "mesh_dagster.compile",
        "build_definitions": "mesh_dagster.compile",
        "build_mesh_definitions": "mesh_dagster.compile",
        "MeshComponent": "mesh_dagster.compile.component",
    },
)

__all__ = [
    "DataProduct",
    "Mesh",
    "MeshComponent",
    "MeshPolicy",
    "MeshResource",
    "MeshTranslator",
    "SpecError",
    "SpecProblem",
    "build_asset_specs",
    "build_definitions",
    "build_mesh_definitions",
    "load_mesh",
]
