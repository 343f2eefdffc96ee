"""Turn mesh.yaml's `alert_channels` and the environment into ready senders.

Secrets are named, never given, in mesh.yaml: each channel names the environment variables
that hold its URL, routing key or credentials. Only channels some product is routed to are
resolved. A channel whose variables are missing is an error in production mode (all such
problems at once); in local mode it is skipped, and the returned warnings say so. Error and
warning texts name variables, never their values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from mesh_dagster.alerts.channels.base import Sender
from mesh_dagster.alerts.channels.email import DEFAULT_PORT, EmailSender
from mesh_dagster.alerts.channels.pagerduty import PagerDutySender
from mesh_dagster.alerts.channels.slack import SlackSender
from mesh_dagster.alerts.channels.webhook import WebhookSender
from mesh_dagster.alerts.routing import consumer_contacts, recipients_for
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.policy_models import (
    AlertChannel,
    EmailChannel,
    PagerDutyChannel,
    SlackChannel,
    WebhookChannel,
)


class ChannelConfigError(Exception):
    """Raised in production mode when alert channels cannot be set up; lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        noun = "problem" if len(problems) == 1 else "problems"
        lines = "\n".join(problems)
        super().__init__(f"{len(problems)} alert channel {noun}:\n{lines}")


class ResolvedChannels(NamedTuple):
    """Ready senders by channel name, and warnings about channels left out."""

    senders: dict[str, Sender]
    warnings: list[str]


def channels_in_use(mesh: Mesh) -> list[str]:
    """Return the channels some product's incidents are routed to, in mesh.yaml order."""
    used = {
        route.channel
        for product in mesh.products.values()
        for urgency in ("high", "low")
        for route in recipients_for(mesh, product, urgency)
    }
    return [name for name in mesh.policy.alert_channels if name in used]


def resolve_channels(mesh: Mesh, environ: Mapping[str, str], production: bool) -> ResolvedChannels:
    """Return a sender for every channel in use, built from the environment.

    Raises ChannelConfigError in production mode when a channel's variables are missing or
    invalid; in local mode such a channel is left out with a warning.
    """
    senders: dict[str, Sender] = {}
    problems: list[str] = []
    warnings: list[str] = []
    for name in channels_in_use(mesh):
        channel = mesh.policy.alert_channels[name]
        reader = _Reader(environ)
        sender = _build(name, channel, reader)
        if not reader.reasons:
            assert sender is not None
            senders[name] = sender
        elif production:
            problems += [f"alert channel '{name}' ({channel.kind}): {r}." for r in reader.reasons]
        else:
            reasons = "; ".join(reader.reasons)
            warnings.append(
                f"alert channel '{name}' ({channel.kind}) is skipped: {reasons}. "
                "In production mode this is an error."
            )
    if problems:
        raise ChannelConfigError(problems)
    return ResolvedChannels(senders, warnings + _unheard_consumers(mesh))


def _unheard_consumers(mesh: Mesh) -> list[str]:
    has_email = any(channel.kind == "email" for channel in mesh.policy.alert_channels.values())
    if has_email:
        return []
    return [
        f"consumers of '{product.name}' asked for notices, but mesh.yaml declares no "
        "email channel to send them by."
        for product in sorted(mesh.products.values(), key=lambda product: product.name)
        if consumer_contacts(product)
    ]


@dataclass
class _Reader:
    """Reads a channel's variables, collecting what is wrong instead of stopping."""

    environ: Mapping[str, str]

    def __post_init__(self) -> None:
        self.reasons: list[str] = []

    def required(self, variable: str, field: str) -> str:
        value = self.environ.get(variable, "")
        if not value:
            self.reasons.append(
                f"the environment variable {variable} named by its {field} is not set"
            )
        return value

    def url(self, variable: str, field: str) -> str:
        value = self.required(variable, field)
        if value and not value.startswith(("http://", "https://")):
            self.reasons.append(
                f"the environment variable {variable} named by its {field} "
                "does not hold an http(s) URL"
            )
        return value

    def port(self, variable: str | None) -> int:
        value = self.environ.get(variable, "") if variable else ""
        if not value:
            return DEFAULT_PORT
        if value.isdigit() and 0 < int(value) < 65536:
            return int(value)
        self.reasons.append(
            f"the environment variable {variable} named by its smtp_port_env "
            "does not hold a port number (1-65535)"
        )
        return DEFAULT_PORT


def _build(name: str, channel: AlertChannel, reader: _Reader) -> Sender | None:
    if isinstance(channel, SlackChannel):
        return SlackSender(
            name=name, webhook_url=reader.url(channel.webhook_url_env, "webhook_url_env")
        )
    if isinstance(channel, WebhookChannel):
        return WebhookSender(name=name, url=reader.url(channel.url_env, "url_env"))
    if isinstance(channel, PagerDutyChannel):
        routing_key = reader.required(channel.routing_key_env, "routing_key_env")
        events_url = channel.events_url
        if channel.events_url_env and reader.environ.get(channel.events_url_env):
            events_url = reader.url(channel.events_url_env, "events_url_env")
        return PagerDutySender(name=name, routing_key=routing_key, events_url=events_url)
    return _build_email(name, channel, reader)


def _build_email(name: str, channel: EmailChannel, reader: _Reader) -> Sender | None:
    host = reader.required(channel.smtp_host_env, "smtp_host_env")
    port = reader.port(channel.smtp_port_env)
    if (channel.username_env is None) != (channel.password_env is None):
        reader.reasons.append("'username_env' and 'password_env' must be given together")
        return None
    username = password = None
    if channel.username_env is not None and channel.password_env is not None:
        username = reader.required(channel.username_env, "username_env")
        password = reader.required(channel.password_env, "password_env")
    return EmailSender(
        name=name,
        to=tuple(channel.to),
        host=host,
        port=port,
        from_address=channel.from_address,
        starttls=channel.starttls,
        username=username,
        password=password,
    )
