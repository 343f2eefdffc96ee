"""The platform policy (``kind: MeshPolicy``): global rules, defaults and alert channels."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator

from mesh_dagster.spec import locations, values
from mesh_dagster.spec.errors import HintedValueError
from mesh_dagster.spec.models import StrictModel


def _share(value: Any) -> Any:
    return None if value is None else values.parse_share(value)


def _location_prefix(value: str | None) -> str | None:
    # '{domain}' may stand anywhere, even in the bucket's name: check a sample domain.
    if value is not None:
        locations.check_prefix(value.replace("{domain}", "domain"))
    return value


class PolicyDefaults(StrictModel):
    """Platform defaults for fields a spec leaves out."""

    timezone: str = Field(
        default="UTC", description="Timezone of schedules and SLAs that name none."
    )
    availability_target: float | None = Field(
        default=None, description="Availability target of products that set none (`99.5%`)."
    )
    dagster_url: str = Field(
        default="http://127.0.0.1:3000",
        description="Base URL of the Dagster UI, for links in alerts and docs.",
    )

    _timezone = field_validator("timezone")(values.check_timezone)
    _target = field_validator(
        "availability_target", mode="before", json_schema_input_type=values.ShareInput | None
    )(_share)


class PolicyRules(StrictModel):
    """Rules every spec must satisfy; all optional, so a domain can tighten some."""

    steward_email_domains: list[str] | None = Field(
        default=None, description="E-mail domains a steward's address may use (`company.com`)."
    )
    min_consumers: int | None = Field(
        default=None, ge=0, description="Minimum number of entries in `spec.consumers`."
    )
    pii_requires_handling: bool | None = Field(
        default=None, description="Whether every `pii: true` column must declare `pii_handling`."
    )
    max_freshness_sla_hours: float | None = Field(
        default=None,
        gt=0,
        description="Largest `quality.freshness_sla_hours` a product may declare.",
    )
    min_availability_target: float | None = Field(
        default=None, description="Lowest `sla.availability_target` a product may declare."
    )
    output_formats: list[Literal["delta"]] | None = Field(
        default=None, description="Output formats a product may use."
    )
    output_locations: str | None = Field(
        default=None,
        description=(
            "Folder every output location must lie inside, compared segment by segment after "
            "normalization; `{domain}` stands for the product's domain."
        ),
    )
    allow_local_paths: bool | None = Field(
        default=None,
        description=(
            "Whether an output location may be a local path (default: yes); `false` requires "
            "`s3://` URIs."
        ),
    )
    required_tags: list[str] | None = Field(
        default=None, description="Keys every product must set in `metadata.tags`."
    )

    _target = field_validator(
        "min_availability_target", mode="before", json_schema_input_type=values.ShareInput | None
    )(_share)
    _prefix = field_validator("output_locations")(_location_prefix)


DEFAULT_QUERY_TIMEOUT = timedelta(minutes=15)


class PolicyLimits(StrictModel):
    """Run-time limits of every build; a product may set its own in `spec.limits`."""

    query_timeout: timedelta = Field(
        default=DEFAULT_QUERY_TIMEOUT,
        description=(
            "Longest a product's SQL transform, and separately its checks, may run before being "
            "stopped (`15m`, `1h`; default 15m)."
        ),
    )

    @field_validator("query_timeout", mode="before", json_schema_input_type=values.DurationText)
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return values.parse_duration(value)


class DomainPolicy(StrictModel):
    """A domain's alert channels and its tightened rules."""

    alert_channels: list[str] = Field(
        default_factory=list, description="Channels that hear about every product of the domain."
    )
    rules: PolicyRules = Field(
        default_factory=PolicyRules,
        description="The domain's rules: they may tighten the global ones, never loosen them.",
    )


_RETRY_DELAY = re.compile(values.WAIT)


def _retry_delay(value: Any) -> Any:
    """Return ``30s``, ``2m`` or ``0.5s`` as a duration (``0s``: retry at once)."""
    if isinstance(value, timedelta):
        return value
    match = _RETRY_DELAY.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        text = value if isinstance(value, str) else str(value).lower()
        bare = not isinstance(value, bool) and re.fullmatch(r"\d+(\.\d+)?", text.strip())
        shown = f"'{value}'" if isinstance(value, str) else text
        raise HintedValueError(
            f"expected a wait such as '30s', '2m' or '0s', got {shown}",
            f"Did you mean '{text.strip()}s'?" if bare else None,
        )
    amount = float(match.group(1))
    return timedelta(seconds=amount if match.group(2) == "s" else amount * 60)


class RetrySettings(StrictModel):
    """How a build that failed for a transient reason (network, throttling, 5xx) is retried."""

    attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description=(
            "Tries in all, the first included (default 3); `1` turns retries off. Terminal "
            "failures (spec, data, permissions, a blocked publish) are never retried."
        ),
    )
    delay: timedelta = Field(
        default=timedelta(seconds=30),
        json_schema_extra={"default": "30s"},
        description=(
            "Wait before the first retry (`30s`, `2m`; default 30s). Later waits grow "
            "exponentially (3, then 7 times `delay`), each give or take one `delay` of jitter."
        ),
    )

    _delay = field_validator(
        "delay",
        mode="before",
        json_schema_input_type=Annotated[str, StringConstraints(pattern=values.WAIT)],
    )(_retry_delay)


class SlackChannel(StrictModel):
    """A Slack incoming webhook."""

    kind: Literal["slack"] = Field(description="Channel kind: `slack`.")
    webhook_url_env: str = Field(description="Environment variable holding the webhook URL.")


class WebhookChannel(StrictModel):
    """A generic JSON webhook."""

    kind: Literal["webhook"] = Field(description="Channel kind: `webhook` (a JSON POST).")
    url_env: str = Field(description="Environment variable holding the URL.")


class PagerDutyChannel(StrictModel):
    """PagerDuty Events API v2."""

    kind: Literal["pagerduty"] = Field(description="Channel kind: `pagerduty`.")
    routing_key_env: str = Field(description="Environment variable holding the routing key.")
    events_url: str = Field(
        default="https://events.pagerduty.com/v2/enqueue", description="Events API endpoint."
    )
    events_url_env: str | None = Field(
        default=None, description="Environment variable overriding `events_url`."
    )


class EmailChannel(StrictModel):
    """E-mail over SMTP."""

    kind: Literal["email"] = Field(description="Channel kind: `email`.")
    to: list[str] = Field(min_length=1, description="Recipient addresses.")
    smtp_host_env: str = Field(description="Environment variable holding the SMTP host.")
    smtp_port_env: str | None = Field(
        default=None, description="Environment variable holding the SMTP port (default 25)."
    )
    from_address: str = Field(default="mesh-dagster@localhost", description="Sender address.")
    starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")
    username_env: str | None = Field(
        default=None, description="Environment variable holding the SMTP user."
    )
    password_env: str | None = Field(
        default=None, description="Environment variable holding the SMTP password."
    )


AlertChannel = Annotated[
    SlackChannel | WebhookChannel | PagerDutyChannel | EmailChannel,
    Field(discriminator="kind"),
]


class MeshPolicy(StrictModel):
    """The platform policy: rules every domain's products must satisfy, defaults, channels."""

    api_version: Literal["dataproduct/v1"] = Field(
        alias="apiVersion", description="Spec language version: `dataproduct/v1`."
    )
    kind: Literal["MeshPolicy"] = Field(description="Document kind: `MeshPolicy`.")
    defaults: PolicyDefaults = Field(
        default_factory=PolicyDefaults, description="Platform defaults for what a spec leaves out."
    )
    rules: PolicyRules = Field(
        default_factory=PolicyRules, description="Rules every product must satisfy."
    )
    limits: PolicyLimits = Field(
        default_factory=PolicyLimits,
        description="Run-time limits of every build (`query_timeout`); a spec may override them.",
    )
    domains: dict[str, DomainPolicy] = Field(
        default_factory=dict, description="Per domain: its alert channels and its tightened rules."
    )
    alert_channels: dict[str, AlertChannel] = Field(
        default_factory=dict,
        description="Alert channels by name; secrets are given as environment variable names.",
    )
    retries: RetrySettings = Field(
        default_factory=RetrySettings,
        description=(
            "Retries of builds that fail for a transient reason (`{attempts: 3, delay: 30s}`)."
        ),
    )
