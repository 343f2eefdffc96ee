"""Reading a product's asset events from inside a task (Airflow's Execution API)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from airflow.sdk import Asset

from mesh_dagster.airflow.records import first_publishes


def publishes_of(
    inlet_events: Any, asset: Asset, after: datetime | None = None
) -> dict[str, datetime]:
    """Return when each period of ``asset`` was first published, from its asset events.

    ``inlet_events`` is the task context's accessor; ``asset`` must be one of the task's
    inlets. ``after``: only events after this instant are read.
    """
    events = inlet_events[asset]
    if after is not None:
        events = events.after(after.isoformat())
    return first_publishes((event.timestamp, _extra(event.extra)) for event in events)


def _extra(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None
