"""compute_scorecard: a history of events -> availability, budgets, quality and incidents."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from mesh_dagster.scorecard.history import History, ProductHistory, VerdictEvent, waiting_causes
from mesh_dagster.scorecard.incidents import derive_incidents
from mesh_dagster.scorecard.model import (
    Availability,
    ErrorBudget,
    IncidentSummary,
    MeshScorecard,
    PeriodOutcome,
    PeriodStatus,
    ProductScorecard,
    Quality,
    RollupScorecard,
    error_budget,
    summarize_incidents,
)
from mesh_dagster.scorecard.window import Window, due_periods_in
from mesh_dagster.sla.verdicts import DuePeriod, deadline_of, not_judged_reason
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.periods import period_for_key

MESH_SCOPE = "mesh"
_JUDGED: dict[str, PeriodStatus] = {"on_time": "on_time", "late": "late", "missed": "missed"}


def _last_verdicts(verdicts: Iterable[VerdictEvent], until: datetime) -> dict[str, VerdictEvent]:
    """Return each period's last verdict before ``until`` (pending is no verdict)."""
    last: dict[str, VerdictEvent] = {}
    for verdict in sorted(verdicts, key=lambda item: item.timestamp):
        if verdict.timestamp < until and verdict.status != "pending":
            last[verdict.partition] = verdict
    return last


def _first_publishes(history: ProductHistory, until: datetime) -> dict[str | None, datetime]:
    first: dict[str | None, datetime] = {}
    for publish in history.publishes:
        if publish.timestamp < until:
            known = first.get(publish.partition)
            if known is None or publish.timestamp < known:
                first[publish.partition] = publish.timestamp
    return first


def judge_periods(
    history: ProductHistory, due: list[DuePeriod], until: datetime
) -> tuple[PeriodOutcome, ...]:
    """Return how each due period went.

    The period's last SLA verdict decides; a ``missed`` verdict with a publish after the
    deadline is late (the data did land). A period without a verdict is judged from its
    first publish, and only if the product was already in the instance at its deadline.
    """
    verdicts = _last_verdicts(history.verdicts, until)
    causes = waiting_causes(history.verdicts, until)  # a miss upstream: its verdict says so
    on_time = history.on_time
    published = _first_publishes(history, until)
    outcomes: list[PeriodOutcome] = []
    for item in due:
        key, deadline = item.period.key, item.deadline
        first = published.get(key)
        verdict = verdicts.get(key)
        status: PeriodStatus
        if verdict is None and key in on_time:
            outcomes.append(PeriodOutcome(key, deadline, "on_time", first, "verdict"))
            continue
        if verdict is not None:
            status = _JUDGED[verdict.status]
            if status == "missed" and first is not None:
                status = "late"  # the late verdict may not be recorded yet; the data landed
            waiting = causes.get(key, ()) if status != "on_time" else ()
            outcomes.append(PeriodOutcome(key, deadline, status, first, "verdict", waiting))
            continue
        if history.first_seen is None or history.first_seen > deadline:
            continue  # the product was not there yet: the period was never due
        if first is not None and first <= deadline:
            status = "on_time"
        elif first is not None:
            status = "late"
        else:
            status = "missed"
        outcomes.append(PeriodOutcome(key, deadline, status, first, "publish"))
    return tuple(outcomes)


def score_quality(history: ProductHistory, partitions: Iterable[str], until: datetime) -> Quality:
    """Return the (period, error rule) pairs of ``partitions`` and those whose last run passed."""
    wanted = set(partitions)
    last: dict[tuple[str, str], bool] = {}
    for evaluation in sorted(history.evaluations, key=lambda item: item.timestamp):
        if evaluation.partition in wanted and evaluation.timestamp < until:
            last[(evaluation.partition, evaluation.rule)] = evaluation.passed
    pairs, passed = len(last), sum(last.values())
    detailed = {partition for partition, _ in last}
    for partition, rules in history.passed_rules.items():
        if partition in wanted:
            # Readers keep a period in one form or the other; should both hold it, a rule
            # evaluated one by one is not counted twice.
            fresh = (
                rules - {r for p, r in last if p == partition} if partition in detailed else rules
            )
            pairs += len(fresh)
            passed += len(fresh)
    return Quality(pairs, passed)


def judged_partitions(mesh: Mesh, history: ProductHistory) -> Callable[[str | None], bool]:
    """Return whether an incident's period counts, by the rules that make periods due.

    Periods before ``sla.judged_from`` or after ``partitioning.end`` never count; without
    ``judged_from``, a period without a failed SLA verdict counts when its deadline came
    after the product first appeared (as ``judge_periods`` does). Incidents of no period
    count.
    """
    product = mesh.product(history.product)
    partitioning = product.spec.partitioning
    if product.spec.sla is None or partitioning is None:
        return lambda partition: True
    # A miss the SLA sensor judged counts, whenever the product first published.
    judged = {v.partition for v in history.verdicts if v.status in ("missed", "late")}

    def counts(partition: str | None) -> bool:
        if partition is None:
            return True
        try:
            period = period_for_key(partition, partitioning.by, mesh.timezone_of(product))
        except ValueError:
            return True  # not a period key of this product: nothing to say about it
        due = DuePeriod(period, deadline_of(mesh, product, period))
        first_seen = None if partition in judged else history.first_seen
        return not_judged_reason(mesh, product, due, first_seen) is None

    return counts


def score_product(
    mesh: Mesh, history: ProductHistory, due: list[DuePeriod], window: Window
) -> ProductScorecard:
    """Return one product's scorecard over ``window``."""
    product = mesh.product(history.product)
    periods = judge_periods(history, due, window.until)
    availability = Availability(
        len(periods),
        sum(1 for outcome in periods if outcome.status == "on_time"),
        sum(1 for outcome in periods if outcome.status == "late"),
        sum(1 for outcome in periods if outcome.status == "missed"),
        sum(1 for outcome in periods if outcome.upstream),
    )
    target = mesh.availability_target_of(product)
    counts = judged_partitions(mesh, history)
    spans = tuple(
        span
        for span in derive_incidents(
            history, window.until, {item.period.key: item.deadline for item in due}
        )
        if window.since <= span.opened_at < window.until and counts(span.partition)
    )
    return ProductScorecard(
        product=product.name,
        domain=product.domain,
        availability=availability,
        budget=error_budget(target, availability) if target is not None else None,
        quality=score_quality(history, (outcome.partition for outcome in periods), window.until),
        incidents=summarize_incidents(spans),
        periods=periods,
        incident_spans=spans,
    )


def rollup_target(budgets: list[ErrorBudget]) -> float:
    """Return the products' targets weighted by their due periods (equally when none is due)."""
    due = sum(item.due for item in budgets)
    if due:
        return sum(item.target * item.due for item in budgets) / due
    return sum(item.target for item in budgets) / len(budgets)


def roll_up(name: str, cards: list[ProductScorecard]) -> RollupScorecard:
    """Return the sums of ``cards`` under ``name``; the target is the products' weighted one."""
    budgets = [card.budget for card in cards if card.budget is not None]
    budget: ErrorBudget | None = None
    for item in budgets:
        budget = item if budget is None else budget + item
    if budget is not None:
        budget = replace(budget, target=rollup_target(budgets))
    return RollupScorecard(
        name=name,
        products=tuple(card.product for card in cards),
        availability=sum((card.availability for card in cards), Availability()),
        budget=budget,
        quality=sum((card.quality for card in cards), Quality()),
        incidents=sum((card.incidents for card in cards), IncidentSummary()),
    )


def compute_scorecard(mesh: Mesh, history: History) -> MeshScorecard:
    """Return the scorecard of every product in ``history`` over its window.

    Products are ordered by domain and name, domains by name.
    """
    window = Window(history.since, history.until)
    products = sorted(
        (mesh.product(name) for name in history.products), key=lambda p: (p.domain, p.name)
    )
    due = due_periods_in(mesh, products, window)
    cards = [
        score_product(mesh, history.products[product.name], due[product.name], window)
        for product in products
    ]
    domains = sorted({card.domain for card in cards})
    return MeshScorecard(
        since=window.since,
        until=window.until,
        products=tuple(cards),
        domains=tuple(
            roll_up(domain, [card for card in cards if card.domain == domain]) for domain in domains
        ),
        mesh=roll_up(MESH_SCOPE, cards),
    )
