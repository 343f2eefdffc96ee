"""Build outcomes on Airflow become incidents: ``check_failed`` per rule, ``run_failed`` per period.

The same rules as Dagster's ``mesh_alerts`` sensor: a failed rule opens ``check_failed`` for
(product, period, rule), of the rule's severity (warn: low urgency, never paging), and a
later build of that period on which the rule passes resolves it; a build task that failed
for good (after its last retry, or at once for a terminal failure) opens ``run_failed`` for
(product, period), and a later publish of that period resolves it. A publish blocked by
its rules is the rules' incidents, not also ``run_failed``. Pure: the build task records a
``BuildOutcome`` in the watcher's store, and the ``mesh_sla`` watcher applies them here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mesh_dagster.airflow.names import dag_id
from mesh_dagster.alerts.book import IncidentBook
from mesh_dagster.alerts.incidents import Figure, Incident, IncidentKind, Severity, dedup_key
from mesh_dagster.alerts.routing import incident_for
from mesh_dagster.checks.outcome import CheckOutcome
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct

RULE_FIGURES = ("failing_rows", "rows_checked", "failing_ratio", "detail")
"""What a ``check_failed`` incident tells of its rule (as on Dagster): figures, never values."""


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome on one build, as the watcher needs it."""

    rule: str
    severity: Severity
    passed: bool
    figures: Mapping[str, Figure] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildOutcome:
    """What one build task of one period reported: its rules and publish, or its failure."""

    product: str
    partition: str | None
    at: datetime
    published: bool = False
    rules: tuple[RuleResult, ...] = ()
    failure: str | None = None
    """The kind of a terminal failure (e.g. ``missing_input``); None when the rules decided."""
    run_id: str | None = None


def rule_results(outcomes: Iterable[CheckOutcome]) -> tuple[RuleResult, ...]:
    """Return the rules' outcomes of a build, with the figures an incident shows."""
    return tuple(
        RuleResult(
            rule=outcome.name,
            severity=outcome.severity,
            passed=outcome.passed,
            figures={
                "failing_rows": outcome.failing_rows,
                "rows_checked": outcome.rows_checked,
                "failing_ratio": round(float(outcome.failing_ratio), 6),
                "detail": outcome.detail,
            },
        )
        for outcome in outcomes
    )


def dag_url(airflow_url: str, product: DataProduct) -> str:
    """Return the page of the product's DAG in the Airflow UI."""
    return f"{airflow_url.rstrip('/')}/dags/{dag_id(product)}"


def _incident(
    mesh: Mesh,
    product: DataProduct,
    airflow_url: str,
    outcome: BuildOutcome,
    kind: IncidentKind,
    details: Mapping[str, Figure],
    rule: RuleResult | None = None,
) -> Incident:
    """Return an incident of ``product``'s period, linked to its DAG in the Airflow UI."""
    opened = incident_for(
        mesh,
        product,
        kind,
        opened_at=outcome.at,
        partition=outcome.partition,
        rule=rule.rule if rule else None,
        severity=rule.severity if rule else "error",
        details=details,
        dagster_url=airflow_url,
    )
    audience = opened.audience.model_copy(update={"asset_url": dag_url(airflow_url, product)})
    return opened.model_copy(update={"audience": audience})


def _resolve(
    book: IncidentBook,
    outcome: BuildOutcome,
    kind: IncidentKind,
    rule: str | None,
) -> IncidentBook:
    key = dedup_key(outcome.product, outcome.partition, kind, rule)
    book, _ = book.resolve(key, at=outcome.at)
    return book


def apply_outcome(
    mesh: Mesh, book: IncidentBook, outcome: BuildOutcome, airflow_url: str
) -> IncidentBook:
    """Return the book after one build outcome (a product no longer in the mesh: unchanged)."""
    product = mesh.products.get(outcome.product)
    if product is None:
        return book
    if outcome.failure is not None:
        details: dict[str, Figure] = {"failure": outcome.failure, "run_id": outcome.run_id}
        incident = _incident(mesh, product, airflow_url, outcome, "run_failed", details)
        book, _ = book.open(incident)
        return book
    for rule in outcome.rules:
        if rule.passed:
            book = _resolve(book, outcome, "check_failed", rule.rule)
            continue
        figures = {name: rule.figures[name] for name in RULE_FIGURES if name in rule.figures}
        incident = _incident(mesh, product, airflow_url, outcome, "check_failed", figures, rule)
        book, _ = book.open(incident)
    if outcome.published:
        book = _resolve(book, outcome, "run_failed", None)
    return book


def apply_outcomes(
    mesh: Mesh, book: IncidentBook, outcomes: Sequence[BuildOutcome], airflow_url: str
) -> IncidentBook:
    """Return the book after the build outcomes, in the order they were recorded."""
    for outcome in outcomes:
        book = apply_outcome(mesh, book, outcome, airflow_url)
    return book
