"""Alert channels: one module per kind, each a pure payload builder and a sender."""

from __future__ import annotations

from mesh_dagster.alerts.channels.base import DeliveryError, Sender, redact_text
from mesh_dagster.alerts.channels.email import EmailSender, email_message
from mesh_dagster.alerts.channels.pagerduty import PagerDutySender, pagerduty_event
from mesh_dagster.alerts.channels.slack import SlackSender, slack_message
from mesh_dagster.alerts.channels.webhook import WebhookSender, webhook_payload

__all__ = [
    "DeliveryError",
    "EmailSender",
    "PagerDutySender",
    "Sender",
    "SlackSender",
    "WebhookSender",
    "email_message",
    "pagerduty_event",
    "redact_text",
    "slack_message",
    "webhook_payload",
]
