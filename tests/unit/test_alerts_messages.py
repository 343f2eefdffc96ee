"""Message content: every channel names every fact, and holds no secret and no PII."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from mesh_dagster.alerts import Incident, Notice, incident_for
from mesh_dagster.alerts.channels import (
    EmailSender,
    PagerDutySender,
    SlackSender,
    WebhookSender,
    email_message,
    pagerduty_event,
    slack_message,
    webhook_payload,
)
from mesh_dagster.alerts.incidents import UpstreamPeriod
from mesh_dagster.alerts.messages import facts, headline, plain_text, summary
from mesh_dagster.alerts.sla import upstream_periods
from mesh_dagster.sla.upstream import MissingInput
from mesh_dagster.spec import Mesh

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
ROUTING_KEY = "R0UTINGKEY-0123456789abcdef"
ASSET = "https://dagster.company.com/assets/orders/orders-daily"


def sla_missed(mesh: Mesh) -> Incident:
    return incident_for(
        mesh,
        mesh.product("orders-daily"),
        "sla_missed",
        opened_at=T0,
        partition="2026-03-01",
        deadline=T0,
        details={"published": False},
        dagster_url="https://dagster.company.com",
    )


def check_failed(mesh: Mesh) -> Incident:
    return incident_for(
        mesh,
        mesh.product("orders-daily"),
        "check_failed",
        opened_at=T0 - timedelta(minutes=55),
        partition="2026-03-01",
        rule="revenue_usd_non_negative",
        severity="warn",
        details={"failed_rows": 3, "rows": 1200},
        dagster_url="https://dagster.company.com",
    )


def rendered(notice: Notice) -> dict[str, str]:
    """Return the notice as each channel renders it, as text."""
    mail = email_message(notice, "mesh-alerts@company.com", ("orders-oncall@company.com",))
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None and html is not None
    return {
        "slack": json.dumps(slack_message(notice)),
        "webhook": json.dumps(webhook_payload(notice)),
        "pagerduty": json.dumps(pagerduty_event(notice, ROUTING_KEY)),
        "email": str(mail["Subject"]) + "\n" + plain.get_content(),
        "email html": html.get_content(),
    }


def test_an_sla_notice_names_every_fact_on_every_channel(alerts_mesh: Mesh) -> None:
    notice = Notice(incident=sla_missed(alerts_mesh), event="opened", at=T0)
    for channel, text in rendered(notice).items():
        for fact in [
            "orders-daily",
            "orders",
            "2026-03-01",
            "2026-03-02 07:00 UTC",
            "orders-team",
            "jane@company.com",
            "finance",
            "ml-platform",
            ASSET,
        ]:
            assert fact in text, f"{channel} does not name {fact}"


def test_a_check_notice_names_its_rule_on_every_channel(alerts_mesh: Mesh) -> None:
    notice = Notice(incident=check_failed(alerts_mesh), event="opened", at=T0)
    for channel, text in rendered(notice).items():
        for fact in ["revenue_usd_non_negative", "2026-03-01", "jane@company.com", "finance"]:
            assert fact in text, f"{channel} does not name {fact}"


def test_the_headline_and_summary(alerts_mesh: Mesh) -> None:
    opened = Notice(incident=sla_missed(alerts_mesh), event="opened", at=T0)
    assert headline(opened) == "[orders] SLA missed: orders-daily 2026-03-01"
    assert summary(opened) == (
        "Partition 2026-03-01 of orders-daily was not published by its deadline, "
        "2026-03-02 07:00 UTC."
    )
    resolved = Notice(
        incident=sla_missed(alerts_mesh),
        event="resolved",
        at=T0 + timedelta(minutes=40),
        resolution={"late_by": "40m"},
    )
    assert headline(resolved) == "[orders] Resolved: SLA missed: orders-daily 2026-03-01"
    assert summary(resolved) == (
        "Partition 2026-03-01 of orders-daily was published at 2026-03-02 07:40 UTC, "
        "after its deadline of 2026-03-02 07:00 UTC."
    )
    check = Notice(incident=check_failed(alerts_mesh), event="opened", at=T0)
    assert headline(check) == (
        "[orders] Quality check failed (revenue_usd_non_negative): orders-daily 2026-03-01"
    )
    assert summary(check) == (
        "Quality check revenue_usd_non_negative (warn) failed on partition 2026-03-01 "
        "of orders-daily."
    )


def test_the_plain_text(alerts_mesh: Mesh) -> None:
    notice = Notice(incident=check_failed(alerts_mesh), event="opened", at=T0)
    assert plain_text(notice) == (
        "Quality check revenue_usd_non_negative (warn) failed on partition 2026-03-01 of "
        "orders-daily.\n"
        "\n"
        "Product:             orders-daily\n"
        "Domain:              orders\n"
        "Partition:           2026-03-01\n"
        "Rule:                revenue_usd_non_negative\n"
        "Severity:            warn (low urgency)\n"
        "Owner:               orders-team\n"
        "Steward:             jane@company.com\n"
        "Consumers affected:  finance, ml-platform\n"
        "Downstream products: revenue-monthly\n"
        "Opened:              2026-03-02 06:05 UTC\n"
        "failed_rows:         3\n"
        "rows:                1200\n"
        f"Asset page:          {ASSET}\n"
        "\n"
        f"Incident key: {notice.dedup_key}\n"
    )


def test_times_are_shown_in_the_sla_timezone(alerts_mesh: Mesh) -> None:
    berlin = sla_missed(alerts_mesh).model_copy(
        update={
            "timezone": "Europe/Berlin",
            "deadline": datetime(2026, 3, 29, 7, 0, tzinfo=ZoneInfo("Europe/Berlin")),
        }
    )
    rows = dict(facts(Notice(incident=berlin, event="opened", at=T0)))
    assert rows["Deadline"] == "2026-03-29 07:00 CEST"


def test_the_pagerduty_events(alerts_mesh: Mesh) -> None:
    incident = sla_missed(alerts_mesh)
    trigger = pagerduty_event(Notice(incident=incident, event="opened", at=T0), ROUTING_KEY)
    assert {key: trigger[key] for key in ("routing_key", "event_action", "dedup_key")} == {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": incident.dedup_key,
    }
    payload = trigger["payload"]
    assert payload["severity"] == "error"
    assert payload["source"] == "mesh-dagster:orders/orders-daily"
    assert payload["timestamp"] == "2026-03-02T07:00:00Z"
    assert payload["custom_details"]["Steward"] == "jane@company.com"
    assert trigger["links"] == [{"href": ASSET, "text": "orders-daily: asset page"}]
    resolve = pagerduty_event(Notice(incident=incident, event="resolved", at=T0), ROUTING_KEY)
    assert resolve == {
        "routing_key": ROUTING_KEY,
        "event_action": "resolve",
        "dedup_key": incident.dedup_key,
    }
    warn = pagerduty_event(
        Notice(incident=check_failed(alerts_mesh), event="opened", at=T0), ROUTING_KEY
    )
    assert warn["payload"]["severity"] == "warning"


def test_the_webhook_carries_the_whole_incident(alerts_mesh: Mesh) -> None:
    incident = check_failed(alerts_mesh)
    payload = webhook_payload(Notice(incident=incident, event="opened", at=T0))
    assert payload["incident"] == {
        "product": "orders-daily",
        "domain": "orders",
        "partition": "2026-03-01",
        "kind": "check_failed",
        "rule": "revenue_usd_non_negative",
        "severity": "warn",
        "opened_at": "2026-03-02T06:05:00Z",
        "deadline": None,
        "timezone": "UTC",
        "details": {"failed_rows": 3, "rows": 1200},
        "waiting_for": [],
    }
    assert {key: payload[key] for key in ("event", "at", "dedup_key", "urgency")} == {
        "event": "opened",
        "at": "2026-03-02T07:00:00Z",
        "dedup_key": incident.dedup_key,
        "urgency": "low",
    }
    assert payload["consumers"] == ["finance", "ml-platform"]
    assert payload["asset_url"] == ASSET


def test_slack_blocks(alerts_mesh: Mesh) -> None:
    message = slack_message(Notice(incident=sla_missed(alerts_mesh), event="opened", at=T0))
    kinds = [block["type"] for block in message["blocks"]]
    assert kinds == ["header", "section", "section", "section", "actions", "context"]
    assert message["blocks"][0]["text"]["text"] == (
        ":red_circle: [orders] SLA missed: orders-daily 2026-03-01"
    )
    assert all(len(block.get("fields", [])) <= 10 for block in message["blocks"])
    assert message["blocks"][4]["elements"][0]["url"] == ASSET


def test_the_email_threads_the_recovery_under_the_opening(alerts_mesh: Mesh) -> None:
    incident = sla_missed(alerts_mesh)
    opened = email_message(Notice(incident=incident, event="opened", at=T0), "a@b.c", ("x@y.z",))
    resolved = email_message(
        Notice(incident=incident, event="resolved", at=T0 + timedelta(hours=1)), "a@b.c", ()
    )
    assert resolved["In-Reply-To"] == opened["Message-ID"]
    assert resolved["To"] == "undisclosed-recipients:;"
    assert opened["X-Mesh-Incident"] == incident.dedup_key


def test_no_message_holds_a_contact_address_or_a_secret(alerts_mesh: Mesh) -> None:
    for incident in (sla_missed(alerts_mesh), check_failed(alerts_mesh)):
        for event in ("opened", "resolved"):
            notice = Notice(incident=incident, event=event, at=T0)  # type: ignore[arg-type]
            for channel, text in rendered(notice).items():
                # consumers' contacts route e-mail; they are never shown
                assert "finance-data@company.com" not in text, channel
                assert "ml@company.com" not in text, channel
                if channel != "pagerduty":  # the routing key is PagerDuty's own field
                    assert ROUTING_KEY not in text, channel


def test_details_hold_figures_only(alerts_mesh: Mesh) -> None:
    with pytest.raises(ValidationError):
        sla_missed(alerts_mesh).model_validate(
            {**sla_missed(alerts_mesh).model_dump(), "details": {"sample": ["alice@example.com"]}}
        )


SECRET_URL = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"


@pytest.mark.parametrize(
    "sender",
    [
        SlackSender(name="s", webhook_url=SECRET_URL),
        WebhookSender(name="w", url=SECRET_URL),
        PagerDutySender(name="p", routing_key=ROUTING_KEY),
        EmailSender(name="e", to=("a@b.c",), host="smtp", username="u", password="hunter2-pw"),
    ],
)
def test_senders_do_not_show_their_secrets(sender: Any) -> None:
    text = repr(sender) + str(sender)
    for secret in (SECRET_URL, "SECRETSECRET", ROUTING_KEY, "hunter2-pw"):
        assert secret not in text
    message = (
        "HTTPSConnectionPool: Max retries exceeded with url: /services/T000/B000/SECRETSECRET "
        f"{ROUTING_KEY} hunter2-pw"
    )
    redacted = sender.redact(message)
    for secret in sender.secrets:
        assert secret not in redacted
    assert "***" in redacted


UPSTREAM = (
    "https://dagster.company.com/assets/orders/orders-daily?view=partitions&partition=2026-03-01"
)


def waiting_miss(mesh: Mesh) -> Incident:
    waiting = upstream_periods(
        mesh,
        [
            MissingInput("orders-daily", "2026-03-01", True),
            MissingInput("x-gone", "2026-03-01", False),
        ],
        "https://dagster.company.com/",
    )
    incident = incident_for(
        mesh,
        mesh.product("revenue-monthly"),
        "sla_missed",
        opened_at=T0,
        partition="2026-03-01",
        deadline=T0,
        dagster_url="https://dagster.company.com",
    )
    return incident.model_copy(update={"waiting_for": waiting})


def test_an_sla_miss_names_the_input_it_waited_for_and_links_it(alerts_mesh: Mesh) -> None:
    incident = waiting_miss(alerts_mesh)
    assert incident.waiting_for == (
        UpstreamPeriod(product="orders-daily", partition="2026-03-01", missed=True, url=UPSTREAM),
        UpstreamPeriod(product="x-gone", partition="2026-03-01", missed=False, url=None),
    )
    opened = Notice(incident=incident, event="opened", at=T0)
    assert summary(opened) == (
        "Partition 2026-03-01 of revenue-monthly was not published by its deadline, "
        "2026-03-02 07:00 UTC; waiting for orders-daily 2026-03-01, itself missed; "
        "x-gone 2026-03-01."
    )
    resolved = Notice(incident=incident, event="resolved", at=T0 + timedelta(hours=2))
    assert summary(resolved) == (
        "Partition 2026-03-01 of revenue-monthly was published at 2026-03-02 09:00 UTC, after "
        "its deadline of 2026-03-02 07:00 UTC; it had waited for orders-daily 2026-03-01, "
        "itself missed; x-gone 2026-03-01."
    )
    rows = dict(facts(opened))
    assert rows["Waiting for"] == "orders-daily 2026-03-01, itself missed; x-gone 2026-03-01"
    assert rows["Upstream orders-daily 2026-03-01"] == UPSTREAM
    assert "Upstream x-gone 2026-03-01" not in rows
    for channel, text in rendered(opened).items():
        assert "waiting for orders-daily 2026-03-01, itself missed" in text, channel
        assert UPSTREAM.replace("&", "&amp;" if channel == "email html" else "&") in text, channel
    assert webhook_payload(opened)["incident"]["waiting_for"][0] == {
        "product": "orders-daily",
        "partition": "2026-03-01",
        "missed": True,
        "url": UPSTREAM,
    }
    html = email_message(opened, "a@b.c", ()).get_body(("html",))
    assert html is not None
    assert f'<a href="{UPSTREAM.replace("&", "&amp;")}">' in html.get_content()
