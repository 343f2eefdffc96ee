"""What a reader fetches: the products' asset keys, their rules and the time span."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dagster import AssetKey, AssetObservation

from mesh_dagster.compile.sla_sensor import PUBLISHED_METADATA
from mesh_dagster.scorecard.history import VerdictEvent, VerdictStatus
from mesh_dagster.sla.upstream import WAITING_FOR, MissingInput, read_waiting

_STATUSES: dict[str, VerdictStatus] = {
    "on_time": "on_time",
    "late": "late",
    "missed": "missed",
    "pending": "pending",
}


@dataclass(frozen=True)
class ReadPlan:
    """The assets to read and the span ``[start, until)`` of events that matter.

    ``observed`` names the externally built products: they publish when an observation
    saw a period whose error rules passed, not with a materialization.
    """

    keys: dict[str, AssetKey]
    error_rules: dict[str, frozenset[str]]
    start: datetime
    until: datetime
    observed: frozenset[str] = frozenset()

    def product_of(self) -> dict[str, str]:
        """Return the product name of each asset key, as the storage writes keys."""
        return {key.to_string(): name for name, key in self.keys.items()}


def published_by(observation: AssetObservation | None) -> bool:
    """Return whether an observation of an externally built product published its period."""
    if observation is None:
        return False
    flag = observation.metadata.get(PUBLISHED_METADATA)
    return flag is not None and flag.value is True


def utc(value: datetime | str) -> datetime:
    """Return a stored timestamp (naive UTC, as a datetime or SQLite's text) as aware UTC."""
    if isinstance(value, str):  # parsing the offset too is several times faster than replace()
        return datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def naive_utc(moment: datetime) -> datetime:
    """Return ``moment`` as the naive UTC datetime Dagster's tables compare with."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def timestamp_of(seconds: float) -> datetime:
    """Return an event's float timestamp as aware UTC, as the storage rounds it."""
    return datetime.fromtimestamp(seconds, UTC)


def verdict_of(
    partition: str,
    passed: bool,
    status: object,
    is_error: bool,
    at: datetime,
    waiting_for: object = None,
) -> VerdictEvent:
    """Return the verdict an ``sla`` result records: its ``status``, else its outcome.

    ``waiting_for`` is its recorded ``mesh/waiting_for`` (the input periods it missed for).
    """
    waiting = tuple(str(item) for item in missing_inputs_of(waiting_for))
    if isinstance(status, str) and status in _STATUSES:
        return VerdictEvent(partition, _STATUSES[status], at, waiting)
    if passed:
        return VerdictEvent(partition, "on_time", at)
    return VerdictEvent(partition, "missed" if is_error else "late", at, waiting)


def missing_inputs_of(waiting_for: object) -> list[MissingInput]:
    """Return the input periods a recorded ``mesh/waiting_for`` value names."""
    return read_waiting({WAITING_FOR: waiting_for})


# A check row is created when its run is planned and filled in when it is evaluated, so
# rows can be stored a little out of time order; look this far before the span for them.
ORDER_SLACK = timedelta(days=7)
