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


def _sample(columns: tuple[str, ...], values: tuple[object, ...]) -> SampleKey:
    return {name: _json_value(value) for name, value in zip(columns, values, strict=True)}


def failing_row_keys(
    connection: duckdb.DuckDBPyConnection, columns: tuple[str, ...], failing: dict[str, str]
) -> dict[str, list[SampleKey]]:
    """Return, per check, up to 5 keys (``columns``) of rows where its expression is true.

    One scan serves every check: ``min(key, 5)`` keeps the 5 smallest keys, so samples are
    the same from run to run.
    """
    if not columns or not failing:
        return {}
    key = f"row({', '.join(identifier(name) for name in columns)})"
    names = list(failing)
    aggregates = [
        f"min({key}, {SAMPLE_SIZE}) filter (where {failing[name]}) as s{index}"
        for index, name in enumerate(names)
    ]
    row = connection.execute(f"select {', '.join(aggregates)} from {TYPED_VIEW}").fetchone()
    assert row is not None
    samples: dict[str, list[SampleKey]] = {}
    for name, keys in zip(names, row, strict=True):
        unique: list[SampleKey] = []
        for values in keys or []:
            sample = _sample(columns, tuple(values))
            if sample not in unique:  # rows may share a key when the grain is not unique
                unique.append(sample)
        samples[name] = unique
    return samples


def duplicate_keys(
    connection: duckdb.DuckDBPyConnection, grain: tuple[str, ...], columns: tuple[str, ...]
) -> list[SampleKey]:
    """Return up to 5 grain keys held by more than one row, showing only ``columns``."""
    if not columns:
        return []
    key = ", ".join(identifier(name) for name in grain)
    shown = ", ".join(identifier(name) for name in columns)
    groups = f"select {key} from {TYPED_VIEW} group by {key} having count(*) > 1"
    sql = f"select distinct {shown} from ({groups}) order by {shown} limit {SAMPLE_SIZE}"
    return [_sample(columns, tuple(values)) for values in connection.execute(sql).fetchall()]
