"""SLA verdicts -> `sla_missed` incidents: one rule, applied alike by the alerts and the scorecard.

A period first judged `late` (the sensor learnt of it after the data landed, e.g. the daemon
was down over the deadline) is a miss caught up: its incident opens at the deadline and
resolves at the publish, both notices owed at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import ClassVar

from mesh_dagster.alerts import Audience, Incident, IncidentBook, Notice, Route, deliver
from mesh_dagster.alerts.channels.base import ChannelKind, Sender
from mesh_dagster.alerts.messages import summary
from mesh_dagster.alerts.sla import SlaVerdictFacts, apply_sla_verdict
from mesh_dagster.scorecard import ProductHistory, Publish, VerdictEvent
from mesh_dagster.scorecard.incidents import derive_incidents
from mesh_dagster.sla.incidents import SlaIncidentStep, sla_incident_steps


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def key(day: int) -> str:
    return f"2026-03-{day:02d}"


def deadline(day: int) -> datetime:
    """Each period is due at 07:00 the next day."""
    return at(day + 1, 7)


def test_a_late_first_verdict_opens_at_the_deadline_and_resolves_at_the_publish() -> None:
    steps = sla_incident_steps(
        "late",
        judged_at=at(11, 13),
        deadline=at(11, 7),
        published_at=at(11, 12),
        failed_before=False,
    )
    assert steps == [SlaIncidentStep("open", at(11, 7)), SlaIncidentStep("resolve", at(11, 12))]


def test_the_other_verdicts_open_or_resolve_once() -> None:
    def steps(status: str, failed_before: bool) -> list[SlaIncidentStep]:
        return sla_incident_steps(
            status,
            judged_at=at(11, 7, 1),
            deadline=at(11, 7),
            published_at=at(11, 6),
            failed_before=failed_before,
        )

    assert steps("missed", False) == [SlaIncidentStep("open", at(11, 7, 1))]
    assert steps("late", True) == [SlaIncidentStep("resolve", at(11, 6))]
    assert steps("on_time", False) == [SlaIncidentStep("resolve", at(11, 6))]
    assert steps("pending", False) == []


@dataclass(frozen=True, kw_only=True)
class RecordingSender(Sender):
    kind: ClassVar[ChannelKind] = "webhook"
    sent: list[Notice] = field(default_factory=list)

    @property
    def secrets(self) -> tuple[str, ...]:
        return ()

    def send(self, notice: Notice, route: Route) -> str | None:
        self.sent.append(notice)
        return None


def sla_incident(partition: str, opened_at: datetime, due: datetime) -> Incident:
    return Incident(
        product="orders-daily",
        domain="orders",
        partition=partition,
        kind="sla_missed",
        opened_at=opened_at,
        deadline=due,
        audience=Audience(routes=(Route(channel="chat"),)),
    )


def test_a_caught_up_miss_is_told_opened_then_resolved_in_one_tick() -> None:
    verdict = SlaVerdictFacts(
        product="orders-daily",
        partition=key(10),
        status="late",
        judged_at=at(11, 13),
        deadline=deadline(10),
        published_at=at(11, 12),
        failed_before=False,
        late_by_minutes=300.0,
    )
    book = apply_sla_verdict(
        IncidentBook(), verdict, lambda opened: sla_incident(key(10), opened, deadline(10))
    )
    chat = RecordingSender(name="chat")
    book, report = deliver(book, {"chat": chat}, at(11, 13))
    assert [(n.event, summary(n)) for n in chat.sent] == [
        (
            "opened",
            "Partition 2026-03-10 of orders-daily was not published by its deadline, "
            "2026-03-11 07:00 UTC.",
        ),
        (
            "resolved",
            "Partition 2026-03-10 of orders-daily was published at 2026-03-11 12:00 UTC, "
            "after its deadline of 2026-03-11 07:00 UTC.",
        ),
    ]
    assert chat.sent[1].resolution == {"late_by_minutes": 300.0}
    assert [o.status for o in report.outcomes] == ["sent", "sent"]
    assert book.records == {}  # settled: nothing left to tell


# --- the alert sensor and the scorecard agree on the same history ------------------------

VERDICTS = (
    VerdictEvent(key(2), "on_time", at(3, 7, 1)),
    VerdictEvent(key(3), "missed", at(4, 7, 1)),  # the normal miss: told at the deadline,
    VerdictEvent(key(3), "late", at(4, 9, 5)),  # resolved by the publish at 09:00
    VerdictEvent(key(4), "late", at(5, 13)),  # daemon down 05:00-13:00, published 12:00
    VerdictEvent(key(4), "late", at(5, 15)),  # someone ran the sla check again by hand
    VerdictEvent(key(5), "missed", at(6, 7, 1)),  # never published
    VerdictEvent(key(6), "late", at(8, 7, 30)),  # down two days; published the next day
)
PUBLISHES = (
    Publish(key(2), at(3, 6, 10)),
    Publish(key(3), at(4, 9)),
    Publish(key(4), at(5, 12)),
    Publish(key(6), at(7, 8, 15)),
    Publish(key(4), at(5, 14)),  # a re-publish changes nothing
)
UNTIL = at(20, 0)


def day_incident(day: int, opened_at: datetime) -> Incident:
    return sla_incident(key(day), opened_at, deadline(day))


def alert_incidents() -> list[tuple[str, datetime, datetime | None]]:
    """Feed VERDICTS to the alert sensor's rule, with the facts its events carry."""
    book = IncidentBook()
    first_publish: dict[str, datetime] = {}
    for publish in sorted(PUBLISHES, key=lambda p: p.timestamp):
        first_publish.setdefault(publish.partition or "", publish.timestamp)
    seen_failed: set[str] = set()
    spans: dict[tuple[str, datetime], datetime | None] = {}
    for verdict in VERDICTS:
        day = int(verdict.partition[-2:])
        published = first_publish.get(verdict.partition)
        facts = SlaVerdictFacts(
            product="orders-daily",
            partition=verdict.partition,
            status=verdict.status,
            judged_at=verdict.timestamp,
            deadline=deadline(day),
            published_at=published if published and published <= verdict.timestamp else None,
            failed_before=verdict.partition in seen_failed,
        )
        if verdict.status in ("missed", "late"):
            seen_failed.add(verdict.partition)
        book = apply_sla_verdict(book, facts, partial(day_incident, day))
        for record in book.records.values():
            incident = record.incident
            spans[(incident.partition or "", incident.opened_at)] = record.resolved_at
    return sorted((partition, opened, resolved) for (partition, opened), resolved in spans.items())


def test_the_alert_sensor_and_the_scorecard_count_the_same_incidents() -> None:
    history = ProductHistory(
        product="orders-daily", verdicts=VERDICTS, publishes=PUBLISHES, first_seen=at(1, 0)
    )
    deadlines = {key(day): deadline(day) for day in range(1, 20)}
    scorecard = sorted(
        (span.partition or "", span.opened_at, span.resolved_at)
        for span in derive_incidents(history, UNTIL, deadlines)
        if span.kind == "sla_missed"
    )
    expected = [
        (key(3), at(4, 7, 1), at(4, 9)),
        (key(4), at(5, 7), at(5, 12)),  # caught up: from the deadline to the publish
        (key(5), at(6, 7, 1), None),
        (key(6), at(7, 7), at(7, 8, 15)),
    ]
    assert scorecard == expected
    assert alert_incidents() == expected


def test_a_caught_up_miss_due_before_the_span_read_is_left_out() -> None:
    history = ProductHistory(
        product="orders-daily",
        verdicts=(VerdictEvent(key(4), "late", at(5, 13)),),
        publishes=(Publish(key(4), at(5, 12)),),
    )
    assert derive_incidents(history, UNTIL, {}) == []
    spans = derive_incidents(history, UNTIL, {key(4): deadline(4)})
    assert [(s.kind, s.time_to_recover) for s in spans] == [("sla_missed", timedelta(hours=5))]
