"""`mesh backfill`: build a product's periods over a range of days, in dependency order."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from mesh_dagster.compile.backfill_run import BackfillRunner, StepOutcome
    from mesh_dagster.spec.backfill_plan import BackfillPlan
    from mesh_dagster.spec.mesh import Mesh

EXIT_NOT_ALL_PUBLISHED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
WORDS = {
    "published": "published",
    "skipped": "already published",
    "blocked": "blocked",
    "failed": "failed",
    "waiting": "waiting for inputs",
}
STYLES = {
    "published": "green",
    "skipped": "dim",
    "blocked": "bold yellow",
    "failed": "bold red",
    "waiting": "cyan",
}


def parse_day(value: str, option: str) -> date:
    """Return the day of ``option`` (YYYY-MM-DD); BadParameter otherwise."""
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a date like 2026-01-05.", param_hint=f"'{option}'"
        ) from None


def _fail(errors: Console, message: str) -> typer.Exit:
    errors.print(Text(f"error: {message}", style="bold red"))
    return typer.Exit(EXIT_USAGE)


def outcome_line(outcome: StepOutcome, width: int) -> Text:
    """Return one build's line: status, product and period, and what happened."""
    step, status = outcome.step, outcome.status
    text = Text("  ")
    text.append(f"{status:<9}", style=STYLES[status])
    text.append(f"  {step!s:<{width}}")
    if status == "published" and outcome.rows is not None:
        text.append(f"  {outcome.rows:,} rows", style="dim")
    elif status == "skipped" and outcome.published_at is not None:
        at = outcome.published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        text.append(f"  already published at {at}", style="dim")
    elif status == "waiting":
        text.append(f"  needs {', '.join(outcome.details)}, not published")
    elif status == "failed":
        text.append(f"  {outcome.details[0]}")
    elif status == "blocked":
        text.append("  failing rules:")
        for detail in outcome.details:
            text.append(f"\n      {detail}")
    return text


def summary_line(plan: BackfillPlan, outcomes: Sequence[StepOutcome]) -> str:
    """Return the count of each outcome over the builds done."""
    counts: Counter[str] = Counter(outcome.status for outcome in outcomes)
    parts = [f"{counts[status]} {word}" for status, word in WORDS.items() if counts[status]]
    builds = f"{len(outcomes)} build{'s' if len(outcomes) != 1 else ''}"
    span = f"{plan.first} to {plan.last}" if plan.first != plan.last else str(plan.first)
    return f"Backfill of {plan.product}, {span}: {builds}, {', '.join(parts) or 'none run'}."


def _run_all(
    runner: BackfillRunner, plan: BackfillPlan, force: bool, out: Console, errors: Console
) -> list[StepOutcome]:
    """Build every step with a progress bar on stderr; print each outcome as it comes."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    width = max(len(str(step)) for step in plan.steps)
    outcomes: list[StepOutcome] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=errors, transient=True, disable=not errors.is_terminal
    ) as progress:
        task = progress.add_task("building", total=len(plan.steps))
        for step in plan.steps:
            progress.update(task, description=f"building {step}")
            outcome = runner.run(step, force=force)
            outcomes.append(outcome)
            out.print(outcome_line(outcome, width))
            progress.advance(task)
    return outcomes


def backfill_command(
    product: Annotated[str, typer.Argument(help="Name of the product to build.")],
    first: Annotated[
        str, typer.Option("--from", help="First day of the range (YYYY-MM-DD), included.")
    ],
    last: Annotated[
        str, typer.Option("--to", help="Last day of the range (YYYY-MM-DD), included.")
    ],
    with_upstream: Annotated[
        bool,
        typer.Option(
            "--with-upstream",
            help="Build, before each period, the periods of the products it reads.",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Build periods that are already published again.")
    ] = False,
    specs: Annotated[Path, typer.Option(help="Specs folder of the mesh.")] = Path("specs"),
) -> None:
    """Build PRODUCT's periods from --from to --to, in order, in the Dagster instance.

    Each period is a run of the product's job, as its schedule starts it, recorded in the
    instance in $DAGSTER_HOME (default: .dagster_home); no daemon is needed. Periods
    already published are skipped, so running it again resumes. A period whose inputs
    are not published waits (--with-upstream builds them first).
    Exits 0 when every period is published, 1 when some are blocked, failed or waiting,
    2 on a usage or setup error.
    """
    from mesh_dagster.dev.instance import (
        InstanceSetupError,
        dagster_home,
        open_instance,
        prepare_dagster_home,
        shown,
    )
    from mesh_dagster.spec.backfill_plan import BackfillPlanError, plan_backfill
    from mesh_dagster.spec.errors import SpecError
    from mesh_dagster.spec.loader import load_mesh

    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    out = Console(highlight=False, soft_wrap=True)
    start, end = parse_day(first, "--from"), parse_day(last, "--to")
    try:
        mesh = load_mesh(specs)
    except SpecError as error:
        errors.print(Text(str(error), style="red"))
        raise _fail(errors, f"the specs in {specs} do not load; see `mesh validate`.") from None
    try:
        plan = plan_backfill(
            mesh, product, start, end, with_upstream=with_upstream, now=datetime.now(UTC)
        )
    except BackfillPlanError as error:
        raise _fail(errors, str(error)) from None
    cwd = Path.cwd()
    home = dagster_home(os.environ, cwd)
    notice = prepare_dagster_home(home)
    if notice:
        errors.print(f"mesh backfill: {notice}")
    try:
        with open_instance(home, runs_builds=True) as instance:
            runner = _runner(mesh, instance, errors)
            upstream = len(plan.steps) - plan.periods
            extra = f" and {upstream} upstream" if upstream else ""
            periods = f"{plan.periods} period{'s' if plan.periods != 1 else ''}"
            out.print(
                f"Backfill of {plan.product}: {periods}{extra}, "
                f"in the Dagster instance {shown(home, cwd)}"
            )
            try:
                outcomes = _run_all(runner, plan, force, out, errors)
            except KeyboardInterrupt:
                errors.print(
                    "mesh backfill: interrupted; run the same command again to resume "
                    "(published periods are skipped)."
                )
                raise typer.Exit(EXIT_INTERRUPTED) from None
    except InstanceSetupError as error:
        raise _fail(errors, str(error)) from None
    out.print(summary_line(plan, outcomes))
    if any(outcome.status in ("blocked", "failed", "waiting") for outcome in outcomes):
        if any(outcome.status == "waiting" for outcome in outcomes) and not with_upstream:
            out.print("Periods waiting for inputs: add --with-upstream to build those first.")
        raise typer.Exit(EXIT_NOT_ALL_PUBLISHED)


def _runner(mesh: Mesh, instance: DagsterInstance, errors: Console) -> BackfillRunner:
    """Return a runner over the mesh's definitions; a usage error if they do not load."""
    from mesh_dagster.compile.backfill_run import BackfillRunner
    from mesh_dagster.compile.definitions import build_mesh_definitions
    from mesh_dagster.compile.resources import PiiKeyError

    try:
        defs = build_mesh_definitions(mesh)
    except (PiiKeyError, ValueError) as error:
        raise _fail(errors, str(error)) from None
    return BackfillRunner(mesh, defs, instance)


__all__ = ["backfill_command"]
