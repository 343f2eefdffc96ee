"""Glue registration and drift detection against moto's Glue API over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from fixtures.glue import GlueServer
from fixtures.s3 import S3Server
from fixtures.servers import free_ports

from mesh_dagster.io.catalog_table import glue_type
from mesh_dagster.io.delta import PeriodFilter, read_rows, write_period
from mesh_dagster.io.glue import (
    CatalogDrift,
    CatalogError,
    build_glue_client,
    detect_drift,
    fetch_table,
    register_table,
)
from mesh_dagster.io.locations import StorageSettings, resolve_location, storage_options
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.periods import Period

pytestmark = pytest.mark.integration

URI = "s3://data-platform/products/orders/orders_daily"
SCHEMA: list[dict[str, Any]] = [
    {"name": "order_id", "type": "string", "nullable": False, "description": "Order number."},
    {
        "name": "customer_id",
        "type": "string",
        "pii": True,
        "pii_handling": "hashed",
        "description": "Customer, HMAC-hashed.",
    },
    {"name": "order_date", "type": "date", "nullable": False, "description": "Day of the order."},
    {"name": "revenue_usd", "type": "decimal(12,2)", "description": "Revenue in USD."},
    {"name": "items", "type": "integer"},
    {"name": "views", "type": "bigint"},
    {"name": "discount", "type": "double"},
    {"name": "is_gift", "type": "boolean"},
    {"name": "ordered_at", "type": "timestamp"},
]


def orders_product(specs: Any, schema: list[dict[str, Any]] | None = None) -> DataProduct:
    specs.product(
        metadata={"version": "1.2.0"},
        spec={
            "output": {
                "format": "delta",
                "location": "s3://data-platform/products/orders/orders_daily/",
                "catalog": "glue",
                "database": "domain_orders",
                "table": "orders_daily",
            },
            "schema": schema or SCHEMA,
        },
    )
    product: DataProduct = specs.load().product("orders-daily")
    return product


def client_for(glue: GlueServer) -> Any:
    return build_glue_client(glue.endpoint, glue.region)


def test_spec_types_map_to_hive_types() -> None:
    assert [glue_type(column["type"]) for column in SCHEMA] == [
        "string",
        "string",
        "date",
        "decimal(12,2)",
        "int",
        "bigint",
        "double",
        "boolean",
        "timestamp",
    ]


def test_registration_creates_the_database_and_the_delta_table(
    glue: GlueServer, specs: Any
) -> None:
    product = orders_product(specs)

    registration = register_table(product, URI, client_for(glue))

    assert (registration.table, registration.action) == ("domain_orders.orders_daily", "created")
    admin = glue.client()
    assert admin.get_database(Name="domain_orders")["Database"]["Name"] == "domain_orders"
    table = admin.get_table(DatabaseName="domain_orders", Name="orders_daily")["Table"]
    storage = table["StorageDescriptor"]
    assert [
        (c["Name"], c["Type"], c.get("Comment"), c["Parameters"]) for c in storage["Columns"]
    ] == [
        ("order_id", "string", "Order number.", {"pii": "false"}),
        (
            "customer_id",
            "string",
            "Customer, HMAC-hashed.",
            {"pii": "true", "pii_handling": "hashed"},
        ),
        ("revenue_usd", "decimal(12,2)", "Revenue in USD.", {"pii": "false"}),
        ("items", "int", None, {"pii": "false"}),
        ("views", "bigint", None, {"pii": "false"}),
        ("discount", "double", None, {"pii": "false"}),
        ("is_gift", "boolean", None, {"pii": "false"}),
        ("ordered_at", "timestamp", None, {"pii": "false"}),
    ]
    assert [(k["Name"], k["Type"], k.get("Comment")) for k in table["PartitionKeys"]] == [
        ("order_date", "date", "Day of the order.")
    ]
    assert storage["Location"] == URI
    assert storage["SerdeInfo"]["Parameters"]["path"] == URI
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Owner"] == "orders-team"
    assert table["Description"] == "Daily orders."
    parameters = table["Parameters"]
    assert {key: parameters[key] for key in parameters if key != "mesh.fingerprint"} == {
        "EXTERNAL": "TRUE",
        "table_type": "DELTA",
        "classification": "delta",
        "spark.sql.sources.provider": "delta",
        "mesh.product": "orders-daily",
        "mesh.domain": "orders",
        "mesh.owner": "orders-team",
        "mesh.steward": "jane@company.com",
        "mesh.version": "1.2.0",
    }


def test_registering_again_changes_nothing(glue: GlueServer, specs: Any) -> None:
    product = orders_product(specs)
    client = client_for(glue)
    register_table(product, URI, client)

    again = register_table(product, URI, client)

    assert (again.action, again.changes) == ("unchanged", ())
    versions = glue.client().get_table_versions(
        DatabaseName="domain_orders", TableName="orders_daily"
    )
    assert len(versions["TableVersions"]) == 1
    drift = detect_drift(product, fetch_table(product, client), URI)
    assert drift == CatalogDrift("domain_orders.orders_daily", True, False, ())
    assert drift.describe() == "domain_orders.orders_daily matches the spec."


def test_a_spec_change_is_applied_and_is_not_drift(glue: GlueServer, specs: Any) -> None:
    client = client_for(glue)
    register_table(orders_product(specs), URI, client)
    changed = orders_product(specs, [*SCHEMA, {"name": "coupon", "type": "string"}])

    drift = detect_drift(changed, fetch_table(changed, client), URI)
    registration = register_table(changed, URI, client)

    assert drift.differences == ("column 'coupon' is in the spec but not in Glue",)
    assert (drift.changed_outside, drift.drifted) == (False, False)
    assert (registration.action, registration.changes) == ("updated", drift.differences)
    table = glue.client().get_table(DatabaseName="domain_orders", Name="orders_daily")["Table"]
    assert table["StorageDescriptor"]["Columns"][-1]["Name"] == "coupon"
    assert detect_drift(changed, fetch_table(changed, client), URI).differences == ()


def test_a_change_made_outside_is_reported_then_undone(glue: GlueServer, specs: Any) -> None:
    product = orders_product(specs)
    client = client_for(glue)
    register_table(product, URI, client)
    admin = glue.client()
    table = admin.get_table(DatabaseName="domain_orders", Name="orders_daily")["Table"]
    columns = table["StorageDescriptor"]["Columns"]
    columns[1]["Parameters"] = {}  # PII classification dropped
    columns[2]["Type"] = "string"
    columns.append({"Name": "note", "Type": "string"})
    parameters = {**table["Parameters"], "table_type": "HIVE", "lake.tag": "gold"}
    admin.update_table(
        DatabaseName="domain_orders",
        TableInput={
            "Name": "orders_daily",
            "Owner": table["Owner"],
            "TableType": table["TableType"],
            "Parameters": parameters,
            "StorageDescriptor": {**table["StorageDescriptor"], "Columns": columns},
            "PartitionKeys": table["PartitionKeys"],
        },
    )

    drift = detect_drift(product, fetch_table(product, client), URI)

    assert drift.drifted
    assert drift.differences == (
        "column 'note' is in Glue but not in the spec",
        "column 'customer_id' pii: Glue has nothing, the spec says 'true'",
        "column 'customer_id' pii handling: Glue has nothing, the spec says 'hashed'",
        "column 'revenue_usd' type: Glue has 'string', the spec says 'decimal(12,2)'",
        "description: Glue has nothing, the spec says 'Daily orders.'",
        "parameter 'table_type': Glue has 'HIVE', the spec says 'DELTA'",
    )
    assert drift.describe() == (
        "domain_orders.orders_daily was changed outside the platform (6 difference(s) from "
        "the spec); it is made to match the spec again."
    )
    assert register_table(product, URI, client).action == "updated"
    repaired = fetch_table(product, client)
    assert detect_drift(product, repaired, URI) == CatalogDrift(
        "domain_orders.orders_daily", True, False, ()
    )
    assert repaired is not None
    assert repaired["Parameters"]["lake.tag"] == "gold"  # other tools' parameters are kept


def test_a_table_created_outside_the_platform_is_drift(glue: GlueServer, specs: Any) -> None:
    product = orders_product(specs)
    admin = glue.client()
    admin.create_database(DatabaseInput={"Name": "domain_orders"})
    admin.create_table(
        DatabaseName="domain_orders",
        TableInput={
            "Name": "orders_daily",
            "StorageDescriptor": {
                "Columns": [{"Name": "order_id", "Type": "string"}],
                "Location": URI,
            },
        },
    )
    client = client_for(glue)

    drift = detect_drift(product, fetch_table(product, client), URI)

    assert drift.changed_outside and drift.drifted
    assert "partition key 'order_date' is in the spec but not in Glue" in drift.differences
    registration = register_table(product, URI, client)
    assert registration.action == "updated"
    assert detect_drift(product, fetch_table(product, client), URI).drifted is False


def test_a_product_not_registered_yet_has_no_drift(glue: GlueServer, specs: Any) -> None:
    product = orders_product(specs)

    drift = detect_drift(product, fetch_table(product, client_for(glue)))

    assert drift == CatalogDrift("domain_orders.orders_daily", False, False, ())
    assert drift.describe() == (
        "domain_orders.orders_daily is not registered yet; it is created from the spec."
    )


def test_a_failed_registration_leaves_the_publish_whole_and_is_retried(
    s3_env: S3Server, glue: GlueServer, specs: Any
) -> None:
    product = orders_product(specs)
    settings = StorageSettings(mode="s3", s3_endpoint=s3_env.endpoint, s3_region="us-east-1")
    uri = resolve_location(product.spec.output.location, settings)
    day = date(2026, 3, 1)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    period = PeriodFilter("order_date", True, Period("2026-03-01", start, start + timedelta(1)))
    rows = pa.table({"order_id": ["a", "b"], "order_date": pa.array([day, day], pa.date32())})
    version = write_period(rows, uri, storage_options(uri, settings), period)
    (port,) = free_ports(1)
    unreachable = build_glue_client(f"http://127.0.0.1:{port}", glue.region, max_attempts=1)

    with pytest.raises(CatalogError) as raised:
        register_table(product, uri, unreachable)

    assert str(raised.value) == (
        "could not register domain_orders.orders_daily in the Glue Data Catalog: the Glue "
        "endpoint could not be reached. The Delta table itself is published; registration "
        "is retried on the next run."
    )
    assert (raised.value.reason, raised.value.transient) == ("unreachable", True)
    published = read_rows(uri, storage_options(uri, settings), period)
    assert version == 0 and published is not None and published.num_rows == 2
    assert register_table(product, uri, client_for(glue)).action == "created"


def test_a_missing_region_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")

    with pytest.raises(CatalogError) as raised:
        build_glue_client()

    assert str(raised.value) == (
        "cannot reach the Glue Data Catalog: no AWS region is configured. "
        "Set AWS_REGION (or AWS_DEFAULT_REGION, or a region in the AWS profile)."
    )
    assert raised.value.transient is False
