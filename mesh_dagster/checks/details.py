"""The sentences of check outcomes: figures and column names, never a data value."""

from __future__ import annotations

from collections.abc import Sequence

from mesh_dagster.checks.typed import TypedInput
from mesh_dagster.spec.periods import Period

HANDLING_WORDS = {
    "hashed": "hashed (64 lowercase hex characters)",
    "masked": "masked (at most its last 4 characters, and at most a quarter of it, shown)",
    "redacted": "redacted (null)",
}


def percent(share: float) -> str:
    """Return a share as a percentage with two decimals (``<0.01%`` for a tiny one)."""
    if 0 < share < 0.0001:
        return "<0.01%"
    return f"{share * 100:.2f}%"


def row_count(count: int) -> str:
    """Return ``1 row`` or ``1,000 rows``."""
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def rows_share(count: int, total: int) -> str:
    """Return ``2 of 1,000 rows (0.20%)``."""
    share = count / total if total else 0.0
    return f"{count:,} of {row_count(total)} ({percent(share)})"


def _columns(label: str, names: Sequence[str]) -> str:
    return f"{label}{'s' if len(names) > 1 else ''} {', '.join(names)}"


def schema_problems(typed: TypedInput, bad_values: dict[str, int], rows: int) -> list[str]:
    """Return each way the input differs from the declared schema."""
    problems: list[str] = []
    if typed.missing:
        problems.append(_columns("missing column", typed.missing))
    if typed.undeclared:
        problems.append(_columns("undeclared column", typed.undeclared))
    if typed.duplicated:
        problems.append(_columns("repeated column", typed.duplicated))
    cannot = {name for name, _, _ in typed.incompatible}
    problems += [
        f"{name} is stored as {source}, not {declared}"
        for name, source, declared in typed.mistyped
        if name not in cannot
    ]
    problems += [
        f"{name} is {source}, which cannot be cast to {declared}"
        for name, source, declared in typed.incompatible
    ]
    for column in typed.checked:
        bad = bad_values.get(column.name, 0)
        if bad:
            problems.append(
                f"{column.name} ({column.source_type}): {rows_share(bad, rows)} hold a value "
                f"not castable to {column.declared_type}"
            )
    return problems


def schema_detail(typed: TypedInput, bad_values: dict[str, int], rows: int, declared: int) -> str:
    """Return the schema sentence: its problems, or that the columns are as declared."""
    problems = schema_problems(typed, bad_values, rows)
    if problems:
        return "; ".join(problems)
    if typed.stored:
        return f"all {declared} declared columns present, stored as declared ({row_count(rows)})"
    return f"all {declared} declared columns present and castable ({row_count(rows)})"


def unusable_reason(columns: Sequence[str], typed: TypedInput) -> str:
    """Return why a rule reading ``columns`` cannot run."""
    missing = [name for name in columns if name in typed.missing]
    if missing:
        return f"the result has no {', '.join(missing)}"
    broken = [(name, declared) for name, _, declared in typed.incompatible if name in columns]
    return "; ".join(f"{name} cannot be cast to {declared}" for name, declared in broken)


def completeness_detail(
    failing: int, rows: int, threshold: float, nulls: dict[str, int], required: Sequence[str]
) -> str:
    """Return the completeness sentence: complete rows, the threshold, nulls per column."""
    if not required:
        return f"no column is declared nullable: false ({row_count(rows)})"
    text = (
        f"{rows_share(rows - failing, rows)} have every non-nullable column; "
        f"the threshold is {threshold * 100:g}%"
    )
    counted = [f"{name} {count:,}" for name, count in nulls.items() if count]
    return f"{text}; nulls: {', '.join(counted)}" if counted else text


def null_share_detail(column: str, nulls: int, rows: int, budget: float) -> str:
    """Return the null-budget sentence: the column's nulls against its budget."""
    return f"{rows_share(nulls, rows)} have no {column}; the budget is {budget * 100:g}%"


def window_text(period: Period, as_dates: bool) -> str:
    """Return the half-open window ``[start, end)`` of a period, as dates or instants."""
    if as_dates:
        return f"[{period.start.date().isoformat()}, {period.end.date().isoformat()})"
    return f"[{period.start.isoformat()}, {period.end.isoformat()})"


def partition_detail(column: str, failing: int, rows: int, window: str) -> str:
    """Return the partition-bounds sentence."""
    if failing:
        return f"{rows_share(failing, rows)} have {column} outside {window}"
    return f"all {rows:,} rows have {column} inside {window}"


def pii_detail(column: str, handling: str, failing: int, rows: int) -> str:
    """Return the PII sentence; it names the column, never a value."""
    words = HANDLING_WORDS.get(handling, handling)
    if failing:
        return f"{rows_share(failing, rows)} have a {column} value that is not {words}"
    return f"every {column} value of {row_count(rows)} is {words} or null"


def row_rule_detail(sql: str, failing: int, nulls: int, rows: int) -> str:
    """Return the sentence of a row-level custom check."""
    if failing:
        null_text = f" ({nulls:,} of them because it is null)" if nulls else ""
        return f"{rows_share(failing, rows)} do not satisfy {sql}{null_text}"
    return f"all {rows:,} rows satisfy {sql}"


def table_rule_detail(sql: str, value: bool | None, rows: int) -> str:
    """Return the sentence of an aggregate check."""
    verdict = "null" if value is None else ("true" if value else "false")
    return f"{sql} is {verdict} on the table ({row_count(rows)})"


def grain_detail(grain: Sequence[str], failing: int, rows: int) -> str:
    """Return the grain-uniqueness sentence."""
    key = f"({', '.join(grain)})"
    if failing:
        verb = "repeats" if failing == 1 else "repeat"
        return f"{failing:,} of {row_count(rows)} {verb} a {key} key another row already has"
    return f"all {rows:,} rows have a distinct {key}"


def not_empty_detail(rows: int) -> str:
    """Return the not-empty sentence."""
    if rows:
        return f"the result has {row_count(rows)}"
    return (
        "the result has no rows; publishing it would empty the partition "
        "(set spec.quality.allow_empty: true to allow an empty result)"
    )
