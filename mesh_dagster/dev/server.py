"""`dagster dev` (webserver, daemon, code server) as a child process group: start, wait, stop."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from mesh_dagster.dev.webserver import LocationState, ReloadError, location_state

LOCATION = "mesh"
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class DevServer:
    """Where `dagster dev` runs and what it serves."""

    dagster_home: Path
    specs: Path
    """The folder the code location loads (the served link, not the author's folder)."""
    project: Path
    """The working directory of the code location (``python:`` transforms import from it)."""
    host: str = "127.0.0.1"
    port: int = 3000

    @property
    def url(self) -> str:
        """Return the webserver's base URL."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"


class PortInUseError(RuntimeError):
    """Raised when the webserver's port is taken (possibly by another Dagster)."""


def check_port_free(host: str, port: int) -> None:
    """Raise PortInUseError when nothing could listen on ``host:port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUseError(
                f"port {port} on {host} is in use ({error.strerror}); "
                "pass --port (or set MESH_DEV_PORT) to use another one."
            ) from None


def write_workspace(server: DevServer) -> Path:
    """Write the workspace file pointing Dagster at the mesh code location; return its path."""
    path = server.dagster_home / "mesh_workspace.yaml"
    path.write_text(
        "# Written by `mesh dev`: the code location of the specs it serves.\n"
        "load_from:\n"
        "  - python_module:\n"
        "      module_name: mesh_dagster.dev.location\n"
        f"      location_name: {LOCATION}\n"
        f"      working_directory: {server.project}\n"
    )
    return path


def _child_setup() -> None:
    # A child of a non-interactive shell may inherit SIGINT as ignored; Dagster would then
    # never stop on it. Restore the defaults so SIGINT means KeyboardInterrupt again.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":
        # If `mesh dev` dies without cleaning up (SIGKILL), Dagster gets SIGINT and stops.
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, int(signal.SIGINT))


def start_dagster(server: DevServer) -> subprocess.Popen[bytes]:
    """Start `dagster dev` in a new session (its own process group) and return it."""
    environment = dict(os.environ)
    environment["DAGSTER_HOME"] = str(server.dagster_home)
    environment["MESH_SPECS_PATH"] = str(server.specs)
    command = [
        sys.executable,
        # `dagster dev` warns that `dg dev` supersedes it; both start the same services.
        "-W",
        "ignore:Function `dev_command` is superseded",
        "-m",
        "dagster",
        "dev",
        "-w",
        str(write_workspace(server)),
        "-h",
        server.host,
        "-p",
        str(server.port),
    ]
    return subprocess.Popen(
        command,
        env=environment,
        cwd=server.project,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_child_setup,
    )


def wait_until_loaded(
    server: DevServer,
    process: subprocess.Popen[bytes],
    timeout: float = 240.0,
) -> LocationState | None:
    """Return the location's state once the webserver has loaded it (or failed to).

    None when ``process`` exited or ``timeout`` passed first.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            state = location_state(server.url, LOCATION, timeout=5.0)
        except (requests.RequestException, ReloadError, ValueError):
            state = None
        if state is not None and (state.loaded or state.error):
            return state
        time.sleep(0.5)
    return None


def _group_alive(group: int) -> bool:
    """Return whether a live (not zombie) process is left in the process group."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            return True
    return False


def stop_dagster(
    process: subprocess.Popen[bytes],
    grace: float = 30.0,
    hurry: Callable[[], bool] = lambda: False,
) -> None:
    """Stop `dagster dev` and every process it started.

    SIGINT to `dagster dev` (it shuts its webserver, daemon and code servers down), then
    SIGTERM and SIGKILL to whatever is left in its process group. ``hurry()`` true (a
    second Ctrl-C) skips the rest of the grace period.
    """
    group = process.pid
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    steps = ((None, grace), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0))
    for sig, wait in steps:
        if sig is not None:
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and (process.poll() is None or _group_alive(group)):
            if sig is None and hurry():
                break
            time.sleep(0.1)
        if process.poll() is not None and not _group_alive(group):
            break
    process.poll()
