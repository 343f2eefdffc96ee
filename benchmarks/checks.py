"""Benchmark the quality engine on orders-daily-shaped data with the example's rules.

Three ways to evaluate the same rules on the same rows:

- ``plugin``: ``evaluate_checks(plan_checks(example), table, period)``, end to end (a new
  locked DuckDB connection, the typed view, the probes, the single scan, any samples);
- ``duckdb``: one hand-written DuckDB query with the same aggregates (the floor: one scan);
- ``pandas``: a straightforward pandas implementation, one pass per rule, starting from a
  DataFrame that is already in memory (so the conversion is not counted against pandas).

Each runs in its own process, which first loads the data and then measures every run:
wall time, CPU time of the process (all threads: steadier than wall time on a shared
machine), and peak resident memory above what the process held before the run (the
kernel's high-water mark is reset before each run through ``/proc/self/clear_refs``).
The best of the runs is reported.

    .venv/bin/python benchmarks/checks.py                # 10 million rows, 3 runs each
    .venv/bin/python benchmarks/checks.py --rows 1000000 --repeats 1 --dirty
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from mesh_dagster.checks import EngineSettings, evaluate_checks, plan_checks
from mesh_dagster.spec import DataProduct
from mesh_dagster.spec.periods import Period, period_for_key

EXAMPLE = Path(__file__).resolve().parents[1] / "specs" / "orders" / "orders_daily.yaml"
DAY = dt.date(2026, 3, 1)
CONTESTANTS = ("plugin", "duckdb", "pandas")

FLOOR_QUERY = """
select
  count(*),
  count(*) filter (where not coalesce(order_id is not null and customer_id is not null
      and order_date is not null and order_count is not null and revenue_usd is not null, false)),
  count(order_id), count(customer_id), count(order_date), count(order_count), count(revenue_usd),
  count(*) - count(distinct row(order_id, order_date)),
  count(*) filter (where not coalesce(order_date >= $start and order_date < $end, false)),
  count(*) > 0,
  count(*) filter (where not coalesce(customer_id is null
      or (strlen(customer_id) = 64 and regexp_full_match(customer_id, '[0-9a-f]+')), false)),
  count(*) filter (where not coalesce(order_count > 0, false)),
  count(*) filter (where (order_count > 0) is null),
  count(*) filter (where not coalesce(revenue_usd >= 0, false)),
  count(*) filter (where (revenue_usd >= 0) is null)
from orders
"""


def orders_table(rows: int, dirty: bool) -> pa.Table:
    """Return ``rows`` deterministic orders-daily rows (1 in 1,000 bad per rule if dirty)."""
    rng = np.random.default_rng(7)
    numbers = np.arange(rows, dtype=np.int64)
    order_id = pc.binary_join_element_wise("ORD-", pc.cast(pa.array(numbers), pa.string()), "")
    pool = pa.array([hashlib.sha256(f"customer-{i}".encode()).hexdigest() for i in range(200_000)])
    customer_id = pool.take(pa.array(rng.integers(0, len(pool), rows)))
    days = np.full(rows, (DAY - dt.date(1970, 1, 1)).days, dtype=np.int32)
    order_count = rng.integers(1, 20, rows)
    revenue = rng.random(rows) * 500.0
    if dirty:
        bad = numbers % 1000 == 0
        days[bad] += 1  # outside the partition
        order_count[bad] = 0
        revenue[numbers % 1000 == 1] = -1.0
        order_id = pc.if_else(pa.array(numbers % 1000 == 2), "ORD-0", order_id)  # duplicates
        customer_id = pc.if_else(pa.array(numbers % 1000 == 3), "jane@example.com", customer_id)
    return pa.table(
        {
            "order_id": order_id,
            "customer_id": customer_id,
            "order_date": pa.array(days, pa.date32()),
            "order_count": pa.array(order_count, pa.int64()),
            "revenue_usd": pa.array(revenue, pa.float64()),
        }
    )


def example_product() -> DataProduct:
    """Return the reference example spec (its input left out: checks do not need it)."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    del data["spec"]["inputs"]
    return DataProduct.model_validate(data)


def run_plugin(table: pa.Table, period: Period, threads: int) -> dict[str, int]:
    """Evaluate the plan with the plugin; return failing rows per check."""
    outcomes = evaluate_checks(
        plan_checks(example_product()), table, period, EngineSettings(threads=threads)
    )
    return {outcome.name: outcome.failing_rows for outcome in outcomes}


def run_floor(table: pa.Table, period: Period, threads: int) -> dict[str, int]:
    """Evaluate the rules with one hand-written query; return failing rows per check."""
    connection = duckdb.connect(config={"threads": threads})
    connection.register("orders", table)
    parameters = {"start": period.start.date(), "end": period.end.date()}
    row = connection.execute(FLOOR_QUERY, parameters).fetchone()
    connection.close()
    assert row is not None
    return {
        "completeness": row[1],
        "grain_unique": row[7],
        "partition_bounds": row[8],
        "pii_customer_id": row[10],
        "check_order_count_0": row[11],
        "check_revenue_usd_0": row[13],
    }


def run_pandas(frame: Any, period: Period, threads: int) -> dict[str, int]:
    """Evaluate the rules with pandas, one pass per rule; return failing rows per check."""
    declared = {"order_id", "customer_id", "order_date", "order_count", "revenue_usd"}
    assert set(frame.columns) == declared
    assert frame["order_count"].dtype.kind == "i" and frame["revenue_usd"].dtype.kind == "f"
    required = ["order_id", "customer_id", "order_date", "order_count", "revenue_usd"]
    complete = frame[required].notna().all(axis=1)
    start, end = (np.datetime64(day.date(), "ms") for day in (period.start, period.end))
    inside = (frame["order_date"] >= start) & (frame["order_date"] < end)
    customer = frame["customer_id"]
    hashed = customer.isna() | customer.str.fullmatch("[0-9a-f]{64}").fillna(False)
    assert len(frame) > 0
    return {
        "completeness": int((~complete).sum()),
        "grain_unique": int(frame.duplicated(subset=["order_id", "order_date"]).sum()),
        "partition_bounds": int((~inside).sum()),
        "pii_customer_id": int((~hashed.astype(bool)).sum()),
        "check_order_count_0": int((~(frame["order_count"] > 0)).sum()),
        "check_revenue_usd_0": int((~(frame["revenue_usd"] >= 0)).sum()),
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _memory_kib(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1))


def contestant(name: str, data: Path, repeats: int, threads: int) -> dict[str, Any]:
    """Run one contestant ``repeats`` times in this process; return its figures."""
    with pa.OSFile(str(data)) as source:
        table = pa.ipc.open_file(source).read_all()
    data_bytes = table.nbytes
    period = period_for_key(DAY.isoformat(), "day", "UTC")
    subject: Any = table
    run: Callable[[Any, Period, int], dict[str, int]] = {
        "plugin": run_plugin,
        "duckdb": run_floor,
        "pandas": run_pandas,
    }[name]
    if name == "pandas":
        subject = table.to_pandas(date_as_object=False)
        del table
    seconds: list[float] = []
    cpu: list[float] = []
    peaks: list[int] = []
    failing: dict[str, int] = {}
    for _ in range(repeats):
        before = _memory_kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM)
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        failing = run(subject, period, threads)
        seconds.append(time.perf_counter() - started)
        cpu.append(_cpu_seconds() - cpu_started)
        peaks.append(max(0, _memory_kib("VmHWM") - before) * 1024)
    figures = {"seconds": min(seconds), "cpu": min(cpu), "peak_bytes": max(peaks)}
    return {**figures, "data_bytes": data_bytes, **failing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dirty", action="store_true", help="make every rule fail on 0.1%")
    parser.add_argument("--contestant", choices=CONTESTANTS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contestant:
        print(json.dumps(contestant(args.contestant, args.data, args.repeats, args.threads)))
        return
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "orders.arrow"
        table = orders_table(args.rows, args.dirty)
        with pa.OSFile(str(data), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=1_000_000)
        data_mb = table.nbytes / 1e6
        del table
        results = {}
        for name in CONTESTANTS:
            command = [sys.executable, __file__, "--contestant", name, "--data", str(data)]
            command += ["--repeats", str(args.repeats), "--threads", str(args.threads)]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    report(results, args.rows, data_mb, args.threads, args.dirty)


def report(
    results: dict[str, dict[str, Any]], rows: int, data_mb: float, threads: int, dirty: bool
) -> None:
    """Print the figures as a Markdown table, with each one's ratio to the floor."""
    floor, floor_cpu = results["duckdb"]["seconds"], results["duckdb"]["cpu"]
    state = "0.1% of rows failing each rule" if dirty else "clean data, every rule passes"
    print(f"{rows:,} rows ({data_mb:,.0f} MB in Arrow), {threads} DuckDB threads, {state}\n")
    print(
        "| evaluation | seconds | rows/s | vs one query | CPU seconds | CPU vs one query "
        "| peak memory above data |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    labels = {
        "plugin": "plugin `evaluate_checks`",
        "duckdb": "one hand-written DuckDB query (floor)",
        "pandas": "pandas, one pass per rule",
    }
    for name in CONTESTANTS:
        result = results[name]
        seconds, cpu = result["seconds"], result["cpu"]
        peak_mb = result["peak_bytes"] / 1e6
        print(
            f"| {labels[name]} | {seconds:.2f} | {rows / seconds:,.0f} | {seconds / floor:.2f}x "
            f"| {cpu:.2f} | {cpu / floor_cpu:.2f}x | {peak_mb:,.0f} MB ({peak_mb / data_mb:.2f}x) |"
        )
    measured = ("seconds", "cpu", "peak_bytes", "data_bytes")
    keys = [key for key in results["duckdb"] if key not in measured]
    floor_failing = {key: results["duckdb"][key] for key in keys}
    agree = all({key: results[name][key] for key in keys} == floor_failing for name in CONTESTANTS)
    figures = ", ".join(f"{key} {count:,}" for key, count in floor_failing.items())
    print(f"\nFailing rows ({'all three agree' if agree else 'MISMATCH'}): {figures}")
    if not agree:
        for name in CONTESTANTS:
            print(name, {key: results[name][key] for key in keys})


if __name__ == "__main__":
    main()
