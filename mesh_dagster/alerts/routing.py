"""Who hears about a product's incidents: channels, e-mail recipients and the asset link.

Routing rules (also in docs/README-alerts.md):

- a product's channels are its domain's `alert_channels`, then its `spec.alerts.channels`;
- low-urgency (warn) incidents skip paging channels (PagerDuty);
- consumers with a `contact` and `notify: true` are added, as Bcc, to the product's first
  e-mail channel; when the product has no e-mail channel, the first e-mail channel declared
  in mesh.yaml carries them, without its own `to` recipients;
- a product routed nowhere is e-mailed to its steward (the default alert recipient) in the
  same way, when mesh.yaml declares an e-mail channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from mesh_dagster.alerts.incidents import (
    Audience,
    Figure,
    Incident,
    IncidentKind,
    Route,
    Severity,
    Urgency,
)
from mesh_dagster.spec.graph import downstream_of
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.policy_models import EmailChannel, MeshPolicy, PagerDutyChannel

DAGSTER_URL_ENV = "MESH_DAGSTER_URL"


def dagster_url_of(policy: MeshPolicy, environ: Mapping[str, str]) -> str:
    """Return the Dagster UI's base URL: ``$MESH_DAGSTER_URL``, else the policy's default."""
    url = environ.get(DAGSTER_URL_ENV) or policy.defaults.dagster_url
    return url.rstrip("/")


def asset_url(dagster_url: str, product: DataProduct) -> str:
    """Return the page of the product's asset in the Dagster UI."""
    return f"{dagster_url.rstrip('/')}/assets/{product.domain}/{product.name}"


def consumer_contacts(product: DataProduct) -> list[str]:
    """Return the contacts of consumers that opted in to notices, in spec order, once each."""
    contacts = [c.contact for c in product.spec.consumers if c.notify and c.contact is not None]
    return list(dict.fromkeys(contacts))


def first_email_channel(policy: MeshPolicy) -> str | None:
    """Return the name of the first e-mail channel declared in mesh.yaml, if any."""
    return next(
        (name for name, channel in policy.alert_channels.items() if channel.kind == "email"),
        None,
    )


def recipients_for(mesh: Mesh, product: DataProduct, urgency: Urgency = "high") -> list[Route]:
    """Return the routes of the product's incidents: domain channels, then spec channels."""
    channels = mesh.policy.alert_channels
    names = [
        name
        for name in mesh.alert_channels_of(product)
        if name in channels
        and not (urgency == "low" and isinstance(channels[name], PagerDutyChannel))
    ]
    routes = [Route(channel=name) for name in names]
    contacts = consumer_contacts(product)
    email_index = next(
        (i for i, name in enumerate(names) if isinstance(channels[name], EmailChannel)), None
    )
    if email_index is not None:
        channel = channels[names[email_index]]
        assert isinstance(channel, EmailChannel)
        extra = tuple(address for address in contacts if address not in channel.to)
        routes[email_index] = Route(channel=names[email_index], bcc=extra)
        return routes
    extra = tuple(dict.fromkeys(([] if names else [product.metadata.steward]) + contacts))
    fallback = first_email_channel(mesh.policy)
    if extra and fallback is not None:
        routes.append(Route(channel=fallback, bcc=extra, channel_recipients=False))
    return routes


def audience_for(
    mesh: Mesh, product: DataProduct, urgency: Urgency = "high", dagster_url: str | None = None
) -> Audience:
    """Return who the product's incidents concern and where they are told."""
    base = dagster_url or mesh.policy.defaults.dagster_url
    return Audience(
        owner=product.metadata.owner,
        steward=product.metadata.steward,
        consumers=tuple(dict.fromkeys(consumer.team for consumer in product.spec.consumers)),
        downstream=tuple(downstream_of(mesh.products, product.name)),
        asset_url=asset_url(base, product),
        routes=tuple(recipients_for(mesh, product, urgency)),
    )


def incident_for(
    mesh: Mesh,
    product: DataProduct,
    kind: IncidentKind,
    *,
    opened_at: datetime,
    partition: str | None = None,
    rule: str | None = None,
    severity: Severity = "error",
    deadline: datetime | None = None,
    details: Mapping[str, Figure] | None = None,
    dagster_url: str | None = None,
) -> Incident:
    """Return an incident of ``product`` with its audience resolved from the mesh.

    ``dagster_url`` is the UI's base URL (``dagster_url_of(policy, os.environ)``); the
    policy's default when not given.
    """
    urgency: Urgency = "high" if severity == "error" else "low"
    return Incident(
        product=product.name,
        domain=product.domain,
        partition=partition,
        kind=kind,
        rule=rule,
        severity=severity,
        opened_at=opened_at,
        deadline=deadline,
        timezone=mesh.sla_timezone_of(product),
        details=dict(details or {}),
        audience=audience_for(mesh, product, urgency, dagster_url),
    )
