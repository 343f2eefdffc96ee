"""How long N synthetic products take to become Dagster definitions, against a baseline.

Run: .venv/bin/python benchmarks/load_definitions.py [N ...] [--layout grid|deep]
(default: N = 100 1000 3000, layout grid)

The specs are ``synthetic_mesh.py``'s (10 domains, daily partitions, an SLA, PII, a SQL
transform over the inputs, nine quality rules: five built-in, one PII, three custom; plus
the ``sla`` check), layout ``grid``: chains of ten products across the ten domains, linked
to the chain before, in blocks of 100 (lineage at most 19 deep), or, with ``--layout
deep``, lineage N deep. Each product's custom checks carry their own constants, so that no
cache of parsed SQL helps one product with the next. Two ways to get the same asset graph:

- ``mesh``: ``build_definitions(folder)``: read and validate the YAML, plan the checks,
  translate, build the assets, the schedule and the sensors; measured with a cold spec
  cache (an empty folder: every file parsed, judged, bound, and its entries written) and
  a warm one (the same folder again, in a new process: no file changed);
- ``baseline``: the same graph written by hand with Dagster's API (``build_baseline``
  below): as many assets with the same keys, dependencies, groups, owners, tags, kinds and
  metadata, one shared partitions definition and freshness policy, the same ten check
  specs per asset (the ``sla`` ones in one multi-asset check), one resource every asset
  requires, one job and schedule.

Two measures for each, each in a fresh process so neither warms the other's caches:

- *load+build*: building the ``Definitions`` and resolving them (``get_repository_def()``,
  its asset graph and jobs), after imports and a 10-product warm-up;
- *validate*: ``dagster definitions validate -f <module>`` as a subprocess, from process
  start to exit (Python start-up and imports included), in a throw-away ``DAGSTER_HOME``
  (the mesh's with the warm cache).

Wall-clock seconds are the headline; CPU seconds (user + system, children included) are
printed too, because on a busy machine the wall clock also measures other processes.
Profile one side with, for example:

    .venv/bin/python benchmarks/load_definitions.py --write 1000 /tmp/mesh1000
    .venv/bin/python -m cProfile -s cumtime benchmarks/load_definitions.py \\
        --measure mesh /tmp/mesh1000 | head -60
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

# Only the standard library and Dagster at module level: the baseline's validate run
# imports this module and must not be charged for importing mesh_dagster.
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    ConfigurableResource,
    DailyPartitionsDefinition,
    Definitions,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableColumnConstraints,
    TableSchema,
    build_schedule_from_partitioned_job,
    define_asset_job,
    multi_asset,
    multi_asset_check,
)
from synthetic_mesh import (
    CHECK_NAMES,
    DOMAINS,
    LAYOUTS,
    WARN_CHECKS,
    product_name,
    upstreams,
    write_specs,
)

BENCHMARKS = Path(__file__).resolve().parent
PYTHON = Path(sys.executable)
WARM_UP = 10
RECURSION_LIMIT = 20_000
"""Dagster 1.13 resolves an asset job by recursing along its dependency chains: in
process, a lineage 1,500 products deep (layout ``deep``) exceeds Python's default limit of
1,000 frames. Both sides raise the limit alike."""


# --- the baseline: the same graph, written by hand ------------------------------------


class Warehouse(ConfigurableResource):  # type: ignore[type-arg]
    """Where the baseline's assets would write (every asset needs one, as in the mesh)."""

    root: str = "warehouse"


def _key(index: int) -> AssetKey:
    return AssetKey([DOMAINS[index % len(DOMAINS)], product_name(index)])


COLUMNS = TableSchema(
    columns=[
        TableColumn("order_id", "string", constraints=TableColumnConstraints(nullable=False)),
        TableColumn(
            "customer_id",
            "string",
            constraints=TableColumnConstraints(nullable=True, other=["pii: hashed"]),
            tags={"pii": "hashed"},
        ),
        TableColumn("order_date", "date", constraints=TableColumnConstraints(nullable=False)),
        TableColumn("amount", "decimal(18,2)", description="Amount in USD."),
    ]
)


def _asset(
    index: int, layout: str, daily: DailyPartitionsDefinition, freshness: FreshnessPolicy
) -> AssetsDefinition:
    domain, name = DOMAINS[index % len(DOMAINS)], product_name(index)
    key = _key(index)
    table = name.replace("-", "_")
    spec = AssetSpec(
        key=key,
        deps=[AssetDep(_key(i)) for i in upstreams(index, layout)],
        description=f"Synthetic product {index}.",
        group_name=domain.replace("-", "_"),
        owners=[f"team:{domain}-team", f"owner-{index}@company.com"],
        tags={"tier": "gold", "mesh/domain": domain},
        kinds={"delta", "s3", "duckdb"},
        code_version="1",
        metadata={
            "dagster/column_schema": COLUMNS,
            "dagster/table_name": table,
            "dagster/uri": MetadataValue.path(f"s3://data-platform/products/{domain}/{table}/"),
            "mesh/domain": domain,
            "mesh/steward": f"owner-{index}@company.com",
            "mesh/consumers": MetadataValue.md("| team | use case |\n|---|---|\n| finance | R |"),
            "mesh/grain": "order_id, order_date",
            "mesh/schedule": "0 6 * * * (UTC)",
            "mesh/sla": MetadataValue.json({"timezone": "UTC", "available_by": "07:00"}),
        },
        partitions_def=daily,
        freshness_policy=freshness,
        skippable=True,
    )
    checks = [
        AssetCheckSpec(
            name=check,
            asset=key,
            description=f"The {check} rule.",
            blocking=check not in WARN_CHECKS,
            partitions_def=daily,
            metadata={"mesh/kind": check, "mesh/severity": "warn" if check in WARN_CHECKS else ""},
        )
        for check in CHECK_NAMES
    ]

    @multi_asset(
        name=f"{domain}__{name}".replace("-", "_"),
        specs=[spec],
        check_specs=checks,
        required_resource_keys={"warehouse"},
    )
    def _build(context: AssetExecutionContext) -> Iterator[Any]:
        yield MaterializeResult(asset_key=key)

    return _build


def _sla_checks(domain: str, specs: list[AssetCheckSpec]) -> AssetChecksDefinition:
    @multi_asset_check(specs=specs, can_subset=True, name=f"sla_{domain}")
    def _sla(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
        yield from ()

    return _sla


def build_baseline(count: int, layout: str = "grid") -> Definitions:
    """Return the hand-written Definitions of ``count`` synthetic products."""
    daily = DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC")
    freshness = FreshnessPolicy.cron(
        deadline_cron="0 7 * * *", lower_bound_delta=timedelta(hours=2), timezone="UTC"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # partitioned check specs are "preview" in 1.13
        assets = [_asset(index, layout, daily, freshness) for index in range(count)]
        sla_specs = [
            AssetCheckSpec(name="sla", asset=_key(index), partitions_def=daily)
            for index in range(count)
        ]
    # One multi-asset check per domain, as the mesh does (one for all is quadratic to build).
    sla_checks = [
        _sla_checks(
            domain.replace("-", "_"), [s for s in sla_specs if s.asset_key.path[0] == domain]
        )
        for domain in DOMAINS[:count]
    ]

    job = define_asset_job(
        name="daily_0600",
        selection=AssetSelection.assets(*(_key(index) for index in range(count)))
        - AssetSelection.checks(*(spec.key for spec in sla_specs)),
    )
    return Definitions(
        assets=assets,
        asset_checks=sla_checks,
        jobs=[job],
        schedules=[build_schedule_from_partitioned_job(job, hour_of_day=6)],
        resources={"warehouse": Warehouse()},
    )


# --- the measures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds of one measure."""

    wall: float
    cpu: float


def _cpu_of(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _definitions(side: str, target: str, layout: str) -> Definitions:
    if side == "baseline":
        return build_baseline(int(target), layout)
    from mesh_dagster.compile import build_definitions

    return build_definitions(target)


def _resolve(defs: Definitions) -> int:
    """Resolve the definitions as a code location does; return the number of assets."""
    repository = defs.get_repository_def()
    repository.get_all_jobs()
    return len(repository.asset_graph.get_all_asset_keys())


def measure_in_process(side: str, target: str, layout: str) -> Timing:
    """Return the time to build and resolve one side's definitions, after a warm-up."""
    sys.setrecursionlimit(RECURSION_LIMIT)
    with tempfile.TemporaryDirectory() as directory:
        warm_up = str(WARM_UP)
        if side == "mesh":
            write_specs(Path(directory), WARM_UP, layout, salt=1_000_000)
            warm_up = directory
        _resolve(_definitions(side, warm_up, layout))
    wall, cpu = time.perf_counter(), _cpu_of(resource.RUSAGE_SELF)
    _resolve(_definitions(side, target, layout))
    return Timing(time.perf_counter() - wall, _cpu_of(resource.RUSAGE_SELF) - cpu)


def _run_child(arguments: list[str], environment: dict[str, str]) -> tuple[Timing, str]:
    cpu, wall = _cpu_of(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(arguments, capture_output=True, text=True, env=environment)
    timing = Timing(time.perf_counter() - wall, _cpu_of(resource.RUSAGE_CHILDREN) - cpu)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{done.stdout}\n{done.stderr}")
    return timing, done.stdout


def cache_environment(cache: Path | None) -> dict[str, str]:
    """Return this environment with the spec cache in ``cache`` (None: the cache off)."""
    environment = {key: value for key, value in os.environ.items() if key != "MESH_CACHE"}
    if cache is None:
        return {**environment, "MESH_CACHE": "0"}
    return {**environment, "MESH_CACHE_DIR": str(cache)}


def measure_load(side: str, target: str, layout: str, cache: Path | None = None) -> Timing:
    """Return the load+build timing of one side, measured in a fresh process."""
    script = str(Path(__file__).resolve())
    arguments = [str(PYTHON), script, "--layout", layout, "--measure", side, target]
    _, output = _run_child(arguments, cache_environment(cache))
    result = json.loads(output.strip().splitlines()[-1])
    return Timing(result["wall"], result["cpu"])


MESH_MODULE = """\
import sys

from mesh_dagster import build_definitions

sys.setrecursionlimit({limit})
defs = build_definitions({specs!r})
"""
BASELINE_MODULE = """\
import sys

sys.setrecursionlimit({limit})
sys.path.insert(0, {benchmarks!r})
from load_definitions import build_baseline

defs = build_baseline({count}, {layout!r})
"""


def measure_validate(module: Path, home: Path, cache: Path | None = None) -> Timing:
    """Return the timing of ``dagster definitions validate -f module`` from start to exit."""
    environment = {**cache_environment(cache), "DAGSTER_HOME": str(home)}
    dagster = PYTHON.parent / "dagster"
    timing, _ = _run_child(
        [str(dagster), "definitions", "validate", "-f", str(module)], environment
    )
    return timing


@dataclass(frozen=True)
class Row:
    """The timings of one N."""

    count: int
    mesh_cold: Timing
    mesh_warm: Timing
    baseline_load: Timing
    mesh_validate: Timing
    baseline_validate: Timing


def measure(count: int, layout: str) -> Row:
    """Return the timings of both sides for ``count`` products."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        specs, home, cache = root / "specs", root / "dagster_home", root / "mesh_cache"
        home.mkdir()
        write_specs(specs, count, layout)
        mesh_module, baseline_module = root / "mesh_defs.py", root / "baseline_defs.py"
        mesh_module.write_text(
            MESH_MODULE.format(specs=str(specs), limit=RECURSION_LIMIT), encoding="utf-8"
        )
        baseline_module.write_text(
            BASELINE_MODULE.format(
                benchmarks=str(BENCHMARKS), count=count, layout=layout, limit=RECURSION_LIMIT
            ),
            encoding="utf-8",
        )
        return Row(
            count,
            mesh_cold=measure_load("mesh", str(specs), layout, cache),
            mesh_warm=measure_load("mesh", str(specs), layout, cache),
            baseline_load=measure_load("baseline", str(count), layout),
            mesh_validate=measure_validate(mesh_module, home, cache),
            baseline_validate=measure_validate(baseline_module, home),
        )


def table(rows: list[Row], attribute: str) -> list[str]:
    """Return the Markdown table of the rows' ``wall`` or ``cpu`` seconds."""
    lines = [
        "| N | mesh cold s | mesh warm s | baseline s | cold ratio | warm ratio "
        "| mesh validate s | baseline validate s | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cold, warm, base, check, base_check = (
            getattr(timing, attribute)
            for timing in (
                row.mesh_cold,
                row.mesh_warm,
                row.baseline_load,
                row.mesh_validate,
                row.baseline_validate,
            )
        )
        lines.append(
            f"| {row.count} | {cold:.2f} | {warm:.2f} | {base:.2f} | {cold / base:.2f}x "
            f"| {warm / base:.2f}x | {check:.2f} | {base_check:.2f} | {check / base_check:.2f}x |"
        )
    return lines


def main(counts: list[int], layout: str) -> None:
    """Measure each N in turn, then print the wall-clock and CPU tables."""
    rows = []
    for count in counts:
        rows.append(measure(count, layout))
        print("\n".join(table(rows[-1:], "wall")[2:]), file=sys.stderr, flush=True)
    print(f"Layout {layout}, wall-clock seconds:\n")
    print("\n".join(table(rows, "wall")))
    print("\nCPU seconds (user + system, child processes included):\n")
    print("\n".join(table(rows, "cpu")))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("counts", nargs="*", type=int, default=[100, 1000, 3000])
    parser.add_argument("--layout", choices=LAYOUTS, default="grid", help="see upstreams()")
    parser.add_argument(
        "--measure",
        nargs=2,
        metavar=("SIDE", "TARGET"),
        help="time one side in this process: mesh FOLDER, or baseline N",
    )
    parser.add_argument(
        "--write", nargs=2, metavar=("N", "FOLDER"), help="only write N synthetic specs"
    )
    return parser.parse_args()


if __name__ == "__main__":
    options = _arguments()
    if options.measure:
        side, target = options.measure
        timing = measure_in_process(side, target, options.layout)
        print(json.dumps({"wall": timing.wall, "cpu": timing.cpu}))
    elif options.write:
        write_specs(Path(options.write[1]), int(options.write[0]), options.layout)
    else:
        main(options.counts, options.layout)
