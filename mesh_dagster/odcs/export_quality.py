"""A product's rules -> ODCS `quality` entries: library metrics where one fits, else SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mesh_dagster.checks.plan import PlannedCheck, masked_predicate, plan_checks
from mesh_dagster.odcs import names
from mesh_dagster.spec.models import ColumnSpec, DataProduct

HASHED_PATTERN = "^[0-9a-f]{64}$"
"""What a hashed value is (HMAC-SHA256 as hex), as the regular expression ODCS tools read."""


@dataclass
class ExportedQuality:
    """The ODCS rules of one product: on the schema object, and per property (column)."""

    table: list[dict[str, Any]] = field(default_factory=list)
    by_column: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _severity(check: PlannedCheck) -> str:
    return "error" if check.severity == "error" else "warning"


def _marked(rule: dict[str, Any], built_in: str) -> dict[str, Any]:
    """Return ``rule`` marked as stating a built-in rule of mesh (import folds it back)."""
    rule["customProperties"] = [{"property": names.CHECK_RULE, "value": built_in}]
    return rule


def _percent(share: float) -> float:
    """Return the percentage of rows a share leaves out (0.999 -> 0.1), without float noise."""
    return round((1 - share) * 100, 10)


def _completeness(product: DataProduct, check: PlannedCheck, quality: ExportedQuality) -> None:
    threshold = product.spec.quality.completeness_threshold
    if threshold >= 1:
        return  # `required: true` says it: no nulls at all
    for column in product.spec.columns:
        if column.nullable:
            continue
        rule = {
            "id": f"completeness_{column.name}",
            "type": "library",
            "metric": "nullValues",
            "mustBeLessOrEqualTo": _percent(threshold),
            "unit": "percent",
            "dimension": "completeness",
            "severity": _severity(check),
            "description": (
                f"At most {_percent(threshold):g}% of rows may lack {column.name} "
                "(mesh counts the rows lacking any required column)."
            ),
        }
        quality.by_column.setdefault(column.name, []).append(_marked(rule, "completeness"))


def _null_share_rule(check: PlannedCheck) -> dict[str, Any]:
    budget = _percent(check.min_passing_share)
    rule = {
        "id": check.name,
        "type": "library",
        "metric": "nullValues",
        "mustBeLessOrEqualTo": budget,
        "unit": "percent",
        "dimension": "completeness",
        "severity": _severity(check),
        "description": f"At most {budget:g}% of rows may lack {check.columns[0]}.",
    }
    return _marked(rule, "null_share")


def _pii_rule(column: ColumnSpec, check: PlannedCheck) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": check.name, "dimension": "conformity", "severity": "error"}
    if column.pii_handling == "hashed":
        rule |= {
            "type": "library",
            "metric": "invalidValues",
            "arguments": {"pattern": HASHED_PATTERN},
            "mustBe": 0,
            "description": f"{column.name} is published hashed (HMAC-SHA256, hex).",
        }
    else:
        if column.pii_handling == "masked":
            good = f"{column.name} is null or {masked_predicate(column.name)}"
            what = "masked: at most its last 4 characters (and a quarter of it) shown"
        else:
            good = f"{column.name} is null"
            what = "redacted: always null"
        rule |= {
            "type": "sql",
            "query": f"SELECT COUNT(*) FROM {{object}} WHERE ({good}) IS NOT TRUE",
            "mustBe": 0,
            "description": f"{column.name} is published {what}.",
        }
    return _marked(rule, "pii")


def _custom_rule(product: DataProduct, check: PlannedCheck, index: int) -> dict[str, Any]:
    declared = product.spec.quality.custom_checks[index]
    if check.scope == "row":
        query = f"SELECT COUNT(*) FROM {{object}} WHERE ({check.sql}) IS NOT TRUE"
        operator: dict[str, Any] = {"mustBe": 0}
    else:
        query = f"SELECT CASE WHEN {check.sql} THEN 1 ELSE 0 END FROM {{object}}"
        operator = {"mustBe": 1}
    rule: dict[str, Any] = {"id": check.name}
    if declared.name is not None:
        rule["name"] = declared.name
    rule |= {"type": "sql", "query": query, **operator, "severity": _severity(check)}
    if declared.description is not None:
        rule["description"] = declared.description
    rule["customProperties"] = [{"property": names.CHECK_SQL, "value": declared.sql}]
    return rule


def export_quality(product: DataProduct) -> ExportedQuality:
    """Return the product's rules as ODCS quality entries, in the order mesh reports them.

    ``schema`` (column types) is stated by the properties and ``partition_bounds`` (rows
    inside the run's period) has no ODCS form: a contract has no notion of a run.
    """
    quality = ExportedQuality()
    customs = iter(range(len(product.spec.quality.custom_checks)))
    for check in plan_checks(product).checks:
        if check.kind == "completeness":
            _completeness(product, check, quality)
        elif check.name == "grain_unique":
            rule = {
                "id": check.name,
                "type": "library",
                "metric": "duplicateValues",
                "arguments": {"properties": list(product.spec.grain)},
                "mustBe": 0,
                "dimension": "uniqueness",
                "severity": "error",
                "description": "One row per " + ", ".join(product.spec.grain) + ".",
            }
            quality.table.append(_marked(rule, "grain"))
        elif check.name == "not_empty":
            rule = {
                "id": check.name,
                "type": "library",
                "metric": "rowCount",
                "mustBeGreaterThan": 0,
                "dimension": "completeness",
                "severity": "error",
                "description": "A published period has at least one row.",
            }
            quality.table.append(_marked(rule, "not_empty"))
        elif check.kind == "null_share":
            column_name = check.columns[0]
            quality.by_column.setdefault(column_name, []).append(_null_share_rule(check))
        elif check.kind == "pii":
            column = product.column(check.columns[0])
            assert column is not None
            quality.by_column.setdefault(column.name, []).append(_pii_rule(column, check))
        elif check.kind == "custom":
            quality.table.append(_custom_rule(product, check, next(customs)))
    return quality
