"""The example mesh's DAGs load in Airflow's own DagBag: schedules, timezones, assets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PRODUCTS = {
    "orders__order-events": ("0 5 * * *", ["orders:raw"]),
    "orders__orders-daily": ("0 6 * * *", []),
    "payments__payment-events": ("0 5 * * *", []),
    "payments__payments-daily": ("0 6 * * *", []),
    "shipments__shipment-events": ("0 5 * * *", []),
    "shipments__shipments-daily": ("0 6 * * *", []),
    "finance__revenue-reconciliation": ("0 6 * * *", []),
}


def load_bag(folder: Path) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(folder))


def asset_uris(items: Any) -> list[str]:
    return sorted(item.uri for item in items)


def edit_spec(path: Path, **changes: Any) -> None:
    data = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if value is None:
            data["spec"].pop(key, None)
        else:
            data["spec"][key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_example_mesh_dags_load_with_schedules_timezones_and_assets(
    mesh_env: Path, warehouse: Path, dags_folder: Path
) -> None:
    from airflow.sdk import CronTriggerTimetable

    bag = load_bag(dags_folder)
    assert bag.import_errors == {}
    assert sorted(bag.dags) == sorted([*PRODUCTS, "mesh_sla"])
    products = warehouse.resolve().as_uri() + "/data-platform/products"
    for dag_id, (cron, _) in PRODUCTS.items():
        dag = bag.dags[dag_id]
        assert isinstance(dag.timetable, CronTriggerTimetable)
        assert (dag.timetable.expression, dag.timetable.timezone) == (cron, "UTC")
        assert dag.catchup is False
        assert "mesh" in dag.tags and f"domain:{dag_id.split('__')[0]}" in dag.tags
    daily = bag.dags["orders__orders-daily"]
    assert daily.owner == "orders-platform-team"
    assert daily.doc_md.startswith("# orders-daily\n\nDaily aggregate of all completed orders.")
    assert "| `check_order_count_0` | error | `order_count > 0` |" in daily.doc_md
    assert "- finance: Revenue reporting" in daily.doc_md
    assert sorted(task.task_id for task in daily.tasks) == [
        "build",
        "plan_periods",
        "wait_for_inputs",
    ]
    build = daily.get_task("build")
    assert asset_uris(build.outlets) == [f"{products}/orders/orders_daily"]
    assert asset_uris(build.inlets) == [f"{products}/orders/order_events"]
    assert daily.get_task("wait_for_inputs").mode == "reschedule"
    assert build.upstream_task_ids == {"plan_periods", "wait_for_inputs"}
    events = bag.dags["orders__order-events"]
    assert "layer:raw" in events.tags
    assert sorted(task.task_id for task in events.tasks) == ["build", "plan_periods"]
    reconciliation = bag.dags["finance__revenue-reconciliation"].get_task("build")
    assert asset_uris(reconciliation.inlets) == [
        f"{products}/orders/orders_daily",
        f"{products}/payments/payments_daily",
    ]
    watcher = bag.dags["mesh_sla"]
    assert (watcher.timetable.expression, watcher.timetable.timezone) == ("*/5 * * * *", "UTC")


def test_timezones_products_without_schedule_and_external_products(
    mesh_env: Path, dags_folder: Path
) -> None:
    from airflow.sdk.definitions.timetables.assets import AssetTriggeredTimetable

    specs = mesh_env
    edit_spec(
        specs / "payments/payment_events.yaml",
        schedule={"cron": "30 1 * * *", "timezone": "Europe/Berlin"},
    )
    edit_spec(specs / "orders/orders_daily.yaml", schedule=None)
    edit_spec(specs / "shipments/shipment_events.yaml", transform=None)
    bag = load_bag(dags_folder)
    assert bag.import_errors == {}
    timetable = bag.dags["payments__payment-events"].timetable
    assert (timetable.expression, timetable.timezone) == ("30 1 * * *", "Europe/Berlin")
    daily = bag.dags["orders__orders-daily"]
    assert isinstance(daily.timetable, AssetTriggeredTimetable)
    condition = daily.timetable.asset_condition
    assert [asset.uri.rsplit("/", 2)[-2:] for asset in condition.objects] == [
        ["orders", "order_events"]
    ]
    external = bag.dags["shipments__shipment-events"]
    assert [task.task_id for task in external.tasks] == ["observe"]
    assert asset_uris(external.get_task("observe").outlets)[0].endswith(
        "/shipments/shipment_events"
    )
    assert (external.timetable.expression, external.timetable.timezone) == ("*/5 * * * *", "UTC")


def test_invalid_specs_are_the_dags_file_import_error(mesh_env: Path, dags_folder: Path) -> None:
    edit_spec(
        mesh_env / "orders/orders_daily.yaml",
        schedule={"cron": "0 6 * * *", "timezone": "Mars/Base"},
    )
    bag = load_bag(dags_folder)
    assert list(bag.dags) == []
    [(path, error)] = bag.import_errors.items()
    assert path.endswith("mesh.py")
    assert (
        f"{mesh_env}/orders/orders_daily.yaml:15:5: spec.schedule.timezone: unknown timezone "
        "'Mars/Base'; expected an IANA name such as 'UTC' or 'Europe/Berlin'."
    ) in error
