"""The scorecard as CSV: one row per scope (mesh, domain, product), for spreadsheets."""

from __future__ import annotations

import csv
import io

from mesh_dagster.scorecard.model import MeshScorecard
from mesh_dagster.scorecard.render_json import JsonValue, figures_of

CSV_COLUMNS = (
    "scope",
    "domain",
    "product",
    "due",
    "on_time",
    "late",
    "missed",
    "upstream",
    "availability",
    "target",
    "budget_periods",
    "budget_allowed",
    "budget_used",
    "budget_left",
    "budget_left_share",
    "quality_pairs",
    "quality_passed",
    "quality_score",
    "incidents_sla_missed",
    "incidents_check_failed",
    "incidents_run_failed",
    "incidents_open",
    "mean_time_to_recover_minutes",
)


def _row(scope: str, domain: str, product: str, figures: dict[str, JsonValue]) -> list[object]:
    availability, quality, incidents = (
        figures["availability"],
        figures["quality"],
        figures["incidents"],
    )
    budget = figures["error_budget"]
    assert isinstance(availability, dict) and isinstance(quality, dict)
    assert isinstance(incidents, dict)
    budget = budget if isinstance(budget, dict) else {}
    values: list[object] = [scope, domain, product]
    values += [availability[k] for k in ("due", "on_time", "late", "missed", "upstream", "share")]
    values += [budget.get(k) for k in ("target", "periods", "allowed", "used", "left")]
    values += [budget.get("left_share"), quality["pairs"], quality["passed"], quality["score"]]
    values += [incidents[k] for k in ("sla_missed", "check_failed", "run_failed", "open")]
    values.append(incidents["mean_time_to_recover_minutes"])
    return ["" if value is None else value for value in values]


def render_scorecard_csv(card: MeshScorecard) -> str:
    """Return one CSV row for the mesh, each domain and each product (in that order)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow(_row("mesh", "", "", figures_of(card.mesh)))
    for domain in card.domains:
        writer.writerow(_row("domain", domain.name, "", figures_of(domain)))
    for product in card.products:
        writer.writerow(_row("product", product.domain, product.product, figures_of(product)))
    return buffer.getvalue()
