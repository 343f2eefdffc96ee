"""Day-by-day series of a scorecard, for pictures: outcomes, availability so far, budget left.

A period belongs to the (UTC) day of its deadline, so every due period of the window falls
on one of the window's days, whatever the product's partitioning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date

from mesh_dagster.scorecard.model import PeriodOutcome, ProductScorecard

_WORST = {"on_time": 0, "late": 1, "missed": 2}


@dataclass(frozen=True)
class DayOutcomes:
    """How the periods due on one day went."""

    day: date
    on_time: int = 0
    late: int = 0
    missed: int = 0

    @property
    def due(self) -> int:
        """Return the periods due that day."""
        return self.on_time + self.late + self.missed

    @property
    def worst(self) -> str | None:
        """Return the worst outcome of the day (missed, late, on_time), or None if none due."""
        if self.missed:
            return "missed"
        if self.late:
            return "late"
        return "on_time" if self.on_time else None


@dataclass(frozen=True)
class Series:
    """One line of a chart: a name and a value per day (None where there is none yet)."""

    name: str
    values: tuple[float | None, ...]


def daily_outcomes(periods: Iterable[PeriodOutcome], days: Sequence[date]) -> list[DayOutcomes]:
    """Return the outcomes of ``periods`` per day of ``days``."""
    counts = {day: [0, 0, 0] for day in days}
    for outcome in periods:
        day = outcome.deadline.astimezone(UTC).date()
        if day in counts:
            counts[day][_WORST[outcome.status]] += 1
    return [DayOutcomes(day, *counts[day]) for day in days]


def availability_so_far(name: str, outcomes: Sequence[DayOutcomes]) -> Series:
    """Return the share of periods on time from the window's start up to each day."""
    values: list[float | None] = []
    due = on_time = 0
    for day in outcomes:
        due, on_time = due + day.due, on_time + day.on_time
        values.append(on_time / due if due else None)
    return Series(name, tuple(values))


def budget_left_by_day(name: str, outcomes: Sequence[DayOutcomes], budget: float) -> Series:
    """Return the error budget (periods) left after each day: ``budget`` minus misses so far."""
    values: list[float | None] = []
    left = budget
    for day in outcomes:
        left -= day.late + day.missed
        values.append(left)
    return Series(name, tuple(values))


def merge_outcomes(rows: Iterable[Sequence[DayOutcomes]]) -> list[DayOutcomes]:
    """Return the day-by-day sums of several products' outcomes (same days)."""
    merged: list[DayOutcomes] = []
    for days in zip(*rows, strict=True):
        merged.append(
            DayOutcomes(
                days[0].day,
                sum(day.on_time for day in days),
                sum(day.late for day in days),
                sum(day.missed for day in days),
            )
        )
    return merged


def product_outcomes(
    cards: Iterable[ProductScorecard], days: Sequence[date]
) -> dict[str, list[DayOutcomes]]:
    """Return each product's outcomes per day."""
    return {card.product: daily_outcomes(card.periods, days) for card in cards}
