"""Custom check SQL: parse with sqlglot and accept only safe boolean expressions."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

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

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


_NOT_ALLOWED_HINT = (
    "A check may call pure scalar and aggregate functions only "
    "(no file, network or environment access)."
)


def _function_name(node: exp.Func) -> str:
    return node.name.lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()


def allowed_function_names() -> list[str]:
    """Return the names of the functions a check may call, sorted."""
    functions = [cls for cls in _ALLOWED_FUNCTIONS if issubclass(cls, exp.Func)]
    names = {name.lower() for cls in functions for name in cls.sql_names()[:1]}
    return sorted((names | _ALLOWED_ANONYMOUS) - {"and", "or", "case"})


def _reject_function(name: str) -> CheckSqlError:
    hint = did_you_mean(name, allowed_function_names()) or _NOT_ALLOWED_HINT
    return CheckSqlError(f"function '{name}' is not allowed in a check", hint)


def _reject_unsafe(tree: exp.Expr) -> None:
    if tree.find(exp.Select, exp.Subquery, exp.Query) is not None:
        raise CheckSqlError(
            "subqueries are not allowed in a check",
            "A check reads only the product's own rows; use an aggregate such as "
            "'count(*) > 0' for a rule on the whole table.",
        )
    for node in tree.walk():
        if isinstance(node, exp.Table):
            raise CheckSqlError("a check may not read tables or files")
        if isinstance(node, exp.Window):
            raise CheckSqlError(
                "window functions are not allowed in a check",
                "Use a row rule, or an aggregate rule on the whole table.",
            )
        if isinstance(node, exp.Anonymous):
            if node.name.lower() not in _ALLOWED_ANONYMOUS:
                raise _reject_function(node.name.lower())
        elif isinstance(node, exp.Func) and not isinstance(node, _ALLOWED_FUNCTIONS):
            raise _reject_function(_function_name(node))
        if isinstance(node, (exp.Placeholder, exp.Parameter, exp.SessionParameter)):
            raise CheckSqlError("parameters and variables are not allowed in a check")
        if isinstance(node, exp.PropertyEQ):
            raise CheckSqlError("assignments (':=') are not allowed in a check")


def _is_boolean(tree: exp.Expr, boolean_columns: Collection[str]) -> bool:
    if isinstance(tree, exp.Paren):
        return _is_boolean(tree.this, boolean_columns)
    if isinstance(tree, exp.Column):
        return not tree.table and tree.name in boolean_columns
    if isinstance(tree, (exp.Cast, exp.TryCast)):
        return tree.to.is_type(exp.DataType.Type.BOOLEAN)
    if isinstance(tree, exp.Case):
        branches = [branch.args.get("true") for branch in tree.args.get("ifs") or []]
        branches.append(tree.args.get("default"))
        return all(b is None or _is_boolean(b, boolean_columns) for b in branches)
    if isinstance(tree, exp.Coalesce):
        arguments = [tree.this, *tree.expressions]
        return all(_is_boolean(argument, boolean_columns) for argument in arguments)
    return isinstance(tree, _BOOLEAN_ROOTS)


def describe_parse_error(error: SqlglotError) -> str:
    """Return why ``sql`` does not parse, in words (sqlglot's own texts name its classes)."""
    details = error.errors[0] if isinstance(error, ParseError) and error.errors else None
    if details is None:
        return "the SQL does not parse (an unclosed quote?)"
    description = str(details.get("description", ""))
    near = str(details.get("highlight") or "").strip()
    column = details.get("col")
    where = f" at column {column}" if isinstance(column, int) and column > 0 else ""
    if description.startswith("Expecting "):
        expected = description.removeprefix("Expecting ").strip()
        return f"the SQL does not parse: expected '{expected}'{where}"
    if description.startswith("Required keyword"):
        return f"the SQL does not parse: the expression after '{near}' is incomplete{where}"
    if near:
        return f"the SQL does not parse: unexpected '{near}'{where}"
    return f"the SQL does not parse{where}"


def _bare_columns(tree: exp.Expr) -> list[exp.Column]:
    return [
        column for column in tree.find_all(exp.Column) if column.find_ancestor(exp.AggFunc) is None
    ]


def parse_check_sql(
    sql: str, columns: Collection[str], boolean_columns: Collection[str] = ()
) -> ParsedCheck:
    """Return the parsed check, or raise CheckSqlError saying what is wrong.

    ``columns`` are the product's column names; ``boolean_columns`` those of type boolean,
    which may stand alone as a check.
    """
    return _parse_check_sql(sql, frozenset(columns), frozenset(boolean_columns))


# Loading a mesh validates every check and building its definitions plans them again: a
# parse costs about 0.5 ms, and the result depends only on these arguments (errors are
# raised, never cached), so each distinct check is parsed once per process. The bound
# holds every check of a 10,000-product mesh with three each (about 0.5 kB an entry).
@functools.lru_cache(maxsize=32_768)
def _parse_check_sql(
    sql: str, columns: frozenset[str], boolean_columns: frozenset[str]
) -> ParsedCheck:
    try:
        statements = [tree for tree in sqlglot.parse(sql, read="duckdb") if tree is not None]
    except SqlglotError as error:
        raise CheckSqlError(describe_parse_error(error)) from None
    try:
        return _judge_check(statements, columns, boolean_columns)
    finally:
        release_trees(statements)


def release_trees(trees: Iterable[exp.Expr]) -> None:
    """Unlink parsed trees that are no longer needed, so that they are freed at once.

    sqlglot nodes point back to their parents; left as cycles, the trees of thousands of
    specs wait for the cyclic garbage collector, which runs more often and, in a large
    mesh, walks every live object each time it reaches the oldest generation.
    """
    for tree in trees:
        for node in list(tree.walk()):
            node.parent = None


def _judge_check(
    statements: list[exp.Expr], columns: frozenset[str], boolean_columns: frozenset[str]
) -> ParsedCheck:
    if not statements:
        raise CheckSqlError("the check is empty", "Write a boolean expression such as 'x >= 0'.")
    if len(statements) != 1:
        raise CheckSqlError(
            f"a check must be exactly one SQL expression; found {len(statements)} statements",
            "Split it into one check per rule.",
        )
    tree = statements[0]
    if not isinstance(tree, exp.Condition):
        raise CheckSqlError(
            "a check must be a boolean expression, not a statement",
            "Write the condition only, such as 'revenue_usd >= 0'.",
        )
    _reject_unsafe(tree)
    known = columns
    used: list[str] = []
    for column in tree.find_all(exp.Column):
        if column.table:
            raise CheckSqlError(f"use bare column names, not '{column.sql()}'")
        if column.name not in known:
            raise CheckSqlError(
                f"unknown column '{column.name}'; it must be declared in spec.schema",
                did_you_mean(column.name, known),
            )
        if column.name not in used:
            used.append(column.name)
    if not _is_boolean(tree, boolean_columns):
        raise CheckSqlError(
            "a check must be a boolean expression (true for good rows)",
            "For example 'revenue_usd >= 0', or 'count(*) > 0' for the whole table.",
        )
    is_aggregate = tree.find(exp.AggFunc) is not None
    if is_aggregate and _bare_columns(tree):
        names = ", ".join(sorted({column.name for column in _bare_columns(tree)}))
        raise CheckSqlError(
            f"a check mixes aggregates with bare columns ({names})",
            "Use either a row rule ('revenue_usd >= 0') or a table rule ('sum(revenue_usd) > 0').",
        )
    # copy=False: the tree is ours alone, and copying it costs as much as printing it.
    return ParsedCheck(tree.sql(dialect="duckdb", copy=False), tuple(used), is_aggregate)
