"""The SLA story of one day of the example mesh, against real receivers and a real instance.

06:00 the build fails -> `run_failed`; 07:00 nothing published -> `sla_missed`, notified
once across many ticks and a restart; 07:40 the rerun succeeds -> a `late` verdict and one
recovery notice per channel; the next day is on time -> nothing is sent. Time is frozen at
each step (Dagster's freeze_time), never slept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    DagsterInstance,
    Definitions,
    RunRequest,
    build_sensor_context,
    materialize,
)
from dagster._core.test_utils import freeze_time

from mesh_dagster import MeshResource, build_definitions
from mesh_dagster.scorecard import Window, compute_scorecard
from mesh_dagster.scorecard.instance_history import read_history
from mesh_dagster.spec import load_mesh

ORDER_EVENTS = AssetKey(["orders", "order-events"])
ORDERS_DAILY = AssetKey(["orders", "orders-daily"])


def at(hour: int, minute: int = 0, day: int = 11) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@dataclass
class Mesh:
    """The example mesh running against one instance, with the sensors' cursors."""

    specs: Path
    warehouse: Path
    instance: DagsterInstance
    cursors: dict[str, str | None] = field(default_factory=dict)
    verdicts: list[AssetCheckEvaluation] = field(default_factory=list)
    defs: Definitions | None = None

    def load(self) -> Definitions:
        """(Re)load the definitions, as a restarted code server would."""
        self.defs = build_definitions(
            self.specs, resources={"mesh": MeshResource(warehouse=str(self.warehouse))}
        )
        return self.defs

    def build(self, moment: datetime, partition: str, *keys: AssetKey) -> bool:
        assert self.defs is not None
        with freeze_time(moment):
            result = materialize(
                list(self.defs.assets or []),
                partition_key=partition,
                resources=self.defs.resources,
                instance=self.instance,
                selection=list(keys),
                raise_on_error=False,
            )
        return result.success

    def tick(self, name: str, moment: datetime) -> None:
        """Evaluate a sensor at ``moment`` and record what it reports, as the daemon does."""
        assert self.defs is not None
        sensor = self.defs.get_sensor_def(name)
        with freeze_time(moment):
            context = build_sensor_context(
                instance=self.instance, cursor=self.cursors.get(name), definitions=self.defs
            )
            data = sensor.evaluate_tick(context)
            for event in data.asset_events:
                self.instance.report_runless_asset_event(event)
                if isinstance(event, AssetCheckEvaluation):
                    self.verdicts.append(event)
            for request in data.run_requests or []:
                self._launch(request)
        self.cursors[name] = data.cursor

    def _launch(self, request: RunRequest) -> None:
        """Run what a sensor requested, as the daemon's launcher would."""
        assert self.defs is not None and request.job_name is None
        sensor_job = self.defs.get_job_def("mesh_sla_verdicts")
        result = sensor_job.execute_in_process(
            run_config=request.run_config, instance=self.instance, tags=dict(request.tags)
        )
        assert result.success
        for event in result.all_events:
            evaluation = event.event_specific_data
            if isinstance(evaluation, AssetCheckEvaluation):
                self.verdicts.append(evaluation)


@pytest.fixture
def scenario(
    example_specs: Path,
    warehouse: Path,
    instance: DagsterInstance,
    pii_key: str,
    http_receiver: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Mesh]:
    policy_path = example_specs / "mesh.yaml"
    policy = yaml.safe_load(policy_path.read_text())
    policy["alert_channels"]["orders-pagerduty"]["events_url_env"] = "PAGERDUTY_EVENTS_URL"
    policy_path.write_text(yaml.safe_dump(policy, sort_keys=False))
    monkeypatch.setenv("ORDERS_SLACK_WEBHOOK_URL", http_receiver.url("/slack"))
    monkeypatch.setenv("ORDERS_PAGERDUTY_ROUTING_KEY", "routing-key-for-tests")
    monkeypatch.setenv("PAGERDUTY_EVENTS_URL", http_receiver.url("/pagerduty"))
    monkeypatch.setenv("PLATFORM_ALERTS_WEBHOOK_URL", http_receiver.url("/webhook"))
    monkeypatch.delenv("MESH_SMTP_HOST", raising=False)
    mesh = Mesh(example_specs, warehouse, instance)
    mesh.load()
    yield mesh


def slack_texts(receiver: Any, product: str) -> list[str]:
    return [
        body["text"]
        for body in receiver.accepted("/slack")
        if f" {product} " in body["text"] or body["text"].split(": ")[1].startswith(product)
    ]


def pagerduty_actions(receiver: Any) -> list[tuple[str, str]]:
    return [
        (body["event_action"], body["payload"]["component"] if "payload" in body else "")
        for body in receiver.accepted("/pagerduty")
    ]


def pagerduty_pages(receiver: Any, product: str) -> list[str]:
    """Return the actions PagerDuty got for ``product``'s incidents (by their dedup keys)."""
    bodies = receiver.accepted("/pagerduty")
    keys = {b["dedup_key"] for b in bodies if b.get("payload", {}).get("component") == product}
    return [body["event_action"] for body in bodies if body["dedup_key"] in keys]


def sla_statuses(mesh: Mesh, key: AssetKey) -> list[tuple[str | None, Any]]:
    return [
        (event.partition, event.metadata["status"].value)
        for event in mesh.verdicts
        if event.asset_key == key and event.check_name == "sla"
    ]


def test_a_late_day_then_an_on_time_day(scenario: Mesh, http_receiver: Any) -> None:
    day = "2026-03-10"
    scenario.tick("mesh_sla", at(4))  # the mesh appears: deadlines from now on are judged
    scenario.tick("mesh_alerts", at(4))

    # 06:00: the orders service has not published its events yet, so the build fails.
    assert not scenario.build(at(6), day, ORDERS_DAILY)
    scenario.tick("mesh_alerts", at(6, 5))
    assert slack_texts(http_receiver, "orders-daily") == [
        "[orders] Build failed: orders-daily 2026-03-10: "
        "The build of partition 2026-03-10 of orders-daily failed."
    ]

    # 07:00: the deadline passes with nothing published; many ticks and a restart later,
    # the owners have heard about it exactly once.
    scenario.tick("mesh_sla", at(7))
    for minute in (1, 2, 3):
        scenario.tick("mesh_alerts", at(7, minute))
    scenario.load()  # a restart of the code server and the daemon
    scenario.tick("mesh_sla", at(7, 4))
    scenario.tick("mesh_alerts", at(7, 5))
    missed = [t for t in slack_texts(http_receiver, "orders-daily") if "SLA missed" in t]
    assert missed == [
        "[orders] SLA missed: orders-daily 2026-03-10: Partition 2026-03-10 of orders-daily "
        "was not published by its deadline, 2026-03-11 07:00 UTC; "
        "waiting for order-events 2026-03-10, itself missed."
    ]
    assert sla_statuses(scenario, ORDERS_DAILY) == [("2026-03-10", "missed")]
    triggers = [a for a in pagerduty_actions(http_receiver) if a == ("trigger", "orders-daily")]
    assert len(triggers) == 2  # run_failed and sla_missed, each once

    # 07:40: the rerun succeeds: a late verdict, and one recovery notice per incident.
    assert scenario.build(at(7, 40), day, ORDER_EVENTS, ORDERS_DAILY)
    scenario.tick("mesh_sla", at(7, 41))
    scenario.tick("mesh_alerts", at(7, 42))
    scenario.tick("mesh_alerts", at(7, 43))
    assert sla_statuses(scenario, ORDERS_DAILY) == [
        ("2026-03-10", "missed"),
        ("2026-03-10", "late"),
    ]
    late = next(
        e
        for e in scenario.verdicts
        if e.asset_key == ORDERS_DAILY
        and e.partition == day
        and e.metadata["status"].value == "late"
    )
    assert late.metadata["late_by_minutes"].value == 40.0
    resolved = [t for t in slack_texts(http_receiver, "orders-daily") if "Resolved" in t]
    assert sorted(resolved) == [
        "[orders] Resolved: Build failed: orders-daily 2026-03-10: A later build of "
        "partition 2026-03-10 of orders-daily succeeded (at 2026-03-11 07:40 UTC).",
        "[orders] Resolved: SLA missed: orders-daily 2026-03-10: Partition 2026-03-10 of "
        "orders-daily was published at 2026-03-11 07:40 UTC, after its deadline of "
        "2026-03-11 07:00 UTC; it had waited for order-events 2026-03-10, itself missed.",
    ]
    resolves = [a for a in pagerduty_actions(http_receiver) if a[0] == "resolve"]
    assert len(resolves) >= 2

    # The next day is on time: a passed verdict, and no notice about orders-daily.
    sent_before = len(slack_texts(http_receiver, "orders-daily"))
    assert scenario.build(at(5, 10, day=12), "2026-03-11", ORDER_EVENTS)
    assert scenario.build(at(6, 5, day=12), "2026-03-11", ORDERS_DAILY)
    scenario.tick("mesh_sla", at(7, 0, day=12))
    scenario.tick("mesh_alerts", at(7, 1, day=12))
    assert sla_statuses(scenario, ORDERS_DAILY)[-1] == ("2026-03-11", "on_time")
    assert len(slack_texts(http_receiver, "orders-daily")) == sent_before


def test_a_warn_rule_notifies_chat_but_never_pages(scenario: Mesh, http_receiver: Any) -> None:
    path = scenario.specs / "orders" / "orders_daily.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["spec"]["quality"]["custom_checks"].append(
        {"name": "small_orders_only", "sql": "revenue_usd < 1", "severity": "warn"}
    )
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    scenario.load()
    scenario.tick("mesh_alerts", at(5))
    assert scenario.build(at(6), "2026-03-10", ORDER_EVENTS, ORDERS_DAILY)  # warn: published
    scenario.tick("mesh_alerts", at(6, 5))
    warned = [t for t in slack_texts(http_receiver, "orders-daily") if "small_orders_only" in t]
    assert warned == [
        "[orders] Quality check failed (small_orders_only): orders-daily 2026-03-10: "
        "Quality check small_orders_only (warn) failed on partition 2026-03-10 of orders-daily."
    ]
    low = [body for body in http_receiver.accepted("/slack") if "small_orders_only" in body["text"]]
    assert "low urgency" in str(low[0]["blocks"])
    assert ("trigger", "orders-daily") not in pagerduty_actions(http_receiver)


def test_a_backfill_of_last_month_changes_no_verdict(scenario: Mesh) -> None:
    scenario.tick("mesh_sla", at(4))
    assert scenario.build(at(5, 10), "2026-03-10", ORDER_EVENTS)
    assert scenario.build(at(6, 5), "2026-03-10", ORDERS_DAILY)
    scenario.tick("mesh_sla", at(7, 1))
    assert sla_statuses(scenario, ORDERS_DAILY) == [("2026-03-10", "on_time")]
    # Later that day, last month is backfilled: old periods are not judged (they came due
    # before the mesh appeared), and today's verdict stands.
    assert scenario.build(at(10), "2026-02-10", ORDER_EVENTS, ORDERS_DAILY)
    assert scenario.build(at(10, 5), "2026-03-10", ORDER_EVENTS, ORDERS_DAILY)
    scenario.tick("mesh_sla", at(10, 10))
    assert sla_statuses(scenario, ORDERS_DAILY) == [("2026-03-10", "on_time")]


def test_a_miss_learnt_after_the_data_landed_is_told_opened_and_resolved(
    scenario: Mesh, http_receiver: Any
) -> None:
    day = "2026-03-10"
    scenario.tick("mesh_sla", at(4))
    scenario.tick("mesh_alerts", at(4, 30))
    # The daemon is down from 05:00 to 13:00: the 07:00 deadline passes unjudged, and the
    # period is published at 12:00.
    assert scenario.build(at(12), day, ORDER_EVENTS, ORDERS_DAILY)
    scenario.tick("mesh_sla", at(13))
    assert sla_statuses(scenario, ORDERS_DAILY) == [(day, "late")]
    scenario.tick("mesh_alerts", at(13, 1))
    # Its input landed at 12:00 too, after the deadline: the miss was caused upstream.
    expected = [
        "[orders] SLA missed: orders-daily 2026-03-10: Partition 2026-03-10 of orders-daily "
        "was not published by its deadline, 2026-03-11 07:00 UTC; "
        "waiting for order-events 2026-03-10, itself missed.",
        "[orders] Resolved: SLA missed: orders-daily 2026-03-10: Partition 2026-03-10 of "
        "orders-daily was published at 2026-03-11 12:00 UTC, after its deadline of "
        "2026-03-11 07:00 UTC; it had waited for order-events 2026-03-10, itself missed.",
    ]
    assert slack_texts(http_receiver, "orders-daily") == expected
    assert pagerduty_pages(http_receiver, "orders-daily") == ["trigger", "resolve"]

    # Exactly once: re-ticks, a restart, and a tick whose cursor was never stored (the
    # process died after the notices went out) repeat nothing.
    scenario.tick("mesh_sla", at(13, 2))
    scenario.tick("mesh_alerts", at(13, 3))
    scenario.load()
    scenario.tick("mesh_sla", at(13, 4))
    scenario.tick("mesh_alerts", at(13, 5))
    scenario.cursors.pop("mesh_alerts")
    scenario.tick("mesh_alerts", at(13, 6))
    assert slack_texts(http_receiver, "orders-daily") == expected
    assert pagerduty_pages(http_receiver, "orders-daily") == ["trigger", "resolve"]
    assert sla_statuses(scenario, ORDERS_DAILY) == [(day, "late")]

    # The scorecard counts it as an sla_missed incident, from the deadline to the publish.
    mesh = load_mesh(scenario.specs)
    window = Window(at(0, day=10), at(0, day=12))
    card = compute_scorecard(mesh, read_history(scenario.instance, mesh, window))
    orders = next(c for c in card.products if c.product == "orders-daily")
    assert [(s.kind, s.partition, s.opened_at, s.resolved_at) for s in orders.incident_spans] == [
        ("sla_missed", day, at(7), at(12))
    ]
    assert (orders.availability.late, orders.incidents.sla_missed) == (1, 1)


def test_a_miss_waiting_for_its_input_names_it_and_links_it(
    scenario: Mesh, http_receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESH_DAGSTER_URL", "https://dagster.company.com/")
    day = "2026-03-10"
    scenario.tick("mesh_sla", at(4))
    scenario.tick("mesh_alerts", at(4, 30))
    # order-events misses 05:45, so orders-daily is not built and misses 07:00 waiting for it.
    scenario.tick("mesh_sla", at(6))
    scenario.tick("mesh_sla", at(7))
    scenario.tick("mesh_alerts", at(7, 1))
    missed = next(
        e for e in scenario.verdicts if e.asset_key == ORDERS_DAILY and e.partition == day
    )
    assert missed.metadata["status"].value == "missed"
    assert missed.metadata["mesh/waiting_for"].value == ["order-events 2026-03-10"]
    assert missed.metadata["mesh/waiting_for_missed"].value == ["order-events 2026-03-10"]
    assert missed.description == (
        "not published by the deadline 2026-03-11 07:00 UTC; "
        "waiting for order-events 2026-03-10 (itself missed)"
    )
    upstream = (
        "https://dagster.company.com/assets/orders/order-events"
        "?view=partitions&partition=2026-03-10"
    )
    opened = [
        "[orders] SLA missed: orders-daily 2026-03-10: Partition 2026-03-10 of orders-daily "
        "was not published by its deadline, 2026-03-11 07:00 UTC; "
        "waiting for order-events 2026-03-10, itself missed."
    ]
    assert slack_texts(http_receiver, "orders-daily") == opened
    bodies = [b for b in http_receiver.accepted("/slack") if "orders-daily" in b["text"]]
    assert f"<{upstream}|Open the partition>" in json.dumps(bodies[0]["blocks"])
    trigger = next(
        b
        for b in http_receiver.accepted("/pagerduty")
        if b.get("payload", {}).get("component") == "orders-daily"
    )
    details = trigger["payload"]["custom_details"]
    assert details["Waiting for"] == "order-events 2026-03-10, itself missed"
    assert details["Upstream order-events 2026-03-10"] == upstream

    # 08:00 the events land; orders-daily is built from them at 08:10: both resolve.
    assert scenario.build(at(8), day, ORDER_EVENTS)
    assert scenario.build(at(8, 10), day, ORDERS_DAILY)
    scenario.tick("mesh_sla", at(8, 11))
    scenario.tick("mesh_alerts", at(8, 12))
    assert slack_texts(http_receiver, "orders-daily") == [
        *opened,
        "[orders] Resolved: SLA missed: orders-daily 2026-03-10: Partition 2026-03-10 of "
        "orders-daily was published at 2026-03-11 08:10 UTC, after its deadline of "
        "2026-03-11 07:00 UTC; it had waited for order-events 2026-03-10, itself missed.",
    ]
    assert pagerduty_pages(http_receiver, "orders-daily") == ["trigger", "resolve"]
    assert sla_statuses(scenario, ORDERS_DAILY) == [(day, "missed"), (day, "late")]
