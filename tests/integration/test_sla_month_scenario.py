"""A month of a three-product mesh under faults: verdicts, notices and scorecard agree.

order-events (UTC, built by its 05:00 schedule) -> orders-daily (UTC, built by the
mesh_inputs_ready sensor once its input is published) -> revenue-berlin (days in
Europe/Berlin, each reading the two UTC days it overlaps; built by the sensor too), over
March 2026 and its DST change. Time is frozen at each step. Routine publishes are runless
materializations; the fix, the failed run on broken storage, its retry and a rerun are real
builds. The sensors run as the daemon runs them (inputs, then SLA, then alerts at each
tick), on a real SQLite instance, telling real local HTTP receivers.

What is expected is worked out from the script below (``Script``), independently of the
sensors: when each period is published, hence its verdict, whether its miss was caused
upstream, the incidents it opens, and the notices each channel must get exactly once.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    RunRequest,
    build_sensor_context,
    materialize,
)
from dagster._core.test_utils import freeze_time
from fixtures.dagster_env import EXAMPLE_SPECS

from mesh_dagster import MeshResource, build_definitions
from mesh_dagster.alerts import dedup_key
from mesh_dagster.compile.sla_sensor import first_publish
from mesh_dagster.scorecard import Window, compute_scorecard
from mesh_dagster.scorecard.instance_history import read_history
from mesh_dagster.spec import load_mesh

pytestmark = pytest.mark.integration

EVENTS, DAILY, BERLIN = "order-events", "orders-daily", "revenue-berlin"
KEYS = {
    EVENTS: AssetKey(["orders", EVENTS]),
    DAILY: AssetKey(["orders", DAILY]),
    BERLIN: AssetKey(["finance", BERLIN]),
}
DOMAIN = {EVENTS: "orders", DAILY: "orders", BERLIN: "finance"}
CHANNELS = {"orders": ("slack", "pagerduty"), "finance": ("webhook",)}
UTC_ZONE, BERLIN_ZONE = ZoneInfo("UTC"), ZoneInfo("Europe/Berlin")
FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)
PERIODS = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
BEFORE = date(2026, 2, 28)  # published before the month: the first Berlin day reads it
BLOCKED_RULE = "completeness"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def key(day: date) -> str:
    return day.isoformat()


def next_day(day: date) -> date:
    return day + timedelta(days=1)


# --- The script --------------------------------------------------------------------------

TICKS = [(5, 50), (6, 15), (6, 30), (7, 5), (9, 5)]
"""Sensor ticks each morning (UTC): inputs, then SLA, then alerts (more on some days)."""


@dataclass
class Script:
    """The month, fault by fault (periods are days of March; events on the next morning)."""

    # order-events: runless publishes later than its 05:10 schedule run (late raw data).
    late_raw: dict[date, datetime] = field(default_factory=dict)
    paused: set[date] = field(default_factory=set)  # the schedule did not run for these
    # Extra runless publishes of order-events (a backfill after the paused day).
    backfills: list[tuple[datetime, date]] = field(default_factory=list)
    # Real builds: (moment, period, products, broken storage).
    runs: list[tuple[datetime, date, tuple[str, ...], bool]] = field(default_factory=list)
    blocked: dict[date, datetime] = field(default_factory=dict)  # a failed error rule
    down: tuple[datetime, datetime] | None = None  # the daemon: no ticks in [start, end)
    extra_ticks: list[datetime] = field(default_factory=list)
    slow: dict[tuple[str, date], datetime] = field(default_factory=dict)  # a run finishing late
    restart: datetime | None = None
    receiver_fails: tuple[datetime, str, int] | None = None  # from then, N answers 500

    def scheduled(self, day: date) -> bool:
        """Return whether the 05:10 schedule run publishes the period (untouched by faults)."""
        replaced = {day for _, day, _, broken in self.runs if broken}
        return day not in self.paused | set(self.blocked) | set(self.late_raw) | replaced

    def events_published(self, day: date) -> datetime:
        """Return when order-events publishes the period first."""
        moments = [moment for moment, item in self.backfills if item == day]
        moments += [
            moment
            for moment, item, names, broken in self.runs
            if item == day and EVENTS in names and not broken
        ]
        if day in self.late_raw:
            moments.append(self.late_raw[day])
        if self.scheduled(day):
            moments.append(at(next_day(day), 5, 10))
        return min(moments)

    def ticks(self) -> list[datetime]:
        moments = [at(next_day(day), h, m) for day in PERIODS for h, m in TICKS]
        moments += self.extra_ticks
        if self.down is not None:
            start, end = self.down
            moments = [moment for moment in moments if not start <= moment < end]
        return sorted(set(moments))


def month_script() -> Script:
    script = Script()
    d = date
    # 03-03: the raw events land at 08:00, after their 05:45 deadline (late raw data).
    script.late_raw[d(2026, 3, 3)] = at(d(2026, 3, 4), 8)
    script.extra_ticks += [at(d(2026, 3, 4), 8, 15), at(d(2026, 3, 4), 8, 30)]
    # 03-05: a blocked rule (completeness fails at 05:10); a fixed rerun publishes at 12:00.
    script.blocked[d(2026, 3, 5)] = at(d(2026, 3, 6), 5, 10)
    script.runs.append((at(d(2026, 3, 6), 12), d(2026, 3, 5), (EVENTS,), False))
    script.extra_ticks += [at(d(2026, 3, 6), 12, 5), at(d(2026, 3, 6), 12, 20)]
    # 03-08: the schedule is paused for a day; 03-08 is backfilled when it resumes.
    script.paused.add(d(2026, 3, 8))
    script.backfills.append((at(d(2026, 3, 10), 5, 10), d(2026, 3, 8)))
    # 03-12: the run fails on broken storage at 05:05; its retry publishes at 05:30.
    script.runs.append((at(d(2026, 3, 13), 5, 5), d(2026, 3, 12), (EVENTS,), True))
    script.runs.append((at(d(2026, 3, 13), 5, 30), d(2026, 3, 12), (EVENTS,), False))
    # 03-16 06:00 .. 13:00 the daemon is down: no sensor ticks; it catches up at 13:00.
    script.down = (at(d(2026, 3, 16), 6), at(d(2026, 3, 16), 13))
    script.extra_ticks += [at(d(2026, 3, 16), 13), at(d(2026, 3, 16), 13, 15)]
    # 03-18: the events land at 06:20 (late); Slack answers 500 to the next 3 posts.
    script.late_raw[d(2026, 3, 18)] = at(d(2026, 3, 19), 6, 20)
    script.receiver_fails = (at(d(2026, 3, 19), 5, 45), "/slack", 3)
    # 03-21 04:00: the code location restarts (new sensor objects, the same cursors).
    script.restart = at(d(2026, 3, 21), 4)
    # 03-22 is rerun for real at 10:00 on 03-23, after its on-time publish: no change.
    script.runs.append((at(d(2026, 3, 23), 10), d(2026, 3, 22), (EVENTS, DAILY), False))
    # 03-29, Berlin's 23-hour day: its build finishes at 08:20 UTC, after 10:00 CEST.
    script.slow[(BERLIN, d(2026, 3, 29))] = at(d(2026, 3, 30), 8, 20)
    script.extra_ticks += [at(d(2026, 3, 30), 8, 15), at(d(2026, 3, 30), 8, 30)]
    return script


# --- What the script implies ---------------------------------------------------------------


def berlin_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=BERLIN_ZONE)
    end = datetime.combine(next_day(day), time(0), tzinfo=BERLIN_ZONE)
    return start.astimezone(UTC), end.astimezone(UTC)


def inputs_of(product: str, day: date) -> list[tuple[str, date]]:
    """Return the input periods a period reads (Berlin days overlap two UTC days)."""
    if product == DAILY:
        return [(EVENTS, day)]
    if product == BERLIN:
        start, end = berlin_window(day)
        days = {start.date(), (end - timedelta(microseconds=1)).date()}
        return [(DAILY, item) for item in sorted(days)]
    return []


def deadline(product: str, day: date) -> datetime:
    if product == EVENTS:
        return at(next_day(day), 5, 45)
    if product == DAILY:
        return at(next_day(day), 7)
    local = datetime.combine(next_day(day), time(10), tzinfo=BERLIN_ZONE)
    return local.astimezone(UTC)


def cron_tick(product: str, day: date) -> datetime:
    if product == DAILY:
        return at(next_day(day), 6)
    return datetime.combine(next_day(day), time(7), tzinfo=BERLIN_ZONE).astimezone(UTC)


@dataclass(frozen=True)
class Expected:
    """A period's expected publish, verdict and cause."""

    published: datetime
    status: str  # on_time, late
    upstream: tuple[str, ...]  # input periods (missed ones marked) not published by the deadline


def expected_publishes(script: Script) -> dict[tuple[str, date], datetime]:
    """Return when each period is published: order-events by the script, the others at the
    first inputs-sensor tick after their cron tick at which every input was published
    before (a run the sensor launches publishes at that tick, or when the script says)."""
    published: dict[tuple[str, date], datetime] = {(DAILY, BEFORE): at(FIRST, 11)}
    for day in PERIODS:
        published[(EVENTS, day)] = script.events_published(day)
    ticks = script.ticks()
    for product in (DAILY, BERLIN):
        for day in PERIODS:
            needs = inputs_of(product, day)
            moment = next(
                tick
                for tick in ticks
                if tick >= cron_tick(product, day)
                and all(
                    published[need] < tick
                    or (need[0] == EVENTS and published[need] <= tick)  # before the tick's runs
                    for need in needs
                )
            )
            published[(product, day)] = script.slow.get((product, day), moment)
    return published


def expected_periods(script: Script) -> dict[tuple[str, date], Expected]:
    published = expected_publishes(script)
    found: dict[tuple[str, date], Expected] = {}
    for (product, day), moment in published.items():
        if day < FIRST:
            continue
        due = deadline(product, day)
        status = "on_time" if moment <= due else "late"
        waiting = tuple(
            f"{name} {key(period)}"
            for name, period in inputs_of(product, day)
            if published[(name, period)] > due
        )
        found[(product, day)] = Expected(moment, status, waiting if status == "late" else ())
    return found


def expected_incidents(script: Script) -> Counter[tuple[str, str, str, str]]:
    """Return (product, partition, kind, rule) -> 1 for every incident the month opens."""
    incidents: Counter[tuple[str, str, str, str]] = Counter()
    for (product, day), item in expected_periods(script).items():
        if item.status != "on_time":
            incidents[(product, key(day), "sla_missed", "")] += 1
    for day in script.blocked:
        incidents[(EVENTS, key(day), "check_failed", BLOCKED_RULE)] += 1
    for _, day, products, broken in script.runs:
        if broken:
            incidents.update((name, key(day), "run_failed", "") for name in products)
    return incidents


# --- The harness ---------------------------------------------------------------------------


@dataclass
class Month:
    """The mesh running against one instance: sensors' cursors, runs launched as the daemon does."""

    specs: Path
    warehouse: Path
    instance: DagsterInstance
    script: Script
    cursors: dict[str, str | None] = field(default_factory=dict)
    pending: list[tuple[datetime, str, date]] = field(default_factory=list)
    defs: Definitions | None = None
    broken: Definitions | None = None

    def load(self) -> None:
        """(Re)load the definitions, as a restarted code location would."""
        self.defs = build_definitions(
            self.specs, resources={"mesh": MeshResource(warehouse=str(self.warehouse))}
        )
        not_a_folder = self.warehouse.parent / "not-a-folder"
        not_a_folder.write_text("a file where the warehouse folder should be\n")
        self.broken = build_definitions(
            self.specs, resources={"mesh": MeshResource(warehouse=str(not_a_folder))}
        )

    def publish(self, product: str, day: date) -> None:
        self.instance.report_runless_asset_event(
            AssetMaterialization(KEYS[product], partition=key(day))
        )

    def block(self, day: date) -> None:
        """A scheduled build of order-events whose error rule fails: nothing published."""
        self.instance.report_runless_asset_event(
            AssetCheckEvaluation(
                asset_key=KEYS[EVENTS],
                check_name=BLOCKED_RULE,
                passed=False,
                severity=AssetCheckSeverity.ERROR,
                partition=key(day),
                metadata={"failing_rows": 3},
            )
        )

    def run(self, day: date, products: tuple[str, ...], broken: bool) -> None:
        defs = self.broken if broken else self.defs
        assert defs is not None
        result = materialize(
            list(defs.assets or []),
            selection=[KEYS[name] for name in products],
            partition_key=key(day),
            resources=defs.resources,
            instance=self.instance,
            raise_on_error=False,
        )
        assert result.success != broken

    def tick(self, moment: datetime) -> None:
        for name in ("mesh_inputs_ready", "mesh_sla", "mesh_alerts"):
            data = self._evaluate(name)
            for event in data.asset_events:
                self.instance.report_runless_asset_event(event)
            for request in data.run_requests or []:
                self._launch(name, request, moment)

    def _evaluate(self, name: str) -> Any:
        assert self.defs is not None
        context = build_sensor_context(
            instance=self.instance, cursor=self.cursors.get(name), definitions=self.defs
        )
        data = self.defs.get_sensor_def(name).evaluate_tick(context)
        self.cursors[name] = data.cursor
        return data

    def _launch(self, sensor: str, request: RunRequest, moment: datetime) -> None:
        assert self.defs is not None
        if sensor == "mesh_sla":  # the late verdict of a period judged missed
            job = self.defs.get_job_def("mesh_sla_verdicts")
            outcome = job.execute_in_process(
                run_config=request.run_config, instance=self.instance, tags=dict(request.tags)
            )
            assert outcome.success
            return
        # A build the inputs sensor requested: it publishes now (or when the script says).
        assert request.partition_key is not None
        day = date.fromisoformat(request.partition_key)
        for asset in request.asset_selection or []:
            product = next(name for name, k in KEYS.items() if k == asset)
            finish = self.script.slow.get((product, day), moment)
            if finish > moment:
                self.pending.append((finish, product, day))
            else:
                self.publish(product, day)

    def play(self, receiver: Any) -> None:
        script = self.script
        steps: list[tuple[datetime, int, Any]] = [
            (at(FIRST, 11), 0, ("publish", EVENTS, BEFORE)),
            (at(FIRST, 11), 0, ("publish", DAILY, BEFORE)),
            (at(FIRST, 12), 9, ("tick",)),
        ]
        for day in PERIODS:
            if script.scheduled(day):
                steps.append((at(next_day(day), 5, 10), 0, ("publish", EVENTS, day)))
        steps += [(moment, 0, ("block", day)) for day, moment in script.blocked.items()]
        steps += [(moment, 0, ("publish", EVENTS, day)) for day, moment in script.late_raw.items()]
        steps += [(moment, 0, ("publish", EVENTS, day)) for moment, day in script.backfills]
        steps += [(moment, 0, ("finish",)) for moment in script.slow.values()]
        steps += [(moment, 1, ("run", day, names, b)) for moment, day, names, b in script.runs]
        steps += [(moment, 9, ("tick",)) for moment in script.ticks()]
        if script.restart is not None:
            steps.append((script.restart, 5, ("restart",)))
        if script.receiver_fails is not None:
            moment, path, times = script.receiver_fails
            steps.append((moment, 5, ("fail", path, times)))
        for moment, _, action in sorted(steps, key=lambda step: (step[0], step[1])):
            with freeze_time(moment):
                for finish, product, day in sorted(self.pending):
                    if finish <= moment:
                        self.publish(product, day)
                        self.pending.remove((finish, product, day))
                if action[0] == "publish":
                    self.publish(action[1], action[2])
                elif action[0] == "block":
                    self.block(action[1])
                elif action[0] == "run":
                    self.run(action[1], action[2], action[3])
                elif action[0] == "restart":
                    self.load()
                elif action[0] == "fail":
                    receiver.fail(action[1], action[2])
                elif action[0] == "tick":
                    self.tick(moment)
        assert self.pending == []


@pytest.fixture
def memory_instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    """Return a SQLite instance in memory (/dev/shm) where there is one: it commits often."""
    memory = Path("/dev/shm")
    root = Path(tempfile.mkdtemp(prefix="mesh-month-", dir=memory)) if memory.is_dir() else tmp_path
    overrides = {
        "telemetry": {"enabled": False},
        "event_log_storage": {
            "module": "dagster._core.storage.event_log",
            "class": "ConsolidatedSqliteEventLogStorage",
            "config": {"base_dir": str(root / "history")},
        },
    }
    try:
        with DagsterInstance.local_temp(tempdir=str(root), overrides=overrides) as local:
            yield local
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def month(
    tmp_path: Path,
    warehouse: Path,
    memory_instance: DagsterInstance,
    pii_key: str,
    http_receiver: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Month]:
    specs = tmp_path / "specs"
    (specs / "orders").mkdir(parents=True)
    (specs / "finance").mkdir()
    policy = yaml.safe_load((EXAMPLE_SPECS / "mesh.yaml").read_text())
    policy["alert_channels"]["orders-pagerduty"]["events_url_env"] = "PAGERDUTY_EVENTS_URL"
    (specs / "mesh.yaml").write_text(yaml.safe_dump(policy, sort_keys=False))
    for name in ("order_events.yaml", "orders_daily.yaml"):
        shutil.copy(EXAMPLE_SPECS / "orders" / name, specs / "orders" / name)
    (specs / "finance" / "revenue_berlin.yaml").write_text(yaml.safe_dump(berlin_spec()))
    monkeypatch.setenv("ORDERS_SLACK_WEBHOOK_URL", http_receiver.url("/slack"))
    monkeypatch.setenv("ORDERS_PAGERDUTY_ROUTING_KEY", "routing-key-for-tests")
    monkeypatch.setenv("PAGERDUTY_EVENTS_URL", http_receiver.url("/pagerduty"))
    monkeypatch.setenv("PLATFORM_ALERTS_WEBHOOK_URL", http_receiver.url("/webhook"))
    monkeypatch.setenv("MESH_DAGSTER_URL", "https://dagster.company.com")
    monkeypatch.delenv("MESH_SMTP_HOST", raising=False)
    month = Month(specs, warehouse, memory_instance, month_script())
    month.load()
    yield month


def berlin_spec() -> dict[str, Any]:
    return {
        "apiVersion": "dataproduct/v1",
        "kind": "DataProduct",
        "metadata": {
            "name": BERLIN,
            "domain": "finance",
            "owner": "finance-team",
            "steward": "ana@company.com",
        },
        "spec": {
            "description": "Revenue per Berlin business day.",
            "schedule": {"cron": "0 7 * * *", "timezone": "Europe/Berlin"},
            "sla": {"available_by": "10:00", "availability_target": "99%"},
            "partitioning": {"by": "day", "column": "business_day", "start": "2026-01-01"},
            "grain": ["business_day"],
            "inputs": [{"product": DAILY}],
            "transform": {
                "sql": "select order_date as business_day, sum(revenue_usd) as revenue_usd "
                "from orders_daily group by all"
            },
            "output": {
                "format": "delta",
                "location": "s3://data-platform/products/finance/revenue_berlin/",
            },
            "schema": [
                {"name": "business_day", "type": "date", "nullable": False},
                {"name": "revenue_usd", "type": "double", "nullable": False},
            ],
            "consumers": [{"team": "finance", "use_case": "Daily revenue"}],
        },
    }


# --- Reading what happened ----------------------------------------------------------------


def verdicts(instance: DagsterInstance, product: str) -> dict[str, list[tuple[str, Any]]]:
    """Return each period's recorded ``sla`` results: (status, waiting for), in order."""
    history = instance.event_log_storage.get_asset_check_execution_history(
        AssetCheckKey(KEYS[product], "sla"), limit=1000
    )
    found: dict[str, list[tuple[str, Any]]] = {}
    for record in reversed(history):
        evaluation = record.evaluation
        assert evaluation is not None and record.partition is not None
        waiting = evaluation.metadata.get("mesh/waiting_for")
        status = evaluation.metadata["status"].value
        found.setdefault(record.partition, []).append(
            (str(status), tuple(waiting.value) if waiting is not None else ())
        )
    return found


def notices(receiver: Any) -> Counter[tuple[str, str, str, str, str, str]]:
    """Return (channel, event, product, partition, kind, rule) of every accepted notice."""
    told: Counter[tuple[str, str, str, str, str, str]] = Counter()
    for body in receiver.accepted("/webhook"):
        incident = body["incident"]
        told[
            (
                "webhook",
                body["event"],
                incident["product"],
                incident["partition"],
                incident["kind"],
                incident["rule"] or "",
            )
        ] += 1
    keys: dict[str, tuple[str, str, str, str]] = {}
    for product in KEYS:
        for day in PERIODS:
            for kind, rule in (
                ("sla_missed", ""),
                ("run_failed", ""),
                ("check_failed", BLOCKED_RULE),
            ):
                keys[dedup_key(product, key(day), kind, rule or None)] = (
                    product,
                    key(day),
                    kind,
                    rule,
                )
    for body in receiver.accepted("/pagerduty"):
        event = "opened" if body["event_action"] == "trigger" else "resolved"
        told[("pagerduty", event, *keys[body["dedup_key"]])] += 1
    for body in receiver.accepted("/slack"):
        parts = body["text"].split("] ", 1)[1].split(": ")
        event = "resolved" if parts[0] == "Resolved" else "opened"
        if event == "resolved":
            parts = parts[1:]
        label = parts[0]
        product, partition = parts[1].split(" ")
        kind, rule = {
            "SLA missed": ("sla_missed", ""),
            "Build failed": ("run_failed", ""),
            f"Quality check failed ({BLOCKED_RULE})": ("check_failed", BLOCKED_RULE),
        }[label]
        told[("slack", event, product, partition, kind, rule)] += 1
    return told


def test_a_month_of_faults_gives_the_verdicts_notices_and_scorecard_it_implies(
    month: Month, http_receiver: Any
) -> None:
    month.play(http_receiver)
    expected = expected_periods(month.script)

    # Publishes happened when the script implies (the sensor built each period once ready).
    for (product, day), item in expected.items():
        assert first_publish(month.instance, KEYS[product], key(day)) == item.published, (
            product,
            day,
        )

    # Verdicts: on time, or the miss and its late publish (a miss first judged late is one
    # late verdict), each recording the input periods it waited for.
    for product in KEYS:
        recorded = verdicts(month.instance, product)
        assert sorted(recorded) == [key(day) for day in PERIODS], product
        for day in PERIODS:
            item = expected[(product, day)]
            statuses = [status for status, _ in recorded[key(day)]]
            if item.status == "on_time":
                assert statuses == ["on_time"], (product, day)
                continue
            assert statuses in (["missed", "late"], ["late"]), (product, day, statuses)
            causes = {waiting for _, waiting in recorded[key(day)] if waiting}
            assert causes <= {item.upstream}, (product, day, causes)
            assert bool(causes) == bool(item.upstream), (product, day)

    # Notices: one opened and one resolved per incident and channel, nothing else.
    incidents = expected_incidents(month.script)
    assert incidents[(DAILY, "2026-03-03", "sla_missed", "")] == 1  # the script's faults show
    told: Counter[tuple[str, str, str, str, str, str]] = Counter()
    for (product, partition, kind, rule), count in incidents.items():
        assert count == 1
        for channel in CHANNELS[DOMAIN[product]]:
            for event in ("opened", "resolved"):
                told[(channel, event, product, partition, kind, rule)] += 1
    assert notices(http_receiver) == told
    assert [r.status for r in http_receiver.received("/slack")].count(500) == 3

    # The words of a miss upstream, and of the Berlin one it caused across a downtime.
    slack = [body["text"] for body in http_receiver.accepted("/slack")]
    assert (
        "[orders] SLA missed: orders-daily 2026-03-03: Partition 2026-03-03 of orders-daily "
        "was not published by its deadline, 2026-03-04 07:00 UTC; "
        "waiting for order-events 2026-03-03, itself missed."
    ) in slack
    berlin = [
        body
        for body in http_receiver.accepted("/webhook")
        if body["incident"]["partition"] == "2026-03-15" and body["event"] == "opened"
    ]
    assert [body["summary"] for body in berlin] == [
        "Partition 2026-03-15 of revenue-berlin was not published by its deadline, "
        "2026-03-16 10:00 CET; waiting for orders-daily 2026-03-15, itself missed."
    ]
    assert berlin[0]["incident"]["waiting_for"][0]["url"] == (
        "https://dagster.company.com/assets/orders/orders-daily"
        "?view=partitions&partition=2026-03-15"
    )

    # The scorecard: availability, incidents by kind, misses upstream and own.
    mesh = load_mesh(month.specs)
    window = Window(at(date(2026, 3, 2), 0), at(date(2026, 4, 1), 12))
    card = compute_scorecard(mesh, read_history(month.instance, mesh, window))
    for scorecard in card.products:
        mine = {day: item for (name, day), item in expected.items() if name == scorecard.product}
        late = sum(1 for item in mine.values() if item.status == "late")
        upstream = sum(1 for item in mine.values() if item.upstream)
        kinds = Counter(kind for (name, _, kind, _) in incidents if name == scorecard.product)
        figures = scorecard.availability
        assert (figures.due, figures.on_time, figures.late, figures.missed) == (
            31,
            31 - late,
            late,
            0,
        ), scorecard.product
        assert (figures.upstream, figures.own) == (upstream, late - upstream), scorecard.product
        summary = scorecard.incidents
        assert (summary.sla_missed, summary.check_failed, summary.run_failed) == (
            kinds["sla_missed"],
            kinds["check_failed"],
            kinds["run_failed"],
        ), scorecard.product
        assert summary.open == 0
    finance = next(domain for domain in card.domains if domain.name == "finance")
    assert finance.availability.upstream == sum(
        1 for (name, _), item in expected.items() if name == BERLIN and item.upstream
    )
    assert card.mesh.availability.upstream == sum(1 for item in expected.values() if item.upstream)
