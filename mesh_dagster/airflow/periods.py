"""Which periods a product's DAG run builds, and which input periods each one waits for."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from mesh_dagster.spec.input_periods import InputPeriod, unpublished_input_periods
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.periods import (
    Period,
    first_start,
    last_complete_period,
    period_for_key,
    period_of,
)


class PeriodError(ValueError):
    """Raised for a partition key that is not one of the product's periods (a sentence)."""


def period_of_key(mesh: Mesh, product: DataProduct, key: str) -> Period:
    """Return the period of partition ``key``; PeriodError when it is not one."""
    partitioning = product.spec.partitioning
    if partitioning is None:
        raise PeriodError(f"'{product.name}' is not partitioned: it has no period '{key}'.")
    timezone = mesh.timezone_of(product)
    try:
        period = period_for_key(key, partitioning.by, timezone)
    except ValueError:
        raise PeriodError(
            f"'{key}' is not a {partitioning.by} partition key of '{product.name}'."
        ) from None
    if period_of(period.start, partitioning.by, timezone) != period:
        raise PeriodError(f"'{key}' is not the start of a {partitioning.by} of '{product.name}'.")
    return period


def scheduled_periods(mesh: Mesh, product: DataProduct, tick: datetime) -> list[str | None]:
    """Return what a tick at ``tick`` builds: the period that just ended (as on Dagster).

    An unpartitioned product builds once (``[None]``); none before the first period ended.
    """
    partitioning = product.spec.partitioning
    if partitioning is None:
        return [None]
    timezone = mesh.timezone_of(product)
    period = last_complete_period(tick, partitioning.by, timezone)
    if period.start < first_start(partitioning.start, partitioning.by, timezone):
        return []
    return [period.key]


def triggered_periods(
    mesh: Mesh, product: DataProduct, published: Mapping[str, Iterable[str]]
) -> list[str | None]:
    """Return the periods to build after inputs published ``published`` (product -> keys).

    Each published input period maps to the product's periods overlapping it in time.
    """
    partitioning = product.spec.partitioning
    if partitioning is None:
        return [None] if any(list(keys) for keys in published.values()) else []
    timezone = mesh.timezone_of(product)
    first = first_start(partitioning.start, partitioning.by, timezone)
    found: set[str | None] = set()
    for name, keys in published.items():
        if name not in mesh.products:
            continue
        upstream = mesh.product(name)
        for key in keys:
            if upstream.spec.partitioning is None:
                continue
            window = period_of_key(mesh, upstream, key)
            current = period_of(max(window.start, first), partitioning.by, timezone)
            while current.start < window.end:
                found.add(current.key)
                current = period_of(current.end, partitioning.by, timezone)
    return sorted(found, key=str)


def missing_inputs(
    mesh: Mesh,
    product: DataProduct,
    partition: str | None,
    is_published: Callable[[str, str], bool],
) -> list[InputPeriod]:
    """Return the input periods ``partition`` reads that are not published yet."""
    if partition is None or product.spec.partitioning is None:
        return []
    period = period_of_key(mesh, product, partition)
    return unpublished_input_periods(mesh, product, period, is_published)
