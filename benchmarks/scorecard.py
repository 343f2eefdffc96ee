"""How long a mesh scorecard takes on 1,000 products x 90 days of history: a Markdown table.

Run: .venv/bin/python benchmarks/scorecard.py [--products 1000] [--days 90] [--repeats 3]

The specs are ``benchmarks/synthetic_mesh.py``'s, layout ``deep`` (10 domains, daily
partitions, an SLA by 07:00 at 99.9%, 8 error rules and 1 warn rule each). Their history
is written straight into the tables of a temporary SQLite instance (the consolidated event log of
``deploy/dagster.local.yaml``), row for row what Dagster stores: per product and day, the
build's rule results and materialization, and the SLA sensor's verdict. About 3.5% of
the periods go wrong: built late, a failed rule fixed by a re-run, a failed run retried,
or missed (half of those backfilled two days later); a warn rule fails now and then.
Failed runs go through Dagster's own API (a run record and a ``STEP_FAILURE`` event).

Measured, best of the repeats: ``read_history`` (the SQL reader), ``compute_scorecard``,
and both: what ``mesh scorecard`` and the ``mesh/scorecard`` asset do once the specs are
loaded (``load_mesh`` is shown too, for scale). CPU time adds up both threads of the
reader; on a busy machine it is steadier than the wall clock. The scorecard is checked
against what the generator wrote.
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import sqlite3
import tempfile
import time
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    DagsterRunStatus,
)
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.execution.plan.objects import StepFailureData
from dagster._core.storage.dagster_run import DagsterRun
from dagster._serdes import serialize_value
from synthetic_mesh import write_specs

from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.compile.assets import op_name
from mesh_dagster.scorecard import MeshScorecard, Window, compute_scorecard
from mesh_dagster.scorecard.instance_history import read_history
from mesh_dagster.spec import DataProduct, Mesh, load_mesh

START = date(2026, 1, 1)
JOB = "mesh_daily"
_PLACEHOLDER_TIME = 1234567890.25
INSTANCE_YAML = """\
telemetry: {{enabled: false}}
event_log_storage:
  module: dagster._core.storage.event_log
  class: ConsolidatedSqliteEventLogStorage
  config: {{base_dir: "{home}"}}
"""
Timing = tuple[float, float]


@dataclass
class Expected:
    """What the generator wrote, to check the scorecard against."""

    statuses: Counter[str] = field(default_factory=Counter)
    pairs: int = 0
    passed: int = 0
    incidents: Counter[str] = field(default_factory=Counter)
    resolved: int = 0
    recovery: timedelta = timedelta(0)
    run_failures: list[tuple[str, str, datetime]] = field(default_factory=list)


def _stamp(at: datetime) -> str:
    """Return a time as Dagster's SQLite tables store it (naive UTC text)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class HistoryWriter:
    """The rows of the event_logs and asset_check_executions tables, from serialized templates.

    Serializing ~1.8 million events one by one would take minutes; each kind of event is
    serialized once, with placeholders that are replaced per row.
    """

    def __init__(self, mesh: Mesh) -> None:
        self.rules = {
            product.name: [
                (check.name, check.severity == "error") for check in plan_checks(product).checks
            ]
            for product in mesh.products.values()
        }
        self.events: list[tuple[Any, ...]] = []
        self.checks: list[tuple[Any, ...]] = []
        self.expected = Expected()
        self._templates: dict[tuple[str, bool, bool, str | None], str] = {}
        self._materialization = _serialized(
            DagsterEventType.ASSET_MATERIALIZATION,
            StepMaterializationData(
                AssetMaterialization(
                    asset_key=AssetKey(["@D@", "@N@"]),
                    partition="@P@",
                    metadata={"rows_written": 1000, "delta_version": 3},
                )
            ),
        )

    def _template(self, rule: str, passed: bool, error: bool, status: str | None) -> str:
        key = (rule, passed, error, status)
        if key not in self._templates:
            evaluation = AssetCheckEvaluation(
                asset_key=AssetKey(["@D@", "@N@"]),
                check_name=rule,
                passed=passed,
                severity=AssetCheckSeverity.ERROR if error else AssetCheckSeverity.WARN,
                partition="@P@",
                metadata={"status": status} if status else {"failing_rows": 0},
            )
            self._templates[key] = _serialized(DagsterEventType.ASSET_CHECK_EVALUATION, evaluation)
        return self._templates[key]

    def result(
        self,
        product: DataProduct,
        partition: str,
        run_id: str,
        rule: str,
        passed: bool,
        error: bool,
        at: datetime,
        status: str | None = None,
    ) -> None:
        """Add one check result to both tables, as Dagster stores it."""
        text = _fill(self._template(rule, passed, error, status), product, partition, run_id, at)
        key = AssetKey([product.domain, product.name]).to_string()
        state = "SUCCEEDED" if passed else "FAILED"
        self.events.append((run_id, text, "ASSET_CHECK_EVALUATION", _stamp(at), None, None))
        self.checks.append((key, rule, partition, run_id, state, text, _stamp(at)))

    def build(
        self,
        product: DataProduct,
        partition: str,
        run_id: str,
        at: datetime,
        failing: str | None,
        rng: random.Random,
    ) -> None:
        """Add a build's rule results, and its materialization when every error rule passed."""
        for rule, error in self.rules[product.name]:
            passed = rule != failing and (error or rng.random() > 0.03)
            self.result(product, partition, run_id, rule, passed, error, at)
        if failing is None:
            key = AssetKey([product.domain, product.name]).to_string()
            text = _fill(self._materialization, product, partition, run_id, at)
            self.events.append((run_id, text, "ASSET_MATERIALIZATION", _stamp(at), key, partition))

    def verdict(self, product: DataProduct, partition: str, status: str, at: datetime) -> None:
        """Add the SLA sensor's runless verdict."""
        self.result(
            product, partition, "", "sla", status == "on_time", status == "missed", at, status
        )


def _serialized(kind: DagsterEventType, data: Any) -> str:
    event = DagsterEvent(event_type_value=kind.value, job_name="@J@", event_specific_data=data)
    entry = EventLogEntry(
        error_info=None,
        level=20,
        user_message="",
        run_id="@R@",
        timestamp=_PLACEHOLDER_TIME,
        dagster_event=event,
        job_name="@J@",
    )
    return serialize_value(entry)


def _fill(template: str, product: DataProduct, partition: str, run_id: str, at: datetime) -> str:
    return (
        template.replace("@D@", product.domain)
        .replace("@N@", product.name)
        .replace("@P@", partition)
        .replace("@R@", run_id)
        .replace("@J@", JOB if run_id else "")
        .replace(repr(_PLACEHOLDER_TIME), repr(at.timestamp()))
    )


def _run_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128)))


def write_history(writer: HistoryWriter, mesh: Mesh, days: int, until: datetime) -> None:
    """Fill ``writer`` with ``days`` days of every product's history, and what to expect."""
    rng = random.Random(7)
    expected = writer.expected
    for day in range(days):
        period = START + timedelta(days=day)
        partition = period.isoformat()
        morning = datetime.combine(period + timedelta(days=1), datetime.min.time(), UTC)
        deadline = morning + timedelta(hours=7)
        daily_run = _run_id(rng)
        for product in mesh.products.values():
            errors = [rule for rule, error in writer.rules[product.name] if error]
            at = morning + timedelta(hours=6, seconds=rng.randint(0, 1800))
            luck = rng.random()
            passed = len(errors)
            if luck < 0.015:  # built late
                at = deadline + timedelta(minutes=rng.randint(5, 60))
                writer.build(product, partition, daily_run, at, None, rng)
                status, verdict_at = "late", at + timedelta(minutes=1)
            elif luck < 0.03:  # a failed rule fixed by a re-run, or a failed run retried
                if luck < 0.025:
                    writer.build(product, partition, daily_run, at, rng.choice(errors), rng)
                    retry = at + timedelta(minutes=rng.randint(10, 90))
                    kind = "check_failed"
                else:
                    expected.run_failures.append((product.name, partition, at))
                    retry = at + timedelta(minutes=30)
                    kind = "run_failed"
                writer.build(product, partition, _run_id(rng), retry, None, rng)
                expected.incidents[kind] += 1
                expected.resolved += 1
                expected.recovery += retry - at
                status = "on_time" if retry <= deadline else "late"
                verdict_at = deadline if retry <= deadline else retry + timedelta(minutes=1)
            elif luck < 0.035:  # missed, and half of those backfilled two days later
                writer.build(product, partition, daily_run, at, rng.choice(errors), rng)
                status, verdict_at = "missed", deadline
                expected.incidents["check_failed"] += 1
                expected.incidents["sla_missed"] += 1
                later = deadline + timedelta(days=2, hours=3)
                if rng.random() < 0.5 and later < until:
                    # Dagster keeps one runless result per check and period: the missed
                    # verdict stays, and the scorecard sees the data land late.
                    writer.build(product, partition, _run_id(rng), later, None, rng)
                    status = "late"
                    expected.resolved += 2
                    expected.recovery += (later - at) + (later - deadline)
                    writer.verdict(product, partition, "missed", verdict_at)
                    expected.statuses[status] += 1
                    expected.pairs += len(errors)
                    expected.passed += passed
                    continue
                passed -= 1
            else:
                writer.build(product, partition, daily_run, at, None, rng)
                status, verdict_at = "on_time", deadline
            writer.verdict(product, partition, status, verdict_at)
            expected.statuses[status] += 1
            expected.pairs += len(errors)
            expected.passed += passed


def insert_rows(database: Path, writer: HistoryWriter) -> None:
    """Insert the rows straight into the SQLite event log."""
    connection = sqlite3.connect(database)
    with connection:
        connection.executemany(
            "insert into event_logs (run_id, event, dagster_event_type, timestamp, asset_key, "
            "partition) values (?, ?, ?, ?, ?, ?)",
            writer.events,
        )
        connection.executemany(
            "insert into asset_check_executions (asset_key, check_name, partition, run_id, "
            "execution_status, evaluation_event, evaluation_event_timestamp) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            writer.checks,
        )
    connection.close()


def add_failed_runs(instance: DagsterInstance, mesh: Mesh, expected: Expected) -> None:
    """Record the failed runs through Dagster: a run record and a ``STEP_FAILURE`` event."""
    for name, partition, at in expected.run_failures:
        run_id = str(uuid.uuid4())
        tags = {"dagster/partition": partition}
        instance.add_run(
            DagsterRun(job_name=JOB, run_id=run_id, status=DagsterRunStatus.FAILURE, tags=tags)
        )
        step = op_name(mesh.product(name))
        event = DagsterEvent(
            event_type_value=DagsterEventType.STEP_FAILURE.value,
            job_name=JOB,
            step_key=step,
            event_specific_data=StepFailureData(error=None, user_failure_data=None),
        )
        instance.store_event(
            EventLogEntry(None, 40, "", run_id, at.timestamp(), step, JOB, dagster_event=event)
        )


def measure(
    instance: DagsterInstance, mesh: Mesh, window: Window, repeats: int
) -> tuple[dict[str, Timing], MeshScorecard]:
    """Return the best (wall, CPU) seconds of reading, computing and both, and the scorecard."""
    best: dict[str, Timing] = {}
    card: MeshScorecard | None = None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        history = read_history(instance, mesh, window)
        read = (time.perf_counter() - wall, time.process_time() - cpu)
        wall, cpu = time.perf_counter(), time.process_time()
        card = compute_scorecard(mesh, history)
        compute = (time.perf_counter() - wall, time.process_time() - cpu)
        total = (read[0] + compute[0], read[1] + compute[1])
        for label, figures in (
            ("read_history", read),
            ("compute_scorecard", compute),
            ("scorecard", total),
        ):
            if label not in best or figures[0] < best[label][0]:
                best[label] = figures
    assert card is not None
    return best, card


def check(card: MeshScorecard, expected: Expected) -> None:
    """Fail loudly when the scorecard differs from what was written."""
    availability, incidents = card.mesh.availability, card.mesh.incidents
    found = {
        "on_time": availability.on_time,
        "late": availability.late,
        "missed": availability.missed,
    }
    assert found == {status: expected.statuses[status] for status in found}, (
        found,
        expected.statuses,
    )
    assert (card.mesh.quality.pairs, card.mesh.quality.passed) == (expected.pairs, expected.passed)
    counted = {
        kind: getattr(incidents, kind) for kind in ("sla_missed", "check_failed", "run_failed")
    }
    assert counted == {kind: expected.incidents[kind] for kind in counted}, (
        counted,
        expected.incidents,
    )
    assert (incidents.resolved, incidents.recovery) == (expected.resolved, expected.recovery)


def prepare(root: Path, products: int, days: int, until: datetime) -> tuple[Mesh, Expected, str]:
    """Write the specs and the history under ``root``; return the mesh, what to expect, facts."""
    (root / "specs").mkdir()
    write_specs(root / "specs", products, "deep")
    mesh = load_mesh(root / "specs")
    started = time.perf_counter()
    writer = HistoryWriter(mesh)
    write_history(writer, mesh, days, until)
    home = root / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML.format(home=home))
    with DagsterInstance.from_config(str(home)) as instance:
        insert_rows(home / "event_log.db", writer)
        add_failed_runs(instance, mesh, writer.expected)
    size = (home / "event_log.db").stat().st_size
    facts = (
        f"{len(writer.checks):,} check results, {len(writer.events):,} events, "
        f"{len(writer.expected.run_failures)} failed runs ({size / 2**30:.1f} GiB event log, "
        f"written in {time.perf_counter() - started:.0f} s)"
    )
    (root / "expected.pickle").write_bytes(pickle.dumps((writer.expected, facts)))
    return mesh, writer.expected, facts


def main() -> None:
    """Write the mesh and its history, measure, check, and print the Markdown table."""
    parser = argparse.ArgumentParser(description="Time a mesh scorecard on synthetic history.")
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--keep", type=Path, help="Folder to write the history to and keep (reused if present)."
    )
    options = parser.parse_args()
    warnings.simplefilter("ignore")  # Dagster's preview warnings on partitioned checks
    until = datetime.combine(START + timedelta(days=options.days), datetime.min.time(), UTC)
    until += timedelta(hours=9)
    window = Window(until - timedelta(days=options.days), until)
    with tempfile.TemporaryDirectory(prefix="mesh-scorecard-bench-") as directory:
        root = options.keep or Path(directory)
        if (root / "expected.pickle").exists():
            expected, facts = pickle.loads((root / "expected.pickle").read_bytes())
        else:
            root.mkdir(parents=True, exist_ok=True)
            _, expected, facts = prepare(root, options.products, options.days, until)
        wall, cpu = time.perf_counter(), time.process_time()
        mesh = load_mesh(root / "specs")
        load = (time.perf_counter() - wall, time.process_time() - cpu)
        with DagsterInstance.from_config(str(root / "home")) as instance:
            best, card = measure(instance, mesh, window, options.repeats)
    check(card, expected)
    print(
        f"{len(mesh.products)} products x {options.days} days: {facts}; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; best of {options.repeats}. The scorecard "
        "matches the generated history.\n"
    )
    print("| step | seconds | CPU seconds |")
    print("|---|---:|---:|")
    print(f"| load_mesh (for scale) | {load[0]:.2f} | {load[1]:.2f} |")
    for label, (wall_s, cpu_s) in best.items():
        print(f"| {label} | {wall_s:.2f} | {cpu_s:.2f} |")


if __name__ == "__main__":
    main()
