"""Routing: domain channels then spec channels, warn never pages, consumers opt in by e-mail."""

from __future__ import annotations

from datetime import UTC, datetime

from fixtures.receivers import ALERT_CHANNELS
from spec_folder import DELETE, SpecFolder

from mesh_dagster.alerts import (
    Route,
    asset_url,
    audience_for,
    dagster_url_of,
    incident_for,
    recipients_for,
)
from mesh_dagster.spec import Mesh

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
FINANCE = {
    "team": "finance",
    "use_case": "Revenue reporting",
    "contact": "finance-data@company.com",
    "notify": True,
}


def channels(mesh: Mesh, name: str = "orders-daily", urgency: str = "high") -> list[Route]:
    return recipients_for(mesh, mesh.product(name), urgency)  # type: ignore[arg-type]


def test_domain_channels_come_first_then_the_spec_channels(alerts_mesh: Mesh) -> None:
    assert channels(alerts_mesh) == [
        Route(channel="orders-slack"),
        Route(channel="orders-pagerduty"),
        Route(channel="orders-email", bcc=("finance-data@company.com",)),
        Route(channel="platform-webhook"),
    ]


def test_a_spec_channel_already_in_the_domain_is_told_once(specs: SpecFolder) -> None:
    specs.policy(alert_channels=ALERT_CHANNELS)
    specs.product(spec={"alerts": {"channels": ["platform-webhook", "orders-slack"]}})
    assert [route.channel for route in channels(specs.load())] == [
        "orders-slack",
        "platform-webhook",
    ]


def test_warn_incidents_never_page(alerts_mesh: Mesh) -> None:
    assert [route.channel for route in channels(alerts_mesh, urgency="low")] == [
        "orders-slack",
        "orders-email",
        "platform-webhook",
    ]


def test_consumers_who_opted_in_are_added_to_the_first_email_channel(specs: SpecFolder) -> None:
    specs.policy(
        domains={"orders": {"alert_channels": ["orders-email", "payments-email"]}},
        alert_channels=ALERT_CHANNELS,
    )
    consumers = [
        FINANCE,
        # already a recipient of the channel: not added twice
        {"team": "oncall", "use_case": "x", "contact": "orders-oncall@company.com", "notify": True},
        # a contact without notify is never told
        {"team": "ml", "use_case": "y", "contact": "ml@company.com"},
        {**FINANCE, "team": "finance-2"},
    ]
    specs.product(spec={"consumers": consumers})
    assert channels(specs.load()) == [
        Route(channel="orders-email", bcc=("finance-data@company.com",)),
        Route(channel="payments-email"),
    ]


def test_without_an_email_route_consumers_go_by_the_first_declared_email_channel(
    specs: SpecFolder,
) -> None:
    # the example policy: orders routes to Slack only; payments-email is declared
    specs.policy()
    specs.product(spec={"consumers": [FINANCE]})
    assert channels(specs.load()) == [
        Route(channel="orders-slack"),
        Route(
            channel="payments-email",
            bcc=("finance-data@company.com",),
            channel_recipients=False,
        ),
    ]


def test_a_product_routed_nowhere_is_mailed_to_its_steward(specs: SpecFolder) -> None:
    specs.policy(domains={"orders": {"alert_channels": []}})
    specs.product(spec={"consumers": [FINANCE]})
    assert channels(specs.load()) == [
        Route(
            channel="payments-email",
            bcc=("jane@company.com", "finance-data@company.com"),
            channel_recipients=False,
        )
    ]


def test_without_any_email_channel_consumers_are_not_routed(specs: SpecFolder) -> None:
    specs.policy(
        domains={"payments": {"alert_channels": []}},
        alert_channels={"payments-email": DELETE},
    )
    specs.product(spec={"consumers": [FINANCE]})
    assert channels(specs.load()) == [Route(channel="orders-slack")]


def test_the_audience_names_owner_steward_consumers_and_the_asset(alerts_mesh: Mesh) -> None:
    audience = audience_for(alerts_mesh, alerts_mesh.product("orders-daily"))
    assert audience.model_dump(exclude={"routes"}) == {
        "owner": "orders-team",
        "steward": "jane@company.com",
        "consumers": ("finance", "ml-platform"),
        "downstream": ("revenue-monthly",),
        "asset_url": "http://127.0.0.1:3000/assets/orders/orders-daily",
    }


def test_the_dagster_url_comes_from_the_environment_then_the_policy(alerts_mesh: Mesh) -> None:
    policy = alerts_mesh.policy
    assert dagster_url_of(policy, {}) == "http://127.0.0.1:3000"
    environ = {"MESH_DAGSTER_URL": "https://dagster.company.com/"}
    assert dagster_url_of(policy, environ) == "https://dagster.company.com"
    product = alerts_mesh.product("orders-daily")
    assert asset_url("https://dagster.company.com/", product) == (
        "https://dagster.company.com/assets/orders/orders-daily"
    )


def test_an_incident_is_built_from_the_mesh(alerts_mesh: Mesh) -> None:
    product = alerts_mesh.product("orders-daily")
    warn = incident_for(
        alerts_mesh,
        product,
        "check_failed",
        opened_at=T0,
        partition="2026-03-01",
        rule="revenue_usd_non_negative",
        severity="warn",
        details={"failed_rows": 3},
        dagster_url="https://dagster.company.com",
    )
    assert (warn.domain, warn.timezone, warn.urgency) == ("orders", "UTC", "low")
    assert warn.audience.asset_url == "https://dagster.company.com/assets/orders/orders-daily"
    assert "orders-pagerduty" not in [route.channel for route in warn.audience.routes]
    error = incident_for(alerts_mesh, product, "run_failed", opened_at=T0, partition="2026-03-01")
    assert "orders-pagerduty" in [route.channel for route in error.audience.routes]
