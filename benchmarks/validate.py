"""How long `load_mesh` takes for N synthetic specs: prints a Markdown table.

Run: .venv/bin/python benchmarks/validate.py [N ...]   (default: 100 1000 3000)

The specs are ``synthetic_mesh.py``'s (shared by every benchmark), with its ``deep``
layout: two inputs each (the previous product, in another domain, and the one ten before,
in the same domain), a SQL transform over them, PII and three custom checks, under a policy
with rules. Growth should be linear: the ms per spec stay about the same as N grows.

The spec cache is off here (``MESH_CACHE=0``): this measures validation itself; see
``load_definitions.py`` for loads with a cold and a warm cache.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from synthetic_mesh import write_specs

from mesh_dagster.spec import load_mesh


def time_load(count: int) -> tuple[float, float]:
    """Return the wall-clock and CPU seconds ``load_mesh`` takes on ``count`` new specs."""
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        write_specs(folder, count, "deep")
        wall, cpu = time.perf_counter(), time.process_time()
        mesh = load_mesh(folder)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(mesh.products) == count
    return wall, cpu


def main(counts: list[int]) -> None:
    """Print the Markdown table of load times for each N in ``counts``.

    CPU time is shown beside wall-clock time because on a busy machine the wall clock
    also measures other processes.
    """
    time_load(10)  # warm up imports and caches, so N=100 is not charged for them
    print("| N specs | seconds | ms per spec | CPU seconds | CPU ms per spec |")
    print("|---:|---:|---:|---:|---:|")
    for count in counts:
        wall, cpu = time_load(count)
        print(
            f"| {count} | {wall:.2f} | {wall / count * 1000:.1f} "
            f"| {cpu:.2f} | {cpu / count * 1000:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    os.environ["MESH_CACHE"] = "0"
    main([int(argument) for argument in sys.argv[1:]] or [100, 1000, 3000])
