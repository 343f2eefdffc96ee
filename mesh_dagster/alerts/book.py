"""The incident book: open incidents and what each channel has been told, as plain data.

Every transition is pure: it returns a new book and leaves the old one alone, so a sensor
can read the book from its cursor, apply a tick's changes and store the result. For each
(incident, channel) the book keeps the last notice the channel received (``told``); the
notice it still owes follows from that and from whether the incident is open or resolved:

- open, told nothing or `resolved` (a reopened incident) -> `opened` is due;
- resolved, told `opened` -> `resolved` is due;
- resolved, told nothing (the channel was down for the whole incident) -> `opened`, then
  `resolved`, so the owners still learn that it happened.

A failed send waits ``RetryPolicy`` delays (30 s, 60 s, 120 s, ... capped at an hour) before
the next attempt, and is given up after a day. A resolved incident whose every channel has
been told is dropped, so the book only grows with what is still open or owed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import AwareDatetime, Field, ValidationError

from mesh_dagster.alerts.incidents import (
    AlertModel,
    Figure,
    Incident,
    Notice,
    NoticeEvent,
    Route,
)

BOOK_VERSION = 1


@dataclass(frozen=True)
class RetryPolicy:
    """How long a failed delivery waits before its next attempt, and when to give up."""

    first_delay: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(hours=24)

    def delay(self, failures: int) -> timedelta:
        """Return the wait after the ``failures``-th failure in a row (1 -> 30 s, 2 -> 60 s)."""
        seconds = self.first_delay.total_seconds() * self.factor ** max(failures - 1, 0)
        return min(timedelta(seconds=seconds), self.max_delay)


DEFAULT_RETRY = RetryPolicy()


class ChannelDelivery(AlertModel):
    """What one channel has been told about one incident, and its retry state."""

    told: NoticeEvent | None = Field(default=None, description="Last notice delivered.")
    attempts: int = Field(default=0, description="Failed attempts at the notice now due.")
    next_attempt_at: AwareDatetime | None = Field(
        default=None, description="Not before this instant (backoff); none: at once."
    )
    failing_since: AwareDatetime | None = Field(
        default=None, description="First failure of the notice now due."
    )
    last_error: str | None = Field(default=None, description="Last error, secrets redacted.")


class IncidentRecord(AlertModel):
    """One incident, whether it is resolved, and each of its channels' delivery state."""

    incident: Incident = Field(description="The incident as it was opened.")
    resolved_at: AwareDatetime | None = Field(default=None, description="When it resolved.")
    resolution: dict[str, Figure] = Field(
        default_factory=dict, description="Figures of the recovery."
    )
    deliveries: dict[str, ChannelDelivery] = Field(
        default_factory=dict, description="Delivery state by channel name."
    )

    @property
    def is_open(self) -> bool:
        """Return whether the incident is still open."""
        return self.resolved_at is None

    def owed(self, channel: str) -> NoticeEvent | None:
        """Return the notice ``channel`` is owed next, if any."""
        delivery = self.deliveries.get(channel)
        if delivery is None:
            return None
        return _next_event(delivery.told, "opened" if self.is_open else "resolved")

    def notice(self, event: NoticeEvent) -> Notice:
        """Return the notice of ``event`` for this incident."""
        if event == "opened":
            return Notice(incident=self.incident, event=event, at=self.incident.opened_at)
        assert self.resolved_at is not None, "only a resolved incident has a resolved notice"
        return Notice(
            incident=self.incident, event=event, at=self.resolved_at, resolution=self.resolution
        )

    @property
    def settled(self) -> bool:
        """Return whether the incident is resolved and every channel has been told so."""
        return not self.is_open and all(
            delivery.told == "resolved" for delivery in self.deliveries.values()
        )


def _next_event(told: NoticeEvent | None, wanted: NoticeEvent) -> NoticeEvent | None:
    if wanted == "opened":
        return None if told == "opened" else "opened"
    if told is None:
        return "opened"
    return "resolved" if told == "opened" else None


@dataclass(frozen=True)
class DueDelivery:
    """A notice owed to one channel now."""

    dedup_key: str
    channel: str
    notice: Notice
    route: Route
    attempts: int


class BookFormatError(ValueError):
    """Raised when stored book text cannot be read (not ours, or a newer version)."""


class IncidentBook(AlertModel):
    """Open incidents and what is owed to each channel; serialisable to compact JSON."""

    version: int = Field(default=BOOK_VERSION, description="Format version of the book.")
    records: dict[str, IncidentRecord] = Field(
        default_factory=dict, description="Incidents by dedup key."
    )
    read_until: int | None = Field(
        default=None,
        description="Position of the last source event applied (e.g. an event-log storage "
        "id), stored with the incidents so no event is applied twice.",
    )

    # --- reading -------------------------------------------------------------------------

    def record(self, key: str) -> IncidentRecord | None:
        """Return the record of the incident with dedup key ``key``, if it is kept."""
        return self.records.get(key)

    def is_open(self, key: str) -> bool:
        """Return whether the incident with dedup key ``key`` is open."""
        record = self.records.get(key)
        return record is not None and record.is_open

    def open_incidents(self) -> list[Incident]:
        """Return the open incidents, oldest first."""
        records = [record for record in self.records.values() if record.is_open]
        return [record.incident for record in sorted(records, key=_age)]

    def deliveries_due(self, now: datetime) -> list[DueDelivery]:
        """Return the notices owed at ``now`` (backoff elapsed), oldest incident first."""
        due: list[DueDelivery] = []
        for key, record in sorted(self.records.items(), key=lambda item: _age(item[1])):
            for channel, delivery in record.deliveries.items():
                event = record.owed(channel)
                if event is None or (
                    delivery.next_attempt_at is not None and delivery.next_attempt_at > now
                ):
                    continue
                route = record.incident.route(channel) or Route(channel=channel)
                due.append(
                    DueDelivery(key, channel, record.notice(event), route, delivery.attempts)
                )
        return due

    # --- transitions ---------------------------------------------------------------------

    def open(self, incident: Incident) -> tuple[IncidentBook, list[Notice]]:
        """Return the book with ``incident`` open, and its notice if it was not open already.

        An incident that is open already changes nothing (its first facts are kept). A
        resolved one reopens: channels that were not yet told of the recovery are owed
        nothing (for them it never closed), the others are owed a new `opened` notice.
        """
        key = incident.dedup_key
        existing = self.records.get(key)
        if existing is not None and existing.is_open:
            return self, []
        previous = existing.deliveries if existing is not None else {}
        deliveries = {
            route.channel: previous.get(route.channel, ChannelDelivery())
            for route in incident.audience.routes
        }
        record = IncidentRecord(incident=incident, deliveries=deliveries)
        notice = Notice(incident=incident, event="opened", at=incident.opened_at)
        return self._with(key, record), [notice]

    def resolve(
        self, key: str, at: datetime, details: Mapping[str, Figure] | None = None
    ) -> tuple[IncidentBook, list[Notice]]:
        """Return the book with incident ``key`` resolved at ``at``, and its recovery notice.

        Resolving an incident that is not open changes nothing and gives no notice.
        """
        if at.tzinfo is None:
            raise ValueError(f"resolve() needs an aware instant, got naive {at.isoformat()}")
        record = self.records.get(key)
        if record is None or not record.is_open:
            return self, []
        resolved = record.model_copy(update={"resolved_at": at, "resolution": dict(details or {})})
        notice = resolved.notice("resolved")
        return self._with(key, resolved).compact(), [notice]

    def mark_attempt(
        self, key: str, channel: str, now: datetime, retry: RetryPolicy = DEFAULT_RETRY
    ) -> IncidentBook:
        """Return the book as if the attempt starting now will fail (recorded before sending).

        If the process dies during the send, the next tick waits out the backoff instead of
        retrying at once; a duplicate needs exactly that crash.
        """
        delivery = self._delivery(key, channel)
        wait = retry.delay(delivery.attempts + 1)
        return self._with_delivery(
            key, channel, delivery.model_copy(update={"next_attempt_at": now + wait})
        )

    def mark_sent(self, key: str, channel: str, event: NoticeEvent) -> IncidentBook:
        """Return the book with ``event`` delivered to ``channel``; retry state is cleared."""
        record = self.records.get(key)
        if record is None or record.owed(channel) != event:
            return self
        return self._with_delivery(key, channel, ChannelDelivery(told=event))

    def mark_skipped(self, key: str, channel: str, event: NoticeEvent) -> IncidentBook:
        """Return the book with ``event`` no longer owed to ``channel`` (nothing was sent)."""
        return self.mark_sent(key, channel, event)

    def mark_failed(
        self,
        key: str,
        channel: str,
        now: datetime,
        error: str,
        *,
        terminal: bool = False,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> IncidentBook:
        """Return the book with one more failed attempt for ``channel`` and its next try.

        The wait doubles from ``retry.first_delay`` up to ``retry.max_delay``; a terminal
        error (the receiver refused the message) waits ``max_delay`` straight away, in case
        the configuration is fixed. After ``retry.give_up_after`` of failures the notice is
        given up: it counts as told, and the error stays in the returned report.
        """
        record = self.records.get(key)
        event = record.owed(channel) if record is not None else None
        if event is None:
            return self
        delivery = self._delivery(key, channel)
        failing_since = delivery.failing_since or now
        if now - failing_since >= retry.give_up_after:
            return self._with_delivery(key, channel, ChannelDelivery(told=event, last_error=error))
        attempts = delivery.attempts + 1
        wait = retry.max_delay if terminal else retry.delay(attempts)
        failed = ChannelDelivery(
            told=delivery.told,
            attempts=attempts,
            next_attempt_at=now + wait,
            failing_since=failing_since,
            last_error=error,
        )
        return self._with_delivery(key, channel, failed)

    def compact(self) -> IncidentBook:
        """Return the book without resolved incidents that every channel has been told of."""
        if not any(record.settled for record in self.records.values()):
            return self
        kept = {key: record for key, record in self.records.items() if not record.settled}
        return self.model_copy(update={"records": kept})

    # --- storage -------------------------------------------------------------------------

    def to_json(self) -> str:
        """Return the book as compact JSON (defaults left out), e.g. for a sensor cursor."""
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def from_json(cls, text: str | None) -> IncidentBook:
        """Return the book stored as ``text``; an empty book for None or empty text."""
        if not text:
            return cls()
        try:
            book = cls.model_validate_json(text)
        except ValidationError as error:
            raise BookFormatError(
                f"the stored incident book cannot be read ({error.error_count()} problems); "
                "it was not written by this version of mesh-dagster"
            ) from None
        if book.version != BOOK_VERSION:
            raise BookFormatError(
                f"the stored incident book has format version {book.version}, "
                f"this version of mesh-dagster reads {BOOK_VERSION}"
            )
        return book

    # --- helpers -------------------------------------------------------------------------

    def _with(self, key: str, record: IncidentRecord) -> IncidentBook:
        return self.model_copy(update={"records": {**self.records, key: record}})

    def _delivery(self, key: str, channel: str) -> ChannelDelivery:
        record = self.records.get(key)
        if record is None or channel not in record.deliveries:
            raise KeyError(f"no delivery of incident {key} to channel '{channel}'")
        return record.deliveries[channel]

    def _with_delivery(self, key: str, channel: str, delivery: ChannelDelivery) -> IncidentBook:
        record = self.records[key]
        deliveries = {**record.deliveries, channel: delivery}
        return self._with(key, record.model_copy(update={"deliveries": deliveries}))


def _age(record: IncidentRecord) -> tuple[datetime, str]:
    return record.incident.opened_at, record.incident.dedup_key


def open_all(
    book: IncidentBook, incidents: Iterable[Incident]
) -> tuple[IncidentBook, list[Notice]]:
    """Return the book with every incident of ``incidents`` open, and the new notices."""
    notices: list[Notice] = []
    for incident in incidents:
        book, new = book.open(incident)
        notices += new
    return book, notices
