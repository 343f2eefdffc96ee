"""The result of one check, and the message a run shows when error rules fail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mesh_dagster.checks.plan import CheckKind
from mesh_dagster.checks.samples import SampleKey
from mesh_dagster.spec.models import Severity


@dataclass(frozen=True)
class CheckOutcome:
    """What one check found. Never holds a value of a PII column.

    ``failing_ratio`` is ``failing_rows / rows_checked`` (0.0 for no rows). Table-level
    rules (an aggregate check, ``not_empty``) judge the table as a whole and report
    ``failing_rows`` 0. ``sample_keys`` are up to 5 grain keys of failing rows, as JSON
    scalars (dates as ISO text), without the grain's PII columns.
    """

    name: str
    kind: CheckKind
    severity: Severity
    passed: bool
    failing_rows: int
    failing_ratio: float
    rows_checked: int
    sql: str
    detail: str
    sample_keys: tuple[SampleKey, ...] = field(default=())


def failed_errors(outcomes: Iterable[CheckOutcome]) -> list[CheckOutcome]:
    """Return the failed checks of severity ``error`` (those that block publishing)."""
    return [outcome for outcome in outcomes if not outcome.passed and outcome.severity == "error"]


def summarize_failures(outcomes: Iterable[CheckOutcome]) -> str:
    """Return the message of a run whose error rules failed: each rule and its figures."""
    failed = failed_errors(outcomes)
    if not failed:
        return "All error checks passed."
    count = "1 error check" if len(failed) == 1 else f"{len(failed)} error checks"
    lines = [f"{count} failed:"]
    for outcome in failed:
        lines.append(f"- {outcome.name}: {outcome.detail}")
        if outcome.sample_keys:
            shown = "; ".join(_key_text(key) for key in outcome.sample_keys[:SHOWN_KEYS])
            lines.append(f"  failing rows include {shown}")
    return "\n".join(lines)


SHOWN_KEYS = 3
"""How many sample keys of a failed rule a run's message shows (the UI shows them all)."""


def _key_text(key: SampleKey) -> str:
    # Sample keys hold grain columns only, never PII ones (CheckPlan.sample_columns).
    return ", ".join(f"{name}={'null' if value is None else value}" for name, value in key.items())
