"""End to end in S3 mode: materialize orders-daily into SeaweedFS, then register it in Glue."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, materialize
from deltalake import DeltaTable
from fixtures.glue import GlueServer
from fixtures.s3 import PRODUCTS_BUCKET, S3Server

from mesh_dagster import MeshResource, build_definitions, load_mesh
from mesh_dagster.io.glue import build_glue_client, detect_drift, fetch_table, register_table
from mesh_dagster.io.locations import StorageSettings, storage_options

pytestmark = pytest.mark.integration

DAY = "2026-03-01"
ORDERS = [AssetKey(["orders", "order-events"]), AssetKey(["orders", "orders-daily"])]
PREFIX = "products/orders/orders_daily/"


def test_orders_daily_is_published_to_s3_and_registered_in_glue(
    s3_env: S3Server,
    glue: GlueServer,
    example_specs: Path,
    instance: DagsterInstance,
    pii_key: str,
    channel_env: None,
) -> None:
    resource = MeshResource(
        storage_mode="s3",
        s3_endpoint=s3_env.endpoint,
        s3_region=glue.region,
        glue_endpoint=glue.endpoint,
    )
    defs = build_definitions(example_specs, resources={"mesh": resource})
    assets = list(defs.assets or [])

    first = materialize(
        assets, selection=ORDERS, partition_key=DAY, resources=defs.resources, instance=instance
    )

    assert first.success
    keys = s3_env.keys(PRODUCTS_BUCKET, PREFIX)
    assert f"{PREFIX}_delta_log/00000000000000000000.json" in keys
    assert any(key.startswith(f"{PREFIX}order_date={DAY}/") for key in keys)
    uri = "s3://data-platform/products/orders/orders_daily"
    options = storage_options(uri, StorageSettings(mode="s3", s3_endpoint=s3_env.endpoint))
    before = DeltaTable(uri, storage_options=options).to_pyarrow_table()
    assert before.num_rows > 0

    again = materialize(
        assets, selection=ORDERS, partition_key=DAY, resources=defs.resources, instance=instance
    )

    assert again.success
    table = DeltaTable(uri, storage_options=options)
    assert table.version() == 1
    after = table.to_pyarrow_table()
    assert after.sort_by("order_id").equals(before.sort_by("order_id"))

    # Each publish is followed by the catalog registration, and a drift check before it.
    product = load_mesh(example_specs).product("orders-daily")
    drift = [
        event.event_specific_data
        for event in again.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
        and event.event_specific_data.check_name == "catalog_drift"  # type: ignore[union-attr]
        and event.event_specific_data.asset_key == ORDERS[1]  # type: ignore[union-attr]
    ]
    assert [evaluation.passed for evaluation in drift] == [True]  # type: ignore[union-attr]
    client = build_glue_client(glue.endpoint, glue.region)
    assert detect_drift(product, fetch_table(product, client), uri).drifted is False
    assert register_table(product, uri, client).action == "unchanged"
    registered = glue.client().get_table(DatabaseName="domain_orders", Name="orders_daily")
    columns = registered["Table"]["StorageDescriptor"]["Columns"]
    assert [column["Name"] for column in columns] == [
        column.name for column in product.spec.columns if column.name != "order_date"
    ]
    assert [key["Name"] for key in registered["Table"]["PartitionKeys"]] == ["order_date"]
    assert registered["Table"]["StorageDescriptor"]["Location"] == uri
