"""deliver(): due notices per channel, retries across calls, one channel never blocks others."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from mesh_dagster.alerts import (
    Audience,
    DeliveryError,
    Incident,
    IncidentBook,
    Notice,
    Route,
    deliver,
)
from mesh_dagster.alerts.channels.base import ChannelKind, Sender

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
SECONDS = timedelta(seconds=1)


@dataclass(frozen=True, kw_only=True)
class FakeSender(Sender):
    """Records what it sends; fails while ``failures`` has items (popped per attempt)."""

    kind: ClassVar[ChannelKind] = "webhook"

    sent: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    token: str = field(default="tok-SECRET", repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.token,)

    def send(self, notice: Notice, route: Route) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((notice.incident.partition or "", notice.event))
        return None


@dataclass(frozen=True, kw_only=True)
class FakePager(FakeSender):
    kind: ClassVar[ChannelKind] = "pagerduty"
    pages: ClassVar[bool] = True


def incident(partition: str = "2026-03-01", **changes: Any) -> Incident:
    routes = tuple(Route(channel=name) for name in ("chat", "pager", "hook"))
    fields: dict[str, Any] = {
        "product": "orders-daily",
        "domain": "orders",
        "partition": partition,
        "kind": "sla_missed",
        "opened_at": T0,
        "audience": Audience(routes=routes),
    }
    return Incident(**{**fields, **changes})


def senders(**failures: list[Exception]) -> dict[str, FakeSender]:
    return {
        "chat": FakeSender(name="chat", failures=failures.get("chat", [])),
        "pager": FakePager(name="pager", failures=failures.get("pager", [])),
        "hook": FakeSender(name="hook", failures=failures.get("hook", [])),
    }


def test_every_channel_is_told_once_of_opening_and_recovery() -> None:
    channels = senders()
    book, _ = IncidentBook().open(incident())
    book, report = deliver(book, channels, T0)
    assert [(o.channel, o.status) for o in report.outcomes] == [
        ("chat", "sent"),
        ("pager", "sent"),
        ("hook", "sent"),
    ]
    for tick in range(1, 5):
        book, report = deliver(book, channels, T0 + tick * 60 * SECONDS)
        assert report.outcomes == ()
    book, _ = book.resolve(incident().dedup_key, T0 + 40 * 60 * SECONDS)
    book, report = deliver(book, channels, T0 + 41 * 60 * SECONDS)
    assert len(report.sent) == 3
    assert book.records == {}
    assert {name: sender.sent for name, sender in channels.items()} == {
        name: [("2026-03-01", "opened"), ("2026-03-01", "resolved")] for name in channels
    }


def test_a_channel_that_missed_everything_hears_both_in_one_call() -> None:
    channels = senders()
    book, _ = IncidentBook().open(incident())
    book, _ = book.resolve(incident().dedup_key, T0 + 5 * SECONDS)
    book, report = deliver(book, channels, T0 + 10 * SECONDS)
    assert channels["chat"].sent == [("2026-03-01", "opened"), ("2026-03-01", "resolved")]
    assert book.records == {}
    assert report.deferred == 0


def test_a_failing_channel_does_not_block_the_others() -> None:
    down = DeliveryError("chat channel 'chat' answered HTTP 500")
    channels = senders(chat=[down] * 100)
    book = IncidentBook()
    for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
        book, _ = book.open(incident(day))
    book, report = deliver(book, channels, T0)
    # one attempt at the broken channel per call; the others get everything
    assert [(o.channel, o.status) for o in report.outcomes if o.channel == "chat"] == [
        ("chat", "failed")
    ]
    assert len(channels["hook"].sent) == len(channels["pager"].sent) == 3
    assert report.deferred == 2
    failed = report.failed[0]
    assert failed.detail == "chat channel 'chat' answered HTTP 500"
    assert failed.next_attempt_at == T0 + 30 * SECONDS
    assert report.lines()[0] == (
        f"failed: opened notice of orders-daily [{failed.dedup_key[:12]}] to channel 'chat': "
        "chat channel 'chat' answered HTTP 500; next attempt at 2026-03-02T07:00:30+00:00"
    )
    assert report.lines()[-1] == "2 notices left for a later tick"


def test_failures_are_retried_with_backoff_across_calls_and_sent_once() -> None:
    error = DeliveryError("hook channel 'hook' answered HTTP 500")
    channels = senders(hook=[error, error])
    book, _ = IncidentBook().open(incident())
    statuses = []
    for second in (0, 10, 29, 30, 60, 89, 90, 91, 300):
        book, report = deliver(book, channels, T0 + second * SECONDS)
        statuses.append([o.status for o in report.outcomes if o.channel == "hook"])
    assert statuses == [["failed"], [], [], ["failed"], [], [], ["sent"], [], []]
    assert channels["hook"].sent == [("2026-03-01", "opened")]


def test_an_unexpected_error_is_a_failure_with_secrets_redacted() -> None:
    channels = senders(hook=[RuntimeError("bad response for tok-SECRET")])
    book, _ = IncidentBook().open(incident())
    book, report = deliver(book, channels, T0)
    assert report.failed[0].detail == "hook: unexpected RuntimeError: bad response for ***"
    assert len(report.sent) == 2


def test_a_refused_message_is_retried_only_at_the_longest_delay() -> None:
    channels = senders(hook=[DeliveryError("HTTP 404", transient=False)])
    book, _ = IncidentBook().open(incident())
    book, report = deliver(book, channels, T0)
    assert report.failed[0].next_attempt_at == T0 + timedelta(hours=1)


def test_notices_are_given_up_after_a_day() -> None:
    channels = senders(hook=[DeliveryError("HTTP 503")] * 100)
    book, _ = IncidentBook().open(incident())
    book, _ = deliver(book, channels, T0)
    book, report = deliver(book, channels, T0 + timedelta(days=1))
    assert [(o.channel, o.status, o.detail) for o in report.outcomes] == [
        ("hook", "given_up", "HTTP 503")
    ]
    assert book.deliveries_due(T0 + timedelta(days=2)) == []


def test_channels_without_a_sender_are_skipped() -> None:
    channels = senders()
    del channels["pager"]
    book, _ = IncidentBook().open(incident())
    book, report = deliver(book, channels, T0)
    assert [(o.channel, o.status) for o in report.outcomes] == [
        ("chat", "sent"),
        ("pager", "skipped"),
        ("hook", "sent"),
    ]
    assert book.deliveries_due(T0 + timedelta(days=1)) == []


def test_low_urgency_notices_never_page() -> None:
    channels = senders()
    warn = incident(kind="check_failed", rule="revenue_usd_non_negative", severity="warn")
    book, _ = IncidentBook().open(warn)
    book, report = deliver(book, channels, T0)
    assert channels["pager"].sent == []
    skipped = report.of("skipped")
    assert [(o.channel, o.detail) for o in skipped] == [
        ("pager", "low-urgency incidents do not page")
    ]


def test_the_time_budget_leaves_the_rest_for_the_next_tick() -> None:
    elapsed = [0.0]

    @dataclass(frozen=True, kw_only=True)
    class SlowSender(FakeSender):
        def send(self, notice: Notice, route: Route) -> str | None:
            elapsed[0] += 1.5
            return super().send(notice, route)

    channels = {name: SlowSender(name=name) for name in ("chat", "pager", "hook")}
    book, _ = IncidentBook().open(incident())
    book, report = deliver(
        book, channels, T0, budget=timedelta(seconds=2), clock=lambda: elapsed[0]
    )
    assert [o.channel for o in report.sent] == ["chat", "pager"]
    assert report.deferred == 1
    book, report = deliver(book, channels, T0 + SECONDS)
    assert [o.channel for o in report.sent] == ["hook"]


def test_the_book_is_checkpointed_before_and_after_each_send() -> None:
    stored: list[str] = []
    channels = {"chat": senders()["chat"]}
    book, _ = IncidentBook().open(incident(audience=Audience(routes=(Route(channel="chat"),))))
    key = incident().dedup_key
    book, _ = deliver(book, channels, T0, checkpoint=lambda b: stored.append(b.to_json()))
    before, after = IncidentBook.from_json(stored[0]), IncidentBook.from_json(stored[1])
    # before the send: the attempt is recorded as if it will fail
    assert before.records[key].deliveries["chat"].next_attempt_at == T0 + 30 * SECONDS
    assert after.records[key].deliveries["chat"].told == "opened"
    assert stored[-1] == book.to_json()


def test_a_crash_during_a_send_repeats_it_after_the_backoff_only() -> None:
    stored: list[str] = []

    class Crash(BaseException):
        pass

    channels = senders(chat=[Crash()])
    book, _ = IncidentBook().open(incident())
    with pytest.raises(Crash):
        deliver(book, channels, T0, checkpoint=lambda b: stored.append(b.to_json()))
    restarted = IncidentBook.from_json(stored[-1])
    restarted, report = deliver(restarted, channels, T0 + 10 * SECONDS)
    assert [(o.channel, o.status) for o in report.outcomes] == [
        ("pager", "sent"),
        ("hook", "sent"),
    ]
    restarted, report = deliver(restarted, channels, T0 + 30 * SECONDS)
    assert [(o.channel, o.status) for o in report.outcomes] == [("chat", "sent")]
