"""Evaluate a check plan on an Arrow table in DuckDB, every row rule in one scan."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from mesh_dagster.checks import details
from mesh_dagster.checks.engine import (
    EngineLimits,
    EngineSettings,
    TimeLimit,
    open_engine,
    time_limit,
)
from mesh_dagster.checks.identifiers import identifier
from mesh_dagster.checks.outcome import CheckOutcome, failed_errors, summarize_failures
from mesh_dagster.checks.plan import CheckPlan, PlannedCheck
from mesh_dagster.checks.samples import duplicate_keys, failing_row_keys
from mesh_dagster.checks.scan import Measure, ScanResult, canonical_predicate, probe, run_scan
from mesh_dagster.checks.typed import INPUT_VIEW, TypedInput, create_typed_view
from mesh_dagster.io.errors import DataValueError, describe_library_error
from mesh_dagster.spec.periods import Period
from mesh_dagster.spec.window import WINDOW_NAMES, window_statements

__all__ = [
    "CheckOutcome",
    "EngineLimits",
    "EngineSettings",
    "evaluate_checks",
    "failed_errors",
    "summarize_failures",
]


@dataclass
class _Run:
    """What evaluation knows about one table before and after its scan."""

    plan: CheckPlan
    typed: TypedInput
    period: Period | None
    predicates: dict[str, str] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)
    scan: ScanResult = field(default_factory=ScanResult)


def _bind_period(connection: duckdb.DuckDBPyConnection, period: Period | None) -> None:
    if period is None:
        return
    for statement, parameters in window_statements(period.key, period.start, period.end):
        connection.execute(statement, parameters)


def _prepare(connection: duckdb.DuckDBPyConnection, run: _Run) -> None:
    for check in run.plan.checks:
        if check.predicate is not None:
            run.predicates[check.name] = canonical_predicate(check)
    for check in run.plan.checks:
        unknown = set(check.variables) - set(WINDOW_NAMES)
        if unknown:
            raise ValueError(f"check '{check.name}' reads unknown variables {sorted(unknown)}")
        unusable = [name for name in check.columns if name in run.typed.unusable]
        if check.variables and run.period is None:
            run.skipped.add(check.name)
        elif check.scope != "schema" and unusable:
            run.blocked[check.name] = details.unusable_reason(unusable, run.typed)
        elif check.name in run.predicates:
            reason = probe(connection, check.name, run.predicates[check.name], check.scope)
            if reason is not None:
                run.blocked[check.name] = reason


def _measures(check: PlannedCheck, run: _Run) -> list[Measure]:
    name = check.name
    if check.scope == "schema":
        flags = [column.flag for column in run.typed.checked]
        if not flags:
            return []
        measures = [Measure(name, "failing", f"count(*) filter (where {' or '.join(flags)})")]
        measures += [
            Measure(name, f"bad:{column.name}", f"count(*) filter (where {column.flag})")
            for column in run.typed.checked
        ]
        return measures
    if check.scope == "grain":
        key = ", ".join(identifier(column) for column in check.columns)
        return [Measure(name, "failing", f"count(*) - count(distinct row({key}))", alone=True)]
    predicate = run.predicates[name]
    if check.scope == "table":
        return [Measure(name, "value", f"({predicate})")]
    failing = f"count(*) filter (where not coalesce(({predicate}), false))"
    measures = [Measure(name, "failing", failing)]
    if check.kind == "custom":
        measures.append(Measure(name, "null", f"count(*) filter (where ({predicate}) is null)"))
    if check.kind == "completeness":
        measures += [
            Measure(name, f"present:{column}", f"count({identifier(column)})")
            for column in check.columns
        ]
    return measures


def _int(value: object) -> int:
    return int(value) if isinstance(value, (int, bool)) else 0


def _row_rule_passes(check: PlannedCheck, failing: int, rows: int) -> bool:
    if rows == 0 or failing == 0:
        return True
    # Exact decimal arithmetic: 999 of 1,000 rows meets a threshold of 0.999.
    return Fraction(rows - failing, rows) >= Fraction(repr(check.min_passing_share))


def _verdict(check: PlannedCheck, run: _Run) -> tuple[bool, int, str]:
    """Return (passed, failing rows, detail) of a check that ran."""
    values, rows = run.scan.values.get(check.name, {}), run.scan.rows
    failing = _int(values.get("failing"))
    if check.scope == "schema":
        bad = {column.name: _int(values.get(f"bad:{column.name}")) for column in run.typed.checked}
        problems = details.schema_problems(run.typed, bad, rows)
        # A structural problem fails the table, not rows: failing counts bad values only.
        text = details.schema_detail(run.typed, bad, rows, len(check.columns))
        return not problems, failing, text
    if check.scope == "grain":
        return failing == 0, failing, details.grain_detail(check.columns, failing, rows)
    if check.scope == "table":
        value = values.get("value")
        if check.kind == "not_empty":
            return value is True, 0, details.not_empty_detail(rows)
        return value is True, 0, details.table_rule_detail(check.sql, _bool(value), rows)
    passed = _row_rule_passes(check, failing, rows)
    if check.kind == "completeness":
        missing = {name: rows - _int(values.get(f"present:{name}")) for name in check.columns}
        text = details.completeness_detail(
            failing, rows, check.min_passing_share, missing, check.columns
        )
    elif check.kind == "partition_bounds" and run.period is not None:
        window = details.window_text(run.period, "partition_start_date" in check.variables)
        text = details.partition_detail(check.columns[0], failing, rows, window)
    elif check.kind == "null_share":
        budget = round(1 - check.min_passing_share, 12)
        text = details.null_share_detail(check.columns[0], failing, rows, budget)
    elif check.kind == "pii":
        column = next(item for item in run.plan.columns if item.name == check.columns[0])
        text = details.pii_detail(column.name, column.pii_handling or "", failing, rows)
    else:
        nulls = _int(values.get("null"))
        text = details.row_rule_detail(check.sql, failing, nulls, rows)
    return passed, failing, text


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _failing_expression(check: PlannedCheck, run: _Run) -> str | None:
    if check.scope == "schema":
        flags = [column.flag for column in run.typed.checked]
        return " or ".join(flags) if flags else None
    if check.scope == "row":
        return f"not coalesce(({run.predicates[check.name]}), false)"
    return None


def _with_samples(
    connection: duckdb.DuckDBPyConnection, outcomes: list[CheckOutcome], run: _Run
) -> list[CheckOutcome]:
    """Return the outcomes with sample keys for the checks that failed on some rows."""
    if any(name in run.typed.unusable for name in run.plan.grain):
        return outcomes
    columns = run.plan.sample_columns
    failed = {
        outcome.name: run.plan.check(outcome.name)
        for outcome in outcomes
        if not outcome.passed and outcome.failing_rows > 0
    }
    failing = {
        name: expression
        for name, check in failed.items()
        if (expression := _failing_expression(check, run)) is not None
    }
    samples = failing_row_keys(connection, columns, failing)
    for name, check in failed.items():
        if check.scope == "grain":
            samples[name] = duplicate_keys(connection, check.columns, columns)
    return [
        replace(outcome, sample_keys=tuple(samples[outcome.name]))
        if outcome.name in samples
        else outcome
        for outcome in outcomes
    ]


def _outcome(check: PlannedCheck, run: _Run) -> CheckOutcome:
    rows = run.scan.rows

    def outcome(passed: bool, failing: int, detail: str) -> CheckOutcome:
        ratio = failing / rows if rows else 0.0
        return CheckOutcome(
            check.name, check.kind, check.severity, passed, failing, ratio, rows, check.sql,
            detail,
        )  # fmt: skip

    if check.name in run.skipped:
        return outcome(True, 0, "not evaluated: no partition window was given")
    if check.name in run.blocked:
        return outcome(False, 0, f"could not run: {run.blocked[check.name]}")
    if check.name in run.scan.errors:
        error = run.scan.errors[check.name]
        return outcome(False, 0, f"could not run: DuckDB raised {error} on the data")
    return outcome(*_verdict(check, run))


def evaluate_checks(
    plan: CheckPlan,
    table: pa.Table | ds.Dataset,
    period: Period | None,
    settings: EngineLimits | None = None,
    limit: TimeLimit | None = None,
    stored: bool = False,
) -> list[CheckOutcome]:
    """Return the outcome of every planned check on ``table``, in plan order.

    Every row rule is computed in one scan (the grain's duplicate count in a query of its
    own); samples are fetched afterwards, in one more scan, only for checks that failed.
    ``period`` is the run's partition window; without it ``partition_bounds`` is not
    evaluated. Raises CheckRefusedError, before any rule is evaluated, when a check's SQL
    tries to read files, reach the network, run statements or is not one SQL expression;
    QueryTimeoutError when the checks together run past ``limit``; DataValueError (class
    and column, never a value) when DuckDB fails outside any one rule. ``table`` is only read;
    a dataset (a build's staged files) is scanned, never loaded whole.
    ``stored``: ``table`` is published data, judged by its types as stored
    (``typed.create_typed_view``), not by castability as a build's result is.
    """
    connection = open_engine(settings or EngineSettings())
    step = f"evaluating the checks of '{plan.product}'"
    try:
        with time_limit(connection, limit, step, "the checks"):
            return _evaluate(connection, plan, table, period, stored)
    except duckdb.Error as error:
        raise DataValueError(f"{step} failed: {describe_library_error(error)}") from None
    finally:
        connection.close()


def _evaluate(
    connection: duckdb.DuckDBPyConnection,
    plan: CheckPlan,
    table: pa.Table | ds.Dataset,
    period: Period | None,
    stored: bool,
) -> list[CheckOutcome]:
    connection.register(INPUT_VIEW, table)
    _bind_period(connection, period)
    typed = create_typed_view(connection, plan, table.schema.names, stored)
    run = _Run(plan, typed, period)
    _prepare(connection, run)
    runnable = [
        check
        for check in plan.checks
        if check.name not in run.blocked and check.name not in run.skipped
    ]
    run.scan = run_scan(connection, [m for check in runnable for m in _measures(check, run)])
    return _with_samples(connection, [_outcome(check, run) for check in plan.checks], run)
