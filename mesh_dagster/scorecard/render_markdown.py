"""The scorecard as a Markdown table: domains, then products (for Dagster's UI)."""

from __future__ import annotations

from mesh_dagster.scorecard.model import MeshScorecard, ProductScorecard, RollupScorecard
from mesh_dagster.scorecard.words import (
    budget_left,
    duration,
    incident_counts,
    percent,
    window_text,
)

_HEAD = (
    "| {first} | Due | On time | Late | Missed | Upstream | Availability | Target | Budget left "
    "| Quality | Incidents | MTTR |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
)


def _row(name: str, card: ProductScorecard | RollupScorecard) -> str:
    availability = card.availability
    target = percent(card.budget.target) if card.budget else "–"
    cells = [
        name,
        str(availability.due),
        str(availability.on_time),
        str(availability.late),
        str(availability.missed),
        str(availability.upstream),
        percent(availability.share),
        target,
        budget_left(card.budget),
        percent(card.quality.score),
        incident_counts(card.incidents),
        duration(card.incidents.mean_time_to_recover),
    ]
    return "| " + " | ".join(cells) + " |\n"


def render_scorecard_markdown(card: MeshScorecard) -> str:
    """Return the window, a table of the domains and the mesh, and one of the products."""
    domains = "".join(_row(item.name, item) for item in card.domains)
    products = "".join(_row(f"{item.domain}/{item.product}", item) for item in card.products)
    return (
        f"Scorecard {window_text(card)}\n\n"
        + _HEAD.format(first="Domain")
        + domains
        + _row("**mesh**", card.mesh)
        + "\n"
        + _HEAD.format(first="Product")
        + products
    )
