"""The words of a notice, shared by every channel: headline, summary sentence and facts.

Every notice names the product, domain, partition, the deadline or the failing rule, the
owner, the steward, the consumers affected and the asset's page (in Dagster or Airflow); an SLA
miss names the input periods it waited for, each linked to its partition's page. Only
the incident's own fields are used: consumers' contact addresses (routing data) and the
data's values never appear.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mesh_dagster.alerts.incidents import Figure, Incident, Notice, UpstreamPeriod

ASSET_LABEL = "Asset page"
"""The label of the asset's link: the orchestrator's page of the product (Dagster or Airflow)."""

KIND_LABELS = {
    "sla_missed": "SLA missed",
    "check_failed": "Quality check failed",
    "run_failed": "Build failed",
}


def format_time(moment: datetime, timezone: str) -> str:
    """Return ``moment`` as ``2026-03-02 07:00 UTC`` in ``timezone`` (UTC if unknown)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def format_figure(value: Figure) -> str:
    """Return a detail value as text (`12`, `0.98`, `yes`, `-`)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _subject(incident: Incident) -> str:
    if incident.partition is None:
        return incident.product
    return f"partition {incident.partition} of {incident.product}"


def headline(notice: Notice) -> str:
    """Return the one-line title: ``[orders] SLA missed: orders-daily 2026-03-01``."""
    incident = notice.incident
    label = KIND_LABELS[incident.kind]
    if incident.kind == "check_failed":
        label += f" ({incident.rule})"
    what = (
        incident.product
        if incident.partition is None
        else f"{incident.product} {incident.partition}"
    )
    prefix = "Resolved: " if notice.event == "resolved" else ""
    return f"[{incident.domain}] {prefix}{label}: {what}"


def summary(notice: Notice) -> str:
    """Return one sentence saying what happened."""
    incident = notice.incident
    subject = _subject(incident)
    at = format_time(notice.at, incident.timezone)
    deadline = (
        format_time(incident.deadline, incident.timezone) if incident.deadline else "its deadline"
    )
    if incident.kind == "sla_missed":
        waiting = waiting_text(incident.waiting_for)
        if notice.event == "opened":
            cause = f"; waiting for {waiting}" if waiting else ""
            return f"{_capital(subject)} was not published by its deadline, {deadline}{cause}."
        cause = f"; it had waited for {waiting}" if waiting else ""
        return (
            f"{_capital(subject)} was published at {at}, after its deadline of {deadline}{cause}."
        )
    if incident.kind == "check_failed":
        if notice.event == "opened":
            return f"Quality check {incident.rule} ({incident.severity}) failed on {subject}."
        return f"Quality check {incident.rule} passes again on {subject} (at {at})."
    if notice.event == "opened":
        return f"The build of {subject} failed."
    return f"A later build of {subject} succeeded (at {at})."


def waiting_text(waiting_for: tuple[UpstreamPeriod, ...]) -> str:
    """Return ``order-events 2026-03-13, itself missed; ...`` ('' when nothing was missing)."""
    return "; ".join(f"{item}, itself missed" if item.missed else str(item) for item in waiting_for)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def facts(notice: Notice) -> list[tuple[str, str]]:
    """Return the notice's facts as (label, value) pairs, in reading order."""
    incident = notice.incident
    audience = incident.audience
    rows: list[tuple[str, str]] = [
        ("Product", incident.product),
        ("Domain", incident.domain),
        ("Partition", incident.partition or "(not partitioned)"),
    ]
    if incident.deadline is not None:
        rows.append(("Deadline", format_time(incident.deadline, incident.timezone)))
    if incident.rule is not None:
        rows.append(("Rule", incident.rule))
    if incident.waiting_for:
        rows.append(("Waiting for", waiting_text(incident.waiting_for)))
    rows += [
        ("Severity", f"{incident.severity} ({incident.urgency} urgency)"),
        ("Owner", audience.owner or "-"),
        ("Steward", audience.steward or "-"),
        ("Consumers affected", ", ".join(audience.consumers) or "none declared"),
    ]
    if audience.downstream:
        rows.append(("Downstream products", ", ".join(audience.downstream)))
    rows.append(("Opened", format_time(incident.opened_at, incident.timezone)))
    if notice.event == "resolved":
        rows.append(("Resolved", format_time(notice.at, incident.timezone)))
    rows += [(name, format_figure(value)) for name, value in incident.details.items()]
    rows += [(name, format_figure(value)) for name, value in notice.resolution.items()]
    rows.append((ASSET_LABEL, audience.asset_url or "-"))
    rows += [(f"Upstream {item}", item.url) for item in incident.waiting_for if item.url]
    return rows


def plain_text(notice: Notice) -> str:
    """Return the notice as plain text: summary, then one fact per line."""
    width = max(len(label) for label, _ in facts(notice))
    lines = [summary(notice), ""]
    lines += [f"{label + ':':<{width + 1}} {value}" for label, value in facts(notice)]
    lines += ["", f"Incident key: {notice.dedup_key}"]
    return "\n".join(lines) + "\n"


def html_text(notice: Notice) -> str:
    """Return the notice as a small HTML document: summary, a table of facts, a link."""
    rows = "".join(
        f'<tr><th align="left">{html.escape(label)}</th><td>{_html_value(label, value)}</td></tr>'
        for label, value in facts(notice)
    )
    return (
        "<html><body>"
        f"<p>{html.escape(summary(notice))}</p>"
        f"<table>{rows}</table>"
        f"<p><small>Incident key: {html.escape(notice.dedup_key)}</small></p>"
        "</body></html>"
    )


def _html_value(label: str, value: str) -> str:
    if value.startswith(("http://", "https://")):
        return f'<a href="{html.escape(value)}">{html.escape(value)}</a>'
    return html.escape(value)
