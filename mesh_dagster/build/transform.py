"""Run a product's transform: DuckDB SQL over its inputs, or a Python function."""

from __future__ import annotations

import importlib

import duckdb
import pandas as pd
import pyarrow as pa

from mesh_dagster.build.context import TransformContext
from mesh_dagster.checks.engine import EngineSettings, open_engine


class TransformError(RuntimeError):
    """Raised when a transform cannot run or returns something unusable."""


def run_sql(sql: str, context: TransformContext, settings: EngineSettings) -> pa.Table:
    """Return the result of the transform's SELECT over the input views."""
    connection = open_engine(settings)  # no files, no network, locked, UTC
    try:
        for name, table in context.inputs.items():
            connection.register(name, table)
        connection.execute(
            "SET VARIABLE partition_start = ?::TIMESTAMPTZ", [context.partition_start]
        )
        connection.execute("SET VARIABLE partition_end = ?::TIMESTAMPTZ", [context.partition_end])
        connection.execute("SET VARIABLE partition_key = ?::VARCHAR", [context.partition_key])
        try:
            return connection.sql(sql).to_arrow_table()
        except duckdb.Error as error:
            raise TransformError(
                f"the SQL transform of '{context.product.name}' failed: {error}"
            ) from None
    finally:
        connection.close()


def run_python(reference: str, context: TransformContext) -> pa.Table:
    """Import ``module:function`` now (not at load time) and return its result as Arrow."""
    module_name, _, function_name = reference.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as error:
        raise TransformError(
            f"cannot import the transform '{reference}' of '{context.product.name}': {error}"
        ) from error
    result = function(context)
    if isinstance(result, pd.DataFrame):
        return pa.Table.from_pandas(result, preserve_index=False)
    if isinstance(result, pa.Table):
        return result
    raise TransformError(
        f"the transform '{reference}' returned {type(result).__name__}; "
        "expected a pandas DataFrame or a pyarrow Table"
    )


def run_transform(context: TransformContext, settings: EngineSettings) -> pa.Table:
    """Return the rows the product's transform computes for the context's period."""
    transform = context.product.spec.transform
    if transform is None:
        raise TransformError(f"'{context.product.name}' is built outside the platform")
    if transform.sql is not None:
        return run_sql(transform.sql, context, settings)
    assert transform.python is not None
    return run_python(transform.python, context)
