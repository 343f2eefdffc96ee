"""The platform policy (``kind: MeshPolicy``): global rules, defaults and alert channels."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from mesh_dagster.spec import values
from mesh_dagster.spec.models import StrictModel


def _share(value: Any) -> Any:
    return None if value is None else values.parse_share(value)


class PolicyDefaults(StrictModel):
    """Platform defaults for fields a spec leaves out."""

    timezone: str = Field(default="UTC", description="Default timezone of schedules and SLAs.")
    availability_target: float | None = Field(
        default=None, description="Default availability target (`99.5%`)."
    )
    dagster_url: str = Field(
        default="http://127.0.0.1:3000",
        description="Base URL of the Dagster UI, for links in alerts and docs.",
    )

    _timezone = field_validator("timezone")(values.check_timezone)
    _target = field_validator("availability_target", mode="before")(_share)


class PolicyRules(StrictModel):
    """Rules every spec must satisfy; all optional, so a domain can tighten some."""

    steward_email_domains: list[str] | None = Field(
        default=None, description="E-mail domains a steward's address may use."
    )
    min_consumers: int | None = Field(default=None, ge=0, description="Minimum consumers.")
    pii_requires_handling: bool | None = Field(
        default=None, description="Every `pii: true` column must declare `pii_handling`."
    )
    max_freshness_sla_hours: float | None = Field(
        default=None, gt=0, description="Largest allowed `freshness_sla_hours`."
    )
    min_availability_target: float | None = Field(
        default=None, description="Lowest allowed `availability_target`."
    )
    output_formats: list[Literal["delta"]] | None = Field(
        default=None, description="Allowed output formats."
    )
    output_locations: str | None = Field(
        default=None,
        description="Prefix every output location must start with; `{domain}` is replaced.",
    )
    required_tags: list[str] | None = Field(
        default=None, description="Tag keys every product must set."
    )

    _target = field_validator("min_availability_target", mode="before")(_share)


class DomainPolicy(StrictModel):
    """A domain's alert channels and its tightened rules."""

    alert_channels: list[str] = Field(default_factory=list, description="Default channels.")
    rules: PolicyRules = Field(
        default_factory=PolicyRules, description="Rules that tighten the global ones."
    )


class SlackChannel(StrictModel):
    """A Slack incoming webhook."""

    kind: Literal["slack"] = Field(description="`slack`.")
    webhook_url_env: str = Field(description="Environment variable holding the webhook URL.")


class WebhookChannel(StrictModel):
    """A generic JSON webhook."""

    kind: Literal["webhook"] = Field(description="`webhook`.")
    url_env: str = Field(description="Environment variable holding the URL.")


class PagerDutyChannel(StrictModel):
    """PagerDuty Events API v2."""

    kind: Literal["pagerduty"] = Field(description="`pagerduty`.")
    routing_key_env: str = Field(description="Environment variable holding the routing key.")
    events_url: str = Field(
        default="https://events.pagerduty.com/v2/enqueue", description="Events API endpoint."
    )
    events_url_env: str | None = Field(
        default=None, description="Environment variable overriding `events_url`."
    )


class EmailChannel(StrictModel):
    """E-mail over SMTP."""

    kind: Literal["email"] = Field(description="`email`.")
    to: list[str] = Field(min_length=1, description="Recipient addresses.")
    smtp_host_env: str = Field(description="Environment variable holding the SMTP host.")
    smtp_port_env: str | None = Field(
        default=None, description="Environment variable holding the SMTP port (default 25)."
    )
    from_address: str = Field(default="mesh-dagster@localhost", description="Sender address.")
    starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")
    username_env: str | None = Field(default=None, description="Variable with the SMTP user.")
    password_env: str | None = Field(default=None, description="Variable with the password.")


AlertChannel = Annotated[
    SlackChannel | WebhookChannel | PagerDutyChannel | EmailChannel,
    Field(discriminator="kind"),
]


class MeshPolicy(StrictModel):
    """The mesh-wide policy: one optional `specs/mesh.yaml`."""

    api_version: Literal["dataproduct/v1"] = Field(
        alias="apiVersion", description="Spec language version: `dataproduct/v1`."
    )
    kind: Literal["MeshPolicy"] = Field(description="`MeshPolicy`.")
    defaults: PolicyDefaults = Field(default_factory=PolicyDefaults, description="Defaults.")
    rules: PolicyRules = Field(default_factory=PolicyRules, description="Global rules.")
    domains: dict[str, DomainPolicy] = Field(
        default_factory=dict, description="Per-domain channels and tightened rules."
    )
    alert_channels: dict[str, AlertChannel] = Field(
        default_factory=dict, description="Named alert channels."
    )
