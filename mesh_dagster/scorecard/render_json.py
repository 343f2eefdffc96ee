"""The scorecard as JSON: stable keys and order, for CI and bots."""

from __future__ import annotations

import json

from mesh_dagster.scorecard.model import (
    Availability,
    ErrorBudget,
    IncidentSummary,
    MeshScorecard,
    ProductScorecard,
    Quality,
    RollupScorecard,
)

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
_DIGITS = 6


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)


def _availability(item: Availability) -> dict[str, JsonValue]:
    return {
        "due": item.due,
        "on_time": item.on_time,
        "late": item.late,
        "missed": item.missed,
        "upstream": item.upstream,
        "own": item.own,
        "share": _share(item.share),
    }


def _budget(item: ErrorBudget | None) -> dict[str, JsonValue] | None:
    if item is None:
        return None
    return {
        "target": _share(item.target),
        "periods": _share(item.periods),
        "allowed": item.allowed,
        "used": item.used,
        "left": item.left,
        "left_share": _share(item.left_share),
    }


def _quality(item: Quality) -> dict[str, JsonValue]:
    return {"pairs": item.pairs, "passed": item.passed, "score": _share(item.score)}


def _incidents(item: IncidentSummary) -> dict[str, JsonValue]:
    mean = item.mean_time_to_recover
    return {
        "sla_missed": item.sla_missed,
        "check_failed": item.check_failed,
        "run_failed": item.run_failed,
        "open": item.open,
        "resolved": item.resolved,
        "mean_time_to_recover_minutes": (
            None if mean is None else round(mean.total_seconds() / 60, 1)
        ),
    }


def figures_of(card: ProductScorecard | RollupScorecard) -> dict[str, JsonValue]:
    return {
        "availability": _availability(card.availability),
        "error_budget": _budget(card.budget),
        "quality": _quality(card.quality),
        "incidents": _incidents(card.incidents),
    }


def scorecard_as_dict(card: MeshScorecard) -> dict[str, JsonValue]:
    """Return the scorecard as plain data: window, mesh, domains, products (in name order)."""
    return {
        "window": {"since": card.since.isoformat(), "until": card.until.isoformat()},
        "mesh": {"products": len(card.mesh.products), **figures_of(card.mesh)},
        "domains": [
            {"domain": item.name, "products": list(item.products), **figures_of(item)}
            for item in card.domains
        ],
        "products": [
            {"product": item.product, "domain": item.domain, **figures_of(item)}
            for item in card.products
        ],
    }


def render_scorecard_json(card: MeshScorecard) -> str:
    """Return the scorecard as indented JSON, ending in a newline."""
    return json.dumps(scorecard_as_dict(card), indent=2) + "\n"
