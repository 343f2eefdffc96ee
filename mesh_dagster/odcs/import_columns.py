"""ODCS schema properties -> a product's columns, grain and partitioning."""

from __future__ import annotations

import re
from typing import Any

from mesh_dagster.odcs import names
from mesh_dagster.odcs.import_context import ImportContext, Origins
from mesh_dagster.odcs.import_quality import QualityImport, Table, import_quality
from mesh_dagster.odcs.import_types import column_type
from mesh_dagster.spec import values
from mesh_dagster.spec.errors import FieldPath

_COLUMN = re.compile(values.COLUMN_NAME)
_TEMPORAL = ("date", "timestamp")


def read_columns(
    item: dict[str, Any], path: FieldPath, context: ImportContext, spec: dict[str, Any],
    origins: Origins, quality: QualityImport, table_name: str,
) -> None:  # fmt: skip
    """Read the schema object's properties into columns, grain and partitioning."""
    usage = context.usage
    columns: list[dict[str, Any]] = []
    keys: list[tuple[int, int, str]] = []
    partitioned: list[tuple[int, int, str, FieldPath]] = []
    for index, prop in enumerate(item.get("properties") or []):
        where = (*path, "properties", index)
        if not isinstance(prop, dict):
            continue
        raw = prop.get("name")
        name = raw.lower() if isinstance(raw, str) else None
        if name is None or not _COLUMN.match(name):
            context.problem(
                (*where, "name"),
                "a column name must be lowercase letters, digits and '_'.",
                f"Rename the column, e.g. '{re.sub(r'[^a-z0-9_]+', '_', str(raw).lower())}'.",
            )
            continue
        if name != raw:
            usage.leave((*where, "name"), f"the column is named '{name}' in mesh (lowercase)")
        kind = column_type(prop.get("physicalType"), prop.get("logicalType"))
        if kind.type is None:
            context.problem(where, f"column '{name}': {kind.note}.")
            usage.use(where)
            continue
        if prop.get("properties") or prop.get("items"):
            context.problem(where, f"column '{name}': mesh publishes flat tables, not nested ones.")
            usage.use(where)
            continue
        if "physicalName" in prop:
            usage.leave((*where, "physicalName"), "mesh names a column by its name")
        position = len(columns)
        column: dict[str, Any] = {"name": name, "type": kind.type}
        column_path = ("spec", "schema", position)
        origins[column_path] = where
        origins[(*column_path, "type")] = (
            *where,
            "physicalType" if "physicalType" in prop else "logicalType",
        )
        usage.use((*where, "name"), (*where, "logicalType"), (*where, "physicalType"))
        if kind.note is not None:
            usage.leave((*where, "physicalType"), kind.note)
        column["nullable"] = prop.get("required") is not True
        usage.use((*where, "required"))
        handling = next(
            (c.get("value") for c in prop.get("customProperties") or []
             if isinstance(c, dict) and c.get("property") == names.PII_HANDLING),
            None,
        )  # fmt: skip
        classification = str(prop.get("classification", "")).lower()
        sensitive = classification not in ("", "public", "internal", "unclassified")
        if sensitive or handling is not None:
            column["pii"] = True
            origins[(*column_path, "pii")] = (*where, "classification")
        if handling is not None:
            column["pii_handling"] = handling
            for c_index, c in enumerate(prop.get("customProperties") or []):
                if isinstance(c, dict) and c.get("property") == names.PII_HANDLING:
                    origins[(*column_path, "pii_handling")] = (*where, "customProperties", c_index)
                    usage.use((*where, "customProperties", c_index))
        usage.use((*where, "classification"))
        if isinstance(prop.get("description"), str):
            column["description"] = prop["description"]
            usage.use((*where, "description"))
        columns.append(column)
        if prop.get("primaryKey") is True:
            rank = prop.get("primaryKeyPosition")
            keys.append((rank if isinstance(rank, int) and rank > 0 else 1_000, index, name))
            usage.use((*where, "primaryKey"), (*where, "primaryKeyPosition"))
        elif prop.get("primaryKey") is False:
            usage.use((*where, "primaryKey"), (*where, "primaryKeyPosition"))
        if prop.get("partitioned") is True:
            rank = prop.get("partitionKeyPosition")
            order = rank if isinstance(rank, int) and rank > 0 else 1_000
            partitioned.append((order, index, name, where))
        elif prop.get("partitioned") is False:
            usage.use((*where, "partitioned"), (*where, "partitionKeyPosition"))
        if prop.get("unique") is True:
            quality.unique_sets.append(([name], (*where, "unique")))
            usage.use((*where, "unique"))
        import_quality(
            prop.get("quality"),
            (*where, "quality"),
            read_table(table_name, item),
            name,
            usage,
            quality,
        )
        for column_name, share, rule_path in quality.null_shares:
            if column_name == name:
                column["max_null_share"] = share
                origins[(*column_path, "max_null_share")] = rule_path
    spec["schema"] = columns
    origins[("spec", "schema")] = (*path, "properties")
    if keys:
        spec["grain"] = [name for _, _, name in sorted(keys)]
        origins[("spec", "grain")] = (*path, "properties")
    spec["_partitioned"] = sorted(partitioned)


def read_table(name: str, item: dict[str, Any]) -> Table:
    columns, booleans, required = [], [], []
    for prop in item.get("properties") or []:
        if isinstance(prop, dict) and isinstance(prop.get("name"), str):
            column = prop["name"].lower()
            columns.append(column)
            if prop.get("required") is True:
                required.append(column)
            if column_type(prop.get("physicalType"), prop.get("logicalType")).type == "boolean":
                booleans.append(column)
    return Table(name, tuple(columns), tuple(booleans), tuple(required))


def read_partitioning(
    spec: dict[str, Any], mesh: dict[str, tuple[Any, FieldPath]], context: ImportContext,
    origins: Origins,
) -> None:  # fmt: skip
    types = {column["name"]: column["type"] for column in spec["schema"]}
    partitioned: list[tuple[int, int, str, FieldPath]] = sorted(
        spec.pop("_partitioned"), key=lambda item: (types.get(item[2]) not in _TEMPORAL, item)
    )
    for _, _, name, where in partitioned[1:]:
        reason = "mesh partitions by one column"
        if types.get(name) not in _TEMPORAL:
            reason = "mesh partitions by one date or timestamp column"
        context.usage.leave((*where, "partitioned"), reason)
        context.usage.use((*where, "partitionKeyPosition"))
    if not partitioned:
        return
    _, _, column, where = partitioned[0]
    given = mesh.get(names.PARTITIONING)
    period = context.sla.period
    if isinstance(given, tuple) and isinstance(given[0], dict):
        value = {**given[0], "column": column}
        if "by" not in value and period is not None:
            value["by"] = period[0]
        spec["partitioning"] = value
        origins[("spec", "partitioning")] = given[1]
        origins[("spec", "partitioning", "column")] = (*where, "partitioned")
        context.usage.use((*where, "partitioned"), (*where, "partitionKeyPosition"))
        if period is not None:
            context.usage.use(period[1])
        return
    reason = (
        "mesh needs the period and the first period's date to partition "
        "(customProperties mesh.partitioning: {by: day, start: 2026-01-01}); imported unpartitioned"
    )
    context.usage.leave((*where, "partitioned"), reason)
    context.usage.use((*where, "partitionKeyPosition"))
