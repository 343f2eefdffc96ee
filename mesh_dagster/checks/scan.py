"""The single scan: one query with one aggregate per rule over the typed view."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import duckdb

from mesh_dagster.checks.engine import (
    REFUSED_ACCESS,
    REFUSED_SYNTAX,
    CheckRefusedError,
    ensure_one_select,
)
from mesh_dagster.checks.plan import CheckScope, PlannedCheck
from mesh_dagster.checks.typed import TYPED_VIEW

ScanValue = int | bool | None
# Errors that say nothing about one rule: the engine itself failed, so evaluation stops.
_ENGINE_ERRORS = (
    duckdb.OutOfMemoryException,
    duckdb.InterruptException,
    duckdb.FatalException,
    duckdb.InternalException,
)


@dataclass(frozen=True)
class Measure:
    """One aggregate of the scan: ``what`` a check needs, computed by ``sql``.

    A DISTINCT aggregate is computed in a query of its own (``alone``): next to other
    aggregates DuckDB buffers the whole scan to feed both, which costs as much memory as
    the data, while on its own it streams, for the same CPU time.
    """

    check: str
    what: str
    sql: str
    alone: bool = False


@dataclass
class ScanResult:
    """The figures of the scan per check, and the checks whose SQL raised on the data."""

    rows: int = 0
    values: dict[str, dict[str, ScanValue]] = field(default_factory=lambda: defaultdict(dict))
    errors: dict[str, str] = field(default_factory=dict)


def canonical_predicate(check: PlannedCheck) -> str:
    """Return the check's predicate as DuckDB re-writes it; refuse anything but one expression.

    DuckDB's own expression parser reads the text, so a predicate that would close the
    surrounding query or add a statement never reaches a query.
    """
    if check.predicate is None:
        raise ValueError(f"check '{check.name}' has no predicate")
    try:
        return str(duckdb.SQLExpression(check.predicate))
    except (duckdb.ParserException, duckdb.InvalidInputException):
        raise CheckRefusedError(check.name, REFUSED_SYNTAX) from None


def probe_query(predicate: str, scope: CheckScope) -> str:
    """Return a query shaped like the scan that binds ``predicate`` on no rows.

    A row rule must not aggregate and a table rule must, so each binds as it will run.
    """
    empty = f"(select * from {TYPED_VIEW} limit 0) as empty"
    if scope == "table":
        return f"select ({predicate}) as value, count(*) as rows_checked from {empty}"
    failing = f"count(*) filter (where not coalesce(({predicate}), false))"
    return f"select any_value(({predicate})) as value, {failing} as failing from {empty}"


def probe(
    connection: duckdb.DuckDBPyConnection, check: str, predicate: str, scope: CheckScope
) -> str | None:
    """Return why ``predicate`` cannot run on the typed view, or None when it can."""
    sql = probe_query(predicate, scope)
    ensure_one_select(connection, sql, check)
    try:
        description = connection.execute(sql).description
    except duckdb.PermissionException:
        raise CheckRefusedError(check, REFUSED_ACCESS) from None
    except _ENGINE_ERRORS:
        raise
    except duckdb.Error as error:
        # Binding happens before any row is read, so the message holds no data values.
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        return f"its SQL does not run on the declared columns ({first_line})"
    result_type = str(description[0][1]) if description else "nothing"
    if result_type != "BOOLEAN":
        return f"its SQL gives {result_type}, not a boolean"
    return None


def scan_query(measures: list[Measure]) -> str:
    """Return the one query that computes every measure (and the row count) in one scan."""
    columns = ["count(*) as rows_checked"]
    columns += [f"{measure.sql} as m{index}" for index, measure in enumerate(measures)]
    return f"select {', '.join(columns)} from {TYPED_VIEW}"


def _run(
    connection: duckdb.DuckDBPyConnection, measures: list[Measure], result: ScanResult
) -> None:
    sql = scan_query(measures)
    ensure_one_select(connection, sql, measures[0].check if measures else "scan")
    row = connection.execute(sql).fetchone()
    assert row is not None
    result.rows = int(row[0])
    for measure, value in zip(measures, row[1:], strict=True):
        result.values[measure.check][measure.what] = value


def _run_group(
    connection: duckdb.DuckDBPyConnection, measures: list[Measure], result: ScanResult
) -> None:
    try:
        _run(connection, measures, result)
        return
    except duckdb.PermissionException:
        pass  # found and named per check below
    except _ENGINE_ERRORS:
        raise
    except duckdb.Error:
        pass
    by_check: dict[str, list[Measure]] = defaultdict(list)
    for measure in measures:
        by_check[measure.check].append(measure)
    _run(connection, [], result)
    for check, group in by_check.items():
        try:
            _run(connection, group, result)
        except duckdb.PermissionException:
            raise CheckRefusedError(check, REFUSED_ACCESS) from None
        except _ENGINE_ERRORS:
            raise
        except duckdb.Error as error:
            result.values.pop(check, None)
            result.errors[check] = type(error).__name__


def run_scan(connection: duckdb.DuckDBPyConnection, measures: list[Measure]) -> ScanResult:
    """Return the figures of every measure: all of them in one scan, but DISTINCT ones.

    When a rule raises on the data (a conversion error in a custom check, say), the scan is
    repeated per check so the other rules still report; the failing check's error class is
    kept, never its message, which can quote a data value.
    """
    result = ScanResult()
    _run_group(connection, [measure for measure in measures if not measure.alone], result)
    for measure in measures:
        if measure.alone:
            _run_group(connection, [measure], result)
    return result
