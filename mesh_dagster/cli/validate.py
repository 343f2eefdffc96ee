"""`mesh validate`: lint the specs and the policy, for people (text) and for CI (json, github)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from mesh_dagster.spec.errors import SpecProblem
    from mesh_dagster.spec.mesh import Mesh

EXIT_PROBLEMS = 1


class ValidateFormat(StrEnum):
    """Output formats of `mesh validate`."""

    text = "text"
    json = "json"
    github = "github"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def render_json(problems: Sequence[SpecProblem]) -> str:
    """Return the problems as a JSON list of {file, line, column, path, message, hint}."""
    return json.dumps([problem.as_dict() for problem in problems], indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(problems: Sequence[SpecProblem]) -> str:
    """Return one GitHub Actions ``::error`` workflow command per problem."""
    lines = []
    for problem in problems:
        where = f"file={_escape_property(problem.file)},line={problem.line},col={problem.column}"
        text = f"{problem.path}: {problem.message}" if problem.path else problem.message
        if problem.hint:
            text = f"{text} {problem.hint}"
        lines.append(f"::error {where}::{_escape_data(text)}")
    return "\n".join(lines)


def _problem_line(problem: SpecProblem) -> Text:
    line = Text()
    line.append(f"{problem.file}:{problem.line}:{problem.column}:", style="bold")
    if problem.path:
        line.append(f" {problem.path}:", style="cyan")
    line.append(f" {problem.message}", style="red")
    if problem.hint:
        line.append(f" {problem.hint}", style="yellow")
    return line


def print_text_report(
    console: Console, problems: Sequence[SpecProblem], mesh: Mesh | None, checked: int
) -> None:
    """Print each problem on one line, then a one-line summary."""
    for problem in problems:
        console.print(_problem_line(problem))
    files = _plural(checked, "file")
    if problems:
        broken = len({problem.file for problem in problems})
        console.print(
            Text(
                f"✗ {_plural(len(problems), 'problem')} in {_plural(broken, 'file')} "
                f"({files} checked).",
                style="bold red",
            )
        )
        return
    assert mesh is not None
    products = _plural(len(mesh.products), "product")
    domains = _plural(len(mesh.domains()), "domain")
    console.print(Text(f"✓ {products} in {domains} valid ({files} checked).", style="bold green"))


def validate_command(
    path: Annotated[
        Path,
        typer.Argument(
            help="Specs folder (every *.yaml under it) or one spec file.",
            exists=True,
            show_default=True,
        ),
    ] = Path("specs"),
    output_format: Annotated[
        ValidateFormat,
        typer.Option(
            "--format",
            help="text for people, json for tools, github for workflow annotations.",
        ),
    ] = ValidateFormat.text,
    resolve: Annotated[
        bool,
        typer.Option(
            "--resolve",
            help=(
                "Also read each source's schema from its files (no rows) and bind the "
                "transforms that read it; storage as for a build (MESH_* variables)."
            ),
        ),
    ] = False,
) -> None:
    """Check every spec and the policy; exit 1 if there are problems, 2 on usage errors."""
    from mesh_dagster.spec.errors import SpecError
    from mesh_dagster.spec.loader import load_mesh, spec_files

    # sqlglot logs a warning for SQL it can only keep as a raw command; the problem
    # report already says what is wrong with such SQL.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    problems: tuple[SpecProblem, ...] = ()
    mesh: Mesh | None = None
    try:
        mesh = load_mesh(path)
    except SpecError as error:
        problems = error.problems
    if resolve and mesh is not None:
        problems = tuple(_source_problems(mesh))
        if problems:
            mesh = None
    if output_format is ValidateFormat.json:
        typer.echo(render_json(problems))
    elif output_format is ValidateFormat.github:
        if problems:
            typer.echo(render_github(problems))
    else:
        console = Console(soft_wrap=True, highlight=False)
        print_text_report(console, problems, mesh, len(spec_files(path)))
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)


def _source_problems(mesh: Mesh) -> list[SpecProblem]:
    """Return the problems of the mesh's sources as read from storage (exit 2 if unset)."""
    from mesh_dagster.build.source_check import resolve_source_problems
    from mesh_dagster.compile.resources import mesh_resource_from_env

    try:
        storage = mesh_resource_from_env().storage()
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    return resolve_source_problems(mesh, storage)
