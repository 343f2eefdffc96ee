"""Code location that `mesh dev` points Dagster at: the specs folder in MESH_SPECS_PATH."""

from __future__ import annotations

import os

from mesh_dagster.compile.definitions import build_definitions

defs = build_definitions(os.environ.get("MESH_SPECS_PATH", "specs"))
