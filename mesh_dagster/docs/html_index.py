"""The catalog's index (products by domain, with search) and the policy page."""

from __future__ import annotations

from html import escape

from mesh_dagster.docs.html_layout import (
    SEARCH_SCRIPT,
    domain_anchor,
    product_href,
    render_facts,
    render_page,
    render_table,
)
from mesh_dagster.docs.lineage import LineageNode, layout_lineage, lineage_of, render_lineage_svg
from mesh_dagster.docs.markdown_text import plain_summary
from mesh_dagster.docs.words import policy_rule_texts, sla_text
from mesh_dagster.spec.diff_types import show_share
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.policy_models import PolicyRules


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def search_text(product: DataProduct) -> str:
    """Return what the index's search matches a product on, lowercased."""
    meta, spec = product.metadata, product.spec
    words = [
        meta.name,
        meta.domain,
        meta.owner,
        meta.steward,
        *(f"{key} {value}" for key, value in sorted(meta.tags.items())),
        *(column.name for column in spec.columns),
        *(consumer.team for consumer in spec.consumers),
        plain_summary(spec.description, limit=1000),
    ]
    return " ".join(" ".join(words).lower().split())


def _card(mesh: Mesh, product: DataProduct) -> str:
    meta = product.metadata
    facts = render_facts(
        [
            ("Owner", f"team {escape(meta.owner)}"),
            ("Steward", escape(meta.steward)),
            ("SLA", escape(sla_text(mesh, product))),
        ]
    )
    pii = '<span class="badge pii">PII</span>' if any(c.pii for c in product.spec.columns) else ""
    return (
        f'<article class="card" data-product="{escape(meta.name)}" '
        f'data-search="{escape(search_text(product))}">'
        f'<h3><a href="{product_href(meta.name, "")}">{escape(meta.name)}</a></h3>'
        f"<p>{escape(plain_summary(product.spec.description))}</p>{facts}"
        f'<span class="badge">{_plural(len(product.spec.columns), "column")}</span>'
        f'<span class="badge">{_plural(len(product.spec.consumers), "consumer")}</span>'
        f"{pii}</article>\n"
    )


def _node_link(node: LineageNode) -> str | None:
    return product_href(node.id, "") if node.kind == "product" else None


def render_index_page(mesh: Mesh) -> str:
    """Return the index: every product by domain, a search box and the mesh's lineage."""
    domains = mesh.domains()
    nav = " ".join(f'<a href="#{domain_anchor(domain)}">{escape(domain)}</a>' for domain in domains)
    sections = []
    for domain in domains:
        products = [p for _, p in sorted(mesh.products.items()) if p.domain == domain]
        cards = "".join(_card(mesh, product) for product in products)
        sections.append(
            f'<section class="domain" data-domain="{escape(domain)}">'
            f'<h2 id="{domain_anchor(domain)}">{escape(domain)}</h2>'
            f'<div class="cards">\n{cards}</div></section>\n'
        )
    nodes, edges = lineage_of(mesh.products)
    svg = render_lineage_svg(layout_lineage(nodes, edges), "Lineage of the mesh", _node_link)
    count = f"{_plural(len(mesh.products), 'product')} in {_plural(len(domains), 'domain')}"
    body = (
        "<h1>Data products</h1>\n"
        f"<p>{count}, generated from the specs. "
        'The rules every product follows are on the <a href="policy.html">policy</a> page.</p>\n'
        '<input id="search" class="search" type="search" autocomplete="off" '
        'placeholder="Search by name, domain, team, column…" aria-label="Search products">\n'
        f'<p class="count" id="count">{len(mesh.products)} of {len(mesh.products)} products</p>\n'
        '<p id="no-match" hidden>No product matches.</p>\n'
        f'<p class="domains-nav">Domains: {nav}</p>\n'
        f"{''.join(sections)}"
        '<h2 id="lineage">Lineage</h2>\n'
        f'<div class="graph">{svg}</div>\n'
    )
    return render_page("Data products", body, "", SEARCH_SCRIPT)


def _rules_table(rules: PolicyRules) -> str:
    texts = policy_rule_texts(rules)
    if not texts:
        return "<p>No rules.</p>\n"
    rows = [[f"<code>{escape(field)}</code>", escape(text)] for field, text in texts]
    return render_table(["Rule", "Every product's spec must have"], rows, "policy-rules")


def render_policy_page(mesh: Mesh) -> str:
    """Return the policy page: defaults, global rules, each domain's rules and channels."""
    policy = mesh.policy
    defaults = policy.defaults
    target = defaults.availability_target
    facts = render_facts(
        [
            ("Timezone", escape(defaults.timezone)),
            ("Availability target", escape("none" if target is None else show_share(target))),
            ("Dagster UI", f"<code>{escape(defaults.dagster_url)}</code>"),
        ]
    )
    domains = []
    for domain in sorted(set(mesh.domains()) | set(policy.domains)):
        own = policy.domains.get(domain)
        tightened = own.rules.model_dump(exclude_none=True) if own else {}
        listed = ", ".join(own.alert_channels) if own and own.alert_channels else "none"
        changes = ", ".join(sorted(tightened)) or "none: the global rules apply"
        domains.append(
            f'<h3 id="{domain_anchor(domain)}">{escape(domain)}</h3>\n'
            f"<p>Alert channels: {escape(listed)}. Tightened rules: {escape(changes)}.</p>\n"
            f"{_rules_table(mesh.rules_for(domain))}"
        )
    channels = [
        [f"<code>{escape(name)}</code>", escape(channel.kind)]
        for name, channel in sorted(policy.alert_channels.items())
    ]
    body = (
        "<h1>Platform policy</h1>\n"
        "<p>Federated computational governance: these rules are checked whenever specs load "
        "(and by <code>mesh validate</code>). A domain may tighten a global rule, never "
        "loosen it.</p>\n"
        f'<h2 id="defaults">Defaults</h2>\n{facts}'
        f'<h2 id="rules">Global rules</h2>\n{_rules_table(policy.rules)}'
        f'<h2 id="domains">Domains</h2>\n{"".join(domains)}'
        f'<h2 id="channels">Alert channels</h2>\n'
        f"{render_table(['Channel', 'Kind'], channels) if channels else '<p>None.</p>'}"
    )
    return render_page("Policy", body, "")
