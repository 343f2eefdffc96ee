"""Transform SQL: one SELECT that reads only the product's input views."""

from __future__ import annotations

from collections.abc import Collection

from sqlglot import exp
from sqlglot.errors import SqlglotError

from mesh_dagster.spec.check_sql import describe_parse_error, release_trees
from mesh_dagster.spec.errors import did_you_mean
from mesh_dagster.spec.sql_parse import SqlTooDeepError, deep_sql, parse_sql, too_deep
from mesh_dagster.spec.window import WindowVariableError, read_variables

# Table functions that only generate rows; everything else (read_csv, read_parquet, ...)
# would reach outside the inputs.
_TOO_DEEP_HINT = "Name the inner steps as CTEs: 'with step as (select ...) select ... from step'."
_GENERATORS: tuple[type[exp.Expr], ...] = (exp.GenerateSeries, exp.Unnest)


class TransformSqlError(ValueError):
    """Transform SQL that is not one SELECT over the inputs; the message says why."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def view_name(input_name: str) -> str:
    """Return the SQL view name of an input: hyphens become underscores."""
    return input_name.replace("-", "_")


def _table_function_name(function: exp.Expr) -> str:
    if isinstance(function, exp.Anonymous):
        return function.name.lower()
    return function.sql_name().lower() if isinstance(function, exp.Func) else function.key


def check_transform_sql(sql: str, views: Collection[str]) -> None:
    """Raise TransformSqlError unless ``sql`` is one query reading only ``views``."""
    with deep_sql():
        try:
            statements = parse_sql(sql)
        except SqlTooDeepError as error:
            raise TransformSqlError(str(error), _TOO_DEEP_HINT) from None
        except SqlglotError as error:
            raise TransformSqlError(describe_parse_error(error)) from None
        try:
            _check_statements(statements, views)
        except RecursionError:
            raise TransformSqlError(str(too_deep()), _TOO_DEEP_HINT) from None
        finally:
            release_trees(statements)


def _check_statements(statements: list[exp.Expr], views: Collection[str]) -> None:
    if len(statements) != 1:
        raise TransformSqlError(
            f"a transform must be exactly one SELECT; found {len(statements)} statements"
        )
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise TransformSqlError(
            f"a transform must be one SELECT, not a {tree.key.upper()} statement",
            "Write it as 'select ... from <input>'; the platform publishes the result.",
        )
    try:
        read_variables(tree)
    except WindowVariableError as error:
        raise TransformSqlError(str(error), error.hint) from None
    known = {view.lower() for view in views}
    known |= {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        function = table.this
        if isinstance(function, exp.Func) or not isinstance(function, exp.Identifier):
            if isinstance(function, _GENERATORS):
                continue
            raise TransformSqlError(
                f"table function '{_table_function_name(function)}' is not allowed in a "
                "transform; it reads only its input views",
                "Declare external data as an input: '- source: {name, location, format}'.",
            )
        if table.db or table.name.lower() not in known:
            shown = ", ".join(sorted(views)) or "none"
            raise TransformSqlError(
                f"the transform reads '{table.sql(dialect='duckdb')}', which is not one of its "
                f"inputs (views: {shown})",
                did_you_mean(table.name, views) or "Add it to spec.inputs.",
            )
