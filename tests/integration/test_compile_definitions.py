"""The example mesh as Dagster definitions: keys, groups, owners, metadata, time."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from dagster import (
    AssetKey,
    AssetSpec,
    DailyPartitionsDefinition,
    Definitions,
    RunRequest,
    build_schedule_context,
)

from mesh_dagster import MeshTranslator, build_definitions, load_mesh
from mesh_dagster.compile.specs import build_asset_specs
from mesh_dagster.spec.periods import period_for_key

ORDERS_DAILY = AssetKey(["orders", "orders-daily"])
ORDER_EVENTS = AssetKey(["orders", "order-events"])


def _spec(defs: Definitions, key: AssetKey) -> AssetSpec:
    graph = defs.resolve_asset_graph()
    return graph.get(key).to_asset_spec()  # type: ignore[no-any-return]


def test_every_product_is_an_asset_in_its_domain_group(example_specs: Path) -> None:
    defs = build_definitions(example_specs)
    graph = defs.resolve_asset_graph()
    mesh = load_mesh(example_specs)
    for product in mesh.products.values():
        node = graph.get(AssetKey([product.domain, product.name]))
        assert node.group_name == product.domain


def test_orders_daily_carries_the_contract(example_specs: Path) -> None:
    spec = _spec(build_definitions(example_specs), ORDERS_DAILY)
    assert spec.owners == ["team:orders-platform-team", "jane.smith@company.com"]
    assert spec.description is not None and spec.description.startswith("Daily aggregate")
    assert spec.kinds == {"delta", "s3", "glue", "duckdb"}
    schema = spec.metadata["dagster/column_schema"]
    columns = {column.name: column for column in schema.columns}
    assert list(columns) == ["order_id", "customer_id", "order_date", "order_count", "revenue_usd"]
    assert columns["customer_id"].tags == {"pii": "hashed"}
    assert columns["customer_id"].constraints.other == ["pii: hashed"]
    assert columns["order_id"].constraints.nullable is False
    assert columns["revenue_usd"].type == "double"
    assert spec.metadata["dagster/table_name"] == "domain_orders.orders_daily"
    assert "finance" in spec.metadata["mesh/consumers"].value
    assert spec.metadata["mesh/sla"].value["available_by"] == "07:00"
    assert [dep.asset_key for dep in spec.deps] == [AssetKey(["orders", "order-events"])]


def test_cross_domain_lineage(example_specs: Path) -> None:
    spec = _spec(build_definitions(example_specs), AssetKey(["finance", "revenue-reconciliation"]))
    assert {dep.asset_key for dep in spec.deps} == {
        ORDERS_DAILY,
        AssetKey(["payments", "payments-daily"]),
    }


def test_partitions_and_freshness(example_specs: Path) -> None:
    spec = _spec(build_definitions(example_specs), ORDERS_DAILY)
    assert isinstance(spec.partitions_def, DailyPartitionsDefinition)
    assert spec.partitions_def.timezone == "UTC"
    assert spec.partitions_def.start == datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
    policy = spec.freshness_policy
    assert policy is not None
    assert policy.deadline_cron == "0 7 * * *"  # type: ignore[attr-defined]
    assert policy.lower_bound_delta.total_seconds() == 2 * 3600  # type: ignore[attr-defined]


def test_every_rule_is_a_separate_check(example_specs: Path) -> None:
    defs = build_definitions(example_specs)
    graph = defs.resolve_asset_graph()
    names = sorted(key.name for key in graph.get_check_keys_for_assets({ORDERS_DAILY}))
    assert names == sorted(
        [
            "schema",
            "completeness",
            "grain_unique",
            "partition_bounds",
            "not_empty",
            "pii_customer_id",
            "check_order_count_0",
            "check_revenue_usd_0",
            "sla",
        ]
    )
    # The SLA check is the sensor's: schedules never run it with the build.
    job = next(iter(defs.jobs or []))
    resolved = defs.resolve_job_def(job.name)
    assert all("sla" not in node for node in resolved.graph.node_dict)


def test_code_version_changes_only_with_the_spec(example_specs: Path) -> None:
    before = _spec(build_definitions(example_specs), ORDERS_DAILY).code_version
    again = _spec(build_definitions(example_specs), ORDERS_DAILY).code_version
    assert before == again
    path = example_specs / "orders" / "orders_daily.yaml"
    data = yaml.safe_load(path.read_text())
    data["spec"]["description"] = "Changed."
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert _spec(build_definitions(example_specs), ORDERS_DAILY).code_version != before


def test_one_schedule_per_cron_timezone_and_partitioning(example_specs: Path) -> None:
    defs = build_definitions(example_specs)
    schedules = sorted(defs.schedules or [], key=lambda s: s.cron_schedule)  # type: ignore[union-attr]
    # The 06:00 products read periods of the 05:00 ones: the inputs sensor builds them
    # (tests/integration/test_inputs_ready.py), with their group's job.
    assert [(s.cron_schedule, s.execution_timezone) for s in schedules] == [  # type: ignore[union-attr]
        ("0 5 * * *", "UTC"),
    ]
    jobs = {job.name for job in defs.get_repository_def().get_all_jobs()}
    assert any(name.startswith("mesh_day_0_6_x_x_x_UTC_") for name in jobs)


def _tick(defs: Definitions, cron: str, moment: datetime) -> RunRequest:
    schedule = next(s for s in defs.schedules or [] if s.cron_schedule == cron)  # type: ignore[union-attr]
    context = build_schedule_context(
        scheduled_execution_time=moment, repository_def=defs.get_repository_def()
    )
    result = schedule.evaluate_tick(context)  # type: ignore[union-attr]
    assert result.run_requests is not None and len(result.run_requests) == 1
    return result.run_requests[0]


def test_the_5am_tick_builds_yesterday_with_a_run_key(example_specs: Path) -> None:
    request = _tick(
        build_definitions(example_specs), "0 5 * * *", datetime(2026, 3, 2, 5, tzinfo=UTC)
    )
    assert request.partition_key == "2026-03-01"
    assert request.run_key == "2026-03-01"


def test_dst_day_in_a_non_utc_timezone(example_specs: Path) -> None:
    path = example_specs / "orders" / "order_events.yaml"
    data = yaml.safe_load(path.read_text())
    data["spec"]["schedule"]["timezone"] = "Europe/Berlin"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    defs = build_definitions(example_specs)
    berlin = ZoneInfo("Europe/Berlin")
    # Summer time began on 2026-03-29: that day has 23 hours.
    request = _tick(defs, "0 5 * * *", datetime(2026, 3, 30, 5, tzinfo=berlin))
    assert request.partition_key == "2026-03-29"
    spec = _spec(defs, ORDER_EVENTS)
    assert spec.partitions_def is not None
    window = spec.partitions_def.time_window_for_partition_key("2026-03-29")  # type: ignore[attr-defined]
    assert window.end.timestamp() - window.start.timestamp() == 23 * 3600
    period = period_for_key("2026-03-29", "day", "Europe/Berlin")
    assert period.end.timestamp() - period.start.timestamp() == 23 * 3600


def test_translator_overrides_without_forking(example_specs: Path) -> None:
    class PrefixedTranslator(MeshTranslator):
        def get_asset_key(self, product):  # type: ignore[no-untyped-def]
            return AssetKey(["mesh", product.domain, product.name])

    mesh = load_mesh(example_specs)
    specs = build_asset_specs(mesh, PrefixedTranslator())
    keys = {item.asset.key for item in specs}
    assert AssetKey(["mesh", "orders", "orders-daily"]) in keys
    orders_daily = next(item for item in specs if item.product.name == "orders-daily")
    assert [dep.asset_key for dep in orders_daily.asset.deps] == [
        AssetKey(["mesh", "orders", "order-events"])
    ]


def test_a_new_spec_file_is_a_new_product(example_specs: Path) -> None:
    source = yaml.safe_load((example_specs / "orders" / "orders_daily.yaml").read_text())
    source["metadata"]["name"] = "orders-weekly-test"
    source["spec"]["output"]["location"] = "s3://data-platform/products/orders/weekly_test/"
    (example_specs / "orders" / "orders_weekly_test.yaml").write_text(yaml.safe_dump(source))
    defs = build_definitions(example_specs)
    assert defs.resolve_asset_graph().has(AssetKey(["orders", "orders-weekly-test"]))


def test_dagster_definitions_validate(example_specs: Path, tmp_path: Path) -> None:
    module = tmp_path / "defs_module.py"
    module.write_text(
        "from mesh_dagster import build_definitions\n"
        f"defs = build_definitions({str(example_specs)!r})\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-f", str(module)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"DAGSTER_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Validation successful" in result.stdout + result.stderr


def test_component_yields_the_same_assets(example_specs: Path) -> None:
    from dagster.components.testing import create_defs_folder_sandbox

    from mesh_dagster import MeshComponent

    with create_defs_folder_sandbox() as sandbox:
        defs_path = sandbox.defs_folder_path / "mesh"
        defs_path.mkdir()
        (defs_path / "defs.yaml").write_text(
            f"type: mesh_dagster.MeshComponent\nattributes:\n  specs_path: {example_specs}\n"
        )
        with sandbox.load_component_and_build_defs(defs_path=defs_path) as (component, defs):
            assert isinstance(component, MeshComponent)
            loaded = set(defs.resolve_asset_graph().get_all_asset_keys())
    direct = build_definitions(example_specs)
    assert loaded == set(direct.resolve_asset_graph().get_all_asset_keys())
