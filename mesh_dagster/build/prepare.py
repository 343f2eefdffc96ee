"""Shape a transform's result into the declared schema, so the audit sees what would publish."""

from __future__ import annotations

import pyarrow as pa

from mesh_dagster.io.arrow_types import arrow_type
from mesh_dagster.io.errors import DataValueError, describe_library_error
from mesh_dagster.spec.models import DataProduct


def _cast(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray | None:
    try:
        return column.cast(target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None


def cast_to_schema(table: pa.Table, product: DataProduct) -> pa.Table:
    """Return ``table`` with declared columns first, each cast to its type where it can be.

    Naive timestamps are taken as UTC. Columns that cannot be cast keep their type and
    undeclared columns are kept, so the ``schema`` check reports them instead of a crash.
    """
    columns: list[pa.ChunkedArray] = []
    names: list[str] = []
    for spec in product.spec.columns:
        if spec.name not in table.column_names:
            continue
        column = table.column(spec.name)
        cast = _cast(column, arrow_type(spec.type))
        columns.append(column if cast is None else cast)
        names.append(spec.name)
    declared = set(names)
    for name in table.column_names:
        if name not in declared:
            columns.append(table.column(name))
            names.append(name)
    return pa.table(columns, names=names)


def publishable(table: pa.Table, product: DataProduct) -> pa.Table:
    """Return exactly the declared columns, typed, with Delta-friendly nullable fields.

    Raises DataValueError naming the column (never a value) when one cannot be cast.
    """
    fields = [pa.field(c.name, arrow_type(c.type), nullable=True) for c in product.spec.columns]
    columns: list[pa.ChunkedArray] = []
    for target in fields:
        try:
            columns.append(table.column(target.name).cast(target.type))
        except pa.ArrowException as error:
            raise DataValueError(
                f"'{product.name}' cannot be published: "
                f"{describe_library_error(error, target.name)}"
            ) from None
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))
