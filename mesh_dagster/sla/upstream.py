"""Why a period missed its deadline: the input periods it was still waiting for.

A product never builds over a missing input period, so a period whose input was not
published by its deadline missed it *upstream*. The SLA verdict records those inputs (and
whether each missed its own deadline); notices name them, and the scorecard counts such
misses apart from the product's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from mesh_dagster.sla.verdicts import DuePeriod, deadline_of
from mesh_dagster.spec.input_periods import input_periods
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct

WAITING_FOR = "mesh/waiting_for"
"""Verdict metadata: the input periods not published by the deadline (``product period``)."""
WAITING_FOR_MISSED = "mesh/waiting_for_missed"
"""Verdict metadata: those of them that missed their own deadline."""

FirstPublish = Callable[[str, str], datetime | None]
"""When a product's period was first published (None: not yet)."""


@dataclass(frozen=True)
class MissingInput:
    """An input period that was not published by the deadline of the period reading it."""

    product: str
    partition: str
    missed: bool
    """Whether it is itself missed: its own deadline passed without its publish."""

    def __str__(self) -> str:
        return f"{self.product} {self.partition}"


def missing_inputs(
    mesh: Mesh,
    product: DataProduct,
    due: DuePeriod,
    now: datetime,
    first_publish: FirstPublish,
) -> list[MissingInput]:
    """Return the input periods of ``due`` not published by its deadline, as known at ``now``."""
    found: list[MissingInput] = []
    for need in input_periods(mesh, product, due.period):
        published = first_publish(need.product, need.period.key)
        if published is not None and published <= due.deadline:
            continue
        upstream = mesh.product(need.product)
        missed = False
        if upstream.spec.sla is not None:
            own_deadline = deadline_of(mesh, upstream, need.period)
            missed = own_deadline <= now and (published is None or published > own_deadline)
        found.append(MissingInput(need.product, need.period.key, missed))
    return found


def waiting_metadata(missing: Sequence[MissingInput]) -> dict[str, list[str]]:
    """Return the verdict metadata recording ``missing`` (nothing when none is missing)."""
    if not missing:
        return {}
    return {
        WAITING_FOR: [str(item) for item in missing],
        WAITING_FOR_MISSED: [str(item) for item in missing if item.missed],
    }


def read_waiting(metadata: Mapping[str, object]) -> list[MissingInput]:
    """Return the missing inputs a verdict's (plain) metadata recorded, in recorded order."""
    waiting = _strings(metadata.get(WAITING_FOR))
    missed = set(_strings(metadata.get(WAITING_FOR_MISSED)))
    found: list[MissingInput] = []
    for text in waiting:
        product, _, partition = text.partition(" ")
        if product and partition:
            found.append(MissingInput(product, partition, text in missed))
    return found


def _strings(value: object) -> list[str]:
    if not isinstance(value, Iterable) or isinstance(value, (str, bytes)):
        return []
    return [item for item in value if isinstance(item, str)]
