"""A product's commitments and rules in words, shared by the HTML and Markdown catalogs."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from mesh_dagster.alerts.routing import consumer_contacts, recipients_for
from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.spec.diff_types import show_duration, show_hours, show_share, show_time
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import ColumnSpec, DataProduct
from mesh_dagster.spec.policy_models import EmailChannel, PagerDutyChannel, PolicyRules

_UNIT_WORDS = {"day": "day", "hour": "hour", "week": "week", "month": "month"}


@dataclass(frozen=True)
class RuleText:
    """One quality rule as the catalog shows it: check name, severity and meaning."""

    name: str
    severity: str
    text: str
    note: str | None = None
    """The spec author's own description of a custom check, if any."""


def dagster_asset_url(mesh: Mesh, product: DataProduct) -> str:
    """Return the link to the product's asset in the Dagster UI."""
    base = mesh.policy.defaults.dagster_url.rstrip("/")
    return f"{base}/assets/{quote(product.domain)}/{quote(product.name)}"


def schedule_text(mesh: Mesh, product: DataProduct) -> str:
    """Return when the product is built: ``cron 0 6 * * * (UTC)`` or on demand."""
    schedule = product.spec.schedule
    if schedule is None:
        if product.is_external:
            return "built outside the platform (observed)"
        return "on demand, or when its inputs update"
    return f"cron {schedule.cron} ({mesh.timezone_of(product)})"


def sla_text(mesh: Mesh, product: DataProduct) -> str:
    """Return the availability commitment in words, or ``none``."""
    sla = product.spec.sla
    if sla is None:
        return "none"
    if sla.available_by is not None:
        deadline = f"each period available by {show_time(sla.available_by)} "
        deadline += mesh.sla_timezone_of(product)
    else:
        assert sla.within is not None
        deadline = f"each period available within {show_duration(sla.within)} after it ends"
    target = mesh.availability_target_of(product)
    return deadline if target is None else f"{deadline}; target {show_share(target)} on time"


def freshness_text(product: DataProduct) -> str | None:
    """Return the freshness window in words, if the product declares one."""
    hours = product.spec.quality.freshness_sla_hours
    if hours is None:
        return None
    if product.spec.sla is not None:
        return f"published within {show_hours(hours)} hours before each deadline"
    return f"never older than {show_hours(hours)} hours"


def partitioning_text(product: DataProduct) -> str:
    """Return how the table is partitioned, or ``none``."""
    partitioning = product.spec.partitioning
    if partitioning is None:
        return "none (the whole table is rebuilt)"
    unit = _UNIT_WORDS[partitioning.by]
    return (
        f"one partition per {unit} on {partitioning.column}, from {partitioning.start.isoformat()}"
    )


def transform_text(product: DataProduct) -> str:
    """Return how the data is computed, in a few words."""
    transform = product.spec.transform
    if transform is None:
        return "built outside the platform"
    if transform.python is not None:
        return f"Python: {transform.python}"
    return "DuckDB SQL over its inputs"


def output_text(product: DataProduct) -> str:
    """Return where the table is published."""
    output = product.spec.output
    text = f"{output.format} at {output.location}"
    if output.catalog is not None:
        text += f"; {output.catalog} table {output.database}.{output.table}"
    return text


def pii_text(column: ColumnSpec) -> str:
    """Return a column's PII flag: ``no``, ``yes`` or ``yes (hashed)``."""
    if not column.pii:
        return "no"
    return f"yes ({column.pii_handling})" if column.pii_handling else "yes"


def rule_texts(mesh: Mesh, product: DataProduct) -> list[RuleText]:
    """Return every quality rule of the product in words, in the order checks run."""
    rules: list[RuleText] = []
    planned = plan_checks(product).checks
    custom = iter(product.spec.quality.custom_checks)
    for check in planned:
        if check.kind != "custom":
            rules.append(RuleText(check.name, check.severity, check.description))
            continue
        # Custom checks are planned in spec order, so the spec's own entry is the next one.
        declared = next(custom)
        where = "on the table" if check.scope == "table" else "on every row"
        text = f"{check.sql} {where}"
        rules.append(RuleText(check.name, check.severity, text, declared.description))
    if product.spec.sla is not None:
        rules.append(RuleText("sla", "error", sla_text(mesh, product)))
    freshness = freshness_text(product)
    if freshness is not None:
        rules.append(RuleText("freshness", "policy", f"data {freshness}"))
    return rules


def policy_rule_texts(rules: PolicyRules) -> list[tuple[str, str]]:
    """Return each rule that is set as (field name, meaning), in the model's field order."""
    texts: list[tuple[str, str]] = []
    if rules.steward_email_domains is not None:
        domains = ", ".join(rules.steward_email_domains)
        texts.append(("steward_email_domains", f"a steward's e-mail address is at {domains}"))
    if rules.min_consumers is not None:
        texts.append(("min_consumers", f"at least {rules.min_consumers} declared consumer(s)"))
    if rules.pii_requires_handling:
        texts.append(("pii_requires_handling", "every pii: true column declares pii_handling"))
    if rules.max_freshness_sla_hours is not None:
        hours = show_hours(rules.max_freshness_sla_hours)
        texts.append(("max_freshness_sla_hours", f"freshness_sla_hours is at most {hours}"))
    if rules.min_availability_target is not None:
        target = show_share(rules.min_availability_target)
        texts.append(("min_availability_target", f"availability_target is at least {target}"))
    if rules.output_formats is not None:
        formats = ", ".join(rules.output_formats)
        texts.append(("output_formats", f"output format is one of {formats}"))
    if rules.output_locations is not None:
        texts.append(("output_locations", f"output location starts with {rules.output_locations}"))
    if rules.required_tags:
        tags = ", ".join(rules.required_tags)
        texts.append(("required_tags", f"metadata.tags sets {tags}"))
    return texts


def alert_routing_text(mesh: Mesh, product: DataProduct) -> str:
    """Return where the product's incidents are told, as the alert sensor routes them.

    Its channels (domain's, then its own) with their kind; e-mail recipients, with the
    consumers that opted in to notices as Bcc; paging channels hear error incidents only;
    a product routed nowhere is e-mailed to its steward through the policy's first e-mail
    channel.
    """
    channels = mesh.policy.alert_channels
    contacts = consumer_contacts(product)
    parts: list[str] = []
    for route in recipients_for(mesh, product, "high"):
        channel = channels[route.channel]
        if not route.channel_recipients:
            steward = product.metadata.steward
            who = [f"steward {steward} (no channel of its own)"] if steward in route.bcc else []
            notified = [address for address in route.bcc if address in contacts]
            if notified:
                who.append(f"notified consumers {', '.join(notified)}")
            parts.append(f"e-mail through {route.channel} to {' and '.join(who)}")
            continue
        detail: str = channel.kind
        if isinstance(channel, EmailChannel):
            detail += f" to {', '.join(channel.to)}"
            if route.bcc:
                detail += f", Bcc notified consumers {', '.join(route.bcc)}"
        if isinstance(channel, PagerDutyChannel):
            detail += ", error incidents only"
        parts.append(f"{route.channel} ({detail})")
    if not parts:
        return "none: no alert channel, and mesh.yaml has no e-mail channel to reach the steward"
    return "; ".join(parts)
