"""`mesh docs`: write the catalog of every product (HTML with search, and Markdown)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text


def docs_command(
    specs: Annotated[Path, typer.Option(help="Specs folder to document.")] = Path("specs"),
    out: Annotated[Path, typer.Option(help="Folder to write the catalog to.")] = Path("site"),
) -> None:
    """Write a static catalog of the specs' products to OUT: open OUT/index.html."""
    from mesh_dagster.docs.site import SiteFolderError, write_site
    from mesh_dagster.spec.errors import SpecError
    from mesh_dagster.spec.loader import load_mesh

    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        mesh = load_mesh(specs)
    except SpecError as error:
        errors.print(Text(str(error), style="red"))
        raise typer.Exit(1) from None
    try:
        files = write_site(mesh, out)
    except SiteFolderError as error:
        errors.print(Text(f"error: {error}", style="bold red"))
        raise typer.Exit(2) from None
    pages = sum(1 for path in files if path.suffix == ".html")
    typer.echo(f"Wrote {pages} pages for {len(mesh.products)} products to {out}/index.html")
