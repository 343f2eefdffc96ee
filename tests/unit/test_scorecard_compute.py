"""The scorecard computed from plain history records of the example mesh (no Dagster)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mesh_dagster.scorecard import (
    History,
    ProductHistory,
    Publish,
    RuleEvaluation,
    RunFailure,
    VerdictEvent,
    compact_evaluations,
    compute_scorecard,
)
from mesh_dagster.scorecard.history import VerdictStatus
from mesh_dagster.scorecard.incidents import derive_incidents
from mesh_dagster.spec import Mesh, load_mesh

SPECS = Path(__file__).resolve().parents[2] / "specs"
SINCE = datetime(2026, 3, 1, 9, tzinfo=UTC)
UNTIL = datetime(2026, 4, 1, 9, tzinfo=UTC)
RULES = ("schema", "completeness", "not_empty")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """Return a UTC time in 2026 (day 32 of March is April 1)."""
    return datetime(2026, month, 1, hour, minute, tzinfo=UTC) + timedelta(days=day - 1)


def key(day: int) -> str:
    return f"2026-03-{day:02d}"


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    return load_mesh(SPECS)


def on_time_history(name: str, days: range, status: VerdictStatus = "on_time") -> ProductHistory:
    """Every period of ``days`` published at 06:10 the next day, judged ``status``."""
    return ProductHistory(
        product=name,
        first_seen=at(1, 0, month=2),
        verdicts=tuple(VerdictEvent(key(d), status, at(d + 1, 8, 30)) for d in days),
        passed_rules={key(d): frozenset(RULES) for d in days},
        publishes=tuple(Publish(key(d), at(d + 1, 6, 10)) for d in days),
    )


def test_availability_counts_verdicts_and_late_publishes(mesh: Mesh) -> None:
    base = on_time_history("orders-daily", range(1, 31))
    verdicts = [v for v in base.verdicts if v.partition not in (key(5), key(10), key(12))]
    verdicts += [
        VerdictEvent(key(5), "late", at(6, 8, 30)),  # published at 07:20, after 07:00
        VerdictEvent(key(10), "missed", at(11, 8, 30)),  # never published
        VerdictEvent(key(12), "missed", at(13, 8, 30)),  # published two days later
        VerdictEvent(key(12), "pending", at(13, 5)),  # a hand-run check before the deadline
    ]
    publishes = [p for p in base.publishes if p.partition not in (key(5), key(10), key(12))]
    publishes += [
        Publish(key(5), at(6, 7, 20)),
        Publish(key(12), at(15, 11)),
        Publish(key(31), at(1, 6, 30, month=4)),  # no verdict yet: judged from the publish
    ]
    history = History(SINCE, UNTIL, {"orders-daily": _with(base, verdicts, publishes)})

    card = compute_scorecard(mesh, history).products[0]

    assert card.availability.due == 31  # partitions 03-01 .. 03-31 (deadlines 07:00 next day)
    assert (card.availability.on_time, card.availability.late, card.availability.missed) == (
        28,
        2,
        1,
    )
    assert card.availability.share == pytest.approx(28 / 31)
    by_key = {outcome.partition: outcome for outcome in card.periods}
    assert by_key[key(12)].status == "late"
    assert by_key[key(12)].published_at == at(15, 11)
    assert (by_key[key(31)].status, by_key[key(31)].judged_by) == ("on_time", "publish")
    assert by_key[key(31)].deadline == at(1, 7, month=4)
    budget = card.budget
    assert budget is not None
    assert budget.target == pytest.approx(0.999)
    assert budget.periods == pytest.approx(0.031)  # (1 - 99.9%) x 31
    assert (budget.allowed, budget.used, budget.left) == (0, 3, -3)
    assert budget.left_share == pytest.approx((0.031 - 3) / 0.031)


def _with(
    base: ProductHistory, verdicts: list[VerdictEvent], publishes: list[Publish]
) -> ProductHistory:
    return ProductHistory(
        product=base.product,
        first_seen=base.first_seen,
        verdicts=tuple(verdicts),
        passed_rules=base.passed_rules,
        publishes=tuple(publishes),
    )


def test_periods_before_the_product_existed_are_not_due(mesh: Mesh) -> None:
    # revenue-reconciliation (deadline 08:00) first appears on March 20 at 06:20.
    history = ProductHistory(
        product="revenue-reconciliation",
        first_seen=at(20, 6, 20),
        publishes=(Publish(key(19), at(20, 6, 20)), Publish(key(21), at(22, 9))),
        verdicts=(VerdictEvent(key(19), "on_time", at(20, 8, 30)),),
    )
    card = compute_scorecard(
        mesh, History(SINCE, UNTIL, {"revenue-reconciliation": history})
    ).products[0]

    # 03-19 (verdict) and 03-20 .. 03-31 (deadlines after it appeared, no verdicts): 13 due.
    assert card.availability.due == 13
    statuses = {outcome.partition: outcome.status for outcome in card.periods}
    assert statuses[key(19)] == "on_time"
    assert statuses[key(21)] == "late"
    assert list(statuses.values()).count("missed") == 11
    assert card.budget is not None and card.budget.target == pytest.approx(0.995)


def test_a_product_never_seen_has_nothing_due(mesh: Mesh) -> None:
    history = History(SINCE, UNTIL, {"shipments-daily": ProductHistory("shipments-daily")})
    card = compute_scorecard(mesh, history).products[0]
    assert card.availability.due == 0
    assert card.availability.share is None
    assert card.budget is not None and card.budget.left_share is None
    assert card.quality.score is None


def test_quality_counts_the_last_evaluation_of_each_period_and_rule(mesh: Mesh) -> None:
    evaluations = (
        # 03-03: completeness fails, then passes on a re-run: the pair counts as passed.
        RuleEvaluation(key(3), "schema", True, at(4, 6), "r1"),
        RuleEvaluation(key(3), "completeness", False, at(4, 6), "r1"),
        RuleEvaluation(key(3), "completeness", True, at(4, 9), "r2"),
        # 03-07: not_empty passes, then fails on a re-run: the pair counts as failed.
        RuleEvaluation(key(7), "not_empty", True, at(8, 6), "r3"),
        RuleEvaluation(key(7), "not_empty", False, at(9, 6), "r4"),
        # 02-27 is not due in the window; 03-31's re-run comes after the window.
        RuleEvaluation("2026-02-27", "schema", False, at(28, 6, month=2), "r0"),
        RuleEvaluation(key(31), "schema", False, at(1, 9, month=4), "r9"),
    )
    passed = {key(d): frozenset(RULES) for d in range(1, 32) if d not in (3, 7)}
    history = ProductHistory(
        product="orders-daily",
        first_seen=at(1, 0, month=2),
        evaluations=evaluations,
        passed_rules=passed,
        verdicts=tuple(VerdictEvent(key(d), "on_time", at(d + 1, 8, 30)) for d in range(1, 32)),
    )
    card = compute_scorecard(mesh, History(SINCE, UNTIL, {"orders-daily": history})).products[0]

    # 29 clean periods x 3 rules, plus 03-03 (2 pairs, both passed) and 03-07 (1, failed).
    assert (card.quality.pairs, card.quality.passed) == (29 * 3 + 3, 29 * 3 + 2)
    assert card.quality.score == pytest.approx(89 / 90)


def test_incidents_open_and_recover_like_the_alert_sensor(mesh: Mesh) -> None:
    history = ProductHistory(
        product="payment-events",
        first_seen=at(1, 0, month=2),
        verdicts=(
            VerdictEvent(key(2), "missed", at(3, 5, 45)),
            VerdictEvent(key(2), "late", at(3, 8, 30)),
            VerdictEvent(key(9), "missed", at(10, 5, 45)),  # resolved by the publish at 12:00
            VerdictEvent(key(20), "missed", at(21, 5, 45)),  # never recovers
        ),
        evaluations=(
            RuleEvaluation(key(2), "completeness", False, at(3, 5), "run-a"),
            RuleEvaluation(key(2), "completeness", True, at(3, 7, 30), "run-b"),
        ),
        run_failures=(
            RunFailure(key(2), at(3, 5), "run-a"),  # the failed rule is the incident
            RunFailure(key(9), at(10, 5), "run-c"),
            RunFailure(key(9), at(10, 6), "run-d"),  # still the same open incident
        ),
        publishes=(
            Publish(key(2), at(3, 7, 30)),
            Publish(key(9), at(10, 12)),
        ),
    )
    spans = derive_incidents(history, UNTIL)
    assert [(s.kind, s.partition, s.rule, s.opened_at, s.resolved_at) for s in spans] == [
        ("check_failed", key(2), "completeness", at(3, 5), at(3, 7, 30)),
        ("sla_missed", key(2), None, at(3, 5, 45), at(3, 7, 30)),
        ("run_failed", key(9), None, at(10, 5), at(10, 12)),
        ("sla_missed", key(9), None, at(10, 5, 45), at(10, 12)),
        ("sla_missed", key(20), None, at(21, 5, 45), None),
    ]
    card = compute_scorecard(mesh, History(SINCE, UNTIL, {"payment-events": history})).products[0]
    incidents = card.incidents
    assert (incidents.sla_missed, incidents.check_failed, incidents.run_failed) == (3, 1, 1)
    assert (incidents.resolved, incidents.open) == (4, 1)
    # 150 + 105 + 420 + 375 minutes, over 4 recovered incidents.
    assert incidents.mean_time_to_recover == timedelta(minutes=(150 + 105 + 420 + 375) / 4)


def test_incidents_opened_before_the_window_are_not_counted(mesh: Mesh) -> None:
    history = ProductHistory(
        product="orders-daily",
        first_seen=at(1, 0, month=2),
        evaluations=(RuleEvaluation("2026-02-27", "schema", False, at(28, 6, month=2), "r"),),
    )
    card = compute_scorecard(mesh, History(SINCE, UNTIL, {"orders-daily": history})).products[0]
    assert card.incidents.total == 0


def test_domains_and_mesh_sum_their_products(mesh: Mesh) -> None:
    histories = {
        "orders-daily": on_time_history("orders-daily", range(1, 32)),
        "order-events": on_time_history("order-events", range(1, 32), status="late"),
        "payments-daily": on_time_history("payments-daily", range(1, 21)),
    }
    card = compute_scorecard(mesh, History(SINCE, UNTIL, histories))

    assert [p.product for p in card.products] == ["order-events", "orders-daily", "payments-daily"]
    order_events = card.products[0]
    # order-events is due by 05:45: publishing at 06:10 is late every day.
    assert (order_events.availability.on_time, order_events.availability.late) == (0, 31)
    assert [d.name for d in card.domains] == ["orders", "payments"]
    orders = card.domains[0]
    assert orders.products == ("order-events", "orders-daily")
    assert (orders.availability.due, orders.availability.on_time) == (62, 31)
    assert orders.budget is not None
    # (1 - 99.5%) x 31 + (1 - 99.9%) x 31 = 0.155 + 0.031 periods.
    assert orders.budget.periods == pytest.approx(0.186)
    assert orders.budget.target == pytest.approx(1 - 0.186 / 62)
    assert orders.budget.used == 31
    payments = card.domains[1].availability
    # payments-daily: 20 periods published, 11 never judged nor published: still due.
    assert (payments.due, payments.on_time, payments.missed) == (31, 20, 11)
    whole = card.mesh
    assert whole.name == "mesh"
    assert (whole.availability.due, whole.availability.on_time) == (93, 51)
    assert (whole.quality.pairs, whole.quality.passed) == (82 * 3, 82 * 3)


def test_compacting_evaluations_keeps_every_figure(mesh: Mesh) -> None:
    evaluations = [
        RuleEvaluation(key(d), rule, not (d == 4 and rule == "schema" and run == "a"), at(d + 1, h))
        for d in range(1, 10)
        for rule in RULES
        for run, h in (("a", 6), ("b", 7))
        if run == "a" or d == 4
    ]
    kept, passed = compact_evaluations(evaluations)
    assert {e.partition for e in kept} == {key(4)}
    assert sorted(passed) == [key(d) for d in range(1, 10) if d != 4]
    assert passed[key(1)] == frozenset(RULES)
    full = ProductHistory("orders-daily", at(1, 0, month=2), evaluations=tuple(evaluations))
    compact = ProductHistory(
        "orders-daily", at(1, 0, month=2), evaluations=kept, passed_rules=passed
    )
    cards = [
        compute_scorecard(mesh, History(SINCE, UNTIL, {"orders-daily": item})).products[0]
        for item in (full, compact)
    ]
    assert cards[0].quality == cards[1].quality
    assert cards[0].incidents == cards[1].incidents
    assert cards[0].incidents.check_failed == 1


def test_misses_caused_upstream_are_counted_apart_from_own_misses(mesh: Mesh) -> None:
    waiting = ("order-events 2026-03-05",)
    base = on_time_history("orders-daily", range(1, 11))
    troubled = (key(5), key(6), key(7), key(8))
    verdicts = [v for v in base.verdicts if v.partition not in troubled]
    verdicts += [
        # Missed waiting for its input, then late (the verdict job records no cause).
        VerdictEvent(key(5), "missed", at(6, 7), waiting),
        VerdictEvent(key(5), "late", at(6, 9)),
        # First judged late, its input had landed after the deadline: a miss upstream.
        VerdictEvent(key(6), "late", at(7, 13), ("order-events 2026-03-06",)),
        # Its own misses: late, and never published.
        VerdictEvent(key(7), "late", at(8, 9)),
        VerdictEvent(key(8), "missed", at(9, 7)),
    ]
    history = ProductHistory(
        product="orders-daily",
        first_seen=base.first_seen,
        verdicts=tuple(verdicts),
        passed_rules=base.passed_rules,
        publishes=tuple(p for p in base.publishes if p.partition != key(8)),
    )
    card = compute_scorecard(mesh, History(SINCE, at(11, 9), {"orders-daily": history})).products[0]
    figures = card.availability
    assert (figures.late, figures.missed, figures.upstream, figures.own) == (3, 1, 2, 2)
    assert [p.partition for p in card.periods if p.upstream] == [key(5), key(6)]
    assert next(p for p in card.periods if p.partition == key(5)).waiting_for == waiting
