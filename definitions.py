"""The example mesh as a Dagster code location: every spec under specs/ becomes an asset."""

from pathlib import Path

from mesh_dagster import build_definitions

defs = build_definitions(Path(__file__).parent / "specs")
