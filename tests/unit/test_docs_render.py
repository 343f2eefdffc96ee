"""Catalog rendering: safe Markdown, escaping, the lineage layout, rules in words."""

from __future__ import annotations

from spec_folder import SpecFolder

from mesh_dagster.docs.lineage import (
    LAYER_GAP,
    MARGIN,
    NODE_WIDTH,
    layout_lineage,
    lineage_of,
    render_lineage_svg,
)
from mesh_dagster.docs.markdown_syntax import md_code, md_escape
from mesh_dagster.docs.markdown_text import plain_summary, render_markdown
from mesh_dagster.docs.site import render_site
from mesh_dagster.docs.words import rule_texts


def test_markdown_keeps_no_raw_html_script_links_or_images() -> None:
    html = render_markdown(
        "**Bold** <script>alert(1)</script> [x](javascript:alert(1)) ![i](https://cdn.example/i.png)"
    )
    assert html == (
        "<p><strong>Bold</strong> &lt;script&gt;alert(1)&lt;/script&gt; "
        '[x](javascript:alert(1)) !<a href="https://cdn.example/i.png">i</a></p>\n'
    )


def test_plain_summary_is_the_first_paragraph_as_text() -> None:
    text = "Daily **aggregate** of `orders`\nfrom the shop.\n\nSecond paragraph."
    assert plain_summary(text) == "Daily aggregate of orders from the shop."
    assert plain_summary("word " * 50, limit=20) == "word word word word…"


def test_markdown_cells_escape_syntax_and_pipes() -> None:
    assert md_escape("a|b <i>_x_</i> *y*\nz") == r"a\|b \<i>\_x\_\</i> \*y\* z"
    assert md_code("x | `y`") == "`` x \\| `y` ``"


def _chain(specs: SpecFolder) -> None:
    specs.product("order-events")
    specs.product(inputs=["order-events"])
    specs.product("payments-daily", "payments", inputs=["orders-daily"])
    specs.product("revenue", "finance", inputs=["payments-daily", "orders-daily"])
    specs.product("shipments-daily", "shipments")


def test_lineage_of_a_product_is_its_ancestors_descendants_and_sources(
    specs: SpecFolder,
) -> None:
    _chain(specs)
    mesh = specs.load()
    nodes, edges = lineage_of(mesh.products, "payments-daily")
    assert sorted(nodes) == ["order-events", "orders-daily", "payments-daily", "revenue"]
    assert edges == [
        ("order-events", "orders-daily"),
        ("orders-daily", "payments-daily"),
        ("orders-daily", "revenue"),
        ("payments-daily", "revenue"),
    ]
    nodes, edges = lineage_of(mesh.products, "order-events")
    assert nodes["source:raw_orders"] == ("raw_orders", "source (parquet)", "source")
    assert ("source:raw_orders", "order-events") in edges


def test_layers_go_left_to_right_and_long_edges_get_a_free_slot(specs: SpecFolder) -> None:
    _chain(specs)
    mesh = specs.load()
    layout = layout_lineage(*lineage_of(mesh.products, "orders-daily"), focus="orders-daily")
    column = {node.id: (node.x - MARGIN) // (NODE_WIDTH + LAYER_GAP) for node in layout.nodes}
    assert column == {"order-events": 0, "orders-daily": 1, "payments-daily": 2, "revenue": 3}
    long_edge = next(e for e in layout.edges if (e.source, e.target) == ("orders-daily", "revenue"))
    payments = next(node for node in layout.nodes if node.id == "payments-daily")
    ((slot_x, slot_y),) = long_edge.waypoints
    assert slot_x == payments.x and slot_y != payments.y + 22
    assert [node.id for node in layout.nodes if node.focus] == ["orders-daily"]
    svg = render_lineage_svg(layout, "Lineage <of> x", lambda node: f"{node.id}.html")
    assert svg.startswith('<svg class="lineage" xmlns="http://www.w3.org/2000/svg" role="img"')
    assert 'aria-label="Lineage &lt;of&gt; x"' in svg
    assert svg.count('<a href="') == 4 and svg.count('class="edge"') == 4


def test_rules_in_words(specs: SpecFolder) -> None:
    specs.product(
        spec={
            "quality": {
                "completeness_threshold": "0.999",
                "custom_checks": ["revenue_usd >= 0"],
                "freshness_sla_hours": 2,
            }
        }
    )
    mesh = specs.load()
    assert [
        (r.name, r.severity, r.text) for r in rule_texts(mesh, mesh.product("orders-daily"))
    ] == [
        (
            "schema",
            "error",
            "all 4 declared columns are present and castable to their types, and no other "
            "column is present",
        ),
        ("completeness", "error", "at least 99.9% of rows have order_id and order_date present"),
        ("grain_unique", "error", "no two rows share the same (order_id, order_date)"),
        (
            "partition_bounds",
            "error",
            "every row's order_date lies in the run's partition window [start, end)",
        ),
        (
            "not_empty",
            "error",
            "the result has at least one row (an empty result would empty the partition)",
        ),
        (
            "pii_customer_id",
            "error",
            "customer_id is null or 64 lowercase hex characters (hashed) on every row",
        ),
        ("check_revenue_usd_0", "error", "revenue_usd >= 0 on every row"),
        ("sla", "error", "each period available by 07:00 UTC; target 99.9% on time"),
        ("freshness", "policy", "data published within 2 hours before each deadline"),
    ]


def test_every_text_from_a_spec_is_escaped(specs: SpecFolder) -> None:
    specs.product(
        metadata={"tags": {"note": "<b>x</b>"}},
        spec={
            "schema": {3: {"description": '<img src=x onerror="alert(1)">'}},
            "consumers": [{"team": "<script>", "use_case": "a & b"}],
        },
    )
    site = render_site(specs.load())
    page = site["products/orders-daily.html"]
    assert "<script" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "a &amp; b" in page
    assert "&lt;script&gt;" in site["index.html"]
    assert site["index.html"].count("<script>") == 1  # the search script, and nothing else
