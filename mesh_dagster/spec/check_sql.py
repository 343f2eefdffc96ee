"""Custom check SQL: parse with sqlglot and accept only safe boolean expressions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from mesh_dagster.spec.errors import did_you_mean

# Functions a check may call: pure scalar and aggregate functions, nothing that reads
# files, reaches the network, inspects the environment or changes state.
_ALLOWED_FUNCTIONS: tuple[type[exp.Expr], ...] = (
    exp.And,
    exp.Or,
    exp.Abs,
    exp.Round,
    exp.Floor,
    exp.Ceil,
    exp.Coalesce,
    exp.Length,
    exp.Lower,
    exp.Upper,
    exp.Trim,
    exp.Substring,
    exp.RegexpLike,
    exp.Cast,
    exp.TryCast,
    exp.Count,
    exp.Sum,
    exp.Avg,
    exp.Min,
    exp.Max,
    exp.Stddev,
    exp.Greatest,
    exp.Least,
    exp.Nullif,
    exp.If,
    exp.Case,
    exp.DateTrunc,
    exp.Extract,
    exp.Year,
    exp.Month,
    exp.Day,
    exp.StartsWith,
    exp.Concat,
    exp.Sqrt,
    exp.Ln,
    exp.Log,
    exp.Pow,
    exp.Left,
    exp.Right,
    exp.ApproxDistinct,
    exp.CountIf,
    exp.Median,
    exp.Quantile,
    exp.DateDiff,
    exp.CurrentDate,
    exp.StrPosition,
    exp.ArrayContains,
    exp.Sign,
    exp.Mod,
)
_ALLOWED_ANONYMOUS = frozenset(
    {
        "contains",
        "ends_with",
        "starts_with",
        "strlen",
        "len",
        "bool_and",
        "bool_or",
        "isnan",
        "isinf",
        "isfinite",
        "regexp_full_match",
        "date_part",
        "epoch",
        "ceiling",
        "trunc",
    }
)
_BOOLEAN_ROOTS: tuple[type[exp.Expr], ...] = (
    exp.Predicate,
    exp.Connector,
    exp.Not,
    exp.Boolean,
    exp.RegexpLike,
    exp.StartsWith,
    exp.Paren,
    exp.ArrayContains,
)


@dataclass(frozen=True)
class ParsedCheck:
    """A custom check that passed validation: its normalised SQL and what it reads."""

    sql: str
    columns: tuple[str, ...]
    is_aggregate: bool


class CheckSqlError(ValueError):
    """A custom check expression that is invalid or unsafe; the message says why."""


def _function_name(node: exp.Func) -> str:
    return node.name.lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()


def _reject_unsafe(tree: exp.Expr) -> None:
    for node in tree.walk():
        if isinstance(node, (exp.Select, exp.Subquery, exp.Query)):
            raise CheckSqlError("subqueries are not allowed in a check")
        if isinstance(node, exp.Table):
            raise CheckSqlError("a check may not read tables or files")
        if isinstance(node, exp.Window):
            raise CheckSqlError("window functions are not allowed in a check")
        if isinstance(node, exp.Anonymous):
            if node.name.lower() not in _ALLOWED_ANONYMOUS:
                raise CheckSqlError(f"function '{node.name}' is not allowed in a check")
        elif isinstance(node, exp.Func) and not isinstance(node, _ALLOWED_FUNCTIONS):
            raise CheckSqlError(f"function '{_function_name(node)}' is not allowed in a check")
        if isinstance(node, (exp.Placeholder, exp.Parameter, exp.SessionParameter)):
            raise CheckSqlError("parameters and variables are not allowed in a check")


def _is_boolean(tree: exp.Expr) -> bool:
    root = tree.unnest() if isinstance(tree, exp.Paren) else tree
    if isinstance(root, exp.Paren):
        return _is_boolean(root.this)
    return isinstance(root, _BOOLEAN_ROOTS) and not isinstance(root, exp.Paren)


def _bare_columns(tree: exp.Expr) -> list[exp.Column]:
    return [
        column for column in tree.find_all(exp.Column) if column.find_ancestor(exp.AggFunc) is None
    ]


def parse_check_sql(sql: str, columns: Collection[str]) -> ParsedCheck:
    """Return the parsed check, or raise CheckSqlError saying what is wrong."""
    try:
        statements = [tree for tree in sqlglot.parse(sql, read="duckdb") if tree is not None]
    except ParseError as error:
        detail = error.errors[0]["description"] if error.errors else str(error)
        raise CheckSqlError(f"invalid SQL: {detail}") from None
    if len(statements) != 1:
        raise CheckSqlError("a check must be exactly one SQL expression")
    tree = statements[0]
    if isinstance(tree, (exp.Select, exp.Query, exp.Command, exp.DDL, exp.DML)):
        raise CheckSqlError("a check must be a boolean expression, not a statement")
    _reject_unsafe(tree)
    if not _is_boolean(tree):
        raise CheckSqlError("a check must be a boolean expression such as 'revenue_usd >= 0'")
    known = set(columns)
    used: list[str] = []
    for column in tree.find_all(exp.Column):
        if column.table:
            raise CheckSqlError(f"use bare column names, not '{column.sql()}'")
        if column.name not in known:
            hint = did_you_mean(column.name, known)
            suffix = f" {hint}" if hint else ""
            raise CheckSqlError(f"unknown column '{column.name}' in spec.schema.{suffix}")
        if column.name not in used:
            used.append(column.name)
    is_aggregate = tree.find(exp.AggFunc) is not None
    if is_aggregate and _bare_columns(tree):
        raise CheckSqlError(
            "a check mixes aggregates with bare columns; use either a row rule or a table rule"
        )
    return ParsedCheck(tree.sql(dialect="duckdb"), tuple(used), is_aggregate)
