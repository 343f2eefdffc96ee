"""Which periods of its input products one period of a product is built from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.periods import Period, first_start, period_of


@dataclass(frozen=True)
class InputPeriod:
    """One period of an input product that a build needs published first."""

    product: str
    period: Period

    def __str__(self) -> str:
        return f"{self.product} {self.period.key}"


def _overlapping(upstream: DataProduct, mesh: Mesh, period: Period) -> Iterator[Period]:
    """Yield the upstream's periods that overlap ``period`` by time range (DST-aware)."""
    partitioning = upstream.spec.partitioning
    assert partitioning is not None
    timezone = mesh.timezone_of(upstream)
    first = first_start(partitioning.start, partitioning.by, timezone)
    current = period_of(max(period.start, first), partitioning.by, timezone)
    while current.start < period.end:
        yield current
        current = period_of(current.end, partitioning.by, timezone)


def input_periods(mesh: Mesh, product: DataProduct, period: Period) -> list[InputPeriod]:
    """Return the input product periods that ``period`` of ``product`` reads.

    Only time-partitioned product inputs read with ``window: partition`` pin periods:
    a same-partitioned input gives the same period, any other partitioning the periods
    that overlap it by time range. Sources, ``window: all`` and unpartitioned inputs do
    not (there is no period of theirs to wait for).
    """
    found: list[InputPeriod] = []
    for item in product.spec.inputs:
        if item.product is None or item.window == "all":
            continue
        upstream = mesh.product(item.product)
        if upstream.spec.partitioning is None:
            continue
        found += [InputPeriod(upstream.name, p) for p in _overlapping(upstream, mesh, period)]
    return found


def reads_input_periods(mesh: Mesh, product: DataProduct) -> bool:
    """Return whether some period of ``product`` waits for periods of its input products."""
    return any(
        item.product is not None
        and item.window == "partition"
        and mesh.product(item.product).spec.partitioning is not None
        for item in product.spec.inputs
    )


def unpublished_input_periods(
    mesh: Mesh, product: DataProduct, period: Period, is_published: Callable[[str, str], bool]
) -> list[InputPeriod]:
    """Return the input periods ``period`` of ``product`` reads that are not published.

    ``is_published(product_name, partition_key)`` answers from wherever publishes are
    recorded (a Dagster instance, Airflow's asset events, a bulk index).
    """
    return [
        need
        for need in input_periods(mesh, product, period)
        if not is_published(need.product, need.period.key)
    ]
