"""What a build or an observation records in its asset event's ``extra``, and reading it back.

One event per task: ``{"mesh/product": name, "mesh/periods": {key: period}}`` where a period
is ``{"published", "rows", "delta_version", "checks": {rule: {passed, severity,
failing_rows, rows_checked, failing_ratio, sql, detail}}}``. A period is published at the
timestamp of the first event that says so (the SLA clock, as Dagster's materialization).
Nothing here holds a row value: check figures and normalized SQL only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from mesh_dagster.airflow.names import EXTRA_PERIODS, EXTRA_PRODUCT, UNPARTITIONED
from mesh_dagster.checks.outcome import CheckOutcome


def check_entry(outcome: CheckOutcome) -> dict[str, Any]:
    """Return one rule's outcome as plain JSON: passed, failing rows and the normalized SQL."""
    return {
        "passed": outcome.passed,
        "severity": outcome.severity,
        "failing_rows": outcome.failing_rows,
        "rows_checked": outcome.rows_checked,
        "failing_ratio": round(float(outcome.failing_ratio), 6),
        "sql": outcome.sql,
        "detail": outcome.detail,
    }


def checks_record(outcomes: Iterable[CheckOutcome]) -> dict[str, dict[str, Any]]:
    """Return every rule's outcome by rule name, in evaluation order."""
    return {outcome.name: check_entry(outcome) for outcome in outcomes}


def period_record(
    outcomes: Iterable[CheckOutcome], published: bool, rows: int, version: int | None
) -> dict[str, Any]:
    """Return what one period's build or observation found."""
    return {
        "published": published,
        "rows": rows,
        "delta_version": version,
        "checks": checks_record(outcomes),
    }


def event_extra(product: str, periods: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Return an asset event's ``extra`` for the periods of one task."""
    return {
        EXTRA_PRODUCT: product,
        EXTRA_PERIODS: {key: dict(value) for key, value in periods.items()},
    }


def period_key(partition: str | None) -> str:
    """Return the key under ``mesh/periods`` of a partition (unpartitioned: ``__all__``)."""
    return UNPARTITIONED if partition is None else partition


def published_in(extra: Mapping[str, Any] | None) -> list[str]:
    """Return the period keys an event's ``extra`` says were published."""
    periods = (extra or {}).get(EXTRA_PERIODS)
    if not isinstance(periods, Mapping):
        return []
    return [
        str(key)
        for key, value in periods.items()
        if isinstance(value, Mapping) and value.get("published") is True
    ]


def first_publishes(
    events: Iterable[tuple[datetime, Mapping[str, Any] | None]],
) -> dict[str, datetime]:
    """Return when each period was first published, from ``(timestamp, extra)`` events."""
    found: dict[str, datetime] = {}
    for timestamp, extra in events:
        for key in published_in(extra):
            if key not in found or timestamp < found[key]:
                found[key] = timestamp
    return found
