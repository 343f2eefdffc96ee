"""The ``mesh/scorecard`` asset: the last 90 days' scorecard, recomputed every morning.

Its materializations carry the figures as numeric metadata (the mesh's and each domain's
availability, quality score and error budget left), so Dagster's UI plots them over time.
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

from datetime import timedelta
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AutomationCondition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster._time import get_current_datetime

from mesh_dagster.compile.translator import MeshTranslator
from mesh_dagster.scorecard.compute import compute_scorecard
from mesh_dagster.scorecard.model import MeshScorecard, RollupScorecard
from mesh_dagster.scorecard.render_markdown import render_scorecard_markdown
from mesh_dagster.scorecard.window import Window
from mesh_dagster.scorecard.words import window_text
from mesh_dagster.spec.mesh import Mesh

SCORECARD_KEY = AssetKey(["mesh", "scorecard"])
SCORECARD_GROUP = "mesh"
SCORECARD_CRON = "0 8 * * *"
SCORECARD_WINDOW = timedelta(days=90)


def _figures(card: RollupScorecard, suffix: str = "") -> dict[str, Any]:
    """Return a scope's figures as numbers; shares that do not exist yet are left out."""
    figures: dict[str, Any] = {
        f"due_periods{suffix}": card.availability.due,
        f"incidents{suffix}": card.incidents.total,
    }
    shares = {
        "availability": card.availability.share,
        "quality_score": card.quality.score,
        "error_budget_left_share": card.budget.left_share if card.budget else None,
    }
    for name, value in shares.items():
        if value is not None:
            figures[f"{name}{suffix}"] = float(value)
    if card.budget is not None:
        figures[f"error_budget_left{suffix}"] = card.budget.left
    return figures


def scorecard_metadata(card: MeshScorecard) -> dict[str, Any]:
    """Return the materialization metadata: mesh figures, then ``<figure>/<domain>`` keys."""
    metadata: dict[str, Any] = {
        "window": MetadataValue.text(window_text(card)),
        "products": len(card.products),
        **_figures(card.mesh),
    }
    if card.mesh.budget is not None:
        metadata["availability_target"] = float(card.mesh.budget.target)
    recover = card.mesh.incidents.mean_time_to_recover
    if recover is not None:
        metadata["mean_time_to_recover_minutes"] = round(recover.total_seconds() / 60, 1)
    for domain in card.domains:
        metadata.update(_figures(domain, f"/{domain.name}"))
    metadata["scorecard"] = MetadataValue.md(render_scorecard_markdown(card))
    return metadata


def build_scorecard_asset(
    mesh: Mesh,
    translator: MeshTranslator | None = None,
    window: timedelta = SCORECARD_WINDOW,
    cron: str = SCORECARD_CRON,
) -> AssetsDefinition:
    """Return the ``mesh/scorecard`` asset (group ``mesh``), run on ``cron`` by automation.

    Each run scores every product over the ``window`` up to now, from the run's own
    instance. ``translator`` must be the one the definitions use, for the asset keys.
    """
    timezone = mesh.policy.defaults.timezone

    @asset(
        key=SCORECARD_KEY,
        group_name=SCORECARD_GROUP,
        automation_condition=AutomationCondition.on_cron(cron, timezone),
        description=(
            f"Availability against SLA targets, error budgets, quality scores and incidents of "
            f"every data product over the last {window.days} days, from Dagster's history."
        ),
        kinds={"python"},
    )
    def _scorecard(context: AssetExecutionContext) -> MaterializeResult:  # type: ignore[type-arg]
        # Imported here: the reader uses compile's names, and compile loads this module.
        from mesh_dagster.scorecard.instance_history import read_history

        until = get_current_datetime()
        history = read_history(
            context.instance, mesh, Window(until - window, until), translator=translator
        )
        card = compute_scorecard(mesh, history)
        mesh_share = card.mesh.availability.share
        context.log.info(
            f"{len(card.products)} products, {card.mesh.availability.due} periods due: "
            f"availability {mesh_share if mesh_share is not None else 'n/a'}"
        )
        return MaterializeResult(metadata=scorecard_metadata(card))

    return _scorecard
