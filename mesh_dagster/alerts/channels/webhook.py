"""A generic JSON webhook: the whole incident, the notice and its audience."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from mesh_dagster.alerts.channels.base import ChannelKind, Sender, post_json
from mesh_dagster.alerts.incidents import Notice, Route, as_utc_text
from mesh_dagster.alerts.messages import headline, summary

SCHEMA = "mesh-dagster/incident-notice/v1"


def webhook_payload(notice: Notice) -> dict[str, Any]:
    """Return the JSON body of ``notice`` for a generic webhook.

    The incident is complete except its routes, which hold other channels' names and
    recipients' addresses; times are ISO 8601 in UTC.
    """
    incident = notice.incident
    body = incident.model_dump(mode="json", exclude={"audience"})
    for name in ("opened_at", "deadline"):
        moment = getattr(incident, name)
        body[name] = None if moment is None else as_utc_text(moment)
    audience = incident.audience
    return {
        "schema": SCHEMA,
        "event": notice.event,
        "at": as_utc_text(notice.at),
        "dedup_key": notice.dedup_key,
        "urgency": incident.urgency,
        "title": headline(notice),
        "summary": summary(notice),
        "incident": body,
        "owner": audience.owner,
        "steward": audience.steward,
        "consumers": list(audience.consumers),
        "downstream": list(audience.downstream),
        "asset_url": audience.asset_url,
        "resolution": dict(notice.resolution),
    }


@dataclass(frozen=True, kw_only=True)
class WebhookSender(Sender):
    """Posts notices as JSON to a URL."""

    kind: ClassVar[ChannelKind] = "webhook"

    url: str = field(repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Return the URL (it often carries a token)."""
        return (self.url,)

    def send(self, notice: Notice, route: Route) -> str | None:
        """Post the payload; raise DeliveryError unless the receiver answers 2xx."""
        post_json(self, self.url, webhook_payload(notice))
        return None
