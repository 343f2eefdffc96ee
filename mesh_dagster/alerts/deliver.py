"""Send the notices a book owes, one channel failure never holding up another.

``deliver`` is the only step with side effects. It is meant to run once per sensor tick:
each owed notice is tried at most once per call, a channel that fails is left alone for
the rest of the call (its other notices wait for a later tick), and the call stops taking
new sends when its time budget is spent, so a tick stays well inside Dagster's 60 s limit.
Retries happen on later calls, after the book's backoff, never by sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from mesh_dagster.alerts.book import DEFAULT_RETRY, DueDelivery, IncidentBook, RetryPolicy
from mesh_dagster.alerts.channels.base import DeliveryError, Sender
from mesh_dagster.alerts.incidents import NoticeEvent

OutcomeStatus = Literal["sent", "failed", "given_up", "skipped"]


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened to one notice on one channel in one call."""

    channel: str
    dedup_key: str
    product: str
    event: NoticeEvent
    status: OutcomeStatus
    detail: str | None = None
    next_attempt_at: datetime | None = None

    def line(self) -> str:
        """Return the outcome as one log line (no secrets: details are redacted)."""
        text = f"{self.status}: {self.event} notice of {self.product} [{self.dedup_key[:12]}] "
        text += f"to channel '{self.channel}'"
        if self.detail:
            text += f": {self.detail}"
        if self.next_attempt_at is not None:
            text += f"; next attempt at {self.next_attempt_at.isoformat()}"
        return text


@dataclass(frozen=True)
class DeliveryReport:
    """The outcomes of one ``deliver`` call, and how many notices are still owed now."""

    outcomes: tuple[DeliveryOutcome, ...] = ()
    deferred: int = 0

    def of(self, status: OutcomeStatus) -> list[DeliveryOutcome]:
        """Return the outcomes with ``status``."""
        return [outcome for outcome in self.outcomes if outcome.status == status]

    @property
    def sent(self) -> list[DeliveryOutcome]:
        """Return the notices delivered."""
        return self.of("sent")

    @property
    def failed(self) -> list[DeliveryOutcome]:
        """Return the notices that failed and will be retried."""
        return self.of("failed")

    def lines(self) -> list[str]:
        """Return one log line per outcome, then the count of notices left for later."""
        lines = [outcome.line() for outcome in self.outcomes]
        if self.deferred:
            lines.append(f"{self.deferred} notices left for a later tick")
        return lines


def deliver(
    book: IncidentBook,
    senders: Mapping[str, Sender],
    now: datetime,
    *,
    retry: RetryPolicy = DEFAULT_RETRY,
    budget: timedelta = timedelta(seconds=20),
    checkpoint: Callable[[IncidentBook], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[IncidentBook, DeliveryReport]:
    """Return the book after sending the notices owed at ``now``, and what happened.

    ``now`` is the tick's instant (the backoff is reckoned from it). ``checkpoint``, if
    given, is called with the book before and after each send, to store it durably mid-call;
    without it, the caller stores the returned book (e.g. as the sensor cursor). A notice
    for a channel without a sender (skipped at load in local mode), or a low-urgency notice
    for a paging channel, is dropped and reported as `skipped`.
    """
    started = clock()
    down: set[str] = set()
    tried: set[tuple[str, str, NoticeEvent]] = set()
    outcomes: list[DeliveryOutcome] = []
    while clock() - started < budget.total_seconds():
        due = [
            item
            for item in book.deliveries_due(now)
            if (item.dedup_key, item.channel, item.notice.event) not in tried
            and item.channel not in down
        ]
        if not due:
            break
        for item in due:
            if clock() - started >= budget.total_seconds():
                break
            tried.add((item.dedup_key, item.channel, item.notice.event))
            if item.channel in down:
                continue
            book, outcome = _deliver_one(
                book, senders.get(item.channel), item, now, retry, checkpoint
            )
            outcomes.append(outcome)
            if outcome.status == "failed":
                down.add(item.channel)
    book = book.compact()
    if checkpoint is not None:
        checkpoint(book)
    return book, DeliveryReport(tuple(outcomes), len(book.deliveries_due(now)))


def _deliver_one(
    book: IncidentBook,
    sender: Sender | None,
    item: DueDelivery,
    now: datetime,
    retry: RetryPolicy,
    checkpoint: Callable[[IncidentBook], None] | None,
) -> tuple[IncidentBook, DeliveryOutcome]:
    key, channel, event = item.dedup_key, item.channel, item.notice.event
    incident = item.notice.incident

    def outcome(status: OutcomeStatus, detail: str | None = None) -> DeliveryOutcome:
        delivery = book.records[key].deliveries[channel] if key in book.records else None
        next_at = delivery.next_attempt_at if delivery is not None and status == "failed" else None
        return DeliveryOutcome(channel, key, incident.product, event, status, detail, next_at)

    if sender is None:
        book = book.mark_skipped(key, channel, event)
        return book, outcome("skipped", "the channel is not set up (see the load warnings)")
    if sender.pages and incident.urgency == "low":
        book = book.mark_skipped(key, channel, event)
        return book, outcome("skipped", "low-urgency incidents do not page")
    book = book.mark_attempt(key, channel, now, retry)
    if checkpoint is not None:
        checkpoint(book)
    try:
        note = sender.send(item.notice, item.route)
    except DeliveryError as error:
        message, terminal = str(error), not error.transient
    except Exception as error:  # a bug in one channel must not stop the others
        message = sender.redact(f"{channel}: unexpected {type(error).__name__}: {error}")
        terminal = False
    else:
        book = book.mark_sent(key, channel, event)
        if checkpoint is not None:
            checkpoint(book)
        return book, outcome("sent", note)
    book = book.mark_failed(key, channel, now, message, terminal=terminal, retry=retry)
    if checkpoint is not None:
        checkpoint(book)
    given_up = book.records[key].owed(channel) != event if key in book.records else True
    return book, outcome("given_up" if given_up else "failed", message)
