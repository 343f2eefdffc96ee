"""One catalog page per product: contract, schema, quality rules, consumers and lineage."""

from __future__ import annotations

from html import escape
from pathlib import Path

from mesh_dagster.docs.html_layout import (
    domain_anchor,
    product_href,
    render_facts,
    render_page,
    render_table,
)
from mesh_dagster.docs.lineage import LineageNode, layout_lineage, lineage_of, render_lineage_svg
from mesh_dagster.docs.markdown_text import render_markdown
from mesh_dagster.docs.words import (
    alert_routing_text,
    dagster_asset_url,
    freshness_text,
    output_text,
    partitioning_text,
    pii_text,
    rule_texts,
    schedule_text,
    sla_text,
    transform_text,
)
from mesh_dagster.spec.graph import upstream_products
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct

ROOT = "../"


def spec_file(mesh: Mesh, name: str) -> str | None:
    """Return the product's spec file relative to the specs folder, if known."""
    path = mesh.files.get(name)
    if path is None:
        return None
    try:
        return Path(path).relative_to(mesh.root).as_posix()
    except ValueError:
        return Path(path).name


def _product_link(name: str) -> str:
    return f'<a href="{product_href(name, ROOT)}">{escape(name)}</a>'


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _facts(mesh: Mesh, product: DataProduct) -> str:
    meta, spec = product.metadata, product.spec
    steward = escape(meta.steward)
    facts: list[tuple[str, str]] = [
        (
            "Domain",
            f'<a href="{ROOT}index.html#{domain_anchor(meta.domain)}">{escape(meta.domain)}</a>',
        ),
        ("Owner", f"team {escape(meta.owner)}"),
        ("Steward", f'<a href="mailto:{steward}">{steward}</a>'),
        ("Version", escape(meta.version or "not declared")),
        ("Schedule", escape(schedule_text(mesh, product))),
        ("SLA", escape(sla_text(mesh, product))),
    ]
    freshness = freshness_text(product)
    if freshness is not None:
        facts.append(("Freshness", escape(freshness)))
    facts += [
        ("Partitioning", escape(partitioning_text(product))),
        ("Grain", ", ".join(_code(name) for name in spec.grain) or "not declared"),
        ("Transform", escape(transform_text(product))),
        ("Output", escape(output_text(product))),
        ("Alerts", escape(alert_routing_text(mesh, product))),
    ]
    if meta.tags:
        tags = "".join(
            f'<span class="badge">{escape(key)}: {escape(value)}</span>'
            for key, value in sorted(meta.tags.items())
        )
        facts.append(("Tags", tags))
    file = spec_file(mesh, product.name)
    if file is not None:
        facts.append(("Spec", _code(file)))
    return render_facts(facts)


def _schema(product: DataProduct) -> str:
    rows = []
    for column in product.spec.columns:
        pii = pii_text(column)
        flag = f'<span class="badge pii">{escape(pii)}</span>' if column.pii else "no"
        rows.append(
            [
                _code(column.name),
                _code(column.type),
                "yes" if column.nullable else "no",
                flag,
                escape(column.description or ""),
            ]
        )
    return render_table(["Column", "Type", "Nullable", "PII", "Description"], rows, "schema")


def _rules(mesh: Mesh, product: DataProduct) -> str:
    rows = []
    for rule in rule_texts(mesh, product):
        meaning = escape(rule.text)
        if rule.note:
            meaning += f"<br><small>{escape(rule.note)}</small>"
        severity = f'<span class="badge {escape(rule.severity)}">{escape(rule.severity)}</span>'
        rows.append([_code(rule.name), severity, meaning])
    return render_table(["Check", "Severity", "Rule"], rows, "rules")


def _consumers(product: DataProduct) -> str:
    if not product.spec.consumers:
        return "<p>No consumers declared.</p>\n"
    rows = []
    for consumer in product.spec.consumers:
        contact = escape(consumer.contact or "")
        if consumer.contact:
            contact = f'<a href="mailto:{contact}">{contact}</a>'
        notify = "yes" if consumer.notify else "no"
        rows.append([escape(consumer.team), escape(consumer.use_case), contact, notify])
    return render_table(["Team", "Use case", "Contact", "Incident notices"], rows, "consumers")


def _node_link(node: LineageNode) -> str | None:
    return product_href(node.id, ROOT) if node.kind == "product" else None


def _lineage(mesh: Mesh, product: DataProduct) -> str:
    nodes, edges = lineage_of(mesh.products, product.name)
    layout = layout_lineage(nodes, edges, focus=product.name)
    svg = render_lineage_svg(layout, f"Lineage of {product.name}", _node_link)
    inputs: list[str] = []
    for item in product.spec.inputs:
        if item.product is not None:
            window = " (whole table)" if item.window == "all" else ""
            inputs.append(f"<li>product {_product_link(item.product)}{window}</li>")
        elif item.source is not None:
            source = item.source
            inputs.append(
                f"<li>source {_code(source.name)}: {escape(source.format)} at "
                f"{_code(source.location)}</li>"
            )
    readers = sorted(
        name for name, other in mesh.products.items() if product.name in upstream_products(other)
    )
    read_by = "".join(f"<li>{_product_link(name)}</li>" for name in readers)
    return (
        f'<div class="graph">{svg}</div>\n'
        f"<h3>Inputs</h3><ul>{''.join(inputs) or '<li>none</li>'}</ul>\n"
        f"<h3>Read by</h3><ul>{read_by or '<li>no product</li>'}</ul>\n"
    )


def render_product_page(mesh: Mesh, product: DataProduct) -> str:
    """Return the HTML page of one product (it lives in ``products/``)."""
    meta = product.metadata
    badges = f'<span class="badge domain">{escape(meta.domain)}</span>'
    if meta.version:
        badges += f'<span class="badge">v{escape(meta.version)}</span>'
    if any(column.pii for column in product.spec.columns):
        badges += '<span class="badge pii">contains PII</span>'
    url = escape(dagster_asset_url(mesh, product))
    body = (
        f'<p class="crumbs"><a href="{ROOT}index.html">Catalog</a> › '
        f'<a href="{ROOT}index.html#{domain_anchor(meta.domain)}">{escape(meta.domain)}</a>'
        f" › {escape(product.name)}</p>\n"
        f"<h1>{escape(product.name)}</h1>\n<p>{badges}</p>\n"
        f'<a class="dagster" href="{url}">Open in Dagster</a>\n'
        f'<div class="description">{render_markdown(product.spec.description)}</div>\n'
        f'<h2 id="contract">Contract</h2>\n{_facts(mesh, product)}'
        f'<h2 id="schema">Schema</h2>\n{_schema(product)}'
        f'<h2 id="quality">Quality rules</h2>\n'
        "<p>Checked before every publish; an error-severity rule that fails blocks it.</p>\n"
        f"{_rules(mesh, product)}"
        f'<h2 id="consumers">Consumers</h2>\n{_consumers(product)}'
        f'<h2 id="lineage">Lineage</h2>\n{_lineage(mesh, product)}'
    )
    return render_page(product.name, body, ROOT)
