"""The synthetic mesh every benchmark uses: N valid, realistic product specs and a policy.

Each product: 10 domains in turn, daily partitions, an SLA, a PII column, a SQL transform
over its inputs, and nine quality rules (five built in, one PII, three custom: two error
rules and one warn rule), under a policy with rules. The custom checks carry the
product's own constants (``salt`` shifts them), so that no cache keyed on SQL text serves
one product's parse to the next: real products differ too.

Two layouts of inputs (``upstreams``): ``grid`` (lineage at most 19 deep, whatever N) and
``deep`` (lineage N deep). Only the standard library: a baseline that imports this module
is not charged for mesh_dagster.
"""

from __future__ import annotations

from pathlib import Path

DOMAINS = [f"domain-{letter}" for letter in "abcdefghij"]
LAYOUTS = ("grid", "deep")
CHECK_NAMES = [
    "schema",
    "completeness",
    "grain_unique",
    "partition_bounds",
    "not_empty",
    "pii_customer_id",
    "check_amount",
    "has_rows",
    "check_order_id_length",
]
"""The check names of every product, as the mesh plans them (``sla`` aside)."""
WARN_CHECKS = {"has_rows"}

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


def product_name(index: int) -> str:
    """Return the name of synthetic product ``index``."""
    return f"product-{index:05d}"


def domain_of(index: int) -> str:
    """Return the domain of synthetic product ``index``."""
    return DOMAINS[index % len(DOMAINS)]


def upstreams(index: int, layout: str) -> list[int]:
    """Return the products that product ``index`` reads.

    ``grid``: blocks of 100 products; in a block, chains of ten cross the ten domains
    (each product reads the previous one), and each product also reads the one ten
    before it, in its own domain: lineage at most 19 deep, whatever N.
    ``deep``: the previous product and the one ten before, for every product: the
    lineage is N deep.
    """
    if layout == "deep":
        return [i for i in (index - 1, index - 10) if i >= 0]
    reads = [index - 1] if index % 10 else []
    return reads + ([index - 10] if index % 100 >= 10 else [])


def product_yaml(index: int, layout: str = "grid", salt: int = 0) -> str:
    """Return the spec of synthetic product ``index``."""
    name, domain, constant = product_name(index), domain_of(index), index + salt
    names = [product_name(i) for i in upstreams(index, layout)]
    inputs = "".join(f"    - product: {upstream}\n" for upstream in names)
    views = " union all ".join(f"select * from {n.replace('-', '_')}" for n in names)
    source = views or (
        "select 'x' as order_id, 'c' as customer_id, current_date as order_date, 1.0 as amount"
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
      - {{name: check_amount, sql: "amount >= -{constant}"}}
      - {{name: has_rows, sql: "count(*) > -{constant}", severity: warn}}
      - name: check_order_id_length
        sql: "coalesce(length(order_id), 0) between 1 and {64 + constant}"
  consumers:
    - {{team: finance, use_case: Reporting}}
"""


def write_specs(folder: Path, count: int, layout: str = "grid", salt: int = 0) -> None:
    """Write the policy and ``count`` synthetic products under ``folder``, a folder per domain."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mesh.yaml").write_text(POLICY, encoding="utf-8")
    for domain in DOMAINS:
        (folder / domain).mkdir(exist_ok=True)
    for index in range(count):
        path = folder / domain_of(index) / f"{product_name(index).replace('-', '_')}.yaml"
        path.write_text(product_yaml(index, layout, salt), encoding="utf-8")
