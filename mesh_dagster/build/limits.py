"""The time limit of a product's queries: its spec's, else the policy's, else the default."""

from __future__ import annotations

from mesh_dagster.checks.engine import TimeLimit
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.policy_models import DEFAULT_QUERY_TIMEOUT


def query_time_limit(mesh: Mesh, product: DataProduct) -> TimeLimit:
    """Return how long the product's transform (and, separately, its checks) may run."""
    own = product.spec.limits.query_timeout
    if own is not None:
        return TimeLimit(own.total_seconds(), "spec.limits.query_timeout")
    limits = mesh.policy.limits
    if "query_timeout" in limits.model_fields_set:
        return TimeLimit(limits.query_timeout.total_seconds(), "the policy's limits.query_timeout")
    return TimeLimit(DEFAULT_QUERY_TIMEOUT.total_seconds(), "the default query_timeout")
