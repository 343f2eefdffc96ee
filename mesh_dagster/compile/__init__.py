"""Dagster wiring: the only package that imports Dagster to build definitions."""

from __future__ import annotations

from mesh_dagster.compile.definitions import build_definitions, build_mesh_definitions
from mesh_dagster.compile.resources import MeshResource
from mesh_dagster.compile.specs import ProductSpecs, build_asset_specs
from mesh_dagster.compile.translator import MeshTranslator

__all__ = [
    "MeshResource",
    "MeshTranslator",
    "ProductSpecs",
    "build_asset_specs",
    "build_definitions",
    "build_mesh_definitions",
]
