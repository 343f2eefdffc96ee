"""plan_backfill: a product and a range of days -> the (product, period) builds, in order.

Pure: no Dagster, no I/O. The plan goes period by period of the named product; with
``with_upstream`` each period is preceded by the periods of the built products it reads
(transitively, by time range when partitionings differ), each product after its inputs,
and every build appears once.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mesh_dagster.spec.graph import topological_order
from mesh_dagster.spec.input_periods import input_periods
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.periods import Period, period_of


class BackfillPlanError(ValueError):
    """A backfill that cannot be planned; the message says why and what to do."""


@dataclass(frozen=True)
class BackfillStep:
    """One build: a period of a product, named by the user or needed upstream."""

    product: str
    period: Period
    upstream: bool = False

    def __str__(self) -> str:
        return f"{self.product} {self.period.key}"


@dataclass(frozen=True)
class BackfillPlan:
    """The builds of a backfill, in the order they run."""

    product: str
    first: date
    last: date
    steps: tuple[BackfillStep, ...]

    @property
    def periods(self) -> int:
        """Return the number of periods of the named product."""
        return sum(1 for step in self.steps if not step.upstream)


def _product(mesh: Mesh, name: str) -> DataProduct:
    if name in mesh.products:
        return mesh.products[name]
    known = sorted(mesh.products)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"Did you mean '{close[0]}'?" if close else f"The specs have: {', '.join(known)}."
    raise BackfillPlanError(f"there is no product '{name}' in the specs. {hint}")


def _periods_of_days(mesh: Mesh, product: DataProduct, first: date, last: date) -> list[Period]:
    """Return the product's periods that overlap the days ``first`` to ``last`` (inclusive)."""
    partitioning = product.spec.partitioning
    assert partitioning is not None
    timezone = mesh.timezone_of(product)
    zone = ZoneInfo(timezone)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    found: list[Period] = []
    current = period_of(start, partitioning.by, timezone)
    while current.start < end:
        found.append(current)
        current = period_of(current.end, partitioning.by, timezone)
    return found


def _check_range(
    mesh: Mesh, product: DataProduct, first: date, last: date, now: datetime
) -> list[Period]:
    name = product.name
    if product.is_external:
        raise BackfillPlanError(
            f"'{name}' is built outside the platform (it has no transform): mesh cannot build "
            "its periods; they are published when Dagster observes its table."
        )
    partitioning = product.spec.partitioning
    if partitioning is None:
        raise BackfillPlanError(
            f"'{name}' has no partitioning, so it has no periods to backfill: build it with "
            "`dagster asset materialize`, or from the Dagster UI."
        )
    if last < first:
        raise BackfillPlanError(f"--to {last} is before --from {first}.")
    if first < partitioning.start:
        raise BackfillPlanError(
            f"--from {first} is before the first period of '{name}' "
            f"(spec.partitioning.start: {partitioning.start}): start at {partitioning.start} "
            "or later."
        )
    periods = _periods_of_days(mesh, product, first, last)
    unfinished = next((period for period in periods if period.end > now), None)
    if unfinished is not None:
        ends = unfinished.end.strftime("%Y-%m-%d %H:%M %Z")
        raise BackfillPlanError(
            f"--to {last} reaches period {unfinished.key} of '{name}', which has not ended "
            f"yet (it ends {ends}): end the range at an earlier day."
        )
    return periods


def _upstream_steps(
    mesh: Mesh, product: DataProduct, period: Period, now: datetime
) -> set[tuple[str, Period]]:
    """Return the built upstream periods that ``period`` of ``product`` reads, transitively."""
    found: set[tuple[str, Period]] = set()
    frontier = [(product, period)]
    while frontier:
        reader, reader_period = frontier.pop()
        for needed in input_periods(mesh, reader, reader_period):
            upstream = mesh.product(needed.product)
            pair = (upstream.name, needed.period)
            # An external product is observed, not built; a period still running is not due.
            if upstream.is_external or needed.period.end > now or pair in found:
                continue
            found.add(pair)
            frontier.append((upstream, needed.period))
    return found


def plan_backfill(
    mesh: Mesh,
    name: str,
    first: date,
    last: date,
    *,
    with_upstream: bool,
    now: datetime,
) -> BackfillPlan:
    """Return the builds of ``name``'s periods over the days ``first`` to ``last``.

    BackfillPlanError when the product cannot be backfilled or the range is outside its
    periods (before ``spec.partitioning.start``, or reaching a period not yet ended at
    ``now``).
    """
    product = _product(mesh, name)
    periods = _check_range(mesh, product, first, last, now)
    rank = {item: index for index, item in enumerate(topological_order(mesh.products))}
    steps: list[BackfillStep] = []
    planned: set[tuple[str, str]] = set()
    for period in periods:
        before = _upstream_steps(mesh, product, period, now) if with_upstream else set()
        for upstream, upstream_period in sorted(
            before, key=lambda pair: (rank[pair[0]], pair[1].start)
        ):
            if (upstream, upstream_period.key) not in planned:
                planned.add((upstream, upstream_period.key))
                steps.append(BackfillStep(upstream, upstream_period, upstream=True))
        planned.add((name, period.key))
        steps.append(BackfillStep(name, period))
    return BackfillPlan(name, first, last, tuple(steps))
