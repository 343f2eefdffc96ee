"""`mesh docs` output in headless Chromium: pages render, links resolve, search, lineage."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest
from playwright.sync_api import Page, expect
from spec_folder import DELETE, SpecFolder
from typer.testing import CliRunner

from mesh_dagster.cli.main import app

pytestmark = [pytest.mark.integration, pytest.mark.browser]

HOSTILE = '<script>window.pwned = true</script><img src=x onerror="window.pwned = true">'


def write_mesh(specs: SpecFolder) -> None:
    """Write five products over four domains: orders -> payments -> finance, and shipments."""
    specs.policy(defaults={"dagster_url": "http://dagster.example:3000"})
    specs.product(
        "order-events",
        spec={"transform": {"sql": DELETE, "python": "mesh_demo.orders:build_order_events"}},
    )
    specs.product(
        inputs=["order-events"],
        metadata={"version": "1.2.0", "tags": {"tier": "gold"}},
        spec={
            "description": "Daily aggregate of **completed** orders.\n\n"
            f"Grain: one row per order per day. {HOSTILE}",
            "quality": {
                "completeness_threshold": 0.999,
                "custom_checks": [
                    "revenue_usd >= 0",
                    {
                        "name": "some_orders",
                        "sql": "count(*) > 0",
                        "severity": "warn",
                        "description": "A day without orders means the feed stopped.",
                    },
                ],
            },
            "consumers": [
                {"team": "finance", "use_case": "Revenue reporting", "contact": "fin@company.com"},
                {"team": "ml-platform", "use_case": "Churn prediction features"},
            ],
        },
    )
    specs.product("payments-daily", "payments", inputs=["orders-daily"])
    specs.product("revenue-reconciliation", "finance", inputs=["payments-daily", "orders-daily"])
    specs.product("shipments-daily", "shipments")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder `mesh docs` wrote for the test mesh."""
    root = tmp_path_factory.mktemp("docs")
    specs = SpecFolder(root / "specs")
    write_mesh(specs)
    out = root / "site"
    result = CliRunner().invoke(app, ["docs", "--specs", str(specs.root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote 7 pages for 5 products to {out}/index.html\n"
    return out


@pytest.fixture
def base_url(site: Path, serve_folder: Callable[[Path], str]) -> str:
    return serve_folder(site)


def test_every_page_renders_and_every_internal_link_resolves(
    page: Page, base_url: str, page_errors: list[str]
) -> None:
    todo, seen, checked = [urljoin(base_url, "index.html")], set(), 0
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        expect(page.locator("h1")).to_be_visible()
        hrefs: list[str] = page.eval_on_selector_all(
            "a[href]", "links => links.map(link => link.getAttribute('href'))"
        )
        for href in hrefs:
            target = urljoin(url, href)
            if not target.startswith(base_url):
                continue
            page_url, fragment = urldefrag(target)
            status = page.request.get(page_url).status
            assert status == 200, f"{url} links to {href}: HTTP {status}"
            if fragment:
                html = page.request.get(page_url).text()
                assert f'id="{fragment}"' in html, f"{url} links to a missing #{fragment}"
            if page_url.endswith(".html"):
                todo.append(page_url)
            checked += 1
    assert len(seen) == 7
    assert checked > 40
    assert page_errors == []


def test_search_finds_a_product(page: Page, base_url: str, page_errors: list[str]) -> None:
    page.goto(urljoin(base_url, "index.html"))
    cards = page.locator("article.card")
    expect(cards).to_have_count(5)
    expect(page.locator("#count")).to_have_text("5 of 5 products")
    page.fill("#search", "revenue recon")
    expect(cards.locator("visible=true")).to_have_count(1)
    expect(page.locator("article.card:visible h3")).to_have_text("revenue-reconciliation")
    expect(page.locator("section.domain:visible h2")).to_have_text(["finance"])
    page.fill("#search", "churn")  # a consumer's use case is not indexed, its team is
    expect(page.locator("#no-match")).to_be_visible()
    page.fill("#search", "ml-platform")
    expect(page.locator("article.card:visible h3")).to_have_text(["orders-daily"])
    page.fill("#search", "")
    expect(cards.locator("visible=true")).to_have_count(5)
    page.goto(urljoin(base_url, "index.html?q=shipments"))
    expect(page.locator("article.card:visible h3")).to_have_text(["shipments-daily"])
    page.locator("article.card:visible h3 a").click()
    expect(page).to_have_url(re.compile(r"products/shipments-daily\.html$"))
    assert page_errors == []


def test_product_page_shows_the_contract_and_lineage(
    page: Page, base_url: str, page_errors: list[str], artifacts_dir: Path
) -> None:
    page.goto(urljoin(base_url, "products/orders-daily.html"))
    expect(page.locator("h1")).to_have_text("orders-daily")
    description = page.locator(".description")
    expect(description.locator("strong")).to_have_text("completed")
    expect(description).to_contain_text("<script>window.pwned = true</script>")
    assert page.evaluate("window.pwned === undefined")
    expect(page.locator("a.dagster")).to_have_attribute(
        "href", "http://dagster.example:3000/assets/orders/orders-daily"
    )
    schema = page.locator("table.schema tbody tr")
    expect(schema).to_have_count(4)
    expect(schema.nth(1)).to_contain_text("yes (hashed)")
    rules = page.locator("table.rules")
    expect(rules).to_contain_text("at least 99.9% of rows have order_id and order_date present")
    expect(rules).to_contain_text("revenue_usd >= 0 on every row")
    expect(rules).to_contain_text("COUNT(*) > 0 on the table")  # the normalized SQL that runs
    expect(rules).to_contain_text("A day without orders means the feed stopped.")
    expect(page.locator("table.consumers tbody tr")).to_have_count(2)
    graph = page.locator("svg.lineage")
    expect(graph).to_be_visible()
    nodes = graph.locator("g.node")
    expect(nodes).to_have_count(4)
    expect(graph.locator("g.node.focus text.label")).to_have_text("orders-daily")
    expect(graph.locator("path.edge")).to_have_count(4)
    box = graph.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 40
    page.screenshot(path=str(artifacts_dir / "docs-site-product.png"), full_page=True)
    graph.locator("g.node[data-node='revenue-reconciliation']").click()
    expect(page).to_have_url(re.compile(r"products/revenue-reconciliation\.html$"))
    assert page_errors == []


def test_index_and_policy_pages(
    page: Page, base_url: str, page_errors: list[str], artifacts_dir: Path
) -> None:
    page.goto(urljoin(base_url, "index.html"))
    expect(page.locator("section.domain h2")).to_have_text(
        ["finance", "orders", "payments", "shipments"]
    )
    expect(page.locator("svg.lineage g.node")).to_have_count(5)
    page.screenshot(path=str(artifacts_dir / "docs-site.png"), full_page=False)
    page.goto(urljoin(base_url, "policy.html"))
    rules = page.locator("#rules + table")
    expect(rules).to_contain_text("a steward's e-mail address is at company.com")
    expect(rules).to_contain_text(
        "output location starts with s3://data-platform/products/{domain}/"
    )
    expect(page.locator("#domain-payments + p + table")).to_contain_text(
        "availability_target is at least 99.9%"
    )
    assert page_errors == []
