"""`mesh new`: scaffold a product spec that already satisfies the mesh's policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from mesh_dagster.spec.errors import SpecProblem
    from mesh_dagster.spec.mesh import Mesh
    from mesh_dagster.spec.policy_models import MeshPolicy

EXIT_USAGE = 2


def _kebab(what: str) -> Callable[[str | None], str | None]:
    """Return a typer callback that accepts only kebab-case values for ``what``."""

    def check(value: str | None) -> str | None:
        from mesh_dagster.spec.scaffold import check_new_name

        try:
            return None if value is None else check_new_name(value, what)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None

    return check


def _problems_in(folder: Path, target: Path) -> list[SpecProblem]:
    """Return the problems of the mesh that are in ``target``."""
    from mesh_dagster.spec.errors import SpecError
    from mesh_dagster.spec.loader import display_path, load_mesh

    try:
        load_mesh(folder)
    except SpecError as error:
        file = display_path(target)
        return [problem for problem in error.problems if problem.file == file]
    return []


def _existing_mesh(folder: Path) -> tuple[Mesh | None, MeshPolicy, bool]:
    """Return the folder's mesh if it loads, its policy, and whether the policy is valid."""
    from mesh_dagster.spec.errors import SpecError
    from mesh_dagster.spec.loader import load_mesh
    from mesh_dagster.spec.models import API_VERSION
    from mesh_dagster.spec.policy_models import MeshPolicy

    default = MeshPolicy.model_validate({"apiVersion": API_VERSION, "kind": "MeshPolicy"})
    if not folder.exists():
        return None, default, True
    try:
        mesh = load_mesh(folder)
        return mesh, mesh.policy, True
    except SpecError:
        pass
    policy_file = folder / "mesh.yaml"
    if not policy_file.exists():
        return None, default, True
    try:
        return None, load_mesh(policy_file).policy, True
    except SpecError:
        return None, default, False


def new_command(
    name: Annotated[
        str,
        typer.Argument(
            help="Product name, kebab-case (orders-daily).", callback=_kebab("product name")
        ),
    ],
    domain: Annotated[
        str, typer.Option(help="Owning domain, kebab-case (orders).", callback=_kebab("domain"))
    ],
    folder: Annotated[
        Path, typer.Option("--dir", help="Specs folder (with its mesh.yaml policy, if any).")
    ] = Path("specs"),
    owner: Annotated[
        str | None,
        typer.Option(help="Owning team (default: <domain>-team).", callback=_kebab("owner")),
    ] = None,
    steward: Annotated[
        str | None,
        typer.Option(help="Steward's e-mail (default: a placeholder the policy allows)."),
    ] = None,
) -> None:
    """Write DIR/DOMAIN/NAME.yaml, a spec to fill in that already passes `mesh validate`."""
    from mesh_dagster.spec.scaffold import ProductDraft, scaffold_product, spec_file_name

    console = Console(soft_wrap=True, highlight=False)
    target = folder / domain / spec_file_name(name)
    if target.exists():
        console.print(Text(f"error: {target} already exists; not overwritten.", style="bold red"))
        raise typer.Exit(EXIT_USAGE)
    mesh, policy, policy_valid = _existing_mesh(folder)
    if mesh is not None and name in mesh.products:
        console.print(
            Text(f"error: product '{name}' already exists in {mesh.files[name]}.", style="bold red")
        )
        raise typer.Exit(EXIT_USAGE)
    if not policy_valid:
        console.print(
            Text(
                f"warning: {folder / 'mesh.yaml'} has problems (see `mesh validate`); "
                "the new spec follows the default policy.",
                style="yellow",
            )
        )
    draft = ProductDraft(name, domain, date.today(), owner, steward)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(scaffold_product(draft, policy), encoding="utf-8")
    problems = _problems_in(folder, target)
    if problems:
        # Only the options can make the scaffold invalid (e.g. a steward the policy does
        # not allow): say so, and leave no invalid file behind.
        target.unlink()
        console.print(Text(f"error: {target} would not validate:", style="bold red"))
        for problem in problems:
            console.print(Text(f"  {problem}", style="red"))
        raise typer.Exit(EXIT_USAGE)
    console.print(Text(f"Wrote {target}. Fill in the TODOs, then run `mesh validate {folder}`."))
