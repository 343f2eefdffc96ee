"""Which products of a period may be built now: never over an input period not yet published."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from dagster import AssetKey

from mesh_dagster.spec.input_periods import InputPeriod, unpublished_input_periods
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.periods import Period

IsPublished = Callable[[AssetKey, str], bool]


@dataclass(frozen=True)
class Readiness:
    """Products of one period that can be built now, and what the others wait for."""

    ready: tuple[str, ...]
    waiting: Mapping[str, tuple[InputPeriod, ...]] = field(default_factory=dict)


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
            unpublished_input_periods(
                mesh,
                mesh.product(name),
                period,
                lambda upstream, key: is_published(keys[upstream], key),
            )
        )
        if missing:
            waiting[name] = missing
        else:
            ready.append(name)
    return Readiness(tuple(ready), waiting)
