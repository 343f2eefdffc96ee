"""Sample grain keys of failing rows, fetched only for checks that failed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import duckdb

from mesh_dagster.checks.identifiers import identifier
from mesh_dagster.checks.typed import TYPED_VIEW

SAMPLE_SIZE = 5
SampleValue = str | int | float | bool | None
SampleKey = dict[str, SampleValue]


def _json_value(value: object) -> SampleValue:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _fetch(
    connection: duckdb.DuckDBPyConnection, columns: tuple[str, ...], source: str
) -> list[SampleKey]:
    listed = ", ".join(identifier(name) for name in columns)
    sql = f"select distinct {listed} from {source} order by {listed} limit {SAMPLE_SIZE}"
    rows = connection.execute(sql).fetchall()
    return [
        {name: _json_value(value) for name, value in zip(columns, row, strict=True)} for row in rows
    ]


def failing_row_keys(
    connection: duckdb.DuckDBPyConnection, columns: tuple[str, ...], failing: str
) -> list[SampleKey]:
    """Return up to 5 distinct keys (``columns``) of the rows where ``failing`` is true."""
    if not columns:
        return []
    return _fetch(connection, columns, f"(select * from {TYPED_VIEW} where {failing})")


def duplicate_keys(
    connection: duckdb.DuckDBPyConnection, grain: tuple[str, ...], columns: tuple[str, ...]
) -> list[SampleKey]:
    """Return up to 5 grain keys held by more than one row, showing only ``columns``."""
    if not columns:
        return []
    key = ", ".join(identifier(name) for name in grain)
    groups = f"(select {key} from {TYPED_VIEW} group by {key} having count(*) > 1)"
    return _fetch(connection, columns, groups)
