"""How figures are written for people: shares as percentages, durations, the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mesh_dagster.scorecard.model import ErrorBudget, IncidentSummary, MeshScorecard

NONE = "–"


def percent(share: float | None, decimals: int = 2) -> str:
    """Return ``0.98889`` as ``98.89%`` (trailing zeros dropped: ``99.9%``); ``–`` for None."""
    if share is None:
        return NONE
    text = f"{share * 100:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def duration(span: timedelta | None) -> str:
    """Return a duration as ``1d 2h``, ``2h 30m`` or ``45m``; ``–`` for None."""
    if span is None:
        return NONE
    minutes = round(span.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def budget_left(budget: ErrorBudget | None) -> str:
    """Return the budget left as ``-2 (−120%)``: whole periods, then the exact share."""
    if budget is None:
        return NONE
    return f"{budget.left} ({percent(budget.left_share, 0)})"


def incident_counts(incidents: IncidentSummary) -> str:
    """Return the incidents as ``total (open)`` or ``0``."""
    if incidents.total == 0:
        return "0"
    return f"{incidents.total} ({incidents.open} open)" if incidents.open else str(incidents.total)


def moment(at: datetime) -> str:
    """Return an instant as ``2026-04-01 09:00 UTC``."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def window_text(card: MeshScorecard) -> str:
    """Return the window as ``2026-01-01 09:00 UTC → 2026-04-01 09:00 UTC (90 days)``."""
    days = (card.until - card.since) / timedelta(days=1)
    length = f"{days:g} days" if days != 1 else "1 day"
    return f"{moment(card.since)} → {moment(card.until)} ({length})"
