"""`mesh export odcs`: one Open Data Contract Standard (v3) contract per product."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

export_app = typer.Typer(
    help="Write the mesh's products in another standard's format.", no_args_is_help=True
)


@export_app.command("odcs")
def export_odcs_command(
    path: Annotated[
        Path, typer.Argument(help="Specs folder (every *.yaml under it) or one spec file.")
    ] = Path("specs"),
    out: Annotated[Path, typer.Option("--out", help="Folder to write the contracts to.")] = Path(
        "odcs"
    ),
    glue_account: Annotated[
        str, typer.Option(help="The `account` of Glue servers (ODCS requires one).")
    ] = "default",
) -> None:
    """Write one ODCS v3.1.0 contract per product to OUT/<domain>/<name>.odcs.yaml."""
    # Imported here, so that other commands do not load the ODCS schemas and models.
    from mesh_dagster.cli.validate import print_text_report
    from mesh_dagster.odcs.export import export_contract
    from mesh_dagster.odcs.names import EXPORT_API_VERSION
    from mesh_dagster.odcs.render import render_yaml
    from mesh_dagster.odcs.schema_check import official_schema, schema_problems
    from mesh_dagster.spec.errors import SpecError
    from mesh_dagster.spec.loader import load_mesh, spec_files
    from mesh_dagster.spec.yaml_source import SourceMap

    console = Console(soft_wrap=True, highlight=False)
    try:
        mesh = load_mesh(path)
    except SpecError as error:
        print_text_report(console, error.problems, None, len(spec_files(path)))
        raise typer.Exit(1) from None
    schema = official_schema(EXPORT_API_VERSION)
    for name, product in mesh.products.items():
        contract = export_contract(product, glue_account)
        target = out / product.domain / f"{name}.odcs.yaml"
        broken = schema_problems(contract, SourceMap(str(target)), schema)
        if broken:  # a bug of the export, never of the spec
            raise RuntimeError(f"export of {name} breaks ODCS {EXPORT_API_VERSION}: {broken[0]}")
        target.parent.mkdir(parents=True, exist_ok=True)
        header = f"# ODCS contract of the data product {name}, written by `mesh export odcs`.\n"
        target.write_text(render_yaml(contract, header), encoding="utf-8")
        console.print(f"wrote {target}")
    count = len(mesh.products)
    noun = "contract" if count == 1 else "contracts"
    console.print(Text(f"✓ {count} ODCS {EXPORT_API_VERSION} {noun} in {out}.", style="bold green"))
