"""The engine's defaults: half the machine's memory, spilling under the Dagster home."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mesh_dagster.compile.resources import MeshResource, default_memory_limit


def test_the_memory_limit_defaults_to_half_the_machine() -> None:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")

    assert default_memory_limit() == f"{total // 2 // 2**20}MiB"
    assert MeshResource().engine().memory_limit == default_memory_limit()


def test_spilling_goes_to_the_dagster_home_else_the_system_temp(tmp_path: Path) -> None:
    assert MeshResource().engine(tmp_path).temp_directory == str(tmp_path / "mesh_spill")
    assert MeshResource().engine().temp_directory == str(Path(tempfile.gettempdir(), "mesh_spill"))


def test_configured_limits_win() -> None:
    resource = MeshResource(
        duckdb_threads=2, duckdb_memory_limit="4GB", duckdb_temp_directory="/var/spill"
    )

    engine = resource.engine(Path("/home"))

    assert (engine.threads, engine.memory_limit, engine.temp_directory) == (2, "4GB", "/var/spill")
