"""ODCS `physicalType` / `logicalType` -> a mesh column type, or why there is none."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mesh_dagster.spec import values

_PHYSICAL = {
    "string": "string",
    "varchar": "string",
    "char": "string",
    "character": "string",
    "nvarchar": "string",
    "nchar": "string",
    "text": "string",
    "uuid": "string",
    "int": "integer",
    "int4": "integer",
    "int32": "integer",
    "integer": "integer",
    "smallint": "integer",
    "tinyint": "integer",
    "bigint": "bigint",
    "int8": "bigint",
    "int64": "bigint",
    "long": "bigint",
    "double": "double",
    "float": "double",
    "float8": "double",
    "float64": "double",
    "real": "double",
    "double precision": "double",
    "bool": "boolean",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "timestamp_ntz": "timestamp",
    "timestamp_ltz": "timestamp",
    "datetime": "timestamp",
    "timestamp with time zone": "timestamp",
    "timestamp without time zone": "timestamp",
}
_LOGICAL = {
    "string": "string",
    "integer": "bigint",
    "number": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}
_DECIMAL = re.compile(r"^(?:decimal|numeric|number)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
_SIZED = re.compile(r"^([a-z ]+?)\s*\(\s*\d+\s*\)$")


@dataclass(frozen=True)
class ColumnType:
    """The mesh type of a column, and a note when the contract said more than it keeps."""

    type: str | None
    note: str | None = None


def _physical(text: str) -> str | None:
    lowered = text.strip().lower()
    decimal = _DECIMAL.match(lowered)
    if decimal:
        return values.parse_column_type(f"decimal({decimal[1]},{decimal[2]})")
    sized = _SIZED.match(lowered)
    base = sized[1] if sized else lowered
    return _PHYSICAL.get(base)


def column_type(physical: object, logical: object) -> ColumnType:
    """Return the mesh type for a property's types (physical first), or why there is none."""
    if isinstance(physical, str):
        found = _physical(physical)
        if found is not None:
            note = None if found == physical else f"'{physical}' is read as '{found}'"
            return ColumnType(found, note)
    if logical in ("object", "array"):
        return ColumnType(None, f"mesh publishes flat tables; a column cannot be an {logical}")
    if logical == "time":
        return ColumnType("string", "a time of day is kept as a string ('HH:MM:SS')")
    if isinstance(logical, str) and logical in _LOGICAL:
        found = _LOGICAL[logical]
        note = None
        if isinstance(physical, str):
            note = f"physicalType '{physical}' is unknown to mesh; logicalType gives '{found}'"
        return ColumnType(found, note)
    if physical is None and logical is None:
        return ColumnType("string", "no type given; read as 'string'")
    shown = physical if isinstance(physical, str) else logical
    return ColumnType(None, f"mesh has no column type for '{shown}'")
