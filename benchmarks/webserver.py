"""`dagster dev` at scale: from starting the webserver to its first answer listing every asset.

Run: .venv/bin/python benchmarks/webserver.py [N]   (default: N = 1000)

For each side, ``dagster-webserver`` starts on a free loopback port with a workspace of
one Python file: the mesh's ``build_definitions`` over ``synthetic_mesh.py``'s N specs
(once with an empty spec cache, once with the cache it filled), or the same graph written
by hand (``load_definitions.build_baseline``). The clock runs from starting the process
until a GraphQL query of the asset nodes lists all N assets (polled every 0.2 s; the mesh
also has its scorecard asset): the time a person waits after `dagster dev` before the
asset graph shows. Each start uses a
fresh ``DAGSTER_HOME``; the webserver and its code server are stopped (SIGTERM, then
SIGKILL after 10 s) before the next.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from synthetic_mesh import write_specs

BENCHMARKS = Path(__file__).resolve().parent
PYTHON = Path(sys.executable)
QUERY = "{ assetNodes { id } }"
POLL = 0.2
TIMEOUT = 900.0
MESH_MODULE = """\
import sys

from mesh_dagster import build_definitions

sys.setrecursionlimit(20000)
defs = build_definitions({specs!r})
"""
BASELINE_MODULE = """\
import sys

sys.setrecursionlimit(20000)
sys.path.insert(0, {benchmarks!r})
from load_definitions import build_baseline

defs = build_baseline({count})
"""


def free_port() -> int:
    """Return a loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def asset_count(port: int) -> int | None:
    """Return how many assets the webserver lists, or None when it does not answer yet."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
    except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
        return None
    nodes = (answer.get("data") or {}).get("assetNodes")
    return len(nodes) if isinstance(nodes, list) else None


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the webserver and everything it started (its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def first_answer(module: Path, count: int, environment: dict[str, str]) -> float:
    """Return the seconds from starting the webserver to an answer listing ``count`` assets."""
    root = module.parent
    workspace = root / "workspace.yaml"
    workspace.write_text(
        f"load_from:\n  - python_file:\n      relative_path: {module.name}\n"
        f"      working_directory: {root}\n",
        encoding="utf-8",
    )
    with tempfile.TemporaryDirectory() as home:
        port = free_port()
        command = [
            str(PYTHON.parent / "dagster-webserver"),
            *("-w", str(workspace), "-h", "127.0.0.1", "-p", str(port)),
        ]
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=root,
            env={**environment, "DAGSTER_HOME": home},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            while time.perf_counter() - started < TIMEOUT:
                if process.poll() is not None:
                    raise RuntimeError(f"the webserver exited with {process.returncode}")
                listed = asset_count(port)
                if listed is not None and listed >= count:
                    return time.perf_counter() - started
                time.sleep(POLL)
            raise RuntimeError(f"no answer listing {count} assets within {TIMEOUT:.0f} s")
        finally:
            stop(process)


def _stop_on_term(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so that the running webserver is stopped on the way out


def main(count: int) -> None:
    """Time the three starts for ``count`` products and print a Markdown table."""
    signal.signal(signal.SIGTERM, _stop_on_term)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        specs, cache = root / "specs", root / "mesh_cache"
        write_specs(specs, count)
        mesh, baseline = root / "mesh_defs.py", root / "baseline_defs.py"
        mesh.write_text(MESH_MODULE.format(specs=str(specs)), encoding="utf-8")
        baseline.write_text(
            BASELINE_MODULE.format(benchmarks=str(BENCHMARKS), count=count), encoding="utf-8"
        )
        environment = {key: value for key, value in os.environ.items() if key != "MESH_CACHE"}
        environment["MESH_CACHE_DIR"] = str(cache)
        cold = first_answer(mesh, count, environment)
        warm = first_answer(mesh, count, environment)
        base = first_answer(baseline, count, environment)
    print("| N | mesh, cold cache s | mesh, warm cache s | hand-written s | cold | warm |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {count} | {cold:.1f} | {warm:.1f} | {base:.1f} | {cold / base:.2f}x "
        f"| {warm / base:.2f}x |"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if sys.argv[1:] else 1000)
