"""One classified change of a product spec, and how spec values are shown in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta


@dataclass(frozen=True)
class SpecChange:
    """One change to a product's contract: what, where, before and after, and whether it breaks.

    ``kind`` is a stable identifier (``column_removed``, ``sla_deadline_changed``, ...),
    ``field`` the spec path it concerns (``spec.schema.revenue_usd.type``), ``old``/``new``
    the values as users write them, and ``message`` a sentence for people.
    """

    kind: str
    breaking: bool
    field: str
    old: str | None
    new: str | None
    message: str


def show_time(value: time) -> str:
    """Return a clock time as the spec writes it: ``07:00``."""
    return value.strftime("%H:%M")


def show_duration(value: timedelta) -> str:
    """Return a duration as the spec writes it: ``30m``, ``2h``."""
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def show_share(value: float) -> str:
    """Return a share as a percentage: ``99.9%``."""
    return f"{round(value * 100, 6):g}%"


def show_hours(value: float) -> str:
    """Return a number of hours: ``24``, ``1.5``."""
    return f"{value:g}"
