"""`mesh schema`: the JSON Schema of a spec file for editors, or the Markdown reference."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer


class SchemaKind(StrEnum):
    """Which document's schema `mesh schema` prints."""

    product = "product"
    policy = "policy"


def schema_command(
    kind: Annotated[
        SchemaKind,
        typer.Option(help="product: a DataProduct spec; policy: specs/mesh.yaml."),
    ] = SchemaKind.product,
    markdown: Annotated[
        bool,
        typer.Option("--markdown", help="Print the field reference of both kinds as Markdown."),
    ] = False,
) -> None:
    """Print the JSON Schema of a spec file (e.g. `mesh schema > .mesh-schema.json`)."""
    from mesh_dagster.spec.json_schema import spec_json_schema
    from mesh_dagster.spec.reference import render_reference

    if markdown:
        typer.echo(render_reference(), nl=False)
        return
    typer.echo(json.dumps(spec_json_schema(kind.value), indent=2))
