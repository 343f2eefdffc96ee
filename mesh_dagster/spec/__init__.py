"""The spec language: models, the located YAML loader, rules and policy.

Names are imported on first use, so that importing one module of the package (the models,
the errors) does not import the loader and everything it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesh_dagster.lazy import lazy_names

if TYPE_CHECKING:
    from mesh_dagster.spec.errors import SpecError, SpecProblem
    from mesh_dagster.spec.loader import load_mesh
    from mesh_dagster.spec.mesh import Mesh
    from mesh_dagster.spec.models import ColumnSpec, CustomCheck, DataProduct
    from mesh_dagster.spec.policy_models import MeshPolicy

__getattr__ = lazy_names(
    __name__,
    {
        "ColumnSpec": "mesh_dagster.spec.models",
        "CustomCheck": "mesh_dagster.spec.models",
        "DataProduct": "mesh_dagster.spec.models",
        "Mesh": "mesh_dagster.spec.mesh",
        "MeshPolicy": "mesh_dagster.spec.policy_models",
        "SpecError": "mesh_dagster.spec.errors",
        "SpecProblem": "mesh_dagster.spec.errors",
        "load_mesh": "mesh_dagster.spec.loader",
    },
)

__all__ = [
    "ColumnSpec",
    "CustomCheck",
    "DataProduct",
    "Mesh",
    "MeshPolicy",
    "SpecError",
    "SpecProblem",
    "load_mesh",
]
