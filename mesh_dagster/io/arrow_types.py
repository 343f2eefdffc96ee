"""Spec column types as Arrow types."""

from __future__ import annotations

import re

import pyarrow as pa

_SIMPLE: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")


def arrow_type(column_type: str) -> pa.DataType:
    """Return the Arrow type of a (normalised) spec column type."""
    match = _DECIMAL.match(column_type)
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    return _SIMPLE[column_type]
