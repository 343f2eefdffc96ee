"""The Glue table a product should have, read back from Glue, and the differences (pure)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from mesh_dagster.spec.models import ColumnSpec, DataProduct

if TYPE_CHECKING:
    from mypy_boto3_glue.type_defs import ColumnOutputTypeDef, TableInputTypeDef, TableTypeDef

FINGERPRINT_PARAMETER = "mesh.fingerprint"
"""Table parameter holding the fingerprint of what the platform last registered."""

DELTA_PARAMETERS = {
    "EXTERNAL": "TRUE",
    "table_type": "DELTA",
    "classification": "delta",
    "spark.sql.sources.provider": "delta",
}
"""Table parameters that make Athena, Spark and Glue read the location as a Delta table."""

PII_PARAMETERS = ("pii", "pii_handling")
"""Column parameters the platform manages; others set by other tools are left alone."""

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
COMMENT_LIMIT = 255  # Glue's limit on a column comment
DESCRIPTION_LIMIT = 2048  # Glue's limit on a table description

_HIVE_TYPES = {"integer": "int"}
_DECIMAL = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


def glue_type(column_type: str) -> str:
    """Return the Hive/Glue type of a spec column type (``integer`` -> ``int``)."""
    match = _DECIMAL.match(column_type)
    if match:
        return f"decimal({match.group(1)},{match.group(2)})"
    return _HIVE_TYPES.get(column_type, column_type)


@dataclass(frozen=True)
class CatalogColumn:
    """One column as the catalog describes it."""

    name: str
    type: str
    comment: str | None
    pii: str | None
    pii_handling: str | None


@dataclass(frozen=True)
class CatalogTable:
    """The parts of a Glue table the platform manages."""

    database: str
    name: str
    description: str | None
    owner: str | None
    table_type: str | None
    location: str | None
    columns: tuple[CatalogColumn, ...]
    partition_keys: tuple[CatalogColumn, ...]
    parameters: tuple[tuple[str, str], ...]
    serde: str | None
    input_format: str | None
    output_format: str | None

    @property
    def qualified_name(self) -> str:
        """Return ``database.table``."""
        return f"{self.database}.{self.name}"

    def fingerprint(self) -> str:
        """Return a short, stable hash of the managed parts."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _column(spec: ColumnSpec) -> CatalogColumn:
    return CatalogColumn(
        name=spec.name,
        type=glue_type(spec.type),
        comment=_clip(spec.description, COMMENT_LIMIT),
        pii="true" if spec.pii else "false",
        pii_handling=spec.pii_handling,
    )


def partition_column(product: DataProduct) -> str | None:
    """Return the column the Delta table is physically partitioned by (a date), if any."""
    partitioning = product.spec.partitioning
    if partitioning is None:
        return None
    column = product.column(partitioning.column)
    return partitioning.column if column is not None and column.type == "date" else None


def is_managed_parameter(key: str) -> bool:
    """Return whether the platform owns the table parameter ``key`` (others are kept)."""
    return key in DELTA_PARAMETERS or (key.startswith("mesh.") and key != FINGERPRINT_PARAMETER)


def managed_parameters(product: DataProduct) -> dict[str, str]:
    """Return the table parameters the platform sets: Delta provider and product identity."""
    metadata = product.metadata
    parameters = {
        **DELTA_PARAMETERS,
        "mesh.product": metadata.name,
        "mesh.domain": metadata.domain,
        "mesh.owner": metadata.owner,
        "mesh.steward": metadata.steward,
    }
    if metadata.version:
        parameters["mesh.version"] = metadata.version
    return parameters


def catalog_target(product: DataProduct) -> tuple[str, str] | None:
    """Return the product's Glue ``(database, table)``, or None when it is not catalogued."""
    output = product.spec.output
    if output.catalog != "glue" or output.database is None or output.table is None:
        return None
    return output.database, output.table


def expected_table(product: DataProduct, uri: str) -> CatalogTable:
    """Return the Glue table the spec calls for, its data at ``uri``."""
    target = catalog_target(product)
    if target is None:
        raise ValueError(f"product '{product.name}' has no Glue catalog entry in spec.output")
    partition = partition_column(product)
    columns = [_column(column) for column in product.spec.columns]
    return CatalogTable(
        database=target[0],
        name=target[1],
        description=_clip(product.spec.description, DESCRIPTION_LIMIT),
        owner=product.metadata.owner,
        table_type="EXTERNAL_TABLE",
        location=uri,
        columns=tuple(column for column in columns if column.name != partition),
        partition_keys=tuple(column for column in columns if column.name == partition),
        parameters=tuple(sorted(managed_parameters(product).items())),
        serde=PARQUET_SERDE,
        input_format=PARQUET_INPUT,
        output_format=PARQUET_OUTPUT,
    )


def _read_column(column: ColumnOutputTypeDef) -> CatalogColumn:
    parameters = column.get("Parameters", {})
    return CatalogColumn(
        name=column["Name"],
        type=column.get("Type", ""),
        comment=column.get("Comment"),
        pii=parameters.get("pii"),
        pii_handling=parameters.get("pii_handling"),
    )


def read_table(glue_table: TableTypeDef) -> CatalogTable:
    """Return the managed parts of a table as Glue returned it (``GetTable``'s ``Table``)."""
    storage = glue_table.get("StorageDescriptor", {})
    serde = storage.get("SerdeInfo", {})
    parameters = glue_table.get("Parameters", {})
    return CatalogTable(
        database=glue_table.get("DatabaseName", ""),
        name=glue_table["Name"],
        description=glue_table.get("Description"),
        owner=glue_table.get("Owner"),
        table_type=glue_table.get("TableType"),
        location=storage.get("Location"),
        columns=tuple(_read_column(column) for column in storage.get("Columns", [])),
        partition_keys=tuple(_read_column(key) for key in glue_table.get("PartitionKeys", [])),
        parameters=tuple(sorted((k, v) for k, v in parameters.items() if is_managed_parameter(k))),
        serde=serde.get("SerializationLibrary"),
        input_format=storage.get("InputFormat"),
        output_format=storage.get("OutputFormat"),
    )


def _column_input(column: CatalogColumn, kept: Mapping[str, str]) -> dict[str, object]:
    parameters = {k: v for k, v in kept.items() if k not in PII_PARAMETERS}
    parameters["pii"] = column.pii or "false"
    if column.pii_handling:
        parameters["pii_handling"] = column.pii_handling
    result: dict[str, object] = {"Name": column.name, "Type": column.type}
    if column.comment:
        result["Comment"] = column.comment
    result["Parameters"] = parameters
    return result


def table_input(table: CatalogTable, existing: TableTypeDef | None = None) -> TableInputTypeDef:
    """Return the ``TableInput`` registering ``table``, fingerprinted.

    Table and column parameters that other tools set on ``existing`` are kept.
    """
    old_parameters = dict(existing.get("Parameters", {})) if existing else {}
    old_columns = {
        column["Name"]: column.get("Parameters", {})
        for column in [
            *(existing.get("StorageDescriptor", {}).get("Columns", []) if existing else []),
            *(existing.get("PartitionKeys", []) if existing else []),
        ]
    }
    parameters = {
        k: v
        for k, v in old_parameters.items()
        if not is_managed_parameter(k) and k != FINGERPRINT_PARAMETER
    }
    parameters.update(table.parameters)
    parameters[FINGERPRINT_PARAMETER] = table.fingerprint()
    result = {
        "Name": table.name,
        "Owner": table.owner,
        "TableType": table.table_type,
        "Parameters": parameters,
        "StorageDescriptor": {
            "Columns": [_column_input(c, old_columns.get(c.name, {})) for c in table.columns],
            "Location": table.location,
            "InputFormat": table.input_format,
            "OutputFormat": table.output_format,
            "SerdeInfo": {
                "SerializationLibrary": table.serde,
                "Parameters": {"serialization.format": "1", "path": table.location},
            },
        },
        "PartitionKeys": [
            _column_input(c, old_columns.get(c.name, {})) for c in table.partition_keys
        ],
    }
    if table.description:
        result["Description"] = table.description
    return result  # type: ignore[return-value]


def _show(value: object) -> str:
    return "nothing" if value is None else f"'{value}'"


def _column_differences(
    kind: str, glue: Sequence[CatalogColumn], spec: Sequence[CatalogColumn]
) -> list[str]:
    found = {column.name: column for column in glue}
    wanted = {column.name: column for column in spec}
    lines = [
        f"{kind} '{name}' is in Glue but not in the spec" for name in found if name not in wanted
    ]
    lines += [
        f"{kind} '{name}' is in the spec but not in Glue" for name in wanted if name not in found
    ]
    for name, want in wanted.items():
        have = found.get(name)
        if have is None:
            continue
        for field in ("type", "comment", "pii", "pii_handling"):
            if getattr(have, field) != getattr(want, field):
                lines.append(
                    f"{kind} '{name}' {field.replace('_', ' ')}: Glue has "
                    f"{_show(getattr(have, field))}, the spec says {_show(getattr(want, field))}"
                )
    have_order, want_order = [c.name for c in glue], [c.name for c in spec]
    if not lines and have_order != want_order:
        lines.append(f"{kind} order: Glue has {have_order}, the spec says {want_order}")
    return lines


def table_differences(glue: CatalogTable, spec: CatalogTable) -> list[str]:
    """Return one sentence per difference between the Glue table and the spec's."""
    lines = _column_differences("column", glue.columns, spec.columns)
    lines += _column_differences("partition key", glue.partition_keys, spec.partition_keys)
    for field in ("location", "owner", "table_type", "description", "serde"):
        have, want = getattr(glue, field), getattr(spec, field)
        if have != want:
            lines.append(
                f"{field.replace('_', ' ')}: Glue has {_show(have)}, the spec says {_show(want)}"
            )
    for field in ("input_format", "output_format"):
        if getattr(glue, field) != getattr(spec, field):
            lines.append(f"{field.replace('_', ' ')}: Glue has {_show(getattr(glue, field))}")
    have_parameters, want_parameters = dict(glue.parameters), dict(spec.parameters)
    for key in sorted(want_parameters.keys() | have_parameters.keys()):
        want = want_parameters.get(key)
        if have_parameters.get(key) != want:
            lines.append(
                f"parameter '{key}': Glue has {_show(have_parameters.get(key))}, "
                f"the spec says {_show(want)}"
            )
    return lines
