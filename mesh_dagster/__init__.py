"""mesh-dagster: data-mesh data product specs as SLA-governed Dagster assets."""

from __future__ import annotations

from mesh_dagster.spec import DataProduct, Mesh, MeshPolicy, SpecError, SpecProblem, load_mesh

__all__ = ["DataProduct", "Mesh", "MeshPolicy", "SpecError", "SpecProblem", "load_mesh"]
