"""Every channel against a real local receiver; time is driven by explicit instants."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta

import pytest
from fixtures.receivers import HttpReceiver, SmtpReceiver, SmtpServerFactory

from mesh_dagster.alerts import (
    IncidentBook,
    Notice,
    ResolvedChannels,
    deliver,
    incident_for,
    resolve_channels,
)
from mesh_dagster.alerts.channels import (
    EmailSender,
    pagerduty_event,
    slack_message,
    webhook_payload,
)
from mesh_dagster.alerts.incidents import Incident, Route
from mesh_dagster.spec import Mesh

pytestmark = [
    pytest.mark.integration,
    # a login test without TLS: aiosmtpd warns about it in its server thread
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
SLACK = "/slack/services/T0/B0/SLACKSECRET"
HOOK = "/hooks/platform?token=HOOKSECRET"
PAGERDUTY = "/pagerduty/v2/enqueue"
ROUTING_KEY = "PDROUTINGKEY0123456789"


def environ(http: HttpReceiver, smtp: SmtpReceiver) -> dict[str, str]:
    return {
        "ORDERS_SLACK_WEBHOOK_URL": http.url(SLACK),
        "PLATFORM_ALERTS_WEBHOOK_URL": http.url(HOOK),
        "ORDERS_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        "ORDERS_PAGERDUTY_EVENTS_URL": http.url(PAGERDUTY),
        "MESH_SMTP_HOST": smtp.host,
        "MESH_SMTP_PORT": str(smtp.port),
        "MESH_DAGSTER_URL": "https://dagster.company.com",
    }


@pytest.fixture
def channels(
    alerts_mesh: Mesh, http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver
) -> ResolvedChannels:
    http_receiver.answer(PAGERDUTY, 202)  # what PagerDuty answers
    return resolve_channels(alerts_mesh, environ(http_receiver, smtp_receiver), production=True)


def sla_missed(mesh: Mesh, partition: str = "2026-03-01") -> Incident:
    return incident_for(
        mesh,
        mesh.product("orders-daily"),
        "sla_missed",
        opened_at=T0,
        partition=partition,
        deadline=T0,
        dagster_url="https://dagster.company.com",
    )


def test_each_channel_delivers_its_payload(
    alerts_mesh: Mesh,
    channels: ResolvedChannels,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
) -> None:
    assert channels.warnings == []
    incident = sla_missed(alerts_mesh)
    book, notices = IncidentBook().open(incident)
    book, report = deliver(book, channels.senders, T0)
    assert [(o.channel, o.status) for o in report.outcomes] == [
        ("orders-slack", "sent"),
        ("orders-pagerduty", "sent"),
        ("orders-email", "sent"),
        ("platform-webhook", "sent"),
    ]
    notice = notices[0]
    assert http_receiver.accepted(SLACK) == [slack_message(notice)]
    assert http_receiver.accepted(HOOK) == [webhook_payload(notice)]
    assert http_receiver.accepted(PAGERDUTY) == [pagerduty_event(notice, ROUTING_KEY)]
    [(envelope, message)] = smtp_receiver.messages
    # the channel's own recipient sees the mail; the opted-in consumer gets it by Bcc
    assert envelope.rcpt_tos == ["orders-oncall@company.com", "finance-data@company.com"]
    assert envelope.mail_from == "mesh-alerts@company.com"
    assert message["To"] == "orders-oncall@company.com"
    assert message["Subject"] == "[orders] SLA missed: orders-daily 2026-03-01"
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    assert "https://dagster.company.com/assets/orders/orders-daily" in plain.get_content()
    assert '<a href="https://dagster.company.com/assets/orders/orders-daily">' in (
        html.get_content()
    )
    assert "finance-data@company.com" not in message.as_string()


def test_pagerduty_triggers_then_resolves_with_one_dedup_key(
    alerts_mesh: Mesh, channels: ResolvedChannels, http_receiver: HttpReceiver
) -> None:
    incident = sla_missed(alerts_mesh)
    book, _ = IncidentBook().open(incident)
    book, _ = deliver(book, channels.senders, T0)
    for minute in range(1, 40, 5):  # many ticks while the incident stays open
        book, report = deliver(book, channels.senders, T0 + timedelta(minutes=minute))
        assert report.outcomes == ()
    book, _ = book.resolve(incident.dedup_key, T0 + timedelta(minutes=40), {"late_by": "40m"})
    book, report = deliver(book, channels.senders, T0 + timedelta(minutes=41))
    assert len(report.sent) == 4
    events = http_receiver.accepted(PAGERDUTY)
    assert [(e["event_action"], e["dedup_key"]) for e in events] == [
        ("trigger", incident.dedup_key),
        ("resolve", incident.dedup_key),
    ]
    assert book.to_json() == "{}"


def test_a_receiver_failing_twice_gets_the_message_once(
    alerts_mesh: Mesh, channels: ResolvedChannels, http_receiver: HttpReceiver
) -> None:
    http_receiver.fail(SLACK, times=2, status=500)
    book, _ = IncidentBook().open(sla_missed(alerts_mesh))
    outcomes = []
    for second in (0, 10, 30, 60, 90, 120, 600, 3600):
        book = IncidentBook.from_json(book.to_json())  # each tick starts from the cursor
        book, report = deliver(book, channels.senders, T0 + timedelta(seconds=second))
        outcomes += [(second, o.status) for o in report.outcomes if o.channel == "orders-slack"]
    assert outcomes == [(0, "failed"), (30, "failed"), (90, "sent")]
    assert [item.status for item in http_receiver.received(SLACK)] == [500, 500, 200]
    assert len(http_receiver.accepted(SLACK)) == 1
    assert len(http_receiver.accepted(HOOK)) == 1


def test_a_failing_channel_does_not_block_the_others(
    alerts_mesh: Mesh,
    channels: ResolvedChannels,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
) -> None:
    http_receiver.fail(HOOK, times=1000, status=503)
    book = IncidentBook()
    for partition in ("2026-03-01", "2026-03-02"):
        book, _ = book.open(sla_missed(alerts_mesh, partition))
    book, report = deliver(book, channels.senders, T0)
    assert [o.status for o in report.outcomes if o.channel == "platform-webhook"] == ["failed"]
    assert len(http_receiver.received(HOOK)) == 1  # one try per tick for a failing channel
    assert len(http_receiver.accepted(SLACK)) == 2
    assert len(http_receiver.accepted(PAGERDUTY)) == 2
    assert len(smtp_receiver.messages) == 2
    [failed] = report.failed
    assert failed.detail == "webhook channel 'platform-webhook' answered HTTP 503: server error"


def test_an_unreachable_channel_fails_without_showing_its_secret(alerts_mesh: Mesh) -> None:
    closed = {
        "ORDERS_SLACK_WEBHOOK_URL": "http://127.0.0.1:9/services/T0/B0/SLACKSECRET",
        "PLATFORM_ALERTS_WEBHOOK_URL": "http://127.0.0.1:9/hook?token=HOOKSECRET",
        "ORDERS_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        "ORDERS_PAGERDUTY_EVENTS_URL": "http://127.0.0.1:9/v2/enqueue",
        "MESH_SMTP_HOST": "127.0.0.1",
        "MESH_SMTP_PORT": "9",
    }
    senders, _ = resolve_channels(alerts_mesh, closed, production=True)
    book, _ = IncidentBook().open(sla_missed(alerts_mesh))
    book, report = deliver(book, senders, T0)
    assert [o.status for o in report.outcomes] == ["failed"] * 4
    text = "\n".join(report.lines()) + book.to_json()
    for secret in ("SLACKSECRET", "HOOKSECRET", ROUTING_KEY):
        assert secret not in text
    assert "ConnectionError" in report.outcomes[0].detail  # type: ignore[operator]


def test_email_with_starttls_and_login(alerts_mesh: Mesh, smtp_server: SmtpServerFactory) -> None:
    server = smtp_server(starttls=True, login=("mesh", "SMTPPASSWORD"))
    assert server.ca_file is not None
    sender = EmailSender(
        name="orders-email",
        to=("orders-oncall@company.com",),
        host=server.host,
        port=server.port,
        starttls=True,
        username="mesh",
        password="SMTPPASSWORD",
        tls_context=ssl.create_default_context(cafile=str(server.ca_file)),
    )
    notice = Notice(incident=sla_missed(alerts_mesh), event="opened", at=T0)
    assert sender.send(notice, Route(channel="orders-email")) is None
    assert server.logins == ["mesh"]
    assert server.recipients() == [["orders-oncall@company.com"]]


def test_a_wrong_smtp_password_is_refused_and_not_shown(
    alerts_mesh: Mesh, smtp_server: SmtpServerFactory
) -> None:
    server = smtp_server(login=("mesh", "right-password"))
    sender = EmailSender(
        name="orders-email",
        to=("orders-oncall@company.com",),
        host=server.host,
        port=server.port,
        username="mesh",
        password="WRONGPASSWORD",
    )
    book, _ = IncidentBook().open(
        sla_missed(alerts_mesh).model_copy(
            update={
                "audience": sla_missed(alerts_mesh).audience.model_copy(
                    update={"routes": (Route(channel="orders-email"),)}
                )
            }
        )
    )
    book, report = deliver(book, {"orders-email": sender}, T0)
    [failed] = report.failed
    assert failed.detail is not None and failed.detail.startswith(
        "email channel 'orders-email': the SMTP server answered 535"
    )
    assert "WRONGPASSWORD" not in failed.detail
    # a refusal is retried only at the longest delay, in case the secret is fixed
    assert failed.next_attempt_at == T0 + timedelta(hours=1)
    assert server.messages == []


def test_consumers_only_mail_goes_to_them_alone(
    alerts_mesh: Mesh, channels: ResolvedChannels, smtp_receiver: SmtpReceiver
) -> None:
    sender = channels.senders["orders-email"]
    route = Route(
        channel="orders-email", bcc=("finance-data@company.com",), channel_recipients=False
    )
    notice = Notice(incident=sla_missed(alerts_mesh), event="opened", at=T0)
    sender.send(notice, route)
    [(envelope, message)] = smtp_receiver.messages
    assert envelope.rcpt_tos == ["finance-data@company.com"]
    assert message["To"] == "undisclosed-recipients:;"
