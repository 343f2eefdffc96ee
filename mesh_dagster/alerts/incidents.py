"""Incidents and the notices they give: plain, serialisable facts, no I/O.

An incident is one (product, partition, kind[, rule]); it is told to its channels once when
it opens and once when it resolves. It also carries its *audience* (owner, steward,
consumers, the asset link and the channels it is routed to), fixed when it opens, so
delivering a notice later needs neither the specs nor the environment.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

IncidentKind = Literal["sla_missed", "check_failed", "run_failed"]
Severity = Literal["error", "warn"]
Urgency = Literal["high", "low"]
NoticeEvent = Literal["opened", "resolved"]
Figure = str | int | float | bool | None
"""A value in an incident's details: counts, shares, ids; never a row value of the data."""


class AlertModel(BaseModel):
    """Base of the alert models: immutable, and unknown keys are errors (they are stored)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Route(AlertModel):
    """One channel an incident is told to, with the extra e-mail recipients it adds."""

    channel: str = Field(description="Name of the channel in mesh.yaml `alert_channels`.")
    bcc: tuple[str, ...] = Field(
        default=(),
        description="Extra addresses (opted-in consumers, the steward); e-mail channels only.",
    )
    channel_recipients: bool = Field(
        default=True,
        description="Whether the channel's own `to` get it; false: only `bcc` (e-mail).",
    )


class Audience(AlertModel):
    """Who an incident concerns and where it is told, resolved from the mesh when it opens."""

    owner: str = Field(default="", description="Owning team.")
    steward: str = Field(default="", description="Accountable person's e-mail.")
    consumers: tuple[str, ...] = Field(default=(), description="Consuming teams affected.")
    downstream: tuple[str, ...] = Field(
        default=(), description="Products that read this one, directly or transitively."
    )
    asset_url: str | None = Field(default=None, description="The asset in the Dagster UI.")
    routes: tuple[Route, ...] = Field(default=(), description="Channels told, in order.")


class UpstreamPeriod(AlertModel):
    """An input period an SLA miss waited for: not published by the deadline."""

    product: str = Field(description="Input product name.")
    partition: str = Field(description="Its period's partition key.")
    missed: bool = Field(
        default=False, description="Whether it is itself missed (its own deadline passed)."
    )
    url: str | None = Field(default=None, description="Its partition in the Dagster UI.")

    def __str__(self) -> str:
        return f"{self.product} {self.partition}"


class Incident(AlertModel):
    """One problem of one product (and partition) that its owners must hear about."""

    product: str = Field(description="Product name.")
    domain: str = Field(description="Owning domain.")
    partition: str | None = Field(default=None, description="Partition key, if partitioned.")
    kind: IncidentKind = Field(description="`sla_missed`, `check_failed` or `run_failed`.")
    rule: str | None = Field(default=None, description="Failing check name (`check_failed`).")
    severity: Severity = Field(default="error", description="`error` (pages) or `warn`.")
    opened_at: AwareDatetime = Field(description="When the incident was detected.")
    deadline: AwareDatetime | None = Field(default=None, description="The missed SLA deadline.")
    timezone: str = Field(default="UTC", description="Timezone in which times are shown.")
    details: dict[str, Figure] = Field(
        default_factory=dict, description="Figures (counts, shares, run id); never row values."
    )
    audience: Audience = Field(default_factory=Audience, description="Who hears about it.")
    waiting_for: tuple[UpstreamPeriod, ...] = Field(
        default=(), description="`sla_missed`: input periods not published by the deadline."
    )

    @model_validator(mode="after")
    def _rule_for_checks(self) -> Incident:
        if self.kind == "check_failed" and not self.rule:
            raise ValueError("a 'check_failed' incident needs the name of the failing rule")
        return self

    @property
    def dedup_key(self) -> str:
        """Return the stable key of (product, partition, kind, rule): 32 hex characters."""
        return dedup_key(self.product, self.partition, self.kind, self.rule)

    @property
    def urgency(self) -> Urgency:
        """Return `high` for error incidents (may page), `low` for warn (chat and e-mail)."""
        return "high" if self.severity == "error" else "low"

    def route(self, channel: str) -> Route | None:
        """Return the route of ``channel`` for this incident, if it is told there."""
        return next((route for route in self.audience.routes if route.channel == channel), None)


class Notice(AlertModel):
    """One thing to tell: an incident opened or resolved, at an instant."""

    incident: Incident = Field(description="The incident.")
    event: NoticeEvent = Field(description="`opened` or `resolved`.")
    at: AwareDatetime = Field(description="When it opened or resolved.")
    resolution: dict[str, Figure] = Field(
        default_factory=dict, description="Figures of the recovery (e.g. `late_by`)."
    )

    @property
    def dedup_key(self) -> str:
        """Return the incident's dedup key."""
        return self.incident.dedup_key


def dedup_key(product: str, partition: str | None, kind: str, rule: str | None) -> str:
    """Return the stable dedup key of an incident (SHA-256 of its identity, 32 hex chars)."""
    identity = json.dumps([product, partition, kind, rule], separators=(",", ":"))
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]


def as_utc_text(moment: datetime) -> str:
    """Return an aware instant as ISO 8601 text in UTC (``2026-03-02T07:00:00Z``)."""
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"
