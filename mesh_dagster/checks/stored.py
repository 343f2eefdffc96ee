"""What checking stored data adds to the outcomes: rows that no period holds.

`mesh check` reads a period's rows together with the rows whose partition column is null,
which no period holds, so no build or period check would ever see them. They fail
``partition_bounds`` (with a period, they are outside its window; without one, they are in
no partition), and they do not make an empty period non-empty: an empty period (or table)
fails ``not_empty``, said in the words of stored data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mesh_dagster.checks import details
from mesh_dagster.checks.outcome import CheckOutcome
from mesh_dagster.spec.periods import Period


def unplaced_text(column: str, unplaced: int) -> str:
    """Return the sentence of rows with a null partition column."""
    verb = "has" if unplaced == 1 else "have"
    return f"{details.row_count(unplaced)} {verb} a null {column}, in no partition"


def empty_text(period: Period | None) -> str:
    """Return the sentence of a stored period (or table) without rows."""
    if period is None:
        return "the table has no rows"
    return f"partition {period.key} has no rows"


def judge_stored(
    outcomes: Sequence[CheckOutcome],
    period: Period | None,
    column: str | None,
    unplaced: int,
) -> list[CheckOutcome]:
    """Return ``outcomes`` judged as stored data holding ``unplaced`` rows (null ``column``)."""
    judged: list[CheckOutcome] = []
    for outcome in outcomes:
        rows = outcome.rows_checked
        if outcome.kind == "not_empty" and rows == unplaced:
            outcome = replace(outcome, passed=False, detail=empty_text(period))
        elif column is None or unplaced == 0:
            pass
        elif outcome.kind == "partition_bounds" and period is not None:
            detail = f"{outcome.detail} ({unplaced_text(column, unplaced)})"
            outcome = replace(outcome, detail=detail)
        elif outcome.kind == "partition_bounds":
            outcome = replace(
                outcome,
                passed=False,
                failing_rows=unplaced,
                failing_ratio=unplaced / rows,
                detail=f"{details.rows_share(unplaced, rows)} have a null {column}, "
                "in no partition",
            )
        judged.append(outcome)
    return judged
