"""`mesh import odcs`: ODCS v3 contracts -> `dataproduct/v1` specs, with what had no mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

import_app = typer.Typer(help="Read products from another standard's format.", no_args_is_help=True)


@import_app.command("odcs")
def import_odcs_command(
    files: Annotated[list[Path], typer.Argument(help="ODCS contract files (YAML).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the specs to.")],
    domain: Annotated[str | None, typer.Option(help="Domain of contracts that name none.")] = None,
    owner: Annotated[
        str | None, typer.Option(help="Owning team of contracts without a team.")
    ] = None,
    steward: Annotated[
        str | None, typer.Option(help="Steward's e-mail for contracts that name none.")
    ] = None,
    location_prefix: Annotated[
        str | None,
        typer.Option(help="Where products without an S3 server publish: PREFIX/<domain>/<table>/."),
    ] = None,
) -> None:
    """Write one spec per schema object to OUT/<domain>/<table>.yaml; exit 1 on problems."""
    # Imported here, so that other commands do not load the ODCS schemas and models.
    from mesh_dagster.cli.validate import print_text_report
    from mesh_dagster.odcs.files import import_file, spec_text
    from mesh_dagster.odcs.import_context import ImportDefaults
    from mesh_dagster.spec.errors import SpecProblem, format_path
    from mesh_dagster.spec.loader import display_path

    console = Console(soft_wrap=True, highlight=False)
    defaults = ImportDefaults(domain, owner, steward, location_prefix)
    problems: list[SpecProblem] = []
    written = 0
    for path in files:
        shown = display_path(path)
        found = import_file(path, shown, defaults)
        for item in found.unmapped:
            line = Text(f"{item.file}:{item.line}:{item.column}:", style="bold")
            line.append(f" {format_path(item.field.path)}:", style="cyan")
            line.append(f" not mapped: {item.field.reason}.", style="yellow")
            console.print(line)
        problems.extend(found.problems)
        if found.problems:
            continue
        for product, data in found.products:
            target = out / product.domain / f"{product.name.replace('-', '_')}.yaml"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(spec_text(data, shown), encoding="utf-8")
            console.print(f"wrote {target}")
            written += 1
    if problems:
        print_text_report(console, problems, None, len(files))
        raise typer.Exit(1)
    noun = "spec" if written == 1 else "specs"
    console.print(Text(f"✓ {written} {noun} in {out}.", style="bold green"))
