"""The incident book: open once, resolve once, backoff, JSON round trip, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from mesh_dagster.alerts import (
    Audience,
    Incident,
    IncidentBook,
    RetryPolicy,
    Route,
    dedup_key,
)
from mesh_dagster.alerts.book import BookFormatError

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def incident(**changes: Any) -> Incident:
    fields: dict[str, Any] = {
        "product": "orders-daily",
        "domain": "orders",
        "partition": "2026-03-01",
        "kind": "sla_missed",
        "opened_at": T0,
        "deadline": T0,
        "audience": Audience(
            owner="orders-team",
            steward="jane@company.com",
            routes=(Route(channel="slack"), Route(channel="pager")),
        ),
    }
    return Incident(**{**fields, **changes})


def owed(book: IncidentBook, now: datetime = T0) -> list[tuple[str, str]]:
    return [(item.channel, item.notice.event) for item in book.deliveries_due(now)]


def deliver_all(book: IncidentBook, now: datetime = T0) -> IncidentBook:
    for item in book.deliveries_due(now):
        book = book.mark_sent(item.dedup_key, item.channel, item.notice.event)
    return book.compact()


def test_an_incident_opens_once() -> None:
    book, notices = IncidentBook().open(incident())
    assert [(n.event, n.at, n.incident.product) for n in notices] == [
        ("opened", T0, "orders-daily")
    ]
    again, notices = book.open(incident(opened_at=T0 + timedelta(minutes=5)))
    assert notices == []
    assert again == book
    assert owed(book) == [("slack", "opened"), ("pager", "opened")]


def test_an_incident_resolves_once() -> None:
    book, _ = IncidentBook().open(incident())
    key = incident().dedup_key
    book = deliver_all(book)
    book, notices = book.resolve(key, T0 + timedelta(minutes=40), {"late_by": "40m"})
    assert [(n.event, n.at, n.resolution) for n in notices] == [
        ("resolved", T0 + timedelta(minutes=40), {"late_by": "40m"})
    ]
    assert not book.is_open(key)
    assert book.resolve(key, T0 + timedelta(hours=1)) == (book, [])
    assert IncidentBook().resolve("unknown", T0) == (IncidentBook(), [])
    assert owed(book) == [("slack", "resolved"), ("pager", "resolved")]


def test_a_resolved_and_told_incident_is_dropped() -> None:
    book, _ = IncidentBook().open(incident())
    book = deliver_all(book)
    book, _ = book.resolve(incident().dedup_key, T0 + timedelta(hours=1))
    book = deliver_all(book)
    assert book.records == {}
    assert book.to_json() == "{}"


def test_an_incident_without_channels_is_dropped_when_it_resolves() -> None:
    quiet = incident(audience=Audience())
    book, _ = IncidentBook().open(quiet)
    assert book.open_incidents() == [quiet]
    book, notices = book.resolve(quiet.dedup_key, T0)
    assert len(notices) == 1
    assert book.records == {}


def test_a_channel_that_missed_the_whole_incident_hears_opened_then_resolved() -> None:
    book, _ = IncidentBook().open(incident())
    key = incident().dedup_key
    book = book.mark_sent(key, "slack", "opened")
    book, _ = book.resolve(key, T0 + timedelta(minutes=40))
    assert owed(book) == [("slack", "resolved"), ("pager", "opened")]
    book = book.mark_sent(key, "pager", "opened")
    assert owed(book) == [("slack", "resolved"), ("pager", "resolved")]


def test_reopening_owes_opened_only_to_channels_told_of_the_recovery() -> None:
    book, _ = IncidentBook().open(incident())
    key = incident().dedup_key
    book = deliver_all(book)
    book, _ = book.resolve(key, T0 + timedelta(minutes=10))
    book = book.mark_sent(key, "slack", "resolved")
    book, notices = book.open(incident(opened_at=T0 + timedelta(minutes=20)))
    assert [n.event for n in notices] == ["opened"]
    # pager never heard of the recovery: for it, the incident never closed.
    assert owed(book, T0 + timedelta(minutes=20)) == [("slack", "opened")]


def test_reopening_after_the_record_was_dropped_notifies_afresh() -> None:
    book, _ = IncidentBook().open(incident())
    book = deliver_all(book)
    book, _ = book.resolve(incident().dedup_key, T0 + timedelta(minutes=10))
    book = deliver_all(book)
    book, notices = book.open(incident(opened_at=T0 + timedelta(days=1)))
    assert len(notices) == 1
    assert owed(book, T0 + timedelta(days=1)) == [("slack", "opened"), ("pager", "opened")]


def test_failures_back_off_exponentially_up_to_the_cap() -> None:
    book, _ = IncidentBook().open(incident())
    key = incident().dedup_key
    waits = []
    now = T0
    for _ in range(9):
        book = book.mark_failed(key, "slack", now, "slack channel 'slack' answered HTTP 500")
        delivery = book.records[key].deliveries["slack"]
        assert delivery.next_attempt_at is not None
        waits.append(int((delivery.next_attempt_at - now).total_seconds()))
        assert owed(book, delivery.next_attempt_at - timedelta(seconds=1)) == [("pager", "opened")]
        now = delivery.next_attempt_at
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    delivery = book.records[key].deliveries["slack"]
    assert (delivery.attempts, delivery.failing_since, delivery.last_error) == (
        9,
        T0,
        "slack channel 'slack' answered HTTP 500",
    )
    book = book.mark_sent(key, "slack", "opened")
    assert book.records[key].deliveries["slack"].model_dump(exclude_defaults=True) == {
        "told": "opened"
    }


def test_the_retry_policy_delays() -> None:
    policy = RetryPolicy(
        first_delay=timedelta(seconds=10), factor=3, max_delay=timedelta(minutes=2)
    )
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 30, 90, 120]


def test_a_terminal_failure_waits_the_longest_delay() -> None:
    book, _ = IncidentBook().open(incident())
    key = incident().dedup_key
    book = book.mark_failed(key, "pager", T0, "HTTP 400", terminal=True)
    assert book.records[key].deliveries["pager"].next_attempt_at == T0 + timedelta(hours=1)


def test_a_notice_is_given_up_after_a_day_of_failures() -> None:
    book, _ = IncidentBook().open(incident())
    key = incident().dedup_key
    book = book.mark_failed(key, "pager", T0, "HTTP 503")
    book = book.mark_failed(key, "pager", T0 + timedelta(hours=23), "HTTP 503")
    assert ("pager", "opened") in owed(book, T0 + timedelta(days=2))
    book = book.mark_failed(key, "pager", T0 + timedelta(hours=24), "HTTP 503")
    assert owed(book, T0 + timedelta(days=2)) == [("slack", "opened")]
    assert book.records[key].deliveries["pager"].last_error == "HTTP 503"


def test_an_attempt_is_recorded_as_if_it_will_fail() -> None:
    book, _ = IncidentBook().open(incident())
    key = incident().dedup_key
    book = book.mark_attempt(key, "slack", T0)
    delivery = book.records[key].deliveries["slack"]
    assert (delivery.attempts, delivery.next_attempt_at) == (0, T0 + timedelta(seconds=30))
    # a crash now: the next tick waits out the backoff before trying again
    assert owed(book, T0 + timedelta(seconds=29)) == [("pager", "opened")]
    assert owed(book, T0 + timedelta(seconds=30)) == [("slack", "opened"), ("pager", "opened")]


def test_marks_for_notices_not_owed_change_nothing() -> None:
    book, _ = IncidentBook().open(incident())
    key = incident().dedup_key
    assert book.mark_sent(key, "slack", "resolved") == book
    assert book.mark_sent("unknown", "slack", "opened") == book
    sent = book.mark_sent(key, "slack", "opened")
    assert sent.mark_failed(key, "slack", T0, "late failure") == sent


def test_the_book_round_trips_through_json() -> None:
    book, _ = IncidentBook().open(incident(details={"rows": 0, "share": 0.5, "ok": False}))
    other = incident(kind="check_failed", rule="revenue_usd_non_negative", severity="warn")
    book, _ = book.open(other)
    book = book.mark_failed(incident().dedup_key, "pager", T0, "HTTP 500")
    book = book.mark_sent(other.dedup_key, "slack", "opened")
    text = book.to_json()
    assert IncidentBook.from_json(text) == book
    assert IncidentBook.from_json(text).to_json() == text
    assert "\n" not in text and '"severity":"error"' not in text  # defaults left out


def test_a_restart_repeats_nothing() -> None:
    book, _ = IncidentBook().open(incident())
    book = deliver_all(book)
    restarted = IncidentBook.from_json(book.to_json())
    restarted, notices = restarted.open(incident(opened_at=T0 + timedelta(minutes=1)))
    assert notices == []
    assert owed(restarted, T0 + timedelta(days=1)) == []


def test_an_empty_cursor_is_an_empty_book() -> None:
    assert IncidentBook.from_json(None) == IncidentBook()
    assert IncidentBook.from_json("") == IncidentBook()


def test_a_foreign_cursor_is_refused() -> None:
    with pytest.raises(BookFormatError) as raised:
        IncidentBook.from_json('{"last_tick": 12}')
    assert str(raised.value) == (
        "the stored incident book cannot be read (1 problems); "
        "it was not written by this version of mesh-dagster"
    )
    with pytest.raises(BookFormatError) as raised:
        IncidentBook.from_json('{"version": 2}')
    assert str(raised.value) == (
        "the stored incident book has format version 2, this version of mesh-dagster reads 1"
    )


def test_open_incidents_are_listed_oldest_first() -> None:
    late = incident(partition="2026-03-02", opened_at=T0 + timedelta(days=1))
    book, _ = IncidentBook().open(late)
    book, _ = book.open(incident())
    assert [i.partition for i in book.open_incidents()] == ["2026-03-01", "2026-03-02"]


def test_dedup_keys_are_stable_and_distinct() -> None:
    assert incident().dedup_key == dedup_key("orders-daily", "2026-03-01", "sla_missed", None)
    assert incident().dedup_key == "a68e6b2aff605bfd935a0f03797fc7c9"
    keys = {
        incident().dedup_key,
        incident(partition="2026-03-02").dedup_key,
        incident(partition=None).dedup_key,
        incident(kind="run_failed").dedup_key,
        incident(kind="check_failed", rule="a").dedup_key,
        incident(kind="check_failed", rule="b").dedup_key,
    }
    assert len(keys) == 6
    # what the incident says (details, times, audience) is not part of its identity
    assert incident(details={"rows": 1}, opened_at=T0 + timedelta(hours=2)).dedup_key == (
        incident().dedup_key
    )


def test_urgency_follows_severity() -> None:
    assert incident().urgency == "high"
    assert incident(kind="check_failed", rule="r", severity="warn").urgency == "low"


def test_a_check_incident_names_its_rule() -> None:
    with pytest.raises(ValidationError, match="a 'check_failed' incident needs the name"):
        incident(kind="check_failed")


def test_times_must_be_aware() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        incident(opened_at=datetime(2026, 3, 2, 7, 0))
    book, _ = IncidentBook().open(incident())
    with pytest.raises(ValueError, match="resolve\\(\\) needs an aware instant"):
        book.resolve(incident().dedup_key, datetime(2026, 3, 2, 8, 0))
