"""`import odcs`: contracts -> specs; lossless after export; the standard's examples read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from spec_folder import merge, product_data

from mesh_dagster.odcs.export import export_contract
from mesh_dagster.odcs.files import import_file
from mesh_dagster.odcs.import_context import ImportDefaults
from mesh_dagster.odcs.load import read_contract
from mesh_dagster.spec import DataProduct, load_mesh
from mesh_dagster.spec.yaml_source import SourceMap, parse_yaml

SPECS = Path(__file__).resolve().parents[2] / "specs"
EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "odcs" / "examples"
MESH = load_mesh(SPECS)
DEFAULTS = ImportDefaults(
    domain="seller", owner="seller-team", steward="ana@company.com", location_prefix="s3://lake/"
)


def _round_trip(product: DataProduct) -> DataProduct:
    found = read_contract(export_contract(product), SourceMap("c.yaml"))
    assert (found.problems, found.unmapped) == ([], [])
    assert len(found.products) == 1
    return DataProduct.model_validate(found.products[0].data)


@pytest.mark.parametrize("name", sorted(MESH.products))
def test_export_then_import_is_lossless_for_every_example_product(name: str) -> None:
    assert _round_trip(MESH.product(name)) == MESH.product(name)


def test_export_then_import_keeps_what_the_example_mesh_does_not_use() -> None:
    data = merge(
        product_data(),
        {
            "metadata": {"tags": {"layer": "gold", "tier": "1"}, "version": "2.1.0"},
            "spec": {
                "schedule": {"cron": "15 * * * *", "timezone": "Europe/Paris"},
                "sla": {"available_by": None, "within": "90m", "availability_target": 0.995},
                "partitioning": {"by": "hour", "column": "ordered_at"},
                "grain": ["order_id"],
                "schema": {
                    1: {"pii_handling": "masked"},
                    2: {"name": "ordered_at", "type": "timestamp", "description": "When."},
                    3: {"type": "decimal(18,2)"},
                },
                "quality": {
                    "freshness_sla_hours": 1.5,
                    "completeness_threshold": 0.98,
                    "allow_empty": True,
                    "custom_checks": [
                        "revenue_usd >= 0",
                        {
                            "name": "big_day",
                            "sql": "sum(revenue_usd) < 1e9",
                            "severity": "warn",
                            "description": "Catches a unit error.",
                        },
                    ],
                },
                "alerts": {"channels": ["orders-slack"]},
                "limits": {"query_timeout": "45m"},
            },
        },
    )
    data["spec"]["schema"].append(
        {"name": "client_ip", "type": "string", "pii": True, "pii_handling": "redacted"}
    )
    data["spec"]["consumers"].append(
        {"team": "risk", "use_case": "Fraud", "contact": "risk@company.com", "notify": True}
    )
    product = DataProduct.model_validate(data)
    assert _round_trip(product) == product


def _example(name: str) -> tuple[dict[str, Any], SourceMap]:
    document = parse_yaml((EXAMPLES / name).read_text(encoding="utf-8"), name)
    assert document.problems == []
    return document.data, document.source


@pytest.mark.parametrize(
    ("name", "products"),
    [
        ("full-example.odcs.yaml", ["tbl", "receivers"]),
        ("table-columns-with-partition.odcs.yaml", ["tbl"]),
        ("column-completeness.odcs.yaml", ["air-quality"]),
        ("column-validity.odcs.yaml", ["air-quality"]),
        ("column-accuracy.odcs.yaml", ["air-quality"]),
        ("column-custom.odcs.yaml", ["air-quality"]),
        ("table-column-description.odcs.yaml", ["tbl"]),
        ("database-table-sla.odcs.yaml", []),
        ("basic-four-dpo.odcs.yaml", []),
    ],
)
def test_the_standards_examples_import_as_valid_specs(name: str, products: list[str]) -> None:
    found = import_file(EXAMPLES / name, name, DEFAULTS)
    assert found.problems == []
    assert [product.name for product, _ in found.products] == products


def test_a_column_mesh_cannot_publish_is_a_located_error() -> None:
    found = import_file(EXAMPLES / "all-data-types.odcs.yaml", "t.yaml", DEFAULTS)
    assert [str(problem) for problem in found.problems] == [
        "t.yaml:68:9: schema[0].properties[8]: column 'latest_txns': mesh publishes flat tables; "
        "a column cannot be an array.",
        "t.yaml:75:9: schema[0].properties[9]: column 'customer_details': mesh publishes flat "
        "tables; a column cannot be an object.",
    ]
    assert found.products == []


def test_what_a_contract_lacks_is_a_located_error_with_a_hint() -> None:
    found = import_file(EXAMPLES / "full-example.odcs.yaml", "f.yaml", ImportDefaults())
    assert [str(problem) for problem in found.problems] == [
        "f.yaml:37:5: schema[0]: the product's steward is not in the contract. Add a team member "
        "(role 'steward') named by e-mail, or give --steward.",
        "f.yaml:170:5: schema[1]: the product's steward is not in the contract. Add a team member "
        "(role 'steward') named by e-mail, or give --steward.",
    ]


def test_every_field_without_mapping_is_reported_with_its_path_and_why() -> None:
    found = import_file(EXAMPLES / "full-example.odcs.yaml", "f.yaml", DEFAULTS)
    report = [str(item) for item in found.unmapped]
    assert len(report) == 74
    for line in [
        "f.yaml:284:5: slaProperties[5]: mesh builds on the schedule's cron "
        "(customProperties mesh.schedule)",
        "f.yaml:289:5: slaProperties[6]: mesh keeps one deadline, the earliest (08:00)",
        "f.yaml:293:5: slaProperties[7]: mesh judges a deadline per period, and this product "
        "is not partitioned",
        "f.yaml:224:1: price: mesh has no pricing",
        "f.yaml:28:5: servers[0]: mesh publishes to one S3 location "
        "(a 'postgres' server is not read)",
        "f.yaml:75:9: schema[0].properties[0].partitioned: mesh needs the period and the first "
        "period's date to partition (customProperties mesh.partitioning: "
        "{by: day, start: 2026-01-01}); imported unpartitioned",
        "f.yaml:234:3: team.members: no current member's username is an e-mail address, "
        "so none is the steward",
    ]:
        assert line in report


def test_the_full_example_maps_grain_sla_team_and_rules() -> None:
    found = import_file(EXAMPLES / "full-example.odcs.yaml", "f.yaml", DEFAULTS)
    tbl, receivers = (product for product, _ in found.products)
    assert (tbl.metadata.domain, tbl.metadata.owner, tbl.metadata.version) == (
        "seller", "my-team", "1.1.0",
    )  # fmt: skip
    assert tbl.spec.grain == ["rcvr_id"]
    assert receivers.spec.grain == ["id", "country_code"]
    assert receivers.spec.output.location == "s3://lake/seller/receivers_master/"
    assert tbl.spec.sla is None  # not partitioned: no period to judge a deadline on
    assert tbl.spec.quality.freshness_sla_hours == 96
    assert [(check.sql, check.severity) for check in tbl.spec.quality.custom_checks] == [
        ("count_if(rcvr_cntry_code is null) = 0", "error"),
        ("count(*) > 1000000", "error"),
    ]
    assert [column.pii for column in receivers.spec.columns] == [True, False, True, False]


def test_library_metrics_and_sql_rules_become_checks() -> None:
    validity = import_file(EXAMPLES / "column-validity.odcs.yaml", "v.yaml", DEFAULTS)
    accuracy = import_file(EXAMPLES / "column-accuracy.odcs.yaml", "a.yaml", DEFAULTS)
    (valid, _), (accurate, _) = validity.products[0], accuracy.products[0]
    assert [check.sql for check in valid.spec.quality.custom_checks] == [
        "100.0 * count_if(air_quality_status is not null and air_quality_status not in "
        "('', 'n/a')) / count(*) <= 5"
    ]
    assert [check.sql for check in accurate.spec.quality.custom_checks] == [
        "(datavalue <= 0 OR datavalue >= 500) is not true"
    ]


def test_odcs_schema_problems_are_located_with_a_hint() -> None:
    data, source = _example("column-completeness.odcs.yaml")
    data["schema"][0]["properties"][0]["physcalType"] = "int"
    data["slaProperties"] = [{"property": "latency", "value": [4]}]
    found = read_contract(data, source)
    assert [str(problem) for problem in found.problems] == [
        "column-completeness.odcs.yaml:1:1: slaProperties[0].value: expected string, got a list.",
        "column-completeness.odcs.yaml:17:7: schema[0].properties[0].physcalType: unknown field. "
        "Did you mean 'physicalType'?",
    ]


def test_a_version_outside_v3_is_refused() -> None:
    data, source = _example("column-completeness.odcs.yaml")
    data["apiVersion"] = "v2.2.2"
    assert [str(p) for p in read_contract(data, source).problems] == [
        "column-completeness.odcs.yaml:2:1: apiVersion: expected an ODCS v3 version (v3.0.0, "
        "v3.0.1, v3.0.2, v3.1.0, v3.2.0), got 'v2.2.2'."
    ]


def test_a_foreign_sla_reads_offsets_units_and_shares() -> None:
    data, source = _example("table-columns-with-partition.odcs.yaml")
    data["schema"][0]["properties"][2] |= {"logicalType": "date", "physicalType": "date"}
    data["schema"][0]["customProperties"] = [
        {"property": "mesh.partitioning", "value": {"by": "day", "start": "2026-01-01"}}
    ]
    data["slaProperties"] = [
        {"property": "timeOfAvailability", "value": "09:00-08:00", "driver": "regulatory"},
        {"property": "timeOfAvailability", "value": "08:00-08:00", "driver": "analytics"},
        {"property": "latency", "value": 1, "unit": "d"},
        {"property": "availability", "value": "99.5%"},
        {"property": "frequency", "value": 1, "unit": "d"},
    ]
    found = read_contract(data, source, DEFAULTS)
    assert found.problems == []
    product = DataProduct.model_validate(found.products[0].data)
    assert product.spec.partitioning is not None
    assert (product.spec.partitioning.column, product.spec.partitioning.by) == ("year", "day")
    assert product.spec.sla is not None
    assert (str(product.spec.sla.available_by), product.spec.sla.timezone) == (
        "08:00:00", "Etc/GMT+8",
    )  # fmt: skip
    assert product.spec.sla.availability_target == 0.995
    assert product.spec.quality.freshness_sla_hours == 24
    assert "slaProperties[0]: mesh keeps one deadline, the earliest (08:00)" in [
        str(item) for item in found.unmapped
    ]


def test_an_unknown_mesh_property_is_an_error_with_a_hint() -> None:
    data, source = _example("column-completeness.odcs.yaml")
    data["customProperties"] = [{"property": "mesh.schedul", "value": {"cron": "0 6 * * *"}}]
    assert [str(p) for p in read_contract(data, source, DEFAULTS).problems] == [
        "column-completeness.odcs.yaml:1:1: customProperties[0].property: unknown mesh property "
        "'mesh.schedul'. Did you mean 'mesh.schedule'?"
    ]
