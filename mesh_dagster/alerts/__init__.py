"""Incidents, their state across sensor ticks, and the channels that tell people.

Pure code: nothing here imports Dagster except ``instance_store`` (optional, for storing
the book in the Dagster instance mid-tick). A sensor's tick, in short::

    book = IncidentBook.from_json(context.cursor)
    senders, warnings = resolve_channels(mesh, os.environ, production)   # at load time
    book, _ = book.open(incident_for(mesh, product, "sla_missed", opened_at=now, ...))
    book, _ = book.resolve(key, at=now)
    book, report = deliver(book, senders, now)
    context.update_cursor(book.to_json())
"""

from __future__ import annotations

from mesh_dagster.alerts.book import (
    BookFormatError,
    ChannelDelivery,
    DueDelivery,
    IncidentBook,
    IncidentRecord,
    RetryPolicy,
    open_all,
)
from mesh_dagster.alerts.channels import DeliveryError, Sender
from mesh_dagster.alerts.deliver import DeliveryOutcome, DeliveryReport, deliver
from mesh_dagster.alerts.incidents import (
    Audience,
    Incident,
    IncidentKind,
    Notice,
    NoticeEvent,
    Route,
    Severity,
    Urgency,
    dedup_key,
)
from mesh_dagster.alerts.resolve import ChannelConfigError, ResolvedChannels, resolve_channels
from mesh_dagster.alerts.routing import (
    asset_url,
    audience_for,
    dagster_url_of,
    incident_for,
    recipients_for,
)

__all__ = [
    "Audience",
    "BookFormatError",
    "ChannelConfigError",
    "ChannelDelivery",
    "DeliveryError",
    "DeliveryOutcome",
    "DeliveryReport",
    "DueDelivery",
    "Incident",
    "IncidentBook",
    "IncidentKind",
    "IncidentRecord",
    "Notice",
    "NoticeEvent",
    "ResolvedChannels",
    "RetryPolicy",
    "Route",
    "Sender",
    "Severity",
    "Urgency",
    "asset_url",
    "audience_for",
    "dagster_url_of",
    "dedup_key",
    "deliver",
    "incident_for",
    "open_all",
    "recipients_for",
    "resolve_channels",
]
