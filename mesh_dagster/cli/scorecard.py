"""`mesh scorecard`: availability, error budgets, quality and incidents from Dagster's history."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from mesh_dagster.scorecard.model import MeshScorecard
    from mesh_dagster.scorecard.window import Window
    from mesh_dagster.spec.mesh import Mesh
    from mesh_dagster.spec.models import DataProduct

EXIT_PROBLEMS = 1
EXIT_USAGE = 2
DEFAULT_HTML = Path("scorecard.html")


class ScorecardFormat(StrEnum):
    """Output formats of `mesh scorecard`."""

    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(Text(f"error: {message}", style="bold red"))
    return typer.Exit(EXIT_USAGE)


def scorecard_of(
    instance: DagsterInstance, mesh: Mesh, window: Window, products: list[DataProduct]
) -> MeshScorecard:
    """Return the scorecard of ``products`` over ``window`` from the instance's history."""
    from mesh_dagster.scorecard.compute import compute_scorecard
    from mesh_dagster.scorecard.instance_history import read_history

    return compute_scorecard(mesh, read_history(instance, mesh, window, products))


def _write(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


def scorecard_command(
    since: Annotated[
        str,
        typer.Option(
            help="Start of the window: a duration back from --until (90d, 12h, 2w) or a date."
        ),
    ] = "90d",
    until: Annotated[
        str | None, typer.Option(help="End of the window (excluded), ISO 8601; default: now.")
    ] = None,
    domain: Annotated[
        list[str] | None, typer.Option(help="Only this domain's products (repeatable).")
    ] = None,
    product: Annotated[
        list[str] | None, typer.Option(help="Only this product (repeatable).")
    ] = None,
    output_format: Annotated[
        ScorecardFormat,
        typer.Option("--format", help="table for a terminal; json, csv; html for a report file."),
    ] = ScorecardFormat.table,
    specs: Annotated[Path, typer.Option(help="Specs folder of the mesh.")] = Path("specs"),
    out: Annotated[
        Path | None,
        typer.Option(help="File to write; default: standard output (html: scorecard.html)."),
    ] = None,
) -> None:
    """Score availability against the SLA targets, error budgets, quality and incidents.

    Per product, domain and mesh, over a window, from the history of the Dagster
    instance in $DAGSTER_HOME (default: .dagster_home).

    Exits 0 on success, 1 when the specs do not load, 2 on a usage error.
    """
    from mesh_dagster.dev.instance import InstanceSetupError, open_home_instance
    from mesh_dagster.scorecard.render_csv import render_scorecard_csv
    from mesh_dagster.scorecard.render_json import render_scorecard_json
    from mesh_dagster.scorecard.render_table import render_scorecard_tables, scorecard_width
    from mesh_dagster.scorecard.selection import SelectionError, select_products
    from mesh_dagster.scorecard.window import WindowError, parse_window
    from mesh_dagster.spec.errors import SpecError
    from mesh_dagster.spec.loader import load_mesh

    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        mesh = load_mesh(specs)
    except SpecError as error:
        errors.print(Text(str(error), style="red"))
        raise typer.Exit(EXIT_PROBLEMS) from None
    try:
        window = parse_window(since, until, datetime.now(UTC))
        chosen = select_products(mesh, domain or [], product or [])
    except (WindowError, SelectionError) as error:
        raise _fail(errors, str(error)) from None
    try:
        with open_home_instance(os.environ, Path.cwd()) as instance:
            card = scorecard_of(instance, mesh, window, chosen)
    except InstanceSetupError as error:
        raise _fail(errors, str(error)) from None
    if output_format is ScorecardFormat.json:
        _write(render_scorecard_json(card), out)
    elif output_format is ScorecardFormat.csv:
        _write(render_scorecard_csv(card), out)
    elif output_format is ScorecardFormat.html:
        from mesh_dagster.scorecard.render_html import render_scorecard_html

        target = out or DEFAULT_HTML
        _write(render_scorecard_html(card, mesh), target)
        typer.echo(f"Wrote the scorecard of {len(card.products)} products to {target}")
    elif out is not None:
        width = scorecard_width(card)
        console = Console(file=out.open("w", encoding="utf-8"), width=width, no_color=True)
        console.print(render_scorecard_tables(card))
        console.file.close()
    else:
        console = Console(highlight=False)
        if not console.is_terminal:  # piped: full width, never cut to 80 columns
            console = Console(highlight=False, width=scorecard_width(card))
        console.print(render_scorecard_tables(card))
