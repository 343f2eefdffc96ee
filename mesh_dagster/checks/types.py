"""Spec column types as DuckDB types, and which DuckDB types widen to them without loss."""

from __future__ import annotations

import re

_SIMPLE: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
}
_SPEC_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
_DUCKDB_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_SMALL_INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT"})
# Source types a declared type holds exactly, so the value needs no per-row check. Naive
# timestamps are taken as UTC (the session timezone), as DESIGN section 8 says.
_LOSSLESS: dict[str, frozenset[str]] = {
    "VARCHAR": frozenset({"VARCHAR"}),
    "INTEGER": _SMALL_INTEGERS,
    "BIGINT": _SMALL_INTEGERS | {"BIGINT", "UINTEGER"},
    "DOUBLE": _SMALL_INTEGERS | {"UINTEGER", "FLOAT", "DOUBLE"},
    "BOOLEAN": frozenset({"BOOLEAN"}),
    "DATE": frozenset({"DATE"}),
    "TIMESTAMPTZ": frozenset(
        {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMPTZ"}
    ),
}
_ALIASES = {"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ"}


def duckdb_type(column_type: str) -> str:
    """Return the DuckDB type of a (normalised) spec column type, e.g. ``DECIMAL(18,2)``."""
    match = _SPEC_DECIMAL.match(column_type)
    if match:
        return f"DECIMAL({match.group(1)},{match.group(2)})"
    return _SIMPLE[column_type]


def normalise_duckdb_type(name: str) -> str:
    """Return DuckDB's name of a type in the spelling ``duckdb_type`` uses."""
    upper = name.strip().upper()
    match = _DUCKDB_DECIMAL.match(upper)
    if match:
        return f"DECIMAL({match.group(1)},{match.group(2)})"
    return _ALIASES.get(upper, upper)


def is_lossless(source: str, target: str) -> bool:
    """Return whether every value of DuckDB type ``source`` is exactly a ``target`` value."""
    source, target = normalise_duckdb_type(source), normalise_duckdb_type(target)
    if source == target:
        return True
    target_decimal = _DUCKDB_DECIMAL.match(target)
    if target_decimal:
        precision, scale = int(target_decimal.group(1)), int(target_decimal.group(2))
        source_decimal = _DUCKDB_DECIMAL.match(source)
        if source_decimal:
            source_precision, source_scale = map(int, source_decimal.groups())
            return source_scale <= scale and source_precision - source_scale <= precision - scale
        return False
    return source in _LOSSLESS.get(target, frozenset())
