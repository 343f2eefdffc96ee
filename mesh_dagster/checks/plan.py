"""A product's quality rules as plain data: what each check reads, how it is evaluated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mesh_dagster.checks.identifiers import identifier
from mesh_dagster.checks.names import CheckPlanError, name_custom_checks
from mesh_dagster.checks.types import duckdb_type
from mesh_dagster.spec.check_sql import CheckSqlError, parse_check_sql
from mesh_dagster.spec.models import ColumnSpec, DataProduct, PiiHandling, Severity

CheckKind = Literal[
    "schema",
    "completeness",
    "null_share",
    "grain_unique",
    "partition_bounds",
    "not_empty",
    "pii",
    "custom",
]
CheckScope = Literal["schema", "row", "table", "grain"]
"""How a check is evaluated: against the declared schema, on every row (the predicate must
be true), once on the table (the predicate is an aggregate), or as uniqueness of a key."""

BUILT_IN_NAMES = ("schema", "completeness", "grain_unique", "partition_bounds", "not_empty")
MASKED_WORDS = "at most its last 4 characters, and at most a quarter of it, are not '*'"
"""What a masked value is (``mesh_dagster.io.pii.mask_value``), in words."""


def masked_predicate(name: str) -> str:
    """Return the SQL of "``name`` is masked": every character '*' but the shown last ones."""
    stars = f"length({name}) - length(ltrim({name}, '*'))"
    return f"{stars} >= length({name}) - least(4, length({name}) // 4)"


@dataclass(frozen=True)
class DeclaredColumn:
    """A column of the spec's schema, with its DuckDB type."""

    name: str
    type: str
    pii: bool
    pii_handling: PiiHandling | None = None


@dataclass(frozen=True)
class PlannedCheck:
    """One quality rule, ready to evaluate: an asset check of the product.

    ``sql`` is what users are shown; ``predicate`` is the DuckDB boolean expression the
    engine evaluates (per row for scope ``row``, once as an aggregate for scope ``table``).
    For a custom check both are the same text: its SQL as sqlglot normalises it, without
    comments, so what is shown is what runs.
    A row-scope check passes when at least ``min_passing_share`` of the rows satisfy the
    predicate (null counts as not satisfied). ``variables`` are the DuckDB variables the
    predicate reads (the partition window); they are bound, never written into the SQL.
    """

    name: str
    kind: CheckKind
    severity: Severity
    columns: tuple[str, ...]
    sql: str
    description: str
    scope: CheckScope
    predicate: str | None = None
    min_passing_share: float = 1.0
    variables: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckPlan:
    """Every check of one product, in the order they are reported."""

    product: str
    checks: tuple[PlannedCheck, ...]
    columns: tuple[DeclaredColumn, ...]
    grain: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Return the check names, in order."""
        return tuple(check.name for check in self.checks)

    @property
    def sample_columns(self) -> tuple[str, ...]:
        """Return the grain columns that failing-row samples may show (never PII)."""
        pii = {column.name for column in self.columns if column.pii}
        return tuple(name for name in self.grain if name not in pii)

    def check(self, name: str) -> PlannedCheck:
        """Return the check called ``name``; KeyError if there is none."""
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)


def _listing(names: list[str] | tuple[str, ...]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _schema_check(product: DataProduct) -> PlannedCheck:
    columns = product.spec.columns
    declared = ", ".join(f"{column.name} {duckdb_type(column.type)}" for column in columns)
    return PlannedCheck(
        name="schema",
        kind="schema",
        severity="error",
        columns=tuple(column.name for column in columns),
        sql=f"({declared})",
        description=(
            f"all {len(columns)} declared columns are present and castable to their types, "
            "and no other column is present"
        ),
        scope="schema",
    )


def _completeness_check(product: DataProduct) -> PlannedCheck:
    required = tuple(column.name for column in product.spec.columns if not column.nullable)
    threshold = product.spec.quality.completeness_threshold
    predicate = " and ".join(f"{identifier(name)} is not null" for name in required) or "true"
    share = "every row" if threshold >= 1 else f"at least {threshold * 100:g}% of rows"
    what = f"{_listing(required)} present" if required else "no column declared nullable: false"
    return PlannedCheck(
        name="completeness",
        kind="completeness",
        severity="error",
        columns=required,
        sql=predicate,
        description=f"{share} {'has' if share == 'every row' else 'have'} {what}",
        scope="row",
        predicate=predicate,
        min_passing_share=threshold,
    )


def null_share_name(column: str) -> str:
    """Return the name of a column's null-budget check: ``null_share_<column>``."""
    return f"null_share_{column}"


def _null_share_check(column: ColumnSpec, budget: float) -> PlannedCheck:
    name = identifier(column.name)
    predicate = f"{name} is not null"
    return PlannedCheck(
        name=null_share_name(column.name),
        kind="null_share",
        severity="error",
        columns=(column.name,),
        sql=predicate,
        description=f"at most {budget * 100:g}% of rows have no {column.name}",
        scope="row",
        predicate=predicate,
        # Exact in decimal: a budget of 2% passes 98 rows of 100 (1 - 0.02 is 0.98).
        min_passing_share=round(1 - budget, 12),
    )


def _grain_check(product: DataProduct) -> PlannedCheck:
    grain = tuple(product.spec.grain)
    key = ", ".join(identifier(name) for name in grain)
    table = product.name.replace("-", "_")
    return PlannedCheck(
        name="grain_unique",
        kind="grain_unique",
        severity="error",
        columns=grain,
        sql=f"select {key}, count(*) from {table} group by {key} having count(*) > 1",
        description=f"no two rows share the same ({', '.join(grain)})",
        scope="grain",
    )


def _partition_check(product: DataProduct, column: ColumnSpec) -> PlannedCheck:
    # A date column is compared with the window's local dates, a timestamp as instants.
    suffix = "_date" if column.type == "date" else ""
    start, end = f"partition_start{suffix}", f"partition_end{suffix}"
    name = identifier(column.name)
    predicate = f"{name} >= getvariable('{start}') and {name} < getvariable('{end}')"
    return PlannedCheck(
        name="partition_bounds",
        kind="partition_bounds",
        severity="error",
        columns=(column.name,),
        sql=predicate,
        description=f"every row's {column.name} lies in the run's partition window [start, end)",
        scope="row",
        predicate=predicate,
        variables=(start, end),
    )


def _not_empty_check() -> PlannedCheck:
    return PlannedCheck(
        name="not_empty",
        kind="not_empty",
        severity="error",
        columns=(),
        sql="count(*) > 0",
        description="the result has at least one row (an empty result would empty the partition)",
        scope="table",
        predicate="count(*) > 0",
    )


def _pii_check(column: ColumnSpec) -> PlannedCheck:
    name = identifier(column.name)
    if column.pii_handling == "hashed":
        # Same as '[0-9a-f]{64}', but RE2 is a third faster without the counted repeat.
        hexadecimal = f"regexp_full_match({name}, '[0-9a-f]+')"
        predicate = f"{name} is null or (strlen({name}) = 64 and {hexadecimal})"
        what = "is null or 64 lowercase hex characters (hashed)"
    elif column.pii_handling == "masked":
        predicate = f"{name} is null or {masked_predicate(name)}"
        what = f"is null or masked ({MASKED_WORDS})"
    else:
        predicate = f"{name} is null"
        what = "is null (redacted)"
    return PlannedCheck(
        name=f"pii_{column.name}",
        kind="pii",
        severity="error",
        columns=(column.name,),
        sql=predicate,
        description=f"{column.name} {what} on every row",
        scope="row",
        predicate=predicate,
    )


def _custom_checks(product: DataProduct, taken: list[str]) -> list[PlannedCheck]:
    checks = product.spec.quality.custom_checks
    names = name_custom_checks(checks, taken)
    declared = [column.name for column in product.spec.columns]
    flags = [column.name for column in product.spec.columns if column.type == "boolean"]
    planned: list[PlannedCheck] = []
    for name, check in zip(names, checks, strict=True):
        try:
            parsed = parse_check_sql(check.sql, declared, flags)
        except CheckSqlError as error:
            raise CheckPlanError(f"custom check '{name}' is invalid: {error}") from None
        where = "on the table" if parsed.is_aggregate else "on every row"
        planned.append(
            PlannedCheck(
                name=name,
                kind="custom",
                severity=check.severity,
                columns=parsed.columns,
                sql=parsed.sql,
                description=check.description or f"{parsed.sql} holds {where}",
                scope="table" if parsed.is_aggregate else "row",
                predicate=parsed.sql,
                variables=parsed.variables,
            )
        )
    return planned


def plan_checks(product: DataProduct) -> CheckPlan:
    """Return the product's checks: the built-in rules, then one per custom check.

    Raises CheckPlanError when the rules cannot be planned (a custom check named like a
    built-in one, or SQL that fails validation).
    """
    spec = product.spec
    checks = [_schema_check(product), _completeness_check(product)]
    checks.extend(
        _null_share_check(column, column.max_null_share)
        for column in spec.columns
        if column.max_null_share is not None
    )
    if spec.grain:
        checks.append(_grain_check(product))
    if spec.partitioning is not None:
        column = product.column(spec.partitioning.column)
        if column is None:
            raise CheckPlanError(
                f"the partition column '{spec.partitioning.column}' is not in spec.schema."
            )
        checks.append(_partition_check(product, column))
    if not spec.quality.allow_empty:
        checks.append(_not_empty_check())
    checks.extend(
        _pii_check(column) for column in spec.columns if column.pii and column.pii_handling
    )
    taken = [*BUILT_IN_NAMES, *(check.name for check in checks)]
    checks.extend(_custom_checks(product, taken))
    columns = tuple(
        DeclaredColumn(column.name, duckdb_type(column.type), column.pii, column.pii_handling)
        for column in spec.columns
    )
    return CheckPlan(product.name, tuple(checks), columns, tuple(spec.grain))
