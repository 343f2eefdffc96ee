"""Channels from mesh.yaml and the environment: production errors, local warnings."""

from __future__ import annotations

import pytest
from fixtures.receivers import ALERT_CHANNELS
from spec_folder import DELETE, SpecFolder

from mesh_dagster.alerts import ChannelConfigError, resolve_channels
from mesh_dagster.alerts.channels import EmailSender, PagerDutySender, SlackSender, WebhookSender
from mesh_dagster.spec import Mesh

ENVIRON = {
    "ORDERS_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/XYZ",
    "ORDERS_PAGERDUTY_ROUTING_KEY": "pd-routing-key-0123",
    "MESH_SMTP_HOST": "smtp.company.com",
    "PLATFORM_ALERTS_WEBHOOK_URL": "https://alerts.company.com/hook?token=abc123",
}


def test_every_channel_in_use_gets_a_sender(alerts_mesh: Mesh) -> None:
    senders, warnings = resolve_channels(alerts_mesh, ENVIRON, production=True)
    assert warnings == []
    assert senders == {
        "orders-slack": SlackSender(
            name="orders-slack", webhook_url="https://hooks.slack.com/services/T0/B0/XYZ"
        ),
        "orders-pagerduty": PagerDutySender(
            name="orders-pagerduty", routing_key="pd-routing-key-0123"
        ),
        "orders-email": EmailSender(
            name="orders-email",
            to=("orders-oncall@company.com",),
            host="smtp.company.com",
            port=25,
            from_address="mesh-alerts@company.com",
        ),
        "platform-webhook": WebhookSender(
            name="platform-webhook", url="https://alerts.company.com/hook?token=abc123"
        ),
    }
    assert senders["orders-pagerduty"].events_url == "https://events.pagerduty.com/v2/enqueue"  # type: ignore[attr-defined]


def test_a_missing_variable_is_an_error_in_production(alerts_mesh: Mesh) -> None:
    environ = {
        name: value
        for name, value in ENVIRON.items()
        if name not in ("ORDERS_SLACK_WEBHOOK_URL", "MESH_SMTP_HOST")
    }
    with pytest.raises(ChannelConfigError) as raised:
        resolve_channels(alerts_mesh, environ, production=True)
    assert str(raised.value) == (
        "2 alert channel problems:\n"
        "alert channel 'orders-slack' (slack): the environment variable "
        "ORDERS_SLACK_WEBHOOK_URL named by its webhook_url_env is not set.\n"
        "alert channel 'orders-email' (email): the environment variable MESH_SMTP_HOST "
        "named by its smtp_host_env is not set."
    )


def test_a_missing_variable_skips_the_channel_in_local_mode(alerts_mesh: Mesh) -> None:
    environ = {k: v for k, v in ENVIRON.items() if k != "ORDERS_PAGERDUTY_ROUTING_KEY"}
    senders, warnings = resolve_channels(alerts_mesh, environ, production=False)
    assert sorted(senders) == ["orders-email", "orders-slack", "platform-webhook"]
    assert warnings == [
        "alert channel 'orders-pagerduty' (pagerduty) is skipped: the environment variable "
        "ORDERS_PAGERDUTY_ROUTING_KEY named by its routing_key_env is not set. "
        "In production mode this is an error."
    ]


def test_a_fresh_machine_needs_no_variables_in_local_mode(alerts_mesh: Mesh) -> None:
    senders, warnings = resolve_channels(alerts_mesh, {}, production=False)
    assert senders == {}
    assert len(warnings) == 4


def test_invalid_values_are_named_without_showing_them(specs: SpecFolder) -> None:
    email = {
        **ALERT_CHANNELS["orders-email"],
        "username_env": "SMTP_USER",
        "password_env": "SMTP_PASSWORD",
    }
    specs.policy(
        domains={"orders": {"alert_channels": ["orders-slack", "orders-email"]}},
        alert_channels={**ALERT_CHANNELS, "orders-email": email},
    )
    specs.product()
    environ = {
        "ORDERS_SLACK_WEBHOOK_URL": "hooks.slack.com/services/T0/B0/SECRET",
        "MESH_SMTP_HOST": "smtp.company.com",
        "MESH_SMTP_PORT": "twenty-five",
        "SMTP_USER": "mesh",
    }
    with pytest.raises(ChannelConfigError) as raised:
        resolve_channels(specs.load(), environ, production=True)
    assert raised.value.problems == (
        "alert channel 'orders-slack' (slack): the environment variable "
        "ORDERS_SLACK_WEBHOOK_URL named by its webhook_url_env does not hold an http(s) URL.",
        "alert channel 'orders-email' (email): the environment variable MESH_SMTP_PORT "
        "named by its smtp_port_env does not hold a port number (1-65535).",
        "alert channel 'orders-email' (email): the environment variable SMTP_PASSWORD "
        "named by its password_env is not set.",
    )
    assert "SECRET" not in str(raised.value)


def test_login_needs_both_user_and_password(specs: SpecFolder) -> None:
    email = {**ALERT_CHANNELS["orders-email"], "username_env": "SMTP_USER"}
    specs.policy(
        domains={"orders": {"alert_channels": ["orders-email"]}},
        alert_channels={"orders-email": email},
    )
    specs.product()
    with pytest.raises(ChannelConfigError) as raised:
        resolve_channels(specs.load(), {"MESH_SMTP_HOST": "smtp"}, production=True)
    assert raised.value.problems == (
        "alert channel 'orders-email' (email): "
        "'username_env' and 'password_env' must be given together.",
    )


def test_email_with_port_and_login(specs: SpecFolder) -> None:
    email = {
        **ALERT_CHANNELS["orders-email"],
        "starttls": True,
        "username_env": "SMTP_USER",
        "password_env": "SMTP_PASSWORD",
    }
    specs.policy(
        domains={"orders": {"alert_channels": ["orders-email"]}},
        alert_channels={"orders-email": email},
    )
    specs.product()
    environ = {
        "MESH_SMTP_HOST": "smtp.company.com",
        "MESH_SMTP_PORT": "587",
        "SMTP_USER": "mesh",
        "SMTP_PASSWORD": "pw",
    }
    senders, _ = resolve_channels(specs.load(), environ, production=True)
    sender = senders["orders-email"]
    assert isinstance(sender, EmailSender)
    assert (sender.port, sender.starttls, sender.username, sender.password) == (
        587,
        True,
        "mesh",
        "pw",
    )


def test_the_pagerduty_endpoint_can_be_overridden(alerts_mesh: Mesh) -> None:
    environ = {**ENVIRON, "ORDERS_PAGERDUTY_EVENTS_URL": "http://127.0.0.1:9/enqueue"}
    senders, _ = resolve_channels(alerts_mesh, environ, production=True)
    sender = senders["orders-pagerduty"]
    assert isinstance(sender, PagerDutySender)
    assert sender.events_url == "http://127.0.0.1:9/enqueue"


def test_channels_no_product_uses_are_not_resolved(specs: SpecFolder) -> None:
    specs.policy(alert_channels=ALERT_CHANNELS)  # orders: Slack; payments-email unused
    specs.product()
    senders, warnings = resolve_channels(specs.load(), ENVIRON, production=True)
    assert list(senders) == ["orders-slack"]
    assert warnings == []


def test_consumers_without_an_email_channel_are_warned_about(specs: SpecFolder) -> None:
    specs.policy(domains={"payments": DELETE}, alert_channels={"payments-email": DELETE})
    consumer = {"team": "finance", "use_case": "x", "contact": "f@company.com", "notify": True}
    specs.product(spec={"consumers": [consumer]})
    _, warnings = resolve_channels(specs.load(), ENVIRON, production=True)
    assert warnings == [
        "consumers of 'orders-daily' asked for notices, but mesh.yaml declares no email "
        "channel to send them by."
    ]
