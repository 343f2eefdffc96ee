"""The Dagster UI as a new user meets it, in headless Chromium, on the README's run command.

One server for the module: ``bash scripts/run.sh`` in a fresh copy of the project (no
environment variables but a free port, and MESH_VENV to reuse this virtualenv), so the
development PII key and the local instance settings are the ones a newcomer gets. The
browser is what is tested; GraphQL is only used to wait for runs and reloads.

Screenshots go to ``test-artifacts/ui-*.png``; with ``MESH_UPDATE_SCREENSHOTS=1`` the ones
the README shows are also copied to ``docs/img/``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.mesh_dev import REPO, MeshDev, copy_project, fresh_environment, wait_for
from fixtures.servers import free_ports
from playwright.sync_api import Locator, Page, expect

pytestmark = [pytest.mark.integration, pytest.mark.browser]

DOMAINS = ["finance", "orders", "payments", "shipments"]
PRODUCTS = [
    "order-events",
    "orders-daily",
    "payment-events",
    "payments-daily",
    "shipment-events",
    "shipments-daily",
    "revenue-reconciliation",
]
ORDERS_DAILY_CHECKS = [
    "check_order_count_0",
    "check_revenue_usd_0",
    "completeness",
    "grain_unique",
    "not_empty",
    "partition_bounds",
    "pii_customer_id",
    "schema",
]
PARTITION = "2026-03-01"
RUN_TIMEOUT = 300.0
DOCS_IMAGES = {"ui-asset-graph.png", "ui-asset-page.png", "ui-checks.png"}

NEW_PRODUCT = """\
apiVersion: dataproduct/v1
kind: DataProduct
metadata:
  name: orders-by-channel
  domain: orders
  owner: orders-platform-team
  steward: jane.smith@company.com
spec:
  description: Completed orders per sales channel and day.
  partitioning: {by: day, column: order_date, start: "2026-01-01"}
  inputs:
    - product: order-events
  transform:
    sql: |
      select sales_channel, cast(event_time as date) as order_date, count(*) as orders
      from order_events where status = 'completed' group by all
  output:
    format: delta
    location: s3://data-platform/products/orders/orders_by_channel/
  schema:
    - {name: sales_channel, type: string, nullable: false}
    - {name: order_date, type: date, nullable: false}
    - {name: orders, type: bigint, nullable: false}
  consumers:
    - {team: marketing, use_case: Channel mix dashboard}
"""


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeshDev]:
    """Return the README's run command serving a fresh copy of the project."""
    project = copy_project(tmp_path_factory.mktemp("project"))
    (port,) = free_ports(1)
    server = MeshDev(
        project,
        ["bash", "scripts/run.sh"],
        port,
        project.parent / "run.log",
        fresh_environment(MESH_DEV_PORT=str(port)),
    )
    try:
        server.wait_until_ready()
        # Dagster's one-time "join the community" dialog would cover the page.
        server.graphql("mutation { setNuxSeen }")
        yield server
    finally:
        stopped = server.stop(signal.SIGTERM)
        leftovers = server.leftovers()
        server.kill_leftovers()
        assert stopped == 0, server.tail()
        assert leftovers == [], leftovers


@pytest.fixture(scope="module", autouse=True)
def patient_expectations() -> Iterator[None]:
    """Give assertions 20 s instead of 5: Dagster's pages query a lot on a busy 2-core box."""
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


def screenshot(page: Page, artifacts_dir: Path, name: str) -> None:
    """Save a screenshot in test-artifacts/ (and docs/img/ when asked to update it)."""
    path = artifacts_dir / name
    page.screenshot(path=str(path))
    if name in DOCS_IMAGES and os.environ.get("MESH_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, REPO / "docs" / "img" / name)


def expand_all_groups(page: Page) -> None:
    """Expand every group of the graph (the browser remembers it), then lay it out anew."""
    page.get_by_role("button", name="settings", exact=True).click()
    item = page.get_by_role("menuitem", name=re.compile("(Expand|Collapse) all groups"))
    if "Expand" in item.inner_text():
        item.click()
    page.keyboard.press("Escape")
    page.reload()  # the first layout of a page fits the whole graph in view


_ALL_NODES_IN_VIEW = """(svg) => {
  const pane = svg.parentElement.getBoundingClientRect();
  const view = {
    top: Math.max(pane.top, 0), bottom: Math.min(pane.bottom, window.innerHeight),
    left: Math.max(pane.left, 0), right: Math.min(pane.right, window.innerWidth),
  };
  const boxes = [...svg.querySelectorAll("foreignObject")]
    .map((node) => node.getBoundingClientRect())
    .filter((box) => box.width > 0);
  return boxes.every((box) => box.top >= view.top && box.bottom <= view.bottom
    && box.left >= view.left && box.right <= view.right);
}"""


def fit_in_view(page: Page, graph: Locator) -> None:
    """Zoom out until every node of the graph is in view (for the picture, not the test).

    Two steps at most: further out, Dagster draws nodes without their names.
    """
    svg = graph.element_handle()
    for _ in range(2):
        if svg.evaluate(_ALL_NODES_IN_VIEW):
            return
        page.get_by_role("button", name="zoom_out", exact=True).click()
        page.wait_for_timeout(400)  # the zoom is animated


def test_the_asset_graph_shows_every_domain_and_the_cross_domain_lineage(
    dev: MeshDev, page: Page, page_errors: list[str], artifacts_dir: Path
) -> None:
    page.set_viewport_size({"width": 1600, "height": 1200})
    page.goto(f"{dev.url}/asset-groups")
    graph = page.locator("svg").filter(has_text="assets").first
    for domain in DOMAINS:
        expect(graph).to_contain_text(domain)
    expand_all_groups(page)
    graph = page.locator("svg").filter(has_text="revenue-reconciliation").first
    for product in PRODUCTS:
        expect(graph.get_by_text(product, exact=True)).to_be_visible()
    expect(graph.get_by_text("Loading...")).to_have_count(0)
    fit_in_view(page, graph)
    screenshot(page, artifacts_dir, "ui-asset-graph.png")

    # The finance product's lineage reaches into two other domains, and only those.
    page.goto(f"{dev.url}/assets/finance/revenue-reconciliation")
    upstream = page.get_by_text("Upstream assets").locator("xpath=..")
    expect(upstream).to_contain_text("orders / orders-daily")
    expect(upstream).to_contain_text("payments / payments-daily")
    page.goto(f"{dev.url}/assets/finance/revenue-reconciliation?view=lineage&lineageScope=upstream")
    graph = page.locator("svg").filter(has_text="revenue-reconciliation").first
    for product in ["orders-daily", "payments-daily"]:
        expect(graph.get_by_text(product, exact=True)).to_be_visible()
    for domain in ["orders", "payments", "finance"]:
        expect(graph).to_contain_text(domain)
    expect(graph).not_to_contain_text("shipments")
    expect(graph.get_by_text("Loading...")).to_have_count(0)
    screenshot(page, artifacts_dir, "ui-lineage.png")
    assert page_errors == []


def test_the_orders_daily_page_shows_its_contract(
    dev: MeshDev, page: Page, page_errors: list[str], artifacts_dir: Path
) -> None:
    page.goto(f"{dev.url}/assets/orders/orders-daily")
    main = page.locator("#root")
    expect(main.get_by_text("Daily aggregate of all completed orders.")).to_be_visible()
    # Owners: the team and the steward.
    expect(main.get_by_text("orders-platform-team", exact=True)).to_be_visible()
    expect(main.get_by_text("jane.smith@company.com", exact=True).first).to_be_visible()
    # Column schema, with the PII mark on the hashed column.
    columns = page.locator("table").filter(has_text="Column name")
    for column in ["order_id", "customer_id", "order_date", "order_count", "revenue_usd"]:
        expect(columns.get_by_text(column, exact=True)).to_be_visible()
    customer = columns.locator("tr").filter(has_text="customer_id")
    expect(customer.get_by_text("pii: hashed").first).to_be_visible()
    expect(columns.locator("tr").filter(has_text="order_id")).not_to_contain_text("pii")
    # The freshness policy derived from sla.available_by and freshness_sla_hours.
    expect(main.get_by_text("Deadline: At 07:00 AM UTC")).to_be_visible()
    expect(
        main.get_by_text("Fresh if materialized no earlier than 2 hours before each deadline.")
    ).to_be_visible()
    screenshot(page, artifacts_dir, "ui-asset-page.png")

    page.get_by_role("tab", name="Checks").click()
    expect(page.get_by_text("Checks (9)")).to_be_visible()
    for check in [*ORDERS_DAILY_CHECKS, "sla"]:
        expect(page.get_by_text(check, exact=True).first).to_be_visible()
    assert page_errors == []


def run_status(dev: MeshDev, run_id: str) -> str:
    query = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
    return str(dev.graphql(query, {"id": run_id})["runOrError"]["status"])


def run_of_partition(dev: MeshDev, partition: str) -> str | None:
    """Return the id of the latest run of ``partition``, if any."""
    query = """query($tags: [ExecutionTag!]) {
      runsOrError(filter: {tags: $tags}, limit: 1) { ... on Runs { results { runId } } }
    }"""
    tags = [{"key": "dagster/partition", "value": partition}]
    runs = dev.graphql(query, {"tags": tags})["runsOrError"]["results"]
    return str(runs[0]["runId"]) if runs else None


def test_materialize_a_partition_from_the_ui_and_see_its_checks_pass(
    dev: MeshDev, page: Page, page_errors: list[str], artifacts_dir: Path
) -> None:
    # orders-daily reads order-events: build the day of both, as one run of the group.
    page.goto(f"{dev.url}/locations/mesh/asset-groups/orders")
    page.get_by_role("button", name=re.compile("Materialize all")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Launch runs to materialize 2 assets")
    partitions = dialog.get_by_role("textbox").first  # the partition range text field
    expect(partitions).to_be_visible()
    older = dialog.get_by_text("Show all partitions")  # only offered past 90 days of history
    if older.count():
        older.click()
        expect(partitions).to_have_attribute("placeholder", re.compile("ex: 2026-01-01"))
    partitions.fill(PARTITION)
    partitions.press("Enter")
    expect(dialog).to_contain_text("1 partition")
    dialog.get_by_role("button", name="Launch 1 run").click()
    expect(page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))).to_be_visible()
    run_id = wait_for(lambda: run_of_partition(dev, PARTITION), 60, "the launched run")
    status = wait_for(
        lambda: (s := run_status(dev, run_id)) in ("SUCCESS", "FAILURE", "CANCELED") and s,
        RUN_TIMEOUT,
        f"run {run_id} to finish",
        interval=2.0,
    )
    assert status == "SUCCESS", dev.tail()

    page.goto(f"{dev.url}/assets/orders/orders-daily?view=checks")
    checks = page.locator("#root")
    expect(checks.get_by_text("Checks (9)")).to_be_visible()
    for check in ORDERS_DAILY_CHECKS:
        row = checks.get_by_text(check, exact=True).first.locator("xpath=../..")
        expect(row).to_contain_text("Succeeded")
    checks.get_by_text("check_order_count_0", exact=True).first.click()
    expect(checks.get_by_text(PARTITION, exact=True).first).to_be_visible()
    expect(
        checks.get_by_text(re.compile(r"all [\d,]+ rows satisfy order_count > 0"))
    ).to_be_visible()
    screenshot(page, artifacts_dir, "ui-checks.png")
    # The build ran in December for a March day, due before the product first appeared:
    # history, not a late publish, so the sla check run with it does not judge it.
    checks.get_by_text("sla", exact=True).first.click()
    expect(checks.get_by_text("not_judged", exact=True).first).to_be_visible()
    assert page_errors == []


def test_a_new_spec_file_appears_without_a_restart(
    dev: MeshDev, page: Page, page_errors: list[str], artifacts_dir: Path
) -> None:
    pid, since = dev.process.pid, dev.mark()
    (dev.project / "specs" / "orders" / "orders_by_channel.yaml").write_text(NEW_PRODUCT)
    dev.wait_for_output("(added orders-by-channel).", since)
    page.goto(f"{dev.url}/locations/mesh/asset-groups/orders")
    expect(page.get_by_text("orders-by-channel", exact=True).first).to_be_visible()
    page.goto(f"{dev.url}/assets/orders/orders-by-channel")
    expect(page.get_by_text("Completed orders per sales channel and day.")).to_be_visible()
    screenshot(page, artifacts_dir, "ui-new-product.png")
    assert dev.process.pid == pid and dev.process.poll() is None
    assert page_errors == []


def test_a_broken_spec_leaves_the_ui_working_while_mesh_dev_prints_the_error(
    dev: MeshDev, page: Page, page_errors: list[str], artifacts_dir: Path
) -> None:
    since = dev.mark()
    broken = dev.project / "specs" / "payments" / "payment_refunds.yaml"
    refunds = NEW_PRODUCT.replace("orders-by-channel", "payment-refunds")
    broken.write_text(refunds.replace("  partitioning:", "  partitionning:"))
    output = dev.wait_for_output("spec problem", since)
    assert (
        "mesh dev: specs/payments/payment_refunds.yaml added: the specs are invalid; "
        "the UI keeps the last valid definitions.\n"
    ) in output
    assert (
        "specs/payments/payment_refunds.yaml:10:3: spec.partitionning: unknown field. "
        "Did you mean 'partitioning'?"
    ) in output

    # The UI still serves the last valid mesh, and the code location has no error.
    page.goto(f"{dev.url}/locations")
    expect(page.get_by_text("mesh_dagster.dev.location").first).to_be_visible()
    expect(page.get_by_text("Loaded", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile("error|failed", re.IGNORECASE))).to_have_count(0)
    page.goto(f"{dev.url}/assets/orders/orders-by-channel")
    expect(page.get_by_text("Completed orders per sales channel and day.")).to_be_visible()
    screenshot(page, artifacts_dir, "ui-after-broken-spec.png")
    assert "payments/payment-refunds" not in dev.asset_keys()
    assert page_errors == []

    since = dev.mark()
    broken.unlink()
    assert (
        "mesh dev: specs/payments/payment_refunds.yaml removed: reloaded 8 products in 4 domains.\n"
        in dev.wait_for_output("reloaded", since)
    )
