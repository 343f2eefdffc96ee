"""What a run says: failing rules with a few PII-safe sample keys; channel warnings once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mesh_dagster.checks.outcome import CheckOutcome, summarize_failures
from mesh_dagster.compile import definitions
from mesh_dagster.compile.channel_warnings import ChannelWarnings
from mesh_dagster.spec.loader import load_mesh

SPECS = Path(__file__).resolve().parents[2] / "specs"


def outcome(name: str, keys: tuple[dict[str, object], ...]) -> CheckOutcome:
    detail = f"{len(keys)} of 10 rows ({len(keys) * 10}.00%) do not satisfy arr_delay < 60"
    return CheckOutcome(
        name, "custom", "error", False, len(keys), len(keys) / 10, 10, "arr_delay < 60",
        detail, keys,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_blocked_publish_names_each_rule_and_three_of_its_failing_keys() -> None:
    keys = tuple({"carrier": carrier, "day": "2013-01-01"} for carrier in ("AA", "B6", "UA", "WN"))
    nulls = ({"carrier": None, "day": "2013-01-02"},)

    text = summarize_failures([outcome("on_time", keys), outcome("no_gap", nulls)])

    assert text == (
        "2 error checks failed:\n"
        "- on_time: 4 of 10 rows (40.00%) do not satisfy arr_delay < 60\n"
        "  failing rows include carrier=AA, day=2013-01-01; carrier=B6, day=2013-01-01; "
        "carrier=UA, day=2013-01-01\n"
        "- no_gap: 1 of 10 rows (10.00%) do not satisfy arr_delay < 60\n"
        "  failing rows include carrier=null, day=2013-01-02"
    )


def test_a_rule_without_sample_keys_is_one_line() -> None:
    assert summarize_failures([outcome("on_time", ())]) == (
        "1 error check failed:\n- on_time: 0 of 10 rows (0.00%) do not satisfy arr_delay < 60"
    )


def skipped(channel: str, kind: str, variable: str, field: str) -> str:
    return (
        f"alert channel '{channel}' ({kind}) is skipped: the environment variable {variable} "
        f"named by its {field} is not set. In production mode this is an error."
    )


ORDERS_SLACK = skipped("orders-slack", "slack", "ORDERS_SLACK_WEBHOOK_URL", "webhook_url_env")
ORDERS_PAGERDUTY = skipped(
    "orders-pagerduty", "pagerduty", "ORDERS_PAGERDUTY_ROUTING_KEY", "routing_key_env"
)
PAYMENTS_EMAIL = skipped("payments-email", "email", "MESH_SMTP_HOST", "smtp_host_env")


def test_a_build_hears_of_its_own_products_channels_once() -> None:
    mesh = load_mesh(SPECS)
    warnings = ChannelWarnings()

    first = warnings.for_product(mesh, mesh.product("order-events"), {})
    same_channels = warnings.for_product(mesh, mesh.product("orders-daily"), {})
    other_domain = warnings.for_product(mesh, mesh.product("payment-events"), {})

    assert first == [ORDERS_SLACK, ORDERS_PAGERDUTY]
    assert same_channels == []
    assert other_domain == [PAYMENTS_EMAIL]


def test_loading_the_definitions_warns_of_no_channel(caplog: pytest.LogCaptureFixture) -> None:
    mesh = load_mesh(SPECS)

    with caplog.at_level(logging.WARNING, logger="mesh_dagster"):
        definitions.build_mesh_definitions(mesh)

    assert [r.getMessage() for r in caplog.records if "alert channel" in r.getMessage()] == []
