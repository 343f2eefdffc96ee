"""`mesh dev`: Dagster's UI and daemon on the specs folder, reloaded when specs change."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from mesh_dagster.dev.server import (
    DevServer,
    on_specs_change,
    start_dagster,
    stop_dagster,
    wait_until_up,
    watch_specs,
)
from mesh_dagster.spec.errors import SpecError
from mesh_dagster.spec.loader import load_mesh


def dev_command(
    specs: Annotated[Path, typer.Option(help="Specs folder to serve and watch.")] = Path("specs"),
    host: Annotated[str, typer.Option(help="Webserver host.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Webserver port.")] = 3000,
) -> None:
    """Start Dagster's webserver and daemon on SPECS and reload it whenever a spec changes."""
    console = Console(stderr=True)
    if not specs.is_dir():
        console.print(f"[red]no specs folder at {specs}[/red]")
        raise typer.Exit(2)
    try:
        load_mesh(specs)
    except SpecError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    home = Path(os.environ.get("DAGSTER_HOME", ".dagster_home"))
    server = DevServer(specs=specs, dagster_home=home, host=host, port=port)
    process = start_dagster(server)
    stopped = threading.Event()
    try:
        if not wait_until_up(server):
            console.print("[red]Dagster did not start; see its output above.[/red]")
            raise typer.Exit(1)
        console.print(f"mesh dev: Dagster UI at {server.url}; watching {specs}/ for changes")

        def report(message: str) -> None:
            console.print(f"mesh dev: {message}")

        watcher = threading.Thread(
            target=watch_specs,
            args=(server, report, lambda: stopped.is_set() or process.poll() is not None),
            daemon=True,
        )
        watcher.start()
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stopped.set()
        stop_dagster(process)


__all__ = ["dev_command", "on_specs_change"]
