"""Slack: an incoming-webhook message with blocks (header, summary, facts, a link button)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from mesh_dagster.alerts.channels.base import ChannelKind, Sender, post_json
from mesh_dagster.alerts.incidents import Notice, Route
from mesh_dagster.alerts.messages import ASSET_LABEL, facts, headline, summary

FIELDS_PER_SECTION = 10
"""Slack allows at most 10 fields in one section block."""


def _escape(text: str) -> str:
    # Slack mrkdwn treats these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _marker(notice: Notice) -> str:
    if notice.event == "resolved":
        return ":white_check_mark:"
    return ":red_circle:" if notice.incident.urgency == "high" else ":large_yellow_circle:"


def slack_message(notice: Notice) -> dict[str, Any]:
    """Return the incoming-webhook payload of ``notice``: fallback text and blocks."""
    rows = facts(notice)
    url = notice.incident.audience.asset_url
    fields = [
        {"type": "mrkdwn", "text": f"*{_escape(label)}*\n{_field_value(label, value)}"}
        for label, value in rows
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{_marker(notice)} {headline(notice)}"[:150]},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": _escape(summary(notice))}},
    ]
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[start : start + FIELDS_PER_SECTION]})
    if url:
        button = {"type": "plain_text", "text": "Open the asset"}
        blocks.append(
            {"type": "actions", "elements": [{"type": "button", "text": button, "url": url}]}
        )
    context = f"{notice.incident.urgency} urgency · incident key `{notice.dedup_key}`"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": f"{headline(notice)}: {summary(notice)}", "blocks": blocks}


def _field_value(label: str, value: str) -> str:
    if value.startswith(("http://", "https://")):
        return f"<{value}|Open the {'asset' if label == ASSET_LABEL else 'partition'}>"
    return _escape(value)


@dataclass(frozen=True, kw_only=True)
class SlackSender(Sender):
    """Posts notices to a Slack incoming webhook."""

    kind: ClassVar[ChannelKind] = "slack"

    webhook_url: str = field(repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Return the webhook URL (it is the credential)."""
        return (self.webhook_url,)

    def send(self, notice: Notice, route: Route) -> str | None:
        """Post the message; raise DeliveryError unless Slack answers 2xx."""
        post_json(self, self.webhook_url, slack_message(notice))
        return None
