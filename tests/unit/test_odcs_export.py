"""`export_contract`: every product as an ODCS v3.1.0 contract the official schema accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_folder import merge, product_data

from mesh_dagster.odcs.export import export_contract
from mesh_dagster.odcs.render import render_yaml
from mesh_dagster.odcs.schema_check import official_schema, schema_problems
from mesh_dagster.spec import DataProduct, load_mesh
from mesh_dagster.spec.yaml_source import SourceMap, parse_yaml

SPECS = Path(__file__).resolve().parents[2] / "specs"
MESH = load_mesh(SPECS)


def _problems(contract: dict[str, object], version: str) -> list[str]:
    return [
        str(p) for p in schema_problems(contract, SourceMap("c.yaml"), official_schema(version))
    ]


@pytest.mark.parametrize("name", sorted(MESH.products))
@pytest.mark.parametrize("version", ["v3.1.0", "v3.2.0"])
def test_every_example_product_passes_the_official_schema(name: str, version: str) -> None:
    contract = export_contract(MESH.product(name))
    assert contract["apiVersion"] == "v3.1.0"
    assert _problems(contract, version) == []
    # what is written to the file reads back as the same data
    text = render_yaml(contract)
    assert parse_yaml(text, "c.yaml").data == contract


def test_the_official_schema_catches_a_broken_contract() -> None:
    contract = export_contract(MESH.product("orders-daily"))
    contract["schema"][0]["properties"][0]["logicalType"] = "text"  # type: ignore[index]
    del contract["status"]
    assert _problems(contract, "v3.1.0") == [
        "c.yaml:1:1: required field 'status' is missing.",
        "c.yaml:1:1: schema[0].properties[0].logicalType: expected one of 'string', 'date', "
        "'timestamp', 'time', 'number', 'integer', 'object', 'array', 'boolean'; got 'text'.",
    ]


def test_orders_daily_maps_field_by_field() -> None:
    contract = export_contract(MESH.product("orders-daily"))
    assert [contract[key] for key in ("id", "name", "version", "status", "domain")] == [
        "orders-daily", "orders-daily", "0.0.0", "active", "orders",
    ]  # fmt: skip
    assert contract["team"] == {
        "name": "orders-platform-team",
        "members": [{"username": "jane.smith@company.com", "role": "steward"}],
    }
    assert contract["servers"] == [
        {
            "server": "production",
            "type": "s3",
            "location": "s3://data-platform/products/orders/orders_daily/",
            "format": "delta",
        },
        {
            "server": "glue",
            "type": "glue",
            "account": "default",
            "database": "domain_orders",
            "location": "s3://data-platform/products/orders/orders_daily/",
            "format": "delta",
        },
    ]
    table = contract["schema"][0]  # type: ignore[index]
    assert (table["name"], table["physicalName"], table["physicalType"]) == (
        "orders_daily", "orders_daily", "table",
    )  # fmt: skip
    order_id, customer_id, order_date = table["properties"][:3]
    assert (order_id["primaryKey"], order_id["primaryKeyPosition"]) == (True, 1)
    assert (order_date["primaryKeyPosition"], order_date["partitioned"]) == (2, True)
    assert customer_id["classification"] == "restricted"
    assert customer_id["customProperties"] == [{"property": "mesh.piiHandling", "value": "hashed"}]
    assert customer_id["quality"][1] == {
        "id": "pii_customer_id",
        "dimension": "conformity",
        "severity": "error",
        "type": "library",
        "metric": "invalidValues",
        "arguments": {"pattern": "^[0-9a-f]{64}$"},
        "mustBe": 0,
        "description": "customer_id is published hashed (HMAC-SHA256, hex).",
        "customProperties": [{"property": "mesh.rule", "value": "pii"}],
    }
    assert order_id["quality"][0]["mustBeLessOrEqualTo"] == 0.1  # completeness 0.999
    assert [rule["id"] for rule in table["quality"]] == [
        "grain_unique", "not_empty", "check_order_count_0", "check_revenue_usd_0",
    ]  # fmt: skip
    assert table["quality"][3]["query"] == (
        "SELECT COUNT(*) FROM {object} WHERE (revenue_usd >= 0) IS NOT TRUE"
    )
    assert [(p["property"], p["value"], p.get("unit")) for p in contract["slaProperties"]] == [
        ("frequency", 1, "d"),
        ("timeOfAvailability", "07:00", None),
        ("latency", 2, "h"),
        ("availability", 99.9, "percent"),
    ]
    custom = {item["property"]: item["value"] for item in contract["customProperties"]}
    assert custom["mesh.schedule"] == {"cron": "0 6 * * *", "timezone": "UTC"}
    assert custom["mesh.inputs"] == [{"product": "order-events"}]
    assert custom["mesh.consumers"][0] == {"team": "finance", "use_case": "Revenue reporting"}


def test_what_odcs_has_no_field_for_is_a_mesh_custom_property() -> None:
    product = DataProduct.model_validate(
        merge(
            product_data(),
            {
                "metadata": {"tags": {"layer": "gold"}, "version": "2.1.0"},
                "spec": {
                    "sla": {"available_by": None, "within": "90m", "timezone": "Europe/Paris"},
                    "quality": {"allow_empty": True},
                    "alerts": {"channels": ["orders-slack"]},
                    "limits": {"query_timeout": "2h"},
                },
            },
        )
    )
    contract = export_contract(product)
    assert (contract["version"], contract["tags"]) == ("2.1.0", ["layer:gold"])
    custom = {item["property"]: item["value"] for item in contract["customProperties"]}
    assert {
        key: custom[key] for key in custom if key not in ("mesh.schedule", "mesh.transform")
    } == {
        "mesh.slaWithin": "90m",
        "mesh.timezone": "Europe/Paris",
        "mesh.inputs": [
            {"source": {"name": "raw_orders", "location": "s3://raw/orders/", "format": "parquet"}}
        ],
        "mesh.consumers": [{"team": "finance", "use_case": "Revenue reporting"}],
        "mesh.alertChannels": ["orders-slack"],
        "mesh.allowEmpty": True,
        "mesh.limits": {"query_timeout": "2h"},
    }
    table_rules = [rule["id"] for rule in contract["schema"][0]["quality"]]  # type: ignore[index]
    assert "not_empty" not in table_rules
    assert _problems(contract, "v3.1.0") == []
