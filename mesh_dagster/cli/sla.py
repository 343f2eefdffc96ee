"""`mesh sla status`: each product's latest due period, its deadline, and where it stands."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from mesh_dagster.sla.status import SlaStatus
    from mesh_dagster.spec.mesh import Mesh

EXIT_USAGE = 2


class StatusFormat(StrEnum):
    """Output formats of `mesh sla status`."""

    text = "text"
    json = "json"


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
STATUS_WORDS = {"on_time": "on time", "late": "late", "missed": "missed", "pending": "pending"}
# Shown, and counted in the summary, only when some product has them.
STANDING_WORDS = {"not_judged": "not judged", "ended": "ended"}
STATUS_STYLES = {
    "on_time": "green",
    "late": "yellow",
    "missed": "bold red",
    "pending": "cyan",
    "not_judged": "dim",
    "ended": "dim",
}


def parse_day(value: str | None) -> date | None:
    """Return the day of ``--date`` (YYYY-MM-DD); BadParameter otherwise."""
    if value is None:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a date like 2026-01-05.", param_hint="'--date'"
        ) from None


def parse_now(value: str | None) -> datetime:
    """Return the instant of ``--now`` (naive means UTC), or the current time."""
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not an ISO date and time like 2026-01-06T08:00:00+00:00.",
            param_hint="'--now'",
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def read_statuses(
    instance: DagsterInstance, mesh: Mesh, day: date | None, now: datetime
) -> list[SlaStatus]:
    """Return the state of every product with an SLA, by product name."""
    from dataclasses import replace

    from mesh_dagster.compile.sla_sensor import first_publish
    from mesh_dagster.compile.translator import MeshTranslator
    from mesh_dagster.sla.status import latest_due_period, sla_status, standing_of, status_moment

    translator = MeshTranslator()
    statuses: list[SlaStatus] = []
    for product in mesh.products.values():
        if product.spec.sla is None:
            continue
        moment = status_moment(mesh, product, day, now)
        due = latest_due_period(mesh, product, moment)
        key = translator.get_asset_key(product)
        published = first_publish(instance, key, due.period.key)
        # Without sla.judged_from, the SLA sensor's verdicts say what it judged since the
        # product appeared; the status reads publishes, so it judges every period.
        standing = standing_of(mesh, product, moment, due, None)
        statuses.append(replace(sla_status(product, due, published, now), standing=standing))
    return statuses


def _clock(moment: datetime, like: datetime) -> str:
    return moment.astimezone(like.tzinfo).strftime("%Y-%m-%d %H:%M %Z")


def _duration(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def _published_text(status: SlaStatus) -> str:
    if status.published_at is None:
        return "-"
    text = _clock(status.published_at, status.deadline)
    late_by = status.late_by
    return f"{text} ({_duration(late_by)} late)" if late_by is not None else text


def render_json(statuses: Sequence[SlaStatus]) -> str:
    """Return the states as a JSON list, one object per product."""
    items = [
        {
            "product": status.product,
            "domain": status.domain,
            "partition": status.partition,
            "deadline": status.deadline.isoformat(),
            "status": status.shown,
            "published_at": status.published_at.isoformat() if status.published_at else None,
            "late_by_minutes": (
                round(status.late_by.total_seconds() / 60, 1) if status.late_by else None
            ),
        }
        for status in statuses
    ]
    return json.dumps(items, indent=2)


def print_text_report(
    console: Console, statuses: Sequence[SlaStatus], day: date | None, now: datetime
) -> None:
    """Print a header, one line per product, and the count of each status."""
    at = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = f"SLA status at {at}" if day is None else f"SLA status of {day}, as known at {at}"
    console.print(Text(header, style="bold"))
    if not statuses:
        console.print("No product has an SLA.")
        return
    rows = [
        (
            status.product,
            status.partition,
            _clock(status.deadline, status.deadline),
            {**STATUS_WORDS, **STANDING_WORDS}[status.shown],
            _published_text(status),
        )
        for status in statuses
    ]
    titles = ("product", "partition", "deadline", "status", "published")
    widths = [max(len(row[i]) for row in [titles, *rows]) for i in range(len(titles) - 1)]

    def line(cells: tuple[str, ...], style: str | None, status_style: str | None) -> Text:
        text = Text()
        for index, cell in enumerate(cells[:-1]):
            text.append(cell.ljust(widths[index]), style=status_style if index == 3 else style)
            text.append("  ")
        text.append(cells[-1], style=style)
        return text

    console.print(line(titles, "bold", "bold"))
    for status, row in zip(statuses, rows, strict=True):
        console.print(line(row, None, STATUS_STYLES[status.shown]))
    counts: Counter[str] = Counter(status.shown for status in statuses)
    words = {**STATUS_WORDS, **{k: w for k, w in STANDING_WORDS.items() if counts[k]}}
    summary = ", ".join(f"{counts[name]} {word}" for name, word in words.items())
    console.print(f"{summary}.")


def status_command(
    specs: Annotated[Path, typer.Option(help="Specs folder.")] = Path("specs"),
    day: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Show the period due on this day (YYYY-MM-DD, in each SLA's timezone).",
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            help="Take this ISO instant as the current time (for scripts and tests; "
            "naive means UTC).",
        ),
    ] = None,
    output_format: Annotated[
        StatusFormat, typer.Option("--format", help="text for people, json for tools.")
    ] = StatusFormat.text,
    airflow: Annotated[
        bool,
        typer.Option(
            "--airflow",
            help="Read the publishes from Airflow's metadata database ($AIRFLOW_HOME) "
            "instead of the Dagster instance.",
        ),
    ] = False,
) -> None:
    """Show each product's latest due period, its deadline, and whether it is on time.

    on time: published by the deadline; late: published after it;
    missed: the deadline passed with nothing published;
    pending: the deadline is ahead and nothing is published yet;
    not judged: the period is before sla.judged_from;
    ended: the partitions ended (partitioning.end) before this day.
    Reads the Dagster instance in $DAGSTER_HOME (default: .dagster_home).
    """
    from mesh_dagster.dev.instance import InstanceSetupError, open_home_instance
    from mesh_dagster.spec.errors import SpecError
    from mesh_dagster.spec.loader import load_mesh

    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    chosen_day, current = parse_day(day), parse_now(now)
    try:
        mesh = load_mesh(specs)
    except SpecError as error:
        errors.print(Text(str(error), style="red"))
        errors.print(
            Text(f"error: the specs in {specs} do not load; see `mesh validate`.", style="bold red")
        )
        raise typer.Exit(EXIT_USAGE) from None
    try:
        if airflow:
            from mesh_dagster.airflow.status import read_airflow_statuses

            statuses = read_airflow_statuses(mesh, chosen_day, current)
        else:
            with open_home_instance(os.environ, Path.cwd()) as instance:
                statuses = read_statuses(instance, mesh, chosen_day, current)
    except InstanceSetupError as error:
        errors.print(Text(f"error: {error}", style="bold red"))
        raise typer.Exit(EXIT_USAGE) from None
    if output_format is StatusFormat.json:
        typer.echo(render_json(statuses))
    else:
        print_text_report(Console(soft_wrap=True, highlight=False), statuses, chosen_day, current)


sla_app = typer.Typer(
    name="sla",
    help="SLA state of the products, read from the Dagster instance.",
    no_args_is_help=True,
)
sla_app.command("status")(status_command)

__all__ = ["sla_app", "status_command"]
