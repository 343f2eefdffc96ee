"""Run a product's transform: DuckDB SQL over its inputs, or a Python function."""

from __future__ import annotations

import importlib
import traceback
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from mesh_dagster.build.context import TransformContext
from mesh_dagster.checks.engine import EngineSettings, TimeLimit, open_engine, time_limit
from mesh_dagster.io.errors import describe_library_error
from mesh_dagster.spec.window import window_statements


class TransformError(RuntimeError):
    """Raised when a transform cannot run or returns something unusable."""


def run_sql(
    sql: str,
    context: TransformContext,
    settings: EngineSettings,
    limit: TimeLimit | None = None,
) -> pa.Table:
    """Return the result of the transform's SELECT over the input views.

    Raises QueryTimeoutError when the query runs past ``limit``, TransformError when it
    fails; neither message holds a row value.
    """
    name = context.product.name
    connection = open_engine(settings)  # no files, no network, locked, UTC
    try:
        for view, table in context.inputs.items():
            connection.register(view, table)
        window = window_statements(
            context.partition_key, context.partition_start, context.partition_end
        )
        for statement, parameters in window:
            connection.execute(statement, parameters)
        try:
            with time_limit(connection, limit, f"the SQL transform of '{name}'", "the query"):
                return connection.sql(sql).to_arrow_table()
        except (duckdb.Error, pa.ArrowException) as error:
            raise TransformError(
                f"the SQL transform of '{name}' failed: {describe_library_error(error)}"
            ) from None
    finally:
        connection.close()


def _raised_at(error: BaseException, module_file: str | None) -> str:
    """Return ' at file:line' of the deepest frame of the transform's own module, if any."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [frame for frame in frames if module_file and frame.filename == module_file]
    if not own:
        return ""
    frame = own[-1]
    return f" at {Path(frame.filename).name}:{frame.lineno}"


def run_python(reference: str, context: TransformContext) -> pa.Table:
    """Import ``module:function`` now (not at load time) and return its result as Arrow.

    The function's own exceptions are reduced to their class and where they were raised:
    their text can quote row values. The time limit applies to SQL only.
    """
    name = context.product.name
    module_name, _, function_name = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
        function = getattr(module, function_name)
    except (ImportError, AttributeError) as error:
        raise TransformError(
            f"cannot import the transform '{reference}' of '{name}': {error}"
        ) from None
    except Exception as error:  # the module's own code failed while importing
        raise TransformError(
            f"cannot import the transform '{reference}' of '{name}': importing it raised "
            f"{describe_library_error(error)}"
        ) from None
    try:
        result = function(context)
    except Exception as error:  # any failure of user code: its text may quote values
        where = _raised_at(error, getattr(module, "__file__", None))
        raise TransformError(
            f"the transform '{reference}' of '{name}' raised {describe_library_error(error)}{where}"
        ) from None
    try:
        if isinstance(result, pd.DataFrame):
            return pa.Table.from_pandas(result, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError) as error:
        raise TransformError(
            f"the result of the transform '{reference}' of '{name}' cannot become an Arrow "
            f"table: {describe_library_error(error)}"
        ) from None
    if isinstance(result, pa.Table):
        return result
    raise TransformError(
        f"the transform '{reference}' returned {type(result).__name__}; "
        "expected a pandas DataFrame or a pyarrow Table"
    )


def run_transform(
    context: TransformContext, settings: EngineSettings, limit: TimeLimit | None = None
) -> pa.Table:
    """Return the rows the product's transform computes for the context's period.

    ``limit`` bounds a SQL transform's query; a ``python:`` transform runs without one.
    """
    transform = context.product.spec.transform
    if transform is None:
        raise TransformError(f"'{context.product.name}' is built outside the platform")
    if transform.sql is not None:
        return run_sql(transform.sql, context, settings, limit)
    assert transform.python is not None
    return run_python(transform.python, context)
