"""`mesh init`: the project-local Dagster home with the plugin's instance settings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

EXIT_REFUSED = 1


def init_command(
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace a dagster.yaml with other settings (kept as dagster.yaml.bak)."
        ),
    ] = False,
) -> None:
    """Create the Dagster home every `mesh` command uses: $DAGSTER_HOME, else .dagster_home.

    It gets the local instance settings (SQLite, one event log for all runs, which the
    alert sensor and the scorecard read across runs). Running it again changes nothing;
    a dagster.yaml with other settings is left alone unless --force.
    Exits 0 when the home is ready, 1 when it holds other settings.
    """
    from mesh_dagster.dev.instance import InitOutcome, dagster_home, init_dagster_home, shown

    cwd = Path.cwd()
    home = dagster_home(os.environ, cwd)
    result = init_dagster_home(home, force=force)
    settings = shown(result.settings, cwd)
    if result.outcome is InitOutcome.different:
        typer.echo(
            f"error: {settings} holds other settings; it was left as it is. Run "
            "`mesh init --force` to replace it (the old file is kept as dagster.yaml.bak).",
            err=True,
        )
        raise typer.Exit(EXIT_REFUSED)
    if result.outcome is InitOutcome.created:
        typer.echo(f"Created {settings}: the local Dagster instance (SQLite, one event log).")
    elif result.outcome is InitOutcome.replaced:
        assert result.backup is not None
        typer.echo(
            f"Replaced {settings} with the local instance settings "
            f"(the old file is {shown(result.backup, cwd)})."
        )
    else:
        typer.echo(f"{settings} already holds the local instance settings; nothing to change.")
    typer.echo(
        "mesh commands run in this folder use it; for Dagster's own commands:\n"
        f"  export DAGSTER_HOME={home}"
    )


__all__ = ["init_command"]
