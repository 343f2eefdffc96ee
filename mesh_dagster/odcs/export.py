"""A data product -> one ODCS v3 contract (plain data, in the standard's field order)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mesh_dagster.odcs import names
from mesh_dagster.odcs.export_quality import export_quality
from mesh_dagster.spec.models import ColumnSpec, DataProduct, InputSpec

DEFAULT_GLUE_ACCOUNT = "default"
"""The Glue server's `account` (ODCS requires one): mesh uses the caller's account."""


def object_name(product: DataProduct) -> str:
    """Return the ODCS schema object name of a product (`orders-daily` -> `orders_daily`)."""
    return product.name.replace("-", "_")


def granularity_text(grain: list[str]) -> str:
    """Return the ODCS granularity text of a grain (`One row per order_id, order_date.`)."""
    return "One row per " + ", ".join(grain) + "."


def duration_text(delta: timedelta) -> str:
    """Return a duration as a spec writes it: `30m`, `2h`."""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def _custom(prop: str, value: Any) -> dict[str, Any]:
    return {"property": prop, "value": value}


def _property(
    product: DataProduct, column: ColumnSpec, rules: list[dict[str, Any]]
) -> dict[str, Any]:
    spec = product.spec
    decimal = column.type.startswith("decimal")
    item: dict[str, Any] = {
        "name": column.name,
        "logicalType": "number" if decimal else names.LOGICAL_TYPES[column.type],
        "physicalType": column.type,
        "required": not column.nullable,
    }
    if column.description is not None:
        item["description"] = column.description
    if column.name in spec.grain:
        item["primaryKey"] = True
        item["primaryKeyPosition"] = spec.grain.index(column.name) + 1
    if spec.partitioning is not None and spec.partitioning.column == column.name:
        item["partitioned"] = True
        item["partitionKeyPosition"] = 1
    item["classification"] = names.PII_CLASSIFICATION if column.pii else names.PUBLIC_CLASSIFICATION
    if column.pii_handling is not None:
        item["customProperties"] = [_custom(names.PII_HANDLING, column.pii_handling)]
    if rules:
        item["quality"] = rules
    return item


def _schema_object(product: DataProduct) -> dict[str, Any]:
    spec = product.spec
    quality = export_quality(product)
    item: dict[str, Any] = {
        "name": object_name(product),
        "physicalName": spec.output.table or object_name(product),
        "physicalType": "table",
        "description": spec.description,
    }
    if spec.grain:
        item["dataGranularityDescription"] = granularity_text(spec.grain)
    item["properties"] = [
        _property(product, column, quality.by_column.get(column.name, []))
        for column in spec.columns
    ]
    if quality.table:
        item["quality"] = quality.table
    if spec.partitioning is not None:
        partitioning = {"by": spec.partitioning.by, "start": spec.partitioning.start.isoformat()}
        item["customProperties"] = [_custom(names.PARTITIONING, partitioning)]
    return item


def _servers(product: DataProduct, glue_account: str) -> list[dict[str, Any]]:
    output = product.spec.output
    servers: list[dict[str, Any]] = [
        {
            "server": "production",
            "type": "s3",
            "location": output.location,
            "format": output.format,
        }
    ]
    if output.catalog == "glue" and output.database is not None:
        servers.append(
            {
                "server": "glue",
                "type": "glue",
                "account": glue_account,
                "database": output.database,
                "location": output.location,
                "format": output.format,
            }
        )
    return servers


def _team(product: DataProduct) -> dict[str, Any]:
    return {
        "name": product.metadata.owner,
        "members": [{"username": product.metadata.steward, "role": names.STEWARD_ROLE}],
    }


def _sla(product: DataProduct) -> list[dict[str, Any]]:
    spec = product.spec
    element = object_name(product)
    if spec.partitioning is not None:
        element = f"{element}.{spec.partitioning.column}"
    found: list[dict[str, Any]] = []
    sla = spec.sla
    if spec.partitioning is not None:
        unit = names.PERIOD_UNITS[spec.partitioning.by]
        found.append({"property": "frequency", "value": 1, "unit": unit, "element": element})
    if sla is not None and sla.available_by is not None:
        item: dict[str, Any] = {
            "property": "timeOfAvailability",
            "value": sla.available_by.strftime("%H:%M"),
            "element": element,
            "driver": "operational",
        }
        if sla.timezone is not None:
            item["customProperties"] = [_custom(names.SLA_TIMEZONE, sla.timezone)]
        found.append(item)
    if spec.quality.freshness_sla_hours is not None:
        hours = spec.quality.freshness_sla_hours
        found.append(
            {
                "property": "latency",
                "value": int(hours) if float(hours).is_integer() else hours,
                "unit": "h",
                "element": element,
                "driver": "operational",
            }
        )
    if sla is not None and sla.availability_target is not None:
        percent = round(sla.availability_target * 100, 10)
        found.append(
            {
                "property": "availability",
                "value": int(percent) if percent.is_integer() else percent,
                "unit": "percent",
                "element": element,
                "driver": "operational",
            }
        )
    return found


def _input(item: InputSpec) -> dict[str, Any]:
    return item.model_dump(mode="json", exclude_defaults=True)


def _custom_properties(product: DataProduct) -> list[dict[str, Any]]:
    spec = product.spec
    found: list[dict[str, Any]] = []
    if spec.schedule is not None:
        found.append(_custom(names.SCHEDULE, spec.schedule.model_dump(exclude_none=True)))
    if spec.sla is not None and spec.sla.within is not None:
        found.append(_custom(names.SLA_WITHIN, duration_text(spec.sla.within)))
        if spec.sla.timezone is not None and spec.sla.available_by is None:
            found.append(_custom(names.SLA_TIMEZONE, spec.sla.timezone))
    if spec.transform is not None:
        found.append(_custom(names.TRANSFORM, spec.transform.model_dump(exclude_none=True)))
    if spec.inputs:
        found.append(_custom(names.INPUTS, [_input(item) for item in spec.inputs]))
    if spec.consumers:
        consumers = [item.model_dump(exclude_defaults=True) for item in spec.consumers]
        found.append(_custom(names.CONSUMERS, consumers))
    if spec.alerts.channels:
        found.append(_custom(names.ALERT_CHANNELS, list(spec.alerts.channels)))
    if spec.quality.allow_empty:
        found.append(_custom(names.ALLOW_EMPTY, True))
    if spec.limits.query_timeout is not None:
        limits = {"query_timeout": duration_text(spec.limits.query_timeout)}
        found.append(_custom(names.LIMITS, limits))
    return found


def export_contract(
    product: DataProduct, glue_account: str = DEFAULT_GLUE_ACCOUNT
) -> dict[str, Any]:
    """Return the ODCS contract of ``product``; what ODCS has no field for is a `mesh.` property."""
    metadata = product.metadata
    contract: dict[str, Any] = {
        "apiVersion": names.EXPORT_API_VERSION,
        "kind": names.KIND,
        "id": product.name,
        "name": product.name,
        "version": metadata.version or names.NO_VERSION,
        "status": "active",
        "domain": metadata.domain,
        "dataProduct": product.name,
        "description": {"purpose": product.spec.description},
    }
    if metadata.tags:
        contract["tags"] = [f"{key}:{value}" for key, value in metadata.tags.items()]
    contract["servers"] = _servers(product, glue_account)
    contract["schema"] = [_schema_object(product)]
    contract["team"] = _team(product)
    sla = _sla(product)
    if sla:
        contract["slaProperties"] = sla
    custom = _custom_properties(product)
    if custom:
        contract["customProperties"] = custom
    return contract
