"""`mesh dev`: Dagster's UI and daemon on the specs folder, reloaded when specs change."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from mesh_dagster.dev.reloader import SpecsReloader
    from mesh_dagster.dev.server import DevServer

EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def say(message: str) -> None:
    """Print one `mesh dev` message on stderr, where Dagster's own log goes too."""
    typer.echo(f"mesh dev: {message}", err=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """SIGINT, SIGTERM and SIGHUP stop `mesh dev` cleanly; a second one hurries the stop.

    SIGINT is set explicitly: started in the background of a non-interactive shell, a
    process inherits it ignored.
    """
    hurry = threading.Event()
    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    saved = {sig: signal.getsignal(sig) for sig in handled}
    for sig in handled:
        signal.signal(sig, _interrupt)
    try:
        yield hurry
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _while_stopping(hurry: threading.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: hurry.set())


def _serve(server: DevServer, reloader: SpecsReloader, process: subprocess.Popen[bytes]) -> int:
    """Watch the specs and serve them until Dagster exits; return an exit code."""
    from mesh_dagster.dev.reloader import describe_mesh, watch_specs
    from mesh_dagster.dev.server import wait_until_loaded

    stop, ready = threading.Event(), threading.Event()
    watcher = threading.Thread(target=watch_specs, args=(reloader, stop, ready), daemon=True)
    watcher.start()
    try:
        state = wait_until_loaded(server, process)
        if state is None:
            say(f"Dagster did not come up (exit code {process.poll()}); see its log above.")
            return EXIT_PROBLEMS
        if state.error:
            say(f"the code location failed to load; fix it and save a spec.\n{state.error}")
        assert reloader.mesh is not None
        say(
            f"Dagster UI at {server.url} with {describe_mesh(reloader.mesh)}; "
            f"watching {reloader.specs}/ (Ctrl-C to stop)."
        )
        ready.set()
        while process.poll() is None and watcher.is_alive():
            time.sleep(0.5)
    finally:
        stop.set()
    if process.poll() is not None:
        say(f"Dagster exited with code {process.returncode}.")
        return process.returncode or EXIT_PROBLEMS
    say("the specs watcher stopped unexpectedly (see the traceback above).")
    return EXIT_PROBLEMS


def dev_command(
    specs: Annotated[Path, typer.Option(help="Specs folder to serve and watch.")] = Path("specs"),
    host: Annotated[
        str, typer.Option(help="Webserver host.", envvar="MESH_DEV_HOST")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Webserver port.", envvar="MESH_DEV_PORT")] = 3000,
) -> None:
    """Start Dagster's UI and daemon on SPECS; reload them when a spec changes.

    The instance lives in $DAGSTER_HOME (default: .dagster_home).
    A change that does not validate is reported (file:line:col)
    and the last valid definitions keep running.
    Ctrl-C or SIGTERM stops Dagster and every process it started.
    """
    from mesh_dagster.dev.instance import (
        InstanceSetupError,
        dagster_home,
        open_instance,
        prepare_dagster_home,
    )
    from mesh_dagster.dev.reloader import SpecsReloader
    from mesh_dagster.dev.served_specs import ServedSpecs
    from mesh_dagster.dev.server import (
        LOCATION,
        DevServer,
        PortInUseError,
        check_port_free,
        start_dagster,
        stop_dagster,
    )
    from mesh_dagster.spec.errors import SpecError
    from mesh_dagster.spec.loader import load_mesh

    if not specs.is_dir():
        say(f"no specs folder at {specs}.")
        raise typer.Exit(EXIT_USAGE)
    try:
        mesh = load_mesh(specs)
    except SpecError as error:
        say(f"the specs are invalid; fix them and start again.\n{error}")
        raise typer.Exit(EXIT_PROBLEMS) from None
    try:
        check_port_free(host, port)
    except PortInUseError as error:
        say(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    home = dagster_home(os.environ, Path.cwd())
    notice = prepare_dagster_home(home)
    if notice:
        say(notice)
    try:  # the daemon's alert sensor would refuse this instance at every tick
        with open_instance(home, runs_builds=True):
            pass
    except InstanceSetupError as error:
        say(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    served = ServedSpecs(home / "mesh_dev")
    server = DevServer(home, served.current, Path.cwd(), host, port)
    reloader = SpecsReloader(specs, served, server.url, LOCATION, say)
    reloader.publish_initial(mesh)
    code = 0
    with _stop_signals() as hurry:
        process = start_dagster(server)
        try:
            code = _serve(server, reloader, process)
        except KeyboardInterrupt:
            say("stopping Dagster...")
        finally:
            _while_stopping(hurry)
            stop_dagster(process, hurry=hurry.is_set)
    say("stopped.")
    if code:
        raise typer.Exit(code)


__all__ = ["dev_command"]
