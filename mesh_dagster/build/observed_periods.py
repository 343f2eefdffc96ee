"""Which periods the rows of an observed table hold (externally built products)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.periods import period_of


def period_keys(product: DataProduct, rows: pa.Table, timezone: str) -> list[str]:
    """Return the partition keys of the periods ``rows`` hold, sorted."""
    partitioning = product.spec.partitioning
    if partitioning is None or rows.num_rows == 0:
        return []
    zone = ZoneInfo(timezone)
    keys = set()
    for value in pc.unique(rows.column(partitioning.column).drop_null()).to_pylist():
        moment = value if isinstance(value, datetime) else datetime.combine(value, time(0), zone)
        keys.add(period_of(moment, partitioning.by, timezone).key)
    return sorted(keys)
