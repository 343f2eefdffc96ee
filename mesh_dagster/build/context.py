"""What a transform is given: its inputs as Arrow tables and the run's period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from mesh_dagster.spec.models import DataProduct


@dataclass(frozen=True)
class TransformContext:
    """The context a ``python:`` transform receives as its only argument.

    ``inputs`` maps each input's view name (hyphens as underscores, e.g. ``order_events``)
    to its rows for this run. ``partition_*`` are None for an unpartitioned product; the
    window is half-open ``[partition_start, partition_end)`` in the schedule's timezone.
    """

    product: DataProduct
    inputs: dict[str, pa.Table] = field(default_factory=dict)
    partition_key: str | None = None
    partition_start: datetime | None = None
    partition_end: datetime | None = None


def view_name(product_or_source: str) -> str:
    """Return the SQL view name of an input: hyphens become underscores."""
    return product_or_source.replace("-", "_")
