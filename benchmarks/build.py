"""Benchmark a whole build of an orders-daily-shaped period against a hand-written floor.

N order events of one day (80% completed, each order once) are written as Parquet, the raw
source of a copy of the example's ``orders-daily`` (same SQL, same schema, same rules, a
hashed ``customer_id``). Two sides do the same work, each in a fresh process:

- ``plugin``: ``build_product`` end to end (lazy inputs, the transform, cast and HMAC in
  one streaming query to staged files, the checks on them, the Delta commit);
- ``floor``: hand-written DuckDB: the same SQL with HMAC-SHA256 in SQL into a temporary
  table, every rule in one aggregate query, then ``write_deltalake`` with replace-where.

Wall time, CPU time (user + system) and peak resident memory of each child come from the
kernel's accounting of that child (``os.wait4``, the per-child form of ``RUSAGE_CHILDREN``);
``build s`` is the time of the work alone, inside the child (no interpreter start, imports
or spec loading).
Both sides get the same DuckDB memory limit (``--memory-limit``, default: half the machine).

    .venv/bin/python benchmarks/build.py --sizes 1M,10M
    .venv/bin/python benchmarks/build.py --sizes 10M --memory-limit 600MB   # spills
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
KEY = b"benchmark key, at least thirty-two bytes long"
DAY = "2026-03-01"
EVENTS = Path("warehouse/raw/orders/order_events")
TABLE = Path("warehouse/data-platform/products/orders/orders_daily")
PRODUCT = """\
apiVersion: dataproduct/v1
kind: DataProduct
metadata: {name: orders-daily, domain: orders, owner: orders-analytics-team,
           steward: jane.smith@company.com}
spec:
  description: Completed orders per day (the example's orders-daily, read from raw events).
  schedule: {cron: "0 6 * * *", timezone: UTC}
  sla: {available_by: "07:00", availability_target: 99.9%}
  partitioning: {by: day, column: order_date, start: "2026-01-01"}
  grain: [order_id, order_date]
  inputs:
    - source: {name: order_events, location: "s3://raw/orders/order_events/", format: parquet}
  transform:
    sql: |
      select order_id,
             customer_id,
             cast(completed_at as date) as order_date,
             count(*)                   as order_count,
             sum(amount_usd)            as revenue_usd
      from order_events
      where status = 'completed'
      group by all
  output: {format: delta, location: "s3://data-platform/products/orders/orders_daily/"}
  schema:
    - {name: order_id, type: string, nullable: false}
    - {name: customer_id, type: string, nullable: false, pii: true, pii_handling: hashed}
    - {name: order_date, type: date, nullable: false}
    - {name: order_count, type: bigint, nullable: false}
    - {name: revenue_usd, type: double, nullable: false}
  quality:
    completeness_threshold: 0.999
    custom_checks: ["order_count > 0", "revenue_usd >= 0"]
  consumers: [{team: finance, use_case: Revenue reporting}]
"""


def parse_size(text: str) -> int:
    """Return ``1M`` / ``500K`` / ``2000`` as a number of rows."""
    units = {"K": 1_000, "M": 1_000_000}
    text = text.strip().upper()
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def prepare(folder: Path, rows: int) -> None:
    """Write the specs and ``rows`` raw order events of DAY under ``folder``."""
    (folder / "specs" / "orders").mkdir(parents=True)
    shutil.copy(ROOT / "specs" / "mesh.yaml", folder / "specs" / "mesh.yaml")
    (folder / "specs" / "orders" / "orders_daily.yaml").write_text(PRODUCT)
    (folder / EVENTS).mkdir(parents=True)
    connection = duckdb.connect()
    connection.execute(
        f"""copy (
            select 'evt-' || i as event_id, 'ord-' || i as order_id,
                   'customer-' || (i % 1000003) as customer_id,
                   case when i % 5 = 0 then 'created' else 'completed' end as status,
                   (i % 10000) / 100.0 as amount_usd,
                   timestamptz '{DAY} 00:00:00+00' + to_milliseconds(i % 86400000) as event_time,
                   timestamptz '{DAY} 00:00:00+00' + to_milliseconds(i % 86400000)
                       as completed_at
            from range({rows}) t(i)
        ) to '{folder / EVENTS / "events.parquet"}' (format parquet, row_group_size 1000000)"""
    )
    connection.close()


def run_plugin(folder: Path, memory_limit: str | None) -> dict[str, Any]:
    """Build the period with ``build_product``; return what it published."""
    from mesh_dagster.build.pipeline import BuildSettings, build_product
    from mesh_dagster.checks.engine import EngineSettings
    from mesh_dagster.io.locations import StorageSettings
    from mesh_dagster.spec import load_mesh
    from mesh_dagster.spec.periods import Period

    os.chdir(folder)
    mesh = load_mesh(Path("specs"))
    engine = EngineSettings(None, memory_limit or half_the_memory(), str(folder / "spill"))
    storage = StorageSettings(mode="local", warehouse=Path("warehouse"))
    start = datetime.fromisoformat(DAY).replace(tzinfo=UTC)
    period = Period(DAY, start, start.replace(day=start.day + 1))
    began = time.perf_counter()
    result = build_product(
        mesh, mesh.product("orders-daily"), period, BuildSettings(storage, engine, KEY)
    )
    failed = [outcome.name for outcome in result.failed_errors]
    work = time.perf_counter() - began
    return {"published": result.published, "rows": result.rows, "failed": failed, "work": work}


def half_the_memory() -> str:
    """Return the plugin's default DuckDB memory limit (half the machine's memory)."""
    return f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2 // 2**20}MiB"


def _pads() -> tuple[bytes, bytes]:
    block = KEY.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def run_floor(folder: Path, memory_limit: str | None) -> dict[str, Any]:
    """Do the same work by hand: one DuckDB query, HMAC in SQL, one rules query, delta-rs."""
    import pyarrow as pa
    from deltalake import write_deltalake

    began = time.perf_counter()
    config = {"memory_limit": memory_limit or half_the_memory()}
    config["temp_directory"] = str(folder / "spill")
    connection = duckdb.connect(config=config)
    connection.execute("SET TimeZone = 'UTC'")
    inner, outer = _pads()
    events = folder / EVENTS / "*.parquet"
    connection.execute(
        f"""create temp table orders as
        select order_id,
               sha256($outer || unhex(sha256($inner || encode(customer_id)))) as customer_id,
               cast(completed_at as date) as order_date,
               count(*) as order_count, sum(amount_usd) as revenue_usd
        from read_parquet('{events}') where status = 'completed' group by all""",
        {"inner": inner, "outer": outer},
    )
    row = connection.execute(
        f"""select count(*), count(*) - count(distinct (order_id, order_date)),
               count(*) filter (where order_id is null or customer_id is null
                                or order_date is null or order_count is null
                                or revenue_usd is null),
               count(*) filter (where not (order_count > 0)),
               count(*) filter (where not (revenue_usd >= 0)),
               count(*) filter (where order_date < date '{DAY}'
                                or order_date >= date '{DAY}' + 1),
               count(*) filter (where length(customer_id) <> 64)
        from orders"""
    ).fetchall()[0]
    rows, *failing = row
    passed = rows > 0 and not any(failing)
    if passed:
        schema = pa.schema(
            [
                pa.field("order_id", pa.string()),
                pa.field("customer_id", pa.string()),
                pa.field("order_date", pa.date32()),
                pa.field("order_count", pa.int64()),
                pa.field("revenue_usd", pa.float64()),
            ]
        )
        reader = connection.table("orders").to_arrow_reader(122_880).cast(schema)
        write_deltalake(
            str(folder / TABLE),
            reader,
            mode="overwrite",
            predicate=f"order_date >= '{DAY}' AND order_date < '2026-03-02'",
            partition_by=["order_date"],
        )
    work = time.perf_counter() - began
    return {"published": passed, "rows": rows, "failed": failing, "work": work}


def measure(side: str, folder: Path, memory_limit: str | None) -> dict[str, Any]:
    """Run one side in a fresh process; return its outcome, wall, CPU and peak memory."""
    shutil.rmtree(folder / TABLE, ignore_errors=True)
    command = [sys.executable, __file__, "--side", side, "--folder", str(folder)]
    if memory_limit:
        command += ["--memory-limit", memory_limit]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"the {side} side failed with exit code {child.returncode}")
    outcome: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    outcome.update(wall=wall, cpu=usage.ru_utime + usage.ru_stime, peak_mb=usage.ru_maxrss / 1024)
    return outcome


def machine() -> str:
    """Return the machine's CPU model, cores and memory."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.node()}: {model}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()}"
    )


def main() -> None:
    """Run the benchmark (or, with --side, one side of it) and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M,50M", help="input rows, e.g. 1M,10M")
    parser.add_argument("--memory-limit", default=None, help="DuckDB limit of both sides")
    parser.add_argument("--side", choices=["plugin", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        run = run_plugin if args.side == "plugin" else run_floor
        print(json.dumps(run(args.folder, args.memory_limit)))
        return
    print(f"Machine: {machine()}; DuckDB {duckdb.__version__}")
    limit = args.memory_limit or "half the machine"
    print(f"\nDuckDB memory limit: {limit}\n")
    print(
        "| input rows | published rows | side | wall s | build s | CPU s | peak MB "
        "| wall / floor | peak / floor |"
    )
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in args.sizes.split(","):
        rows = parse_size(size)
        with tempfile.TemporaryDirectory(prefix="mesh-bench-build-") as temp:
            folder = Path(temp)
            prepare(folder, rows)
            floor = measure("floor", folder, args.memory_limit)
            plugin = measure("plugin", folder, args.memory_limit)
        for name, side in (("floor", floor), ("build_product", plugin)):
            if not side["published"]:
                raise SystemExit(f"{name} did not publish at {size}: {side['failed']}")
            print(
                f"| {rows:,} | {side['rows']:,} | {name} | {side['wall']:.1f} | "
                f"{side['work']:.1f} | "
                f"{side['cpu']:.1f} | {side['peak_mb']:,.0f} | "
                f"{side['wall'] / floor['wall']:.2f} | {side['peak_mb'] / floor['peak_mb']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
