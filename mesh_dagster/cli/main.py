"""The `mesh` command: a registry of subcommands, each in its own module."""

from __future__ import annotations

import typer

from mesh_dagster.cli.backfill import backfill_command
from mesh_dagster.cli.check import check_command
from mesh_dagster.cli.dev import dev_command
from mesh_dagster.cli.docs import docs_command
from mesh_dagster.cli.export import export_app
from mesh_dagster.cli.impact import impact_command
from mesh_dagster.cli.import_ import import_app
from mesh_dagster.cli.init import init_command
from mesh_dagster.cli.new import new_command
from mesh_dagster.cli.schema import schema_command
from mesh_dagster.cli.scorecard import scorecard_command
from mesh_dagster.cli.sla import sla_app
from mesh_dagster.cli.validate import validate_command

app = typer.Typer(
    name="mesh",
    help="Data products as SLA-governed Dagster assets: lint, scaffold and inspect specs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One line per command; a command's module holds its options and output.
app.command("init")(init_command)
app.command("validate")(validate_command)
app.command("new")(new_command)
app.command("schema")(schema_command)
app.command("impact")(impact_command)
app.command("docs")(docs_command)
app.command("dev")(dev_command)
app.command("check")(check_command)
app.command("backfill")(backfill_command)
app.add_typer(sla_app, name="sla")
app.command("scorecard")(scorecard_command)
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")
