"""ODCS `quality` entries -> mesh rules: built-in ones folded back, the rest as SQL checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from mesh_dagster.odcs import names
from mesh_dagster.odcs.report import Usage
from mesh_dagster.spec import values
from mesh_dagster.spec.check_sql import CheckSqlError, parse_check_sql
from mesh_dagster.spec.errors import FieldPath

_OPERATORS = {
    "mustBe": "=",
    "mustNotBe": "<>",
    "mustBeGreaterThan": ">",
    "mustBeGreaterOrEqualTo": ">=",
    "mustBeLessThan": "<",
    "mustBeLessOrEqualTo": "<=",
}
_ERROR_SEVERITIES = {"error", "critical", "high", "fatal", "blocker", "blocking"}
_CHECK_NAME = re.compile(values.CHECK_NAME)
_PLACEHOLDERS = re.compile(r"\{(object|table|model|property|column|field)\}")


@dataclass
class QualityImport:
    """What a product's quality entries say, in mesh's terms."""

    checks: list[tuple[dict[str, Any], FieldPath]] = field(default_factory=list)
    completeness: list[tuple[float, FieldPath]] = field(default_factory=list)
    unique_sets: list[tuple[list[str], FieldPath]] = field(default_factory=list)
    null_shares: list[tuple[str, float, FieldPath]] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    """The product a rule is read for: its SQL name, columns and boolean columns."""

    name: str
    columns: tuple[str, ...]
    booleans: tuple[str, ...]
    required: tuple[str, ...] = ()


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _comparison(rule: dict[str, Any]) -> tuple[str, list[str]] | None:
    """Return the rule's operator as SQL to append to a value, and the keys it used."""
    for key, operator in _OPERATORS.items():
        if key in rule and isinstance(rule[key], int | float | bool):
            return f"{operator} {_literal(rule[key])}", [key]
    for key, word in (("mustBeBetween", "between"), ("mustNotBeBetween", "not between")):
        bounds = rule.get(key)
        if isinstance(bounds, list) and len(bounds) == 2:
            return f"{word} {_literal(bounds[0])} and {_literal(bounds[1])}", [key]
    return None


def _metric_value(rule: dict[str, Any], column: str | None) -> tuple[str, list[str]] | str:
    """Return the SQL of a library metric and the keys it read, or why it has none."""
    metric = rule.get("metric", rule.get("rule"))
    arguments = _mapping(rule.get("arguments"))
    percent = rule.get("unit") == "percent"
    counted: str | None = None
    used = ["unit"] if "unit" in rule else []
    if metric == "rowCount":
        return "count(*)", used
    if column is None and metric != "duplicateValues":
        return f"'{metric}' is a metric of a property; this rule is on the table"
    if metric == "nullValues":
        counted = f"{column} is null"
    elif metric == "missingValues":
        missing = [item for item in arguments.get("missingValues", []) if item is not None]
        listed = ", ".join(_literal(item) for item in missing)
        counted = f"{column} is null" + (f" or {column} in ({listed})" if listed else "")
        used.append("arguments")
    elif metric == "invalidValues" and "validValues" in arguments:
        valid = [item for item in arguments["validValues"] if item is not None]
        listed = ", ".join(_literal(item) for item in valid)
        counted = f"{column} is not null and {column} not in ({listed})"
        used.append("arguments")
    elif metric == "invalidValues" and isinstance(arguments.get("pattern"), str):
        pattern = _literal(arguments["pattern"])
        counted = f"{column} is not null and not regexp_matches({column}, {pattern})"
        used.append("arguments")
    elif metric == "duplicateValues" and column is not None:
        counted = None
        value = f"count({column}) - count(distinct {column})"
        if percent:
            value = f"100.0 * ({value}) / count(*)"
        return value, used
    else:
        return f"mesh has no metric '{metric}'"
    if percent:
        return f"100.0 * count_if({counted}) / count(*)", used
    return f"count_if({counted})", used


def _sql_value(query: str, table: Table, column: str | None, operator: str) -> str | None:
    """Return a query `SELECT <value> FROM {object} [WHERE c]` with its operator as a check.

    `SELECT COUNT(*) ... WHERE c` that must be 0 is a row rule (no row may satisfy c).
    Column names are read as mesh writes them (lowercase): DuckDB ignores their case.
    """
    replaced = _PLACEHOLDERS.sub(
        lambda m: table.name if m[1] in ("object", "table", "model") else (column or m[0]), query
    )
    try:
        tree = sqlglot.parse_one(replaced, read="duckdb")
    except SqlglotError:
        return None
    if not isinstance(tree, exp.Select) or len(tree.expressions) != 1:
        return None
    if any(tree.args.get(key) for key in ("joins", "group", "having", "limit", "with", "order")):
        return None
    source = tree.args.get("from") or tree.args.get("from_")
    if source is None or not isinstance(source.this, exp.Table) or source.this.name != table.name:
        return None
    for found in tree.find_all(exp.Column):
        found.set("this", exp.to_identifier(found.name.lower()))
    selected = tree.expressions[0]
    if isinstance(selected, exp.Alias):
        selected = selected.this
    where = tree.args.get("where")
    if where is None:
        return f"{selected.sql(dialect='duckdb')} {operator}"
    if not (isinstance(selected, exp.Count) and isinstance(selected.this, exp.Star)):
        return None
    condition = where.this.sql(dialect="duckdb")
    if operator == "= 0":
        return f"({condition}) is not true"
    return f"count_if({condition}) {operator}"


def _severity(rule: dict[str, Any]) -> str:
    severity = rule.get("severity")
    if severity is None:
        return "error"
    return "error" if str(severity).lower() in _ERROR_SEVERITIES else "warn"


def _custom_check(
    rule: dict[str, Any], path: FieldPath, table: Table, column: str | None, usage: Usage
) -> dict[str, Any] | str:
    """Return the mesh check a rule states, or why it states none."""
    kind = rule.get("type", "library")
    mesh_sql = _mesh_property(rule, names.CHECK_SQL)
    if isinstance(mesh_sql, str):
        sql = mesh_sql
        usage.use(*((*path, key) for key in ("type", "query", *_OPERATORS, "mustBeBetween")))
    elif kind == "text":
        return "a text rule describes quality in words; mesh cannot check it"
    elif kind == "custom":
        return f"a rule for the engine '{rule.get('engine')}'; mesh checks with its own SQL engine"
    else:
        comparison = _comparison(rule)
        if comparison is None:
            return "the rule has no operator (mustBe, mustBeLessThan, ...) to compare with"
        operator, keys = comparison
        if kind == "sql":
            sql_value = _sql_value(str(rule.get("query", "")), table, column, operator)
            if sql_value is None:
                return (
                    "mesh runs SQL rules of the form 'SELECT <value> FROM {object} [WHERE ...]' "
                    "on one table's rows"
                )
            keys.append("query")
            sql = sql_value
        else:
            metric = _metric_value(rule, column)
            if isinstance(metric, str):
                return metric
            value, more = metric
            keys.extend(["metric", "rule", *more])
            sql = f"{value} {operator}"
        usage.use(*((*path, key) for key in ("type", *keys)))
    try:
        parse_check_sql(sql, table.columns, table.booleans)
    except CheckSqlError as error:
        return f"mesh cannot run it as a check: {error}"
    check: dict[str, Any] = {"sql": sql}
    name = rule.get("name")
    if not isinstance(mesh_sql, str) and not isinstance(name, str):
        name = rule.get("id")
    if isinstance(name, str) and _CHECK_NAME.match(name):
        check["name"] = name
        usage.use((*path, "name"))
    check["severity"] = _severity(rule)
    if isinstance(rule.get("description"), str):
        check["description"] = rule["description"]
        usage.use((*path, "description"))
    usage.use(*((*path, key) for key in ("id", "severity")))
    return check


def _mesh_property(rule: dict[str, Any], name: str) -> Any:
    for item in rule.get("customProperties") or []:
        if isinstance(item, dict) and item.get("property") == name:
            return item.get("value")
    return None


def _null_share(rule: dict[str, Any], marked: Any, column: str, table: Table) -> float | None:
    """Return the null budget a rule states on a nullable column, as a share, if it is one."""
    value = rule.get("mustBeLessOrEqualTo")
    if (
        rule.get("metric", rule.get("rule")) != "nullValues"
        or rule.get("unit") != "percent"
        or not isinstance(value, int | float)
        or isinstance(value, bool)
        or not 0 < value <= 100
        or column in table.required
    ):
        return None
    if marked == "null_share" or (marked is None and _severity(rule) == "error"):
        return round(value / 100, 12)
    return None


def _built_in(
    rule: dict[str, Any], path: FieldPath, table: Table, column: str | None, found: QualityImport
) -> bool:
    """Fold a rule that states one of mesh's built-in rules into it; False if it is none."""
    marked = _mesh_property(rule, names.CHECK_RULE)
    metric = rule.get("metric", rule.get("rule"))
    arguments = _mapping(rule.get("arguments"))
    if column is not None and (share := _null_share(rule, marked, column, table)) is not None:
        found.null_shares.append((column, share, path))
        return True
    if marked == "completeness" and column is not None:
        value = rule.get("mustBeLessOrEqualTo")
        if isinstance(value, int | float):
            found.completeness.append((round(1 - value / 100, 10), path))
            return True
    if marked in ("pii", "not_empty"):
        return True
    if metric == "rowCount" and (
        rule.get("mustBeGreaterThan") == 0 or rule.get("mustBeGreaterOrEqualTo") == 1
    ):
        return True  # mesh's built-in not_empty
    if metric == "duplicateValues" and rule.get("mustBe") == 0:
        properties = arguments.get("properties") if column is None else [column]
        if isinstance(properties, list) and all(isinstance(p, str) for p in properties):
            found.unique_sets.append((list(properties), path))
            return True
    return False


def import_quality(
    rules: Any,
    path: FieldPath,
    table: Table,
    column: str | None,
    usage: Usage,
    found: QualityImport,
) -> None:
    """Read the quality entries at ``path`` (of a schema object, or of its ``column``)."""
    if not isinstance(rules, list):
        return
    for index, rule in enumerate(rules):
        where = (*path, index)
        if not isinstance(rule, dict):
            continue
        if _built_in(rule, where, table, column, found):
            usage.use(where)
            continue
        check = _custom_check(rule, where, table, column, usage)
        if isinstance(check, str):
            usage.leave(where, check)
            continue
        usage.use((*where, "customProperties"))
        found.checks.append((check, where))
