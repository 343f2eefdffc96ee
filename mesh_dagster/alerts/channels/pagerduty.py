"""PagerDuty Events API v2: `trigger` when an incident opens, `resolve` when it resolves.

Both carry the incident's stable dedup key, so PagerDuty folds a repeated trigger (an
at-least-once duplicate) into the alert it already has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from mesh_dagster.alerts.channels.base import ChannelKind, Sender, post_json
from mesh_dagster.alerts.incidents import Notice, Route, as_utc_text
from mesh_dagster.alerts.messages import facts, headline, summary

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SUMMARY_LIMIT = 1024
SEVERITIES = {"error": "error", "warn": "warning"}


def pagerduty_event(notice: Notice, routing_key: str) -> dict[str, Any]:
    """Return the Events API v2 body of ``notice`` for the service of ``routing_key``."""
    if notice.event == "resolved":
        return {
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": notice.dedup_key,
        }
    incident = notice.incident
    url = incident.audience.asset_url
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": notice.dedup_key,
        "payload": {
            "summary": f"{headline(notice)}: {summary(notice)}"[:SUMMARY_LIMIT],
            "source": f"mesh-dagster:{incident.domain}/{incident.product}",
            "severity": SEVERITIES[incident.severity],
            "timestamp": as_utc_text(incident.opened_at),
            "component": incident.product,
            "group": incident.domain,
            "class": incident.kind,
            "custom_details": dict(facts(notice)),
        },
        "client": "mesh-dagster",
    }
    if url:
        event["client_url"] = url
        event["links"] = [{"href": url, "text": f"{incident.product}: asset page"}]
    return event


@dataclass(frozen=True, kw_only=True)
class PagerDutySender(Sender):
    """Sends trigger and resolve events to PagerDuty (or to ``events_url``)."""

    kind: ClassVar[ChannelKind] = "pagerduty"
    pages: ClassVar[bool] = True

    routing_key: str = field(repr=False)
    events_url: str = EVENTS_URL

    @property
    def secrets(self) -> tuple[str, ...]:
        """Return the routing key."""
        return (self.routing_key,)

    def send(self, notice: Notice, route: Route) -> str | None:
        """Send the event; raise DeliveryError unless PagerDuty accepts it (2xx)."""
        post_json(self, self.events_url, pagerduty_event(notice, self.routing_key))
        return None
