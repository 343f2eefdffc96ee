"""The ``doc_md`` of a product's DAG: description, schema, rules, SLA and consumers."""

from __future__ import annotations

from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _schema(product: DataProduct) -> list[str]:
    lines = ["| column | type | nullable | PII | description |", "|---|---|---|---|---|"]
    for column in product.spec.columns:
        pii = column.pii_handling or "" if column.pii else ""
        lines.append(
            f"| `{column.name}` | {column.type} | {'yes' if column.nullable else 'no'} "
            f"| {pii} | {_cell(column.description or '')} |"
        )
    return lines


def _rules(product: DataProduct) -> list[str]:
    lines = ["| rule | severity | SQL |", "|---|---|---|"]
    for check in plan_checks(product).checks:
        lines.append(f"| `{check.name}` | {check.severity} | `{_cell(check.sql)}` |")
    return lines


def _sla(mesh: Mesh, product: DataProduct) -> list[str]:
    sla = product.spec.sla
    if sla is None:
        return ["No SLA."]
    due = f"available by {sla.available_by:%H:%M}" if sla.available_by else f"within {sla.within}"
    target = mesh.availability_target_of(product)
    share = f", availability target {target:.2%}" if target is not None else ""
    return [f"{due} ({mesh.sla_timezone_of(product)}){share}."]


def product_doc(mesh: Mesh, product: DataProduct) -> str:
    """Return the Markdown shown on the product's DAG page."""
    spec = product.spec
    schedule = spec.schedule
    when = (
        f"`{schedule.cron}` ({mesh.timezone_of(product)})"
        if schedule is not None
        else "when its inputs publish"
        if spec.inputs
        else "by hand"
    )
    lines = [
        f"# {product.name}",
        "",
        " ".join(spec.description.split()),
        "",
        f"Domain `{product.domain}`, owner `{product.metadata.owner}`, steward "
        f"{product.metadata.steward}. Built {when}"
        + (f", by {spec.partitioning.by}" if spec.partitioning else "")
        + ("; built outside the platform and observed." if product.is_external else "."),
        "",
        "## Schema",
        *_schema(product),
        "",
        "## Rules",
        "Error rules block the publish; outcomes are in the build task's log, its XCom and "
        "the asset event's `extra` (`mesh/periods`).",
        "",
        *_rules(product),
        "",
        "## SLA",
        *_sla(mesh, product),
        "",
        "## Consumers",
        *[f"- {c.team}: {_cell(c.use_case)}" for c in spec.consumers],
    ]
    return "\n".join(lines) + "\n"
