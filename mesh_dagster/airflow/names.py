"""Names shared by the Airflow DAGs, their tasks, their asset events and `mesh sla status`."""

from __future__ import annotations

from mesh_dagster.spec.models import DataProduct

SLA_DAG_ID = "mesh_sla"
"""The watcher DAG that records SLA verdicts and sends incidents."""
SLA_TASK_ID = "judge_and_notify"

PERIODS_TASK_ID = "plan_periods"
WAIT_TASK_ID = "wait_for_inputs"
BUILD_TASK_ID = "build"
OBSERVE_TASK_ID = "observe"

PARTITION_CONF = "partition"
"""Run conf key: build this period (a partition key) instead of the one the tick implies."""

# Keys of an asset event's `extra`.
EXTRA_PRODUCT = "mesh/product"
EXTRA_PERIODS = "mesh/periods"
"""Per period key: ``published``, ``rows``, ``delta_version`` and ``checks`` (one per rule)."""
UNPARTITIONED = "__all__"
"""The period key of an unpartitioned product in ``mesh/periods``."""


def dag_id(product: DataProduct) -> str:
    """Return the DAG id of a product: ``orders__orders-daily``."""
    return f"{product.domain}__{product.name}"


def product_tags(product: DataProduct) -> list[str]:
    """Return the DAG's tags: ``mesh``, the domain, then the spec's tags as ``key:value``."""
    tags = ["mesh", f"domain:{product.domain}"]
    tags += [f"{key}:{value}" for key, value in sorted(product.metadata.tags.items())]
    return tags
