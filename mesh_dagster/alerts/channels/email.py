"""E-mail over SMTP: plain text with an HTML alternative; optional STARTTLS and login.

A route's ``bcc`` addresses (consumers who opted in, or the steward) are envelope
recipients only, so nobody sees who else was told.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import ClassVar

from mesh_dagster.alerts.channels.base import ChannelKind, DeliveryError, Sender
from mesh_dagster.alerts.incidents import Notice, Route
from mesh_dagster.alerts.messages import headline, html_text, plain_text

DEFAULT_PORT = 25
MESSAGE_ID_DOMAIN = "mesh-dagster"


def message_id(notice: Notice, event: str | None = None) -> str:
    """Return the Message-ID of a notice: the same for every retry of the same notice.

    Mail systems that drop repeated Message-IDs then also drop an at-least-once duplicate;
    the recovery notice refers to the opening one, so mail clients thread them.
    """
    opened = int(notice.incident.opened_at.timestamp())
    return f"<{notice.dedup_key}.{opened}.{event or notice.event}@{MESSAGE_ID_DOMAIN}>"


def email_message(notice: Notice, sender: str, to: tuple[str, ...]) -> EmailMessage:
    """Return the e-mail of ``notice`` from ``sender`` to the visible recipients ``to``."""
    message = EmailMessage()
    message["Subject"] = headline(notice)
    message["From"] = sender
    message["To"] = ", ".join(to) if to else "undisclosed-recipients:;"
    message["Date"] = format_datetime(notice.at)
    message["Message-ID"] = message_id(notice)
    if notice.event == "resolved":
        message["In-Reply-To"] = message["References"] = message_id(notice, "opened")
    message["X-Mesh-Incident"] = notice.dedup_key
    message["X-Mesh-Urgency"] = notice.incident.urgency
    message.set_content(plain_text(notice))
    message.add_alternative(html_text(notice), subtype="html")
    return message


@dataclass(frozen=True, kw_only=True)
class EmailSender(Sender):
    """Sends notices through an SMTP server."""

    kind: ClassVar[ChannelKind] = "email"

    to: tuple[str, ...]
    host: str
    port: int = DEFAULT_PORT
    from_address: str = "mesh-dagster@localhost"
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)
    """Context for STARTTLS; default: the system's trusted certificates."""

    @property
    def secrets(self) -> tuple[str, ...]:
        """Return the SMTP password, if any."""
        return (self.password,) if self.password else ()

    def recipients(self, route: Route) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return the visible (To) and the envelope recipients of a notice on ``route``."""
        visible = self.to if route.channel_recipients else ()
        envelope = tuple(dict.fromkeys(visible + route.bcc))
        return visible, envelope

    def send(self, notice: Notice, route: Route) -> str | None:
        """Send the e-mail; raise DeliveryError unless the server accepts a recipient.

        When the server refuses some recipients but not all, the e-mail counts as sent
        (sending again would repeat it to the others) and the refusal is the returned note.
        """
        visible, envelope = self.recipients(route)
        if not envelope:
            return "no recipients on this route"
        message = email_message(notice, self.from_address, visible)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=self.tls_context or ssl.create_default_context())
                if self.username is not None and self.password is not None:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(message, self.from_address, list(envelope))
        except smtplib.SMTPResponseException as error:
            # 4xx replies are temporary by SMTP's own definition; 5xx are refusals.
            reason = self.redact(f"{error.smtp_code} {_reply(error.smtp_error)}")
            raise DeliveryError(
                f"email channel '{self.name}': the SMTP server answered {reason}",
                transient=error.smtp_code < 500,
            ) from None
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(
                f"email channel '{self.name}': the SMTP server refused all "
                f"{len(error.recipients)} recipients",
                transient=False,
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            reason = self.redact(f"{type(error).__name__}: {error}")
            raise DeliveryError(f"email channel '{self.name}': {reason}") from None
        if refused:
            return f"the SMTP server refused {len(refused)} of {len(envelope)} recipients"
        return None


def _reply(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(text.split())[:200]
