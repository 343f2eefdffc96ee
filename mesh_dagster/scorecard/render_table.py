"""The scorecard as terminal tables: one per domain (its products), then domains and mesh."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from mesh_dagster.scorecard.model import MeshScorecard, ProductScorecard, RollupScorecard
from mesh_dagster.scorecard.words import (
    budget_left,
    duration,
    incident_counts,
    percent,
    window_text,
)

_COLUMNS = (
    "Due",
    "On time",
    "Late",
    "Missed",
    "Upstream",
    "Avail.",
    "Target",
    "Budget left",
    "Quality",
)


def _availability(card: ProductScorecard | RollupScorecard) -> Text:
    share, budget = card.availability.share, card.budget
    style = ""
    if share is not None and budget is not None:
        style = "green" if share >= budget.target else "red"
    return Text(percent(share), style=style)


def _cells(card: ProductScorecard | RollupScorecard) -> list[RenderableType]:
    availability = card.availability
    target = percent(card.budget.target) if card.budget is not None else "–"
    return [
        str(availability.due),
        str(availability.on_time),
        str(availability.late),
        str(availability.missed),
        str(availability.upstream),
        _availability(card),
        target,
        budget_left(card.budget),
        percent(card.quality.score),
        incident_counts(card.incidents),
        duration(card.incidents.mean_time_to_recover),
    ]


def _table(title: str, first: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", show_edge=False)
    table.add_column(first, no_wrap=True)
    for name in _COLUMNS:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("Incidents", justify="right")
    table.add_column("MTTR", justify="right", no_wrap=True)
    return table


def render_scorecard_tables(card: MeshScorecard) -> Group:
    """Return the tables, ready for ``Console.print``."""
    parts: list[RenderableType] = [Text(f"Scorecard {window_text(card)}", style="bold"), Text()]
    for domain in card.domains:
        table = _table(f"Domain {domain.name}", "Product")
        members = [item for item in card.products if item.domain == domain.name]
        for index, product in enumerate(members):
            table.add_row(product.product, *_cells(product), end_section=index == len(members) - 1)
        table.add_row(Text("all", style="bold"), *_cells(domain))
        parts += [table, Text()]
    summary = _table("Domains", "Domain")
    for index, domain in enumerate(card.domains):
        summary.add_row(domain.name, *_cells(domain), end_section=index == len(card.domains) - 1)
    summary.add_row(Text("mesh", style="bold"), *_cells(card.mesh))
    parts.append(summary)
    parts.append(
        Text(
            "Availability: share of due periods published by their deadline (late and missed "
            "count as misses). Upstream: misses caused by an input period not published by "
            "the deadline; the others are the product's own. Budget left: whole periods that "
            "may still be missed (share of the exact budget). Quality: share of (period, "
            "error rule) pairs whose last evaluation passed. MTTR: mean time to recover.",
            style="dim",
        )
    )
    return Group(*parts)


MIN_WIDTH = 80


def scorecard_width(card: MeshScorecard) -> int:
    """Return the width at which every table of ``card`` shows each cell whole (at least 80).

    For output that is not a terminal (a pipe, a file): a terminal's width is the user's
    choice, a pipe's 80 columns would cut the tables.
    """
    measuring = Console(width=100_000)
    tables = [part for part in render_scorecard_tables(card).renderables if isinstance(part, Table)]
    return max([MIN_WIDTH, *(measuring.measure(table).maximum for table in tables)])
