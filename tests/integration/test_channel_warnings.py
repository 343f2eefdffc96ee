"""A run's log warns of the skipped channels of the products it builds, and of no others."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from mesh_dagster import MeshResource, build_definitions
from mesh_dagster.compile import channel_warnings


def test_a_run_warns_of_its_products_channels_only(
    example_specs: Path,
    warehouse: Path,
    instance: DagsterInstance,
    pii_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(channel_warnings, "PROCESS_WARNINGS", channel_warnings.ChannelWarnings())
    for variable in ("ORDERS_SLACK_WEBHOOK_URL", "ORDERS_PAGERDUTY_ROUTING_KEY", "MESH_SMTP_HOST"):
        monkeypatch.delenv(variable, raising=False)
    defs = build_definitions(
        example_specs, resources={"mesh": MeshResource(warehouse=str(warehouse))}
    )

    result = materialize(
        list(defs.assets or []),
        partition_key="2026-03-01",
        resources=defs.resources,
        instance=instance,
        selection=[AssetKey(["orders", "order-events"])],
    )

    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    channels = [text.split("'")[1] for text in messages if text.startswith("alert channel ")]
    assert channels == ["orders-slack", "orders-pagerduty"]
