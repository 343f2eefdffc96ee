"""How long `load_mesh` takes for N synthetic specs: prints a Markdown table.

Run: .venv/bin/python benchmarks/validate.py [N ...]   (default: 100 1000 3000)

The specs are valid and realistic: 10 domains, daily partitions, an SLA, two inputs each
(the previous product, in another domain, and the one ten before, in the same domain), a
SQL transform over them, PII, and three custom checks, under a policy with rules. Growth
should be linear: the ms per spec stay about the same as N grows.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from mesh_dagster.spec import load_mesh

DOMAINS = [f"domain-{letter}" for letter in "abcdefghij"]

POLICY = """\
apiVersion: dataproduct/v1
kind: MeshPolicy
defaults:
  timezone: UTC
  availability_target: 99.5%
rules:
  steward_email_domains: [company.com]
  min_consumers: 1
  pii_requires_handling: true
  max_freshness_sla_hours: 24
  min_availability_target: 99%
  output_locations: "s3://data-platform/products/{domain}/"
"""


def _name(index: int) -> str:
    return f"product-{index:05d}"


def product_yaml(index: int) -> str:
    """Return the spec of synthetic product ``index``."""
    name, domain = _name(index), DOMAINS[index % len(DOMAINS)]
    upstreams = [_name(i) for i in (index - 1, index - 10) if i >= 0]
    inputs = "".join(f"    - product: {upstream}\n" for upstream in upstreams)
    views = [upstream.replace("-", "_") for upstream in upstreams]
    source = (
        f"select * from {views[0]}" + (f" union all select * from {views[1]}" if views[1:] else "")
        if views
        else "select 'x' as order_id, 'c' as customer_id, current_date as order_date, 1.0 as amount"
    )
    input_block = f"  inputs:\n{inputs}" if inputs else ""
    return f"""\
apiVersion: dataproduct/v1
kind: DataProduct
metadata:
  name: {name}
  domain: {domain}
  owner: {domain}-team
  steward: owner-{index}@company.com
  tags: {{tier: gold}}
spec:
  description: Synthetic product {index}.
  schedule: {{cron: "0 6 * * *", timezone: UTC}}
  sla: {{available_by: "07:00", availability_target: 99.9%}}
  partitioning: {{by: day, column: order_date, start: "2026-01-01"}}
  grain: [order_id, order_date]
{input_block}  transform:
    sql: |
      with rows as ({source})
      select order_id, customer_id, order_date, sum(amount) as amount
      from rows group by all
  output:
    format: delta
    location: s3://data-platform/products/{domain}/{name.replace("-", "_")}/
  schema:
    - {{name: order_id, type: string, nullable: false}}
    - {{name: customer_id, type: string, pii: true, pii_handling: hashed}}
    - {{name: order_date, type: date, nullable: false}}
    - {{name: amount, type: "decimal(18,2)", description: Amount in USD.}}
  quality:
    freshness_sla_hours: 2
    completeness_threshold: 0.999
    custom_checks:
      - "amount >= 0"
      - {{name: has_rows, sql: "count(*) > 0", severity: warn}}
      - "coalesce(length(order_id), 0) between 1 and 64"
  consumers:
    - {{team: finance, use_case: Reporting}}
"""


def write_mesh(folder: Path, count: int) -> None:
    """Write the policy and ``count`` products, one folder per domain."""
    (folder / "mesh.yaml").write_text(POLICY, encoding="utf-8")
    for domain in DOMAINS:
        (folder / domain).mkdir()
    for index in range(count):
        domain = DOMAINS[index % len(DOMAINS)]
        path = folder / domain / f"{_name(index).replace('-', '_')}.yaml"
        path.write_text(product_yaml(index), encoding="utf-8")


def time_load(count: int) -> tuple[float, float]:
    """Return the wall-clock and CPU seconds ``load_mesh`` takes on ``count`` new specs."""
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        write_mesh(folder, count)
        wall, cpu = time.perf_counter(), time.process_time()
        mesh = load_mesh(folder)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(mesh.products) == count
    return wall, cpu


def main(counts: list[int]) -> None:
    """Print the Markdown table of load times for each N in ``counts``.

    CPU time is shown beside wall-clock time because on a busy machine the wall clock
    also measures other processes.
    """
    time_load(10)  # warm up imports and caches, so N=100 is not charged for them
    print("| N specs | seconds | ms per spec | CPU seconds | CPU ms per spec |")
    print("|---:|---:|---:|---:|---:|")
    for count in counts:
        wall, cpu = time_load(count)
        print(
            f"| {count} | {wall:.2f} | {wall / count * 1000:.1f} "
            f"| {cpu:.2f} | {cpu / count * 1000:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main([int(argument) for argument in sys.argv[1:]] or [100, 1000, 3000])
