"""mesh-dagster: data-mesh data product specs as SLA-governed Dagster assets.

The spec API (``load_mesh``, models, errors) imports without Dagster; the Dagster API
(``build_definitions``, ``MeshTranslator``, ``MeshComponent``, ...) is loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mesh_dagster.spec import DataProduct, Mesh, MeshPolicy, SpecError, SpecProblem, load_mesh

if TYPE_CHECKING:
    from mesh_dagster.compile import (
        MeshResource,
        MeshTranslator,
        build_asset_specs,
        build_definitions,
        build_mesh_definitions,
    )
    from mesh_dagster.compile.component import MeshComponent

_DAGSTER_API = {
    "MeshResource": "mesh_dagster.compile",
    "MeshTranslator": "mesh_dagster.compile",
    "build_asset_specs": "mesh_dagster.compile",
    "build_definitions": "mesh_dagster.compile",
    "build_mesh_definitions": "mesh_dagster.compile",
    "MeshComponent": "mesh_dagster.compile.component",
}


def __getattr__(name: str) -> Any:
    if name in _DAGSTER_API:
        return getattr(importlib.import_module(_DAGSTER_API[name]), name)
    raise AttributeError(f"module 'mesh_dagster' has no attribute '{name}'")


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
