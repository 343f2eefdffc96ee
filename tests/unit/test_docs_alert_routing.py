"""`mesh docs` shows each product's effective alert routing, as the alert sensor routes it."""

from __future__ import annotations

from pathlib import Path

from spec_folder import DELETE, SpecFolder

from mesh_dagster.docs.markdown_pages import render_product_markdown
from mesh_dagster.docs.words import alert_routing_text
from mesh_dagster.spec.loader import load_mesh

REPO = Path(__file__).resolve().parents[2]
NOTIFIED = {"team": "finance", "use_case": "Revenue", "contact": "fin@company.com", "notify": True}


def test_the_example_mesh() -> None:
    mesh = load_mesh(REPO / "specs")
    routes = {name: alert_routing_text(mesh, product) for name, product in mesh.products.items()}
    assert routes["orders-daily"] == (
        "orders-slack (slack); orders-pagerduty (pagerduty, error incidents only)"
    )
    assert routes["payments-daily"] == (
        "payments-email (email to payments-oncall@company.com, Bcc notified consumers "
        "finance-data@company.com)"
    )
    assert routes["shipments-daily"] == "platform-webhook (webhook)"


def test_a_product_without_channels_reaches_its_steward_and_notified_consumers(
    specs: SpecFolder,
) -> None:
    specs.policy(domains={"orders": {"alert_channels": []}})
    specs.product(spec={"consumers": [NOTIFIED]})
    mesh = specs.load()
    text = alert_routing_text(mesh, mesh.product("orders-daily"))
    assert text == (
        "e-mail through payments-email to steward jane@company.com (no channel of its own) "
        "and notified consumers fin@company.com"
    )
    page = render_product_markdown(mesh, mesh.product("orders-daily"))
    assert f"| Alerts | {text} |" in page


def test_notified_consumers_of_a_product_without_e_mail_go_through_the_first_e_mail_channel(
    specs: SpecFolder,
) -> None:
    specs.policy()
    specs.product(spec={"consumers": [NOTIFIED]})
    mesh = specs.load()
    assert alert_routing_text(mesh, mesh.product("orders-daily")) == (
        "orders-slack (slack); e-mail through payments-email to notified consumers fin@company.com"
    )


def test_a_product_routed_nowhere_says_so(specs: SpecFolder) -> None:
    slack = {"kind": "slack", "webhook_url_env": "ORDERS_SLACK_WEBHOOK_URL"}
    specs.policy(
        domains={"orders": {"alert_channels": []}, "payments": {"alert_channels": []}},
        alert_channels={"orders-slack": slack, "payments-email": DELETE},
    )
    specs.product()
    mesh = specs.load()
    assert alert_routing_text(mesh, mesh.product("orders-daily")) == (
        "none: no alert channel, and mesh.yaml has no e-mail channel to reach the steward"
    )
