"""The DuckDB engine: a period's rows, from lazily scanned inputs to staged Parquet files.

The transform's SELECT, the cast to the declared types and the PII handling run as one
streaming query in the sandbox (no files, no network, locked configuration); its batches
go straight into staged files (``io.staging``), so the period is never held in Python and
DuckDB spills to its temp directory past its memory limit. The PII key's pads are query
parameters under names drawn per build; a transform that uses parameters is refused, so
it cannot read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import uuid4

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from mesh_dagster.build.context import TransformContext
from mesh_dagster.build.staging_sql import (
    CAST_FAILED,
    ResultColumn,
    Shape,
    fits_exactly,
    staging_query,
)
from mesh_dagster.build.transform import TransformError
from mesh_dagster.checks.engine import EngineLimits, TimeLimit, open_engine, time_limit
from mesh_dagster.io.arrow_types import arrow_type
from mesh_dagster.io.errors import DataValueError, describe_library_error
from mesh_dagster.io.pii_sql import HmacKey
from mesh_dagster.io.staging import Staging, discard, stage_batches
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.window import window_statements

BATCH_ROWS = 122_880
"""Rows per batch DuckDB hands over (DuckDB's row group size)."""
RESULT_VIEW = "__mesh_python_result"


@dataclass(frozen=True)
class StagingTarget:
    """Where and how a period is staged: the table, its partition column and the PII key."""

    uri: str
    options: dict[str, str]
    partition_by: str | None
    key: HmacKey | None
    passthrough: frozenset[str] = frozenset()


# DuckDB errors that cross the Arrow stream arrive as OSError carrying DuckDB's text;
# the class is recovered from the text's prefix (the text itself is never shown).
_STREAM_ERRORS: tuple[tuple[str, type[duckdb.Error]], ...] = (
    ("INTERRUPT Error", duckdb.InterruptException),
    ("Conversion Error", duckdb.ConversionException),
    ("Invalid Input Error", duckdb.InvalidInputException),
    ("Out of Range Error", duckdb.OutOfRangeException),
    ("Out of Memory Error", duckdb.OutOfMemoryException),
    ("Constraint Error", duckdb.ConstraintException),
)
# A cast that cannot bind, or a value that does not cast: stage the rows as they are.
_EXACT_CAST_ERRORS = (
    duckdb.InvalidInputException,
    duckdb.BinderException,
    duckdb.ConversionException,
)


def engine_error(error: BaseException) -> BaseException:
    """Return the DuckDB error an Arrow stream failure stands for, else ``error`` itself."""
    if isinstance(error, duckdb.Error):
        return error
    text = str(error)
    for prefix, kind in _STREAM_ERRORS:
        if text.startswith(prefix) or f": {prefix}:" in text:
            return kind(text)
    return error


def publish_schema(product: DataProduct) -> pa.Schema:
    """Return the schema a period is published with: the declared columns, nullable."""
    return pa.schema(
        [pa.field(c.name, arrow_type(c.type), nullable=True) for c in product.spec.columns]
    )


def _refuse_parameters(connection: duckdb.DuckDBPyConnection, sql: str, name: str) -> None:
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error:
        return  # the query itself reports the syntax error, located
    if any(statement.named_parameters for statement in statements):
        raise TransformError(
            f"the SQL transform of '{name}' uses a query parameter ($name or ?); a transform "
            "reads its period from getvariable('partition_start') and the other window "
            "variables."
        )


def _stage_shape(
    connection: duckdb.DuckDBPyConnection,
    product: DataProduct,
    source: str,
    columns: list[ResultColumn],
    shape: Shape,
    target: StagingTarget,
) -> Staging:
    query = staging_query(product, columns, source, shape, target.key, target.passthrough)
    key = target.key
    parameters = key.parameters() if key is not None and f"${key.inner_name}" in query else None
    reader = connection.sql(query, params=parameters).to_arrow_reader(BATCH_ROWS)
    schema = publish_schema(product) if shape == "exact" else _nullable(reader.schema)
    if reader.schema != schema:
        reader = reader.cast(schema)
    staging = Staging(target.uri, target.options, schema, target.partition_by, uuid4().hex)
    try:
        stage_batches(reader, staging)
    except BaseException as error:
        discard(staging)
        cause = engine_error(error)
        if cause is error:
            raise
        raise cause from None
    return staging


def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([field.with_nullable(True) for field in schema])


def stage_query(
    connection: duckdb.DuckDBPyConnection,
    product: DataProduct,
    source: str,
    target: StagingTarget,
) -> Staging:
    """Stage the rows of ``source`` (a subquery or view) on ``connection``; return them.

    The exact shape is tried first; when a value does not cast exactly (DuckDB raises
    ``CAST_FAILED``) the rows are staged again as they are, for the audit to report.
    """
    relation = connection.sql(f"select * from {source} as __mesh_described")
    names, kinds = relation.columns, relation.types
    columns = [ResultColumn(name, str(kind)) for name, kind in zip(names, kinds, strict=True)]
    if not fits_exactly(product, columns):
        return _stage_shape(connection, product, source, columns, "as_is", target)
    try:
        return _stage_shape(connection, product, source, columns, "exact", target)
    except _EXACT_CAST_ERRORS as error:
        if isinstance(error, duckdb.InvalidInputException) and CAST_FAILED not in str(error):
            raise
    return _stage_shape(connection, product, source, columns, "as_is", target)


def _set_period(connection: duckdb.DuckDBPyConnection, context: TransformContext) -> None:
    window = window_statements(
        context.partition_key, context.partition_start, context.partition_end
    )
    for statement, parameters in window:
        connection.execute(statement, parameters)


def stage_sql_transform(
    sql: str,
    context: TransformContext,
    inputs: Mapping[str, ds.Dataset | pa.Table],
    settings: EngineLimits,
    limit: TimeLimit | None,
    target: StagingTarget,
) -> Staging:
    """Run the product's SQL over its (lazily scanned) inputs and stage the result.

    Raises QueryTimeoutError past ``limit`` (nothing stays staged), TransformError when the
    query fails; neither message holds a row value.
    """
    name = context.product.name
    connection = open_engine(settings)
    try:
        _refuse_parameters(connection, sql, name)
        for view, rows in inputs.items():
            connection.register(view, rows)
        _set_period(connection, context)
        try:
            with time_limit(connection, limit, f"the SQL transform of '{name}'", "the query"):
                return stage_query(connection, context.product, f"({sql})", target)
        except (duckdb.Error, pa.ArrowException) as error:
            raise TransformError(
                f"the SQL transform of '{name}' failed: {describe_library_error(error)}"
            ) from None
    finally:
        connection.close()


def stage_table(
    table: pa.Table,
    product: DataProduct,
    settings: EngineLimits,
    target: StagingTarget,
) -> Staging:
    """Stage a ``python:`` transform's result (cast and PII in the same sandbox)."""
    connection = open_engine(settings)
    try:
        connection.register(RESULT_VIEW, table)
        return stage_query(connection, product, RESULT_VIEW, target)
    except (duckdb.Error, pa.ArrowException) as error:
        raise DataValueError(
            f"'{product.name}' cannot be staged: {describe_library_error(error)}"
        ) from None
    finally:
        connection.close()
