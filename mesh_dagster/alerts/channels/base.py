"""What every channel sender is: a name, a kind, and ``send`` that raises ``DeliveryError``.

Senders hold secrets (webhook URLs, routing keys, passwords). They never show them: their
``repr`` leaves them out, and every error text passes through ``redact`` first.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import requests

from mesh_dagster.alerts.incidents import Notice, Route

ChannelKind = Literal["slack", "webhook", "pagerduty", "email"]
REDACTED = "***"
DEFAULT_TIMEOUT = 10.0
"""Seconds a send may take: well inside Dagster's 60 s sensor tick, even with a few channels."""


class DeliveryError(Exception):
    """A notice could not be delivered; the text holds no secret.

    ``transient`` errors (network, 5xx, 429) are retried with backoff; others (the receiver
    refused the message or the credentials) are retried only at the longest delay.
    """

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


def secret_fragments(secret: str) -> list[str]:
    """Return the parts of a secret that can show up in error texts on their own.

    For a URL that is the URL, and its path and query (libraries print ``url: /path``).
    """
    fragments = [secret]
    if secret.startswith(("http://", "https://")):
        parts = urlsplit(secret)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if len(path) > 1:
            fragments.append(path)
        if parts.query:
            fragments.append(parts.query)
        if parts.password:
            fragments.append(parts.password)
    return [fragment for fragment in fragments if len(fragment) >= 4]


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Return ``text`` with every fragment of every secret replaced by ``***``."""
    fragments = sorted(
        {fragment for secret in secrets if secret for fragment in secret_fragments(secret)},
        key=len,
        reverse=True,
    )
    for fragment in fragments:
        text = text.replace(fragment, REDACTED)
    return text


@dataclass(frozen=True, kw_only=True)
class Sender(ABC):
    """A ready channel: everything resolved from mesh.yaml and the environment.

    Subclasses keep their secrets in fields declared with ``repr=False`` and list them in
    ``secrets``.
    """

    kind: ClassVar[ChannelKind]
    pages: ClassVar[bool] = False
    """Whether the channel pages someone (then low-urgency notices never go to it)."""

    name: str
    timeout: float = DEFAULT_TIMEOUT

    @property
    @abstractmethod
    def secrets(self) -> tuple[str, ...]:
        """Return the secret values this sender holds."""

    @abstractmethod
    def send(self, notice: Notice, route: Route) -> str | None:
        """Deliver ``notice``; raise ``DeliveryError`` when it was not accepted.

        Return a note for the delivery report when it was accepted with a reservation.
        """

    def redact(self, text: str) -> str:
        """Return ``text`` without this sender's secrets."""
        return redact_text(text, self.secrets)


def post_json(sender: Sender, url: str, payload: dict[str, Any]) -> requests.Response:
    """POST ``payload`` as JSON to ``url``; return the 2xx response or raise DeliveryError."""
    try:
        response = requests.post(url, json=payload, timeout=sender.timeout)
    except requests.RequestException as error:
        reason = sender.redact(f"{type(error).__name__}: {error}")
        raise DeliveryError(f"{sender.kind} channel '{sender.name}': {reason}") from None
    if 200 <= response.status_code < 300:
        return response
    body = sender.redact(" ".join(response.text.split())[:200])
    transient = response.status_code >= 500 or response.status_code in (408, 429)
    raise DeliveryError(
        f"{sender.kind} channel '{sender.name}' answered HTTP {response.status_code}"
        + (f": {body}" if body else ""),
        transient=transient,
    )
