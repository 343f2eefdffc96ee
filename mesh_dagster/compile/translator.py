"""MeshTranslator: the one place users customise how a product looks in Dagster."""

from __future__ import annotations

import hashlib
import importlib.util
from typing import Any

from dagster import AssetKey, MetadataValue, TableColumn, TableColumnConstraints, TableSchema

from mesh_dagster.compile.names import dagster_name, tag_text
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct

_CODE_VERSION_LENGTH = 16


def _module_digest(reference: str) -> str:
    """Return the hash of a ``python:`` transform's module file, without importing it."""
    module_name = reference.partition(":")[0]
    try:
        found = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        found = None
    if found is None or found.origin is None or not found.has_location:
        return "unresolved"
    try:
        with open(found.origin, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return "unreadable"


class MeshTranslator:
    """Maps a data product onto its Dagster asset; subclass and override to customise.

    Like dagster-dbt's ``DagsterDbtTranslator``: each ``get_*`` method decides one
    attribute of the asset from the product spec.
    """

    def get_asset_key(self, product: DataProduct) -> AssetKey:
        """Return the asset key: ``[domain, name]``."""
        return AssetKey([product.domain, product.name])

    def get_group_name(self, product: DataProduct) -> str:
        """Return the group: the domain, as a valid Dagster name."""
        return dagster_name(product.domain)

    def get_owners(self, product: DataProduct) -> list[str]:
        """Return the owners: the owning team and the steward's e-mail."""
        return [f"team:{product.metadata.owner}", product.metadata.steward]

    def get_description(self, product: DataProduct) -> str:
        """Return the asset description: the spec's Markdown description."""
        return product.spec.description.strip()

    def get_kinds(self, product: DataProduct) -> set[str]:
        """Return the kinds shown on the asset: format, storage, catalog and engine."""
        output = product.spec.output
        kinds: set[str] = {output.format}
        kinds.add("s3" if output.location.startswith("s3://") else "local")
        if output.catalog:
            kinds.add(output.catalog)
        transform = product.spec.transform
        if transform is not None:
            kinds.add("duckdb" if transform.sql is not None else "python")
        return kinds

    def get_tags(self, product: DataProduct) -> dict[str, str]:
        """Return the spec's tags plus the domain, made valid for Dagster."""
        tags = {tag_text(key): tag_text(value) for key, value in product.metadata.tags.items()}
        tags["mesh/domain"] = tag_text(product.domain)
        if product.metadata.version:
            tags["mesh/version"] = tag_text(product.metadata.version)
        return tags

    def get_code_version(self, product: DataProduct) -> str:
        """Return a hash of the normalised spec (and a Python transform's module file)."""
        digest = hashlib.sha256(product.model_dump_json(by_alias=True).encode("utf-8"))
        transform = product.spec.transform
        if transform is not None and transform.python is not None:
            digest.update(_module_digest(transform.python).encode("utf-8"))
        return digest.hexdigest()[:_CODE_VERSION_LENGTH]

    def get_column_schema(self, product: DataProduct) -> TableSchema:
        """Return the column schema: types, nullability, descriptions and PII marks."""
        columns = []
        for column in product.spec.columns:
            other = [f"pii: {column.pii_handling or 'unhandled'}"] if column.pii else []
            tags = {"pii": column.pii_handling or "true"} if column.pii else None
            columns.append(
                TableColumn(
                    name=column.name,
                    type=column.type,
                    description=column.description,
                    constraints=TableColumnConstraints(nullable=column.nullable, other=other),
                    tags=tags,
                )
            )
        return TableSchema(columns=columns)

    def get_table_name(self, product: DataProduct) -> str:
        """Return the table's name: the catalog's ``database.table``, else the product name."""
        output = product.spec.output
        if output.database and output.table:
            return f"{output.database}.{output.table}"
        return dagster_name(product.name)

    def get_metadata(self, product: DataProduct, mesh: Mesh) -> dict[str, Any]:
        """Return the asset metadata: schema, table, URI, consumers, SLA and contract."""
        spec = product.spec
        metadata: dict[str, Any] = {
            "dagster/column_schema": self.get_column_schema(product),
            "dagster/table_name": self.get_table_name(product),
            "dagster/uri": MetadataValue.path(spec.output.location),
            "mesh/domain": product.domain,
            "mesh/steward": product.metadata.steward,
            "mesh/consumers": MetadataValue.md(_consumers_markdown(product)),
        }
        if spec.grain:
            metadata["mesh/grain"] = ", ".join(spec.grain)
        if spec.schedule is not None:
            metadata["mesh/schedule"] = f"{spec.schedule.cron} ({mesh.timezone_of(product)})"
        if spec.sla is not None:
            metadata["mesh/sla"] = MetadataValue.json(_sla_json(product, mesh))
        if product.metadata.version:
            metadata["mesh/version"] = product.metadata.version
        return metadata


def _consumers_markdown(product: DataProduct) -> str:
    if not product.spec.consumers:
        return "_No declared consumers._"
    rows = ["| team | use case | contact |", "|---|---|---|"]
    for consumer in product.spec.consumers:
        rows.append(f"| {consumer.team} | {consumer.use_case} | {consumer.contact or ''} |")
    return "\n".join(rows)


def _sla_json(product: DataProduct, mesh: Mesh) -> dict[str, Any]:
    sla = product.spec.sla
    assert sla is not None
    data: dict[str, Any] = {"timezone": mesh.sla_timezone_of(product)}
    if sla.available_by is not None:
        data["available_by"] = sla.available_by.strftime("%H:%M")
    if sla.within is not None:
        data["within_minutes"] = int(sla.within.total_seconds() // 60)
    target = mesh.availability_target_of(product)
    if target is not None:
        data["availability_target"] = target
    return data
