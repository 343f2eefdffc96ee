"""Read a published table as `mesh check` judges it: a period's rows and the unplaced ones."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from mesh_dagster.io.delta import PeriodFilter, open_table, storage_errors


@dataclass(frozen=True)
class StoredRows:
    """Rows of a published table: those of the period asked (or all), and the unplaced.

    ``unplaced`` counts the rows whose partition column is null: no period holds them,
    so a reader of periods never sees them; they are part of ``table``.
    """

    table: pa.Table
    unplaced: int = 0


def read_stored_rows(
    uri: str, options: dict[str, str], column: str | None, period_filter: PeriodFilter | None
) -> StoredRows | None:
    """Return the rows of ``period_filter``'s period (all without one) and the rows whose
    partition ``column`` is null (None: unpartitioned); None if there is no table.
    """
    table = open_table(uri, options)
    if table is None:
        return None
    expression = None
    if period_filter is not None:
        expression = period_filter.expression()
        if column is not None:
            expression = expression | pc.field(column).is_null()
    with storage_errors(uri, options):
        rows = table.to_pyarrow_dataset().to_table(filter=expression)
    return StoredRows(rows, int(rows.column(column).null_count) if column is not None else 0)
