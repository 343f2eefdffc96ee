"""`mesh impact`: the specs' changes against a git ref, classified, with who they affect."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

EXIT_BREAKING = 1
EXIT_USAGE = 2


class ImpactFormat(StrEnum):
    """Output formats of `mesh impact`."""

    text = "text"
    markdown = "markdown"
    json = "json"


def _fail(console: Console, headline: str, detail: str | None = None) -> typer.Exit:
    message = Text(f"error: {headline}", style="bold red")
    if detail:
        message.append(f"\n{detail}", style="")
    console.print(message)
    return typer.Exit(EXIT_USAGE)


def impact_command(
    base: Annotated[
        str,
        typer.Option(help="Git ref to compare with: a branch, tag or commit (e.g. origin/main)."),
    ],
    specs: Annotated[Path, typer.Option(help="Specs folder, in a git repository.")] = Path("specs"),
    output_format: Annotated[
        ImpactFormat,
        typer.Option("--format", help="text for a terminal, markdown for a PR comment, json."),
    ] = ImpactFormat.text,
    allow_breaking: Annotated[
        bool, typer.Option("--allow-breaking", help="Exit 0 even when a change is breaking.")
    ] = False,
) -> None:
    """Show the changes of the specs since BASE, breaking or compatible, and who they affect.

    Exits 0 without breaking changes or with --allow-breaking, 1 with them, 2 on errors.
    """
    from mesh_dagster.governance.git_specs import GitRefError, load_mesh_at_ref
    from mesh_dagster.governance.impact_json import render_impact_json
    from mesh_dagster.governance.impact_markdown import render_impact_markdown
    from mesh_dagster.governance.impact_text import render_impact_text
    from mesh_dagster.spec.errors import SpecError
    from mesh_dagster.spec.impact import assess_impact
    from mesh_dagster.spec.loader import load_mesh

    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        old = load_mesh_at_ref(base, specs)
    except GitRefError as error:
        raise _fail(errors, str(error)) from None
    except SpecError as error:
        raise _fail(errors, f"the specs at '{base}' do not load:", str(error)) from None
    try:
        new = load_mesh(specs, bind_sql=False)  # readers broken by a change are the report
    except SpecError as error:
        raise _fail(errors, "the specs in the working tree do not load:", str(error)) from None
    report = assess_impact(old, new)
    if output_format is ImpactFormat.json:
        typer.echo(render_impact_json(report, base), nl=False)
    elif output_format is ImpactFormat.markdown:
        typer.echo(render_impact_markdown(report, base, allow_breaking), nl=False)
    else:
        console = Console(highlight=False, soft_wrap=True)
        console.print(render_impact_text(report, base, allow_breaking), end="")
    if report.is_breaking and not allow_breaking:
        raise typer.Exit(EXIT_BREAKING)
