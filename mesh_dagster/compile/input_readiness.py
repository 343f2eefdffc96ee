"""Which products of a period may be built now: never over an input period not yet published."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from dagster import AssetKey

from mesh_dagster.spec.input_periods import InputPeriod, input_periods
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.periods import Period

IsPublished = Callable[[AssetKey, str], bool]


@dataclass(frozen=True)
class Readiness:
    """Products of one period that can be built now, and what the others wait for."""

    ready: tuple[str, ...]
    waiting: Mapping[str, tuple[InputPeriod, ...]] = field(default_factory=dict)

    def describe_waiting(self) -> str:
        """Return ``orders-daily waits for order-events 2026-03-13; ...``."""
        return "; ".join(
            f"{name} waits for {', '.join(str(item) for item in needs)}"
            for name, needs in sorted(self.waiting.items())
        )


def plan_readiness(
    mesh: Mesh,
    members: Sequence[str],
    period: Period,
    keys: Mapping[str, AssetKey],
    is_published: IsPublished,
) -> Readiness:
    """Return which of ``members`` can be built for ``period`` now: all their inputs are published.

    A product is never built in the same run as an input it waits for: if that input's
    publish were blocked, the reader would be skipped, not left waiting for the fix.
    """
    ready: list[str] = []
    waiting: dict[str, tuple[InputPeriod, ...]] = {}
    for name in members:
        missing = tuple(
            need
            for need in input_periods(mesh, mesh.product(name), period)
            if not is_published(keys[need.product], need.period.key)
        )
        if missing:
            waiting[name] = missing
        else:
            ready.append(name)
    return Readiness(tuple(ready), waiting)
