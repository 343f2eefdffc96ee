"""The scorecard's window ``[since, until)``: parsing it, and the periods due inside it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from mesh_dagster.sla.verdicts import DuePeriod, due_periods
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct

_DURATION = re.compile(r"(\d+)\s*([hdw])")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_TICK = timedelta(microseconds=1)


class WindowError(ValueError):
    """A window that cannot be read; the message says what was expected."""


@dataclass(frozen=True)
class Window:
    """The half-open interval ``[since, until)`` of a scorecard, as aware UTC datetimes."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise WindowError("the window's ends must carry a timezone.")
        if self.since >= self.until:
            raise WindowError(
                f"the window is empty: since {self.since.isoformat()} is not before "
                f"until {self.until.isoformat()}."
            )

    def days(self) -> list[date]:
        """Return the UTC days the window touches, oldest first."""
        first, last = self.since.astimezone(UTC).date(), (self.until - _TICK).astimezone(UTC)
        return [first + timedelta(days=n) for n in range((last.date() - first).days + 1)]


def parse_moment(text: str, option: str) -> datetime:
    """Return an ISO date or datetime as an aware datetime (UTC when no offset is given)."""
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(0))
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise WindowError(
            f"{option} '{text}' is not a date or time: use ISO 8601, e.g. 2026-04-01 or "
            "2026-04-01T09:00:00Z."
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_window(since: str, until: str | None, now: datetime) -> Window:
    """Return the window from ``--since`` (``90d``, ``12h``, ``2w`` or ISO) and ``--until``."""
    end = parse_moment(until, "--until") if until else now
    match = _DURATION.fullmatch(since.strip())
    if match:
        start = end - int(match.group(1)) * _UNITS[match.group(2)]
    elif since[:1].isdigit() and len(since) >= 10:
        start = parse_moment(since, "--since")
    else:
        raise WindowError(
            f"--since '{since}' is neither a duration nor a date: use e.g. 90d, 12h, 2w, "
            "or 2026-01-01."
        )
    return Window(start.astimezone(UTC), end.astimezone(UTC))


def _shape(mesh: Mesh, product: DataProduct) -> tuple[object, ...]:
    """Return what a product's due periods depend on: products alike share them."""
    spec, partitioning = product.spec, product.spec.partitioning
    return (
        (partitioning.by, partitioning.start, partitioning.end) if partitioning else None,
        mesh.timezone_of(product),
        spec.sla.available_by if spec.sla else None,
        spec.sla.within if spec.sla else None,
        spec.sla.judged_from if spec.sla else None,
        mesh.sla_timezone_of(product),
    )


def due_periods_in(
    mesh: Mesh, products: Iterable[DataProduct], window: Window
) -> dict[str, list[DuePeriod]]:
    """Return each product's periods whose deadline falls in the window, oldest first."""
    shared: dict[tuple[object, ...], list[DuePeriod]] = {}
    found: dict[str, list[DuePeriod]] = {}
    for product in products:
        shape = _shape(mesh, product)
        if shape not in shared:
            # due_periods takes (after, until]; the window is [since, until).
            periods = due_periods(mesh, product, window.since - _TICK, window.until)
            shared[shape] = [due for due in periods if due.deadline < window.until]
        found[product.name] = shared[shape]
    return found


def read_start(due: dict[str, list[DuePeriod]], window: Window) -> datetime:
    """Return how far back events matter: the start of the oldest due period, or ``since``."""
    starts = [periods[0].period.start for periods in due.values() if periods]
    return min([window.since, *starts]).astimezone(UTC)
