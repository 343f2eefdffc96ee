"""A scheduled period is never built over a missing input period; it is built once they land.

The example mesh: the raw event products are scheduled at 05:00, the daily products that
read them at 06:00, and revenue-reconciliation reads two of those. Time is frozen at each
step and publishes are recorded as materializations in a real SQLite instance.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    RunRequest,
    build_schedule_context,
    build_sensor_context,
)
from dagster._core.test_utils import freeze_time

from mesh_dagster.compile.definitions import build_definitions
from mesh_dagster.compile.inputs_sensor import SENSOR_NAME

ORDER_EVENTS = AssetKey(["orders", "order-events"])
ORDERS_DAILY = AssetKey(["orders", "orders-daily"])
PAYMENT_EVENTS = AssetKey(["payments", "payment-events"])
PAYMENTS_DAILY = AssetKey(["payments", "payments-daily"])
REVENUE = AssetKey(["finance", "revenue-reconciliation"])


class InputsSensor:
    """Evaluates the inputs sensor at chosen moments, keeping its cursor between ticks."""

    def __init__(self, defs: Definitions, instance: DagsterInstance) -> None:
        self.sensor = defs.get_sensor_def(SENSOR_NAME)
        self.instance = instance
        self.repository = defs.get_repository_def()
        self.cursor: str | None = None

    def tick(self, moment: datetime) -> list[RunRequest]:
        with freeze_time(moment), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            context = build_sensor_context(
                instance=self.instance, cursor=self.cursor, repository_def=self.repository
            )
            result: Any = self.sensor.evaluate_tick(context)
        self.cursor = result.cursor
        return list(result.run_requests or [])


def publish(instance: DagsterInstance, key: AssetKey, partition: str, moment: datetime) -> None:
    with freeze_time(moment):
        instance.report_runless_asset_event(AssetMaterialization(key, partition=partition))


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def built(requests: list[RunRequest]) -> list[tuple[str | None, list[AssetKey]]]:
    return [(request.partition_key, list(request.asset_selection or [])) for request in requests]


def test_products_reading_input_periods_are_built_by_the_sensor_not_a_schedule(
    example_specs: Path,
) -> None:
    defs = build_definitions(example_specs)
    schedules = [s.cron_schedule for s in defs.schedules or []]  # type: ignore[union-attr]
    assert schedules == ["0 5 * * *"]  # the 06:00 products all read input periods
    assert defs.get_sensor_def(SENSOR_NAME).name == SENSOR_NAME


def test_a_period_waits_for_its_inputs_and_is_built_once_they_are_published(
    example_specs: Path, instance: DagsterInstance
) -> None:
    sensor = InputsSensor(build_definitions(example_specs), instance)
    assert sensor.tick(at(5, 59)) == []  # the sensor starts watching
    # 06:00 tick: nothing of 2026-03-01 is published, so nothing is attempted (no failure).
    assert sensor.tick(at(6, 1)) == []

    publish(instance, ORDER_EVENTS, "2026-03-01", at(6, 10))
    requests = sensor.tick(at(6, 11))
    assert built(requests) == [("2026-03-01", [ORDERS_DAILY])]
    request = requests[0]
    assert request.run_key is not None and request.run_key.startswith("inputs-2026-03-01-")
    assert request.tags["mesh/built_when"] == "inputs_published"
    assert request.asset_check_keys and {k.asset_key for k in request.asset_check_keys} == {
        ORDERS_DAILY
    }
    assert "sla" not in {key.name for key in request.asset_check_keys}
    assert sensor.tick(at(6, 12)) == []  # requested once

    # revenue-reconciliation reads orders-daily and payments-daily: it waits for both.
    publish(instance, ORDERS_DAILY, "2026-03-01", at(6, 20))
    publish(instance, PAYMENT_EVENTS, "2026-03-01", at(6, 20))
    assert built(sensor.tick(at(6, 21))) == [("2026-03-01", [PAYMENTS_DAILY])]
    publish(instance, PAYMENTS_DAILY, "2026-03-01", at(6, 30))
    assert built(sensor.tick(at(6, 31))) == [("2026-03-01", [REVENUE])]
    assert sensor.tick(at(6, 40)) == []


def test_products_whose_inputs_are_ready_at_the_tick_share_one_run(
    example_specs: Path, instance: DagsterInstance
) -> None:
    sensor = InputsSensor(build_definitions(example_specs), instance)
    sensor.tick(at(5, 59))
    for key in (ORDER_EVENTS, PAYMENT_EVENTS):
        publish(instance, key, "2026-03-01", at(5, 10))
    # orders-daily and payments-daily are ready; shipments-daily waits for shipment-events,
    # and revenue-reconciliation for the two it reads: never built in the same run, so a
    # blocked publish of either leaves it waiting for the fix instead of skipped.
    requests = sensor.tick(at(6, 1))
    assert built(requests) == [("2026-03-01", [ORDERS_DAILY, PAYMENTS_DAILY])]


def test_a_late_input_days_later_still_builds_its_period(
    example_specs: Path, instance: DagsterInstance
) -> None:
    sensor = InputsSensor(build_definitions(example_specs), instance)
    sensor.tick(at(5, 59))
    sensor.tick(at(6, 1))
    sensor.tick(at(6, 1, day=3))  # 2026-03-02 comes due too
    publish(instance, ORDER_EVENTS, "2026-03-01", at(9, day=4))
    publish(instance, ORDER_EVENTS, "2026-03-02", at(9, day=4))
    requests = sensor.tick(at(9, 1, day=4))
    # 2026-03-03 came due at 06:00 on the 4th too; its input is still missing.
    assert built(requests) == [("2026-03-01", [ORDERS_DAILY]), ("2026-03-02", [ORDERS_DAILY])]


def test_a_mixed_schedule_builds_only_its_members_without_input_periods(
    example_specs: Path, instance: DagsterInstance
) -> None:
    # order-events moves to 06:00: its group now mixes a raw product and its readers.
    path = example_specs / "orders" / "order_events.yaml"
    data = yaml.safe_load(path.read_text())
    data["spec"]["schedule"]["cron"] = "0 6 * * *"
    data["spec"]["sla"]["available_by"] = "06:45"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    defs = build_definitions(example_specs)
    schedule: Any = next(s for s in defs.schedules or [] if s.cron_schedule == "0 6 * * *")
    context = build_schedule_context(
        instance=instance, scheduled_execution_time=at(6), repository_def=defs.get_repository_def()
    )
    result: Any = schedule.evaluate_tick(context)
    assert [(r.partition_key, r.asset_selection) for r in result.run_requests] == [
        ("2026-03-01", [ORDER_EVENTS])
    ]
    checks = {key.asset_key for key in result.run_requests[0].asset_check_keys}
    assert checks == {ORDER_EVENTS}


def test_an_input_in_another_timezone_waits_for_every_overlapping_period(
    example_specs: Path, instance: DagsterInstance
) -> None:
    path = example_specs / "orders" / "orders_daily.yaml"
    data = yaml.safe_load(path.read_text())
    data["spec"]["schedule"]["timezone"] = "Europe/Berlin"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    sensor = InputsSensor(build_definitions(example_specs), instance)
    sensor.tick(datetime(2026, 3, 29, 0, tzinfo=UTC))
    # Berlin's 2026-03-29 (a 23-hour day) runs from 03-28 23:00 to 03-29 22:00 UTC.
    publish(instance, ORDER_EVENTS, "2026-03-29", datetime(2026, 3, 30, 5, 5, tzinfo=UTC))
    assert sensor.tick(datetime(2026, 3, 30, 5, 10, tzinfo=UTC)) == []
    publish(instance, ORDER_EVENTS, "2026-03-28", datetime(2026, 3, 30, 5, 20, tzinfo=UTC))
    requests = sensor.tick(datetime(2026, 3, 30, 5, 21, tzinfo=UTC))
    assert built(requests) == [("2026-03-29", [ORDERS_DAILY])]
