"""The spec language: models, the located YAML loader, rules and policy."""

from __future__ import annotations

from mesh_dagster.spec.errors import SpecError, SpecProblem
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import ColumnSpec, CustomCheck, DataProduct
from mesh_dagster.spec.policy_models import MeshPolicy

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
