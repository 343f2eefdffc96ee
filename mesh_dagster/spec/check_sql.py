"""Custom check SQL: parse with sqlglot and accept only safe boolean expressions."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from mesh_dagster.spec.errors import did_you_mean
from mesh_dagster.spec.sql_parse import SqlTooDeepError, deep_sql, parse_sql, too_deep
from mesh_dagster.spec.window import WindowVariableError, read_variables, variable_calls

# The functions a check may call, each with a call of it: pure scalar and aggregate
# functions, nothing that reads files, reaches the network, inspects the environment or
# changes state. This is the documented list; sqlglot's class for each name (which changes
# between its versions) is learnt by parsing the call, so the list stays true. The calls
# read the columns of FUNCTION_TABLE.
CHECK_FUNCTIONS: dict[str, str] = {
    "abs": "abs(x)",
    "approx_count_distinct": "approx_count_distinct(s)",
    "array_contains": "array_contains([1, 2], n)",
    "avg": "avg(x)",
    "bool_and": "bool_and(b)",
    "bool_or": "bool_or(b)",
    "cast": "cast(n as double)",
    "ceil": "ceil(x)",
    "ceiling": "ceiling(x)",
    "coalesce": "coalesce(x, 0)",
    "concat": "concat(s, '-')",
    "contains": "contains(s, 'a')",
    "count": "count(*)",
    "count_if": "count_if(b)",
    "current_date": "current_date",
    "date_diff": "date_diff('day', d, date '2026-12-31')",
    "date_part": "date_part('year', d)",
    "date_trunc": "date_trunc('month', d)",
    "day": "day(d)",
    "ends_with": "ends_with(s, 'a')",
    "epoch": "epoch(t)",
    "extract": "extract(year from d)",
    "floor": "floor(x)",
    "greatest": "greatest(x, n)",
    "if": "if(b, 1, 0)",
    "isfinite": "isfinite(x)",
    "isinf": "isinf(x)",
    "isnan": "isnan(x)",
    "least": "least(x, n)",
    "left": "left(s, 2)",
    "len": "len(s)",
    "length": "length(s)",
    "list_contains": "list_contains([1, 2], n)",
    "ln": "ln(x)",
    "log": "log(x)",
    "lower": "lower(s)",
    "max": "max(x)",
    "median": "median(x)",
    "min": "min(x)",
    "mod": "mod(n, 3)",
    "month": "month(d)",
    "nullif": "nullif(x, 0)",
    "pow": "pow(x, 2)",
    "power": "power(x, 2)",
    "quantile": "quantile(x, 0.5)",
    "regexp_full_match": "regexp_full_match(s, '[a-z]+')",
    "regexp_matches": "regexp_matches(s, '^a')",
    "right": "right(s, 2)",
    "round": "round(x, 1)",
    "sign": "sign(x)",
    "sqrt": "sqrt(x)",
    "starts_with": "starts_with(s, 'a')",
    "stddev": "stddev(x)",
    "strlen": "strlen(s)",
    "strpos": "strpos(s, 'a')",
    "substr": "substr(s, 1, 2)",
    "substring": "substring(s, 1, 2)",
    "sum": "sum(x)",
    "trim": "trim(s)",
    "trunc": "trunc(x)",
    "try_cast": "try_cast(s as integer)",
    "upper": "upper(s)",
    "year": "year(d)",
}
FUNCTION_TABLE = {
    "x": "double",
    "n": "bigint",
    "s": "string",
    "b": "boolean",
    "d": "date",
    "t": "timestamp",
}
"""The spec column types of the columns the calls of CHECK_FUNCTIONS read."""
BOOLEAN_FUNCTIONS = frozenset(
    {
        "array_contains",
        "bool_and",
        "bool_or",
        "contains",
        "ends_with",
        "isfinite",
        "isinf",
        "isnan",
        "list_contains",
        "regexp_full_match",
        "regexp_matches",
        "starts_with",
    }
)
"""The functions of CHECK_FUNCTIONS that give a boolean, so they may stand alone."""
# Connectors and CASE are Func classes in sqlglot, but syntax to users.
_SYNTAX: frozenset[type[exp.Expr]] = frozenset({exp.And, exp.Or, exp.Case})
_BOOLEAN_ROOTS: tuple[type[exp.Expr], ...] = (
    exp.Predicate,
    exp.Connector,
    exp.Not,
    exp.Boolean,
    exp.Paren,
)


@dataclass(frozen=True)
class _Functions:
    """A list of functions as sqlglot parses them.

    ``classes`` are sqlglot's classes of the calls; ``anonymous`` the names it has no
    class for.
    """

    classes: frozenset[type[exp.Expr]]
    anonymous: frozenset[str]

    def allows(self, node: exp.Expr) -> bool:
        if isinstance(node, exp.Anonymous):
            return node.name.lower() in self.anonymous
        return type(node) in self.classes


def _learn(calls: Iterable[str]) -> _Functions:
    classes: set[type[exp.Expr]] = set()
    anonymous: set[str] = set()
    for call in calls:
        tree = sqlglot.parse_one(call, read="duckdb")
        for node in tree.walk():
            if isinstance(node, exp.Anonymous):
                anonymous.add(node.name.lower())
            elif isinstance(node, exp.Func):
                classes.add(type(node))
        release_trees([tree])
    return _Functions(frozenset(classes), frozenset(anonymous))


@functools.cache
def _allowed() -> _Functions:
    learnt = _learn(CHECK_FUNCTIONS.values())
    return _Functions(learnt.classes | _SYNTAX, learnt.anonymous)


@functools.cache
def _boolean() -> _Functions:
    classes: set[type[exp.Expr]] = set()
    anonymous: set[str] = set()
    for name in BOOLEAN_FUNCTIONS:
        # Only the outermost call gives the boolean (not, say, the list it searches).
        tree = sqlglot.parse_one(CHECK_FUNCTIONS[name], read="duckdb")
        if isinstance(tree, exp.Anonymous):
            anonymous.add(tree.name.lower())
        else:
            classes.add(type(tree))
        release_trees([tree])
    return _Functions(frozenset(classes), frozenset(anonymous))


@dataclass(frozen=True)
class ParsedCheck:
    """A custom check that passed validation: its SQL, and what it reads.

    ``sql`` is the expression as sqlglot normalises it, without comments: the text that
    is both shown and run.
    """

    sql: str
    columns: tuple[str, ...]
    is_aggregate: bool
    variables: tuple[str, ...] = ()


class CheckSqlError(ValueError):
    """A custom check expression that is invalid or unsafe; the message says why."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


_TOO_DEEP_HINT = "Split it into several checks, or write it with fewer parentheses."
_NOT_ALLOWED_HINT = (
    "A check may call pure scalar and aggregate functions only "
    "(no file, network or environment access)."
)


def _function_name(node: exp.Func) -> str:
    return node.name.lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()


def allowed_function_names() -> list[str]:
    """Return the names of the functions a check may call, sorted."""
    return sorted(CHECK_FUNCTIONS)


def _reject_function(name: str) -> CheckSqlError:
    others = [known for known in allowed_function_names() if known != name]
    hint = did_you_mean(name, others) or _NOT_ALLOWED_HINT
    return CheckSqlError(f"function '{name}' is not allowed in a check", hint)


def _reject_unsafe(tree: exp.Expr) -> None:
    if tree.find(exp.Select, exp.Subquery, exp.Query) is not None:
        raise CheckSqlError(
            "subqueries are not allowed in a check",
            "A check reads only the product's own rows; use an aggregate such as "
            "'count(*) > 0' for a rule on the whole table.",
        )
    # getvariable reads the run's window only: its argument is checked by read_variables.
    window_calls = {id(call) for call in variable_calls(tree)}
    for node in tree.walk():
        if id(node) in window_calls:
            continue
        if isinstance(node, exp.Table):
            raise CheckSqlError("a check may not read tables or files")
        if isinstance(node, exp.Window):
            raise CheckSqlError(
                "window functions are not allowed in a check",
                "Use a row rule, or an aggregate rule on the whole table.",
            )
        if isinstance(node, exp.Func) and not _allowed().allows(node):
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
    if isinstance(tree, exp.If):
        branches = [tree.args.get("true"), tree.args.get("false")]
        return all(b is None or _is_boolean(b, boolean_columns) for b in branches)
    if isinstance(tree, exp.Coalesce):
        arguments = [tree.this, *tree.expressions]
        return all(_is_boolean(argument, boolean_columns) for argument in arguments)
    return isinstance(tree, _BOOLEAN_ROOTS) or _boolean().allows(tree)


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
    with deep_sql():
        try:
            statements = parse_sql(sql)
        except SqlTooDeepError as error:
            raise CheckSqlError(str(error), _TOO_DEEP_HINT) from None
        except SqlglotError as error:
            raise CheckSqlError(describe_parse_error(error)) from None
        try:
            return _judge_check(statements, columns, boolean_columns)
        except RecursionError:
            raise CheckSqlError(str(too_deep()), _TOO_DEEP_HINT) from None
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
    try:
        variables = read_variables(tree)
    except WindowVariableError as error:
        raise CheckSqlError(str(error), error.hint) from None
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
    # Comments are not part of a check: what is printed here is what is shown and run.
    # copy=False: the tree is ours alone, and copying it costs as much as printing it.
    sql = tree.sql(dialect="duckdb", comments=False, copy=False)
    return ParsedCheck(sql, tuple(used), is_aggregate, variables)
