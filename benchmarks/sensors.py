"""How long one tick of the SLA and alert sensors takes over N products: a Markdown table.

Run: .venv/bin/python benchmarks/sensors.py [N ...] [--repeats 3] [--days 14]
(default: N = 1000)

The specs are ``synthetic_mesh.py``'s (layout ``grid``: daily partitions, built at 06:00,
an SLA by 07:00 UTC). A temporary SQLite instance (the consolidated event log of
``deploy/dagster.local.yaml``) holds ``--days`` days of every product's materializations,
written straight into its table, row for row what Dagster stores; of the last day, 2% of
the products are not published. The sensors are built as ``build_definitions`` builds
them and evaluated as the daemon does (``evaluate_tick`` on a sensor context, the clock
frozen at each tick). The ticks, in order:

- ``SLA, first tick``: a new cursor (judging starts now), the day after the history;
- ``SLA, nothing due``: a minute later;
- ``SLA, N periods due (2% missed)``: the next morning at 07:01, every product's period
  came due: 98% on time, 2% missed (their input periods looked up);
- ``SLA, nothing due, 2% missed open``: a minute later, the missed periods still open;
- ``alerts, N verdicts new``: the alert sensor, which had read all history, reads the
  verdicts of the due tick (stored as Dagster stores runless check results; it reads at
  most 1,000 events a tick) and opens the incidents, with no channel configured;
- ``alerts, nothing new``: a tick once it has read every batch.

Best of ``--repeats`` per tick (each repeat starts from the same cursor, after a garbage
collection: a full collection over the loaded definitions costs up to a second at
N = 1,000 and would land on whichever tick triggers it); wall and CPU seconds.
``--sensor-module PATH`` takes ``build_sla_sensor`` from another file (e.g. an older
``sla_sensor.py``: ``git show <commit>:mesh_dagster/compile/sla_sensor.py > old.py``), to
measure before and after a change.
"""

# No `from __future__ import annotations`: Dagster inspects annotations at runtime.

import argparse
import gc
import importlib.util
import json
import random
import sqlite3
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    SensorDefinition,
    build_sensor_context,
)
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.test_utils import freeze_time
from dagster._serdes import serialize_value
from synthetic_mesh import write_specs

from mesh_dagster.compile.alert_sensor import build_alert_sensor
from mesh_dagster.compile.sla_sensor import build_sla_sensor
from mesh_dagster.compile.sla_verdict_job import build_verdict_job
from mesh_dagster.compile.specs import ProductSpecs, build_asset_specs
from mesh_dagster.spec import Mesh, load_mesh

START = date(2026, 1, 1)
MISSED_SHARE = 0.02
INSTANCE_YAML = """\
telemetry: {{enabled: false}}
event_log_storage:
  module: dagster._core.storage.event_log
  class: ConsolidatedSqliteEventLogStorage
  config: {{base_dir: "{home}"}}
"""
_PLACEHOLDER_TIME = 1234567890.25
Timing = tuple[float, float]


@dataclass
class Tick:
    """One measured tick: its label, best wall and CPU seconds, and what it returned."""

    label: str
    wall: float
    cpu: float
    summary: str


def _template() -> str:
    data = StepMaterializationData(
        AssetMaterialization(
            asset_key=AssetKey(["@D@", "@N@"]), partition="@P@", metadata={"rows_written": 1000}
        )
    )
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="mesh_daily",
        event_specific_data=data,
    )
    entry = EventLogEntry(
        None, 20, "", "@R@", _PLACEHOLDER_TIME, job_name="mesh_daily", dagster_event=event
    )
    return serialize_value(entry)


def write_history(database: Path, products: list[ProductSpecs], days: int) -> set[str]:
    """Insert ``days`` days of materializations; return the products missing the last day."""
    template = _template()
    rng = random.Random(11)
    missing = {
        item.product.name for item in products if rng.random() < MISSED_SHARE
    }  # of the last day
    rows: list[tuple[Any, ...]] = []
    for day in range(days):
        period = START + timedelta(days=day)
        morning = datetime.combine(period + timedelta(days=1), datetime.min.time(), UTC)
        run_id = f"run-{day:04d}"
        for item in products:
            if day == days - 1 and item.product.name in missing:
                continue
            domain, name = item.asset.key.path
            at = morning + timedelta(hours=6, seconds=rng.randint(0, 3000))
            text = (
                template.replace("@D@", domain)
                .replace("@N@", name)
                .replace("@P@", period.isoformat())
                .replace("@R@", run_id)
                .replace(repr(_PLACEHOLDER_TIME), repr(at.timestamp()))
            )
            stamp = at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
            key = item.asset.key.to_string()
            rows.append((run_id, text, "ASSET_MATERIALIZATION", stamp, key, period.isoformat()))
    connection = sqlite3.connect(database)
    with connection:
        connection.executemany(
            "insert into event_logs (run_id, event, dagster_event_type, timestamp, asset_key, "
            "partition) values (?, ?, ?, ?, ?, ?)",
            rows,
        )
    connection.close()
    return missing


def store_verdicts(database: Path, verdicts: list[AssetCheckEvaluation], at: datetime) -> int:
    """Insert the verdicts as Dagster stores runless check results; return the id before."""
    stamp = at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    events, checks = [], []
    for evaluation in verdicts:
        event = DagsterEvent(
            event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION.value,
            job_name="",
            event_specific_data=evaluation,
        )
        text = serialize_value(EventLogEntry(None, 20, "", "", at.timestamp(), dagster_event=event))
        key = evaluation.asset_key.to_string()
        state = "SUCCEEDED" if evaluation.passed else "FAILED"
        events.append(("", text, "ASSET_CHECK_EVALUATION", stamp))
        checks.append((key, evaluation.check_name, evaluation.partition, state, text, stamp))
    connection = sqlite3.connect(database)
    with connection:
        (before,) = connection.execute("select max(id) from event_logs").fetchone()
        connection.executemany(
            "insert into event_logs (run_id, event, dagster_event_type, timestamp) "
            "values (?, ?, ?, ?)",
            events,
        )
        connection.executemany(
            "insert into asset_check_executions (asset_key, check_name, partition, run_id, "
            "execution_status, evaluation_event, evaluation_event_timestamp) "
            "values (?, ?, ?, '', ?, ?, ?)",
            checks,
        )
    connection.close()
    return int(before)


def load_sensor_builder(path: str | None) -> Callable[..., SensorDefinition]:
    """Return ``build_sla_sensor``, from ``path`` when given (an older version)."""
    if path is None:
        return build_sla_sensor
    spec = importlib.util.spec_from_file_location("measured_sla_sensor", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    builder: Callable[..., SensorDefinition] = module.build_sla_sensor
    return builder


def measure_tick(
    label: str,
    sensor: SensorDefinition,
    instance: DagsterInstance,
    cursor: str | None,
    moment: datetime,
    repeats: int,
) -> tuple[Tick, Any]:
    """Return the best of ``repeats`` evaluations of one tick from ``cursor``, and its data."""
    best: Timing | None = None
    data: Any = None
    for _ in range(repeats):
        gc.collect()  # garbage of earlier work is not this tick's cost
        with freeze_time(moment):
            context = build_sensor_context(instance=instance, cursor=cursor)
            wall, cpu = time.perf_counter(), time.process_time()
            data = sensor.evaluate_tick(context)
            figures = (time.perf_counter() - wall, time.process_time() - cpu)
        if best is None or figures[0] < best[0]:
            best = figures
    assert best is not None
    events = len(data.asset_events)
    runs = len(data.run_requests or [])
    summary = f"{events} verdicts, {runs} runs" if events or runs else data.skip_message or ""
    return Tick(label, best[0], best[1], summary), data


def run(count: int, repeats: int, days: int, sensor_module: str | None) -> list[Tick]:
    """Return the measured ticks over ``count`` synthetic products."""
    with tempfile.TemporaryDirectory(prefix="mesh-sensors-") as folder:
        root = Path(folder)
        write_specs(root / "specs", count)
        started = time.perf_counter()
        mesh: Mesh = load_mesh(root / "specs", bind_sql=False)
        products = build_asset_specs(mesh)
        print(f"N = {count}: specs loaded in {time.perf_counter() - started:.1f} s", flush=True)
        home = root / "home"
        home.mkdir()
        (home / "dagster.yaml").write_text(INSTANCE_YAML.format(home=home), encoding="utf-8")
        with DagsterInstance.from_config(str(home)) as instance:
            missing = write_history(home / "event_log.db", products, days)
            print(f"  {len(missing)} products miss the last day", flush=True)
            sla = load_sensor_builder(sensor_module)(
                mesh, products, build_verdict_job(mesh, products)
            )
            alerts = build_alert_sensor(mesh, products, {})
            last_day = START + timedelta(days=days - 1)
            # The first tick comes the morning of the history's last day; that day comes due
            # the next morning.
            first = datetime.combine(last_day, datetime.min.time(), UTC)
            first += timedelta(hours=7, minutes=30)
            due = first + timedelta(days=1) - timedelta(minutes=29)
            ticks: list[Tick] = []
            cursor: str | None = None
            plan = [
                ("SLA, first tick (new cursor)", first),
                ("SLA, nothing due", first + timedelta(minutes=1)),
                ("SLA, N periods due (2% missed)", due),
                ("SLA, nothing due, 2% missed open", due + timedelta(minutes=1)),
            ]
            verdicts: list[AssetCheckEvaluation] = []
            for label, moment in plan:
                tick, data = measure_tick(label, sla, instance, cursor, moment, repeats)
                ticks.append(tick)
                print(f"  {tick.label}: {tick.wall:.3f} s ({tick.summary})", flush=True)
                cursor = data.cursor
                verdicts += data.asset_events
            # The alert sensor has read everything before the verdicts.
            alerts_cursor = json.dumps(
                {"after": store_verdicts(home / "event_log.db", verdicts, due)}
            )
            moment = due + timedelta(minutes=2)
            label = "alerts, N verdicts new (one batch of at most 1,000 read)"
            tick, data = measure_tick(label, alerts, instance, alerts_cursor, moment, 1)
            ticks.append(tick)
            print(f"  {tick.label}: {tick.wall:.3f} s ({tick.summary})", flush=True)
            while not data.skip_message.startswith("0 events"):  # read the other batches
                moment += timedelta(minutes=1)
                with freeze_time(moment):
                    data = alerts.evaluate_tick(
                        build_sensor_context(instance=instance, cursor=data.cursor)
                    )
            tick, data = measure_tick(
                "alerts, nothing new", alerts, instance, data.cursor, moment, repeats
            )
            ticks.append(tick)
            print(f"  {tick.label}: {tick.wall:.3f} s ({tick.summary})", flush=True)
            return ticks


def table(results: dict[int, list[Tick]]) -> list[str]:
    """Return the Markdown table: one row per tick, wall (CPU) seconds per N."""
    counts = sorted(results)
    lines = [
        "| Tick | " + " | ".join(f"N = {count:,}" for count in counts) + " |",
        "|---|" + "---:|" * len(counts),
    ]
    for row in range(len(results[counts[0]])):
        label = results[counts[0]][row].label
        cells = [f"{results[c][row].wall:.3f} s ({results[c][row].cpu:.3f})" for c in counts]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="*", type=int, default=[1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--sensor-module", default=None)
    arguments = parser.parse_args()
    warnings.simplefilter("ignore")
    results = {
        count: run(count, arguments.repeats, arguments.days, arguments.sensor_module)
        for count in arguments.counts
    }
    print()
    print("\n".join(table(results)))


if __name__ == "__main__":
    main()
