"""The child of the crash test: one alert-sensor delivery against the instance's book.

It loads the incident book from a real SQLite Dagster instance, delivers what is owed to a
webhook and a PagerDuty receiver, checkpointing the book before and after each send as the
alert sensor does, and tells the parent of each send over a pipe. With ``pause_after`` it
stops right after that many sends, before recording the last one, so the parent can kill
it exactly between the send and the record.

Children fork from a fork server that imported this module; with ``WARM_UP`` set in its
environment the import also opens a throwaway instance once, so that each child opens the
real one in a fraction of a second instead of importing SQLAlchemy and Alembic again.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from typing import ClassVar

from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef

from mesh_dagster.alerts import Notice, Route, deliver
from mesh_dagster.alerts.channels.base import ChannelKind, Sender
from mesh_dagster.alerts.channels.pagerduty import PagerDutySender
from mesh_dagster.alerts.channels.webhook import WebhookSender
from mesh_dagster.alerts.instance_store import InstanceBookStore

STORE = "mesh_alerts_crash_test"
WARM_UP = "MESH_CRASH_TEST_WARM_UP"


@dataclass(frozen=True, kw_only=True)
class ReportingSender(Sender):
    """Sends through ``inner``, reports each send, and may freeze after the n-th one."""

    kind: ClassVar[ChannelKind] = "webhook"

    inner: Sender
    pipe: Connection = field(repr=False)
    pause_after: int | None
    count: list[int] = field(default_factory=lambda: [0])

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.inner.secrets

    def send(self, notice: Notice, route: Route) -> str | None:
        note = self.inner.send(notice, route)
        self.count[0] += 1
        self.pipe.send(("sent", notice.dedup_key, notice.event))
        if self.pause_after is not None and self.count[0] >= self.pause_after:
            self.pipe.send(("paused", notice.dedup_key, notice.event))
            time.sleep(60)  # the parent kills us here: sent, not yet recorded
        return note


def deliver_once(
    home: str, urls: dict[str, str], now: str, pause_after: int | None, pipe: Connection
) -> None:
    """Deliver what the stored book owes at ``now``; say ``done`` when the call returns."""
    with DagsterInstance.from_ref(InstanceRef.from_dir(home)) as instance:
        store = InstanceBookStore(instance, STORE)
        count = [0]  # shared by both channels: the n-th send of the call, whichever channel
        senders: dict[str, Sender] = {
            "hook": ReportingSender(
                name="hook",
                inner=WebhookSender(name="hook", url=urls["hook"]),
                pipe=pipe,
                pause_after=pause_after,
                count=count,
            ),
            "pager": ReportingSender(
                name="pager",
                inner=PagerDutySender(
                    name="pager", routing_key="routing-key-for-tests", events_url=urls["pager"]
                ),
                pipe=pipe,
                pause_after=pause_after,
                count=count,
            ),
        }
        deliver(store.load(), senders, datetime.fromisoformat(now), checkpoint=store.save)
    pipe.send(("done", "", ""))


def warm_up() -> None:
    """Open and close a throwaway SQLite instance: what a first open imports stays loaded."""
    with (
        tempfile.TemporaryDirectory() as home,
        DagsterInstance.from_ref(InstanceRef.from_dir(home)) as instance,
    ):
        instance.run_storage.get_cursor_values({STORE})


if os.environ.get(WARM_UP) == "1":
    warm_up()
