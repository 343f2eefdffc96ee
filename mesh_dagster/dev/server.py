"""Run `dagster dev` on a specs folder and reload it whenever a spec changes and validates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from watchfiles import watch

from mesh_dagster.dev.reload import ReloadError, reload_location
from mesh_dagster.spec.errors import SpecError
from mesh_dagster.spec.loader import load_mesh

LOCATION = "mesh"


@dataclass(frozen=True)
class DevServer:
    """Where the dev server runs and what it serves."""

    specs: Path
    dagster_home: Path
    host: str = "127.0.0.1"
    port: int = 3000

    @property
    def url(self) -> str:
        """Return the webserver's base URL."""
        return f"http://{self.host}:{self.port}"


def _workspace(server: DevServer) -> Path:
    path = server.dagster_home / "mesh_workspace.yaml"
    path.write_text(
        "load_from:\n"
        "  - python_module:\n"
        "      module_name: mesh_dagster.dev.location\n"
        f"      location_name: {LOCATION}\n"
        f"      working_directory: {Path.cwd()}\n"
    )
    return path


def _reset_signals() -> None:
    # A child of a non-interactive shell may inherit SIGINT as ignored; restore defaults.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.setsid()


def start_dagster(server: DevServer) -> subprocess.Popen[bytes]:
    """Start `dagster dev` (webserver and daemon) in its own process group."""
    server.dagster_home.mkdir(parents=True, exist_ok=True)
    environment = dict(os.environ)
    environment["DAGSTER_HOME"] = str(server.dagster_home.resolve())
    environment["MESH_SPECS_PATH"] = str(server.specs.resolve())
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        str(_workspace(server)),
        "-h",
        server.host,
        "-p",
        str(server.port),
    ]
    return subprocess.Popen(command, env=environment, preexec_fn=_reset_signals)


def stop_dagster(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """Stop `dagster dev` and its children: SIGINT, then SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


def wait_until_up(server: DevServer, timeout: float = 180.0) -> bool:
    """Return whether the webserver answered within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{server.url}/server_info", timeout=2).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


def on_specs_change(server: DevServer, report: Callable[[str], None]) -> bool:
    """Validate the specs and reload the location if they are valid; return whether it did."""
    try:
        mesh = load_mesh(server.specs)
    except SpecError as error:
        report(f"specs are invalid; keeping the last good definitions running.\n{error}")
        return False
    try:
        reload_location(server.url, LOCATION)
    except (ReloadError, requests.RequestException) as error:
        report(f"reload failed: {error}")
        return False
    report(f"reloaded: {len(mesh.products)} products")
    return True


def watch_specs(server: DevServer, report: Callable[[str], None], stop: Callable[[], bool]) -> None:
    """Watch the specs folder and reload on every change until ``stop()`` says so."""
    for _changes in watch(server.specs, stop_event=None, rust_timeout=1000, yield_on_timeout=True):
        if stop():
            return
        if _changes:
            on_specs_change(server, report)
