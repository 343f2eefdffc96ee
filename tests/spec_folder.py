"""Spec files for tests: a valid base spec, overrides laid over it, and a specs folder."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from mesh_dagster.spec import Mesh, SpecError, load_mesh

# Fixtures for real local servers live in tests/fixtures/, one module per server.
pytest_plugins = [
    "fixtures.s3",
    "fixtures.glue",
    "fixtures.postgres",
    "fixtures.receivers",
    "fixtures.dagster_env",
    "fixtures.browser",
]

DELETE: Any = object()
"""An override value that removes the key from the base spec."""


def merge(base: Any, overrides: Any) -> Any:
    """Return ``base`` with ``overrides`` laid over it.

    Mappings merge key by key, ``DELETE`` removes a key, and a mapping with integer keys
    edits those items of a list (``{"schema": {2: {"nullable": True}}}``). Anything else
    replaces the base value.
    """
    edits_items = isinstance(overrides, Mapping) and all(isinstance(k, int) for k in overrides)
    if isinstance(base, list) and edits_items:
        result = list(base)
        for index, value in overrides.items():
            result[index] = merge(result[index], value)
        return result
    if isinstance(base, Mapping) and isinstance(overrides, Mapping):
        merged = dict(base)
        for key, value in overrides.items():
            if value is DELETE:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    return copy.deepcopy(overrides)


def product_data(
    name: str = "orders-daily", domain: str = "orders", inputs: Sequence[str] = ()
) -> dict[str, Any]:
    """Return a valid DataProduct spec (also under the example policy) as plain data."""
    table = name.replace("-", "_")
    if inputs:
        spec_inputs: list[dict[str, Any]] = [{"product": upstream} for upstream in inputs]
        view = inputs[0].replace("-", "_")
    else:
        source = {"name": "raw_orders", "location": "s3://raw/orders/", "format": "parquet"}
        spec_inputs, view = [{"source": source}], "raw_orders"
    return {
        "apiVersion": "dataproduct/v1",
        "kind": "DataProduct",
        "metadata": {
            "name": name,
            "domain": domain,
            "owner": f"{domain}-team",
            "steward": "jane@company.com",
        },
        "spec": {
            "description": "Daily orders.",
            "schedule": {"cron": "0 6 * * *", "timezone": "UTC"},
            "sla": {"available_by": "07:00", "availability_target": "99.9%"},
            "partitioning": {"by": "day", "column": "order_date", "start": "2026-01-01"},
            "grain": ["order_id", "order_date"],
            "inputs": spec_inputs,
            "transform": {"sql": f"select * from {view}"},
            "output": {
                "format": "delta",
                "location": f"s3://data-platform/products/{domain}/{table}/",
            },
            "schema": [
                {"name": "order_id", "type": "string", "nullable": False},
                {"name": "customer_id", "type": "string", "pii": True, "pii_handling": "hashed"},
                {"name": "order_date", "type": "date", "nullable": False},
                {"name": "revenue_usd", "type": "double"},
            ],
            "quality": {"custom_checks": ["revenue_usd >= 0"]},
            "consumers": [{"team": "finance", "use_case": "Revenue reporting"}],
        },
    }


def policy_data() -> dict[str, Any]:
    """Return the example MeshPolicy as plain data."""
    return {
        "apiVersion": "dataproduct/v1",
        "kind": "MeshPolicy",
        "defaults": {"timezone": "UTC", "availability_target": "99.5%"},
        "rules": {
            "steward_email_domains": ["company.com"],
            "min_consumers": 1,
            "pii_requires_handling": True,
            "max_freshness_sla_hours": 24,
            "min_availability_target": "99%",
            "output_formats": ["delta"],
            "output_locations": "s3://data-platform/products/{domain}/",
        },
        "domains": {
            "orders": {"alert_channels": ["orders-slack"]},
            "payments": {
                "alert_channels": ["payments-email"],
                "rules": {"min_availability_target": "99.9%"},
            },
        },
        "alert_channels": {
            "orders-slack": {"kind": "slack", "webhook_url_env": "ORDERS_SLACK_WEBHOOK_URL"},
            "payments-email": {
                "kind": "email",
                "to": ["payments-oncall@company.com"],
                "smtp_host_env": "MESH_SMTP_HOST",
            },
        },
    }


def dump_yaml(data: Any) -> str:
    """Return ``data`` as block-style YAML in key order (what the spec files look like)."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)


class SpecFolder:
    """A ``specs/`` folder under the current directory, written by tests."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relative: str, text: str) -> Path:
        """Write ``text`` to ``specs/<relative>`` and return its path."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def product(
        self,
        name: str = "orders-daily",
        domain: str = "orders",
        *,
        inputs: Sequence[str] = (),
        file: str | None = None,
        **overrides: Any,
    ) -> Path:
        """Write a valid product with ``overrides`` (see ``merge``) to its domain folder."""
        data = merge(product_data(name, domain, inputs), overrides)
        relative = file or f"{domain}/{name.replace('-', '_')}.yaml"
        return self.write(relative, dump_yaml(data))

    def policy(self, **overrides: Any) -> Path:
        """Write the example policy with ``overrides`` to ``specs/mesh.yaml``."""
        return self.write("mesh.yaml", dump_yaml(merge(policy_data(), overrides)))

    def load(self) -> Mesh:
        """Return the loaded mesh (raises SpecError)."""
        return load_mesh(self.root)

    def problems(self) -> list[str]:
        """Return every problem of the folder as the lines a user sees; fail if it loads."""
        with pytest.raises(SpecError) as raised:
            load_mesh(self.root)
        return [str(problem) for problem in raised.value.problems]
