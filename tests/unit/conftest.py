"""Fixtures of the unit tests: the reference example spec, as loaded and as variants."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mesh_dagster.spec import DataProduct, load_mesh

EXAMPLE_SPEC = Path(__file__).resolve().parent / "examples" / "orders_daily.yaml"
"""The reference spec of DESIGN section 2 (a copy kept in the repository)."""

ORDER_EVENTS_STUB = """\
apiVersion: dataproduct/v1
kind: DataProduct
metadata:
  name: order-events
  domain: orders
  owner: orders-platform-team
  steward: jane.smith@company.com
spec:
  description: The input of orders-daily, built outside the platform (a stub for tests).
  output:
    format: delta
    location: s3://data-platform/products/orders/order_events/
  schema:
    - name: order_id
      type: string
    - name: customer_id
      type: string
    - name: completed_at
      type: timestamp
    - name: amount_usd
      type: double
    - name: status
      type: string
"""

SpecEdit = Callable[[dict[str, Any]], None]
ProductFactory = Callable[..., DataProduct]


@pytest.fixture
def orders_daily(tmp_path: Path) -> DataProduct:
    """Return the example product, loaded by ``load_mesh`` beside a stub of its input."""
    folder = tmp_path / "specs" / "orders"
    folder.mkdir(parents=True)
    (folder / "orders_daily.yaml").write_text(EXAMPLE_SPEC.read_text(encoding="utf-8"))
    (folder / "order_events.yaml").write_text(ORDER_EVENTS_STUB)
    return load_mesh(tmp_path / "specs").product("orders-daily")


@pytest.fixture
def example_product() -> ProductFactory:
    """Return a factory of variants of the example: ``edit`` changes its ``spec`` mapping."""

    def make(edit: SpecEdit | None = None) -> DataProduct:
        data = yaml.safe_load(EXAMPLE_SPEC.read_text(encoding="utf-8"))
        del data["spec"]["inputs"]
        if edit is not None:
            edit(data["spec"])
        return DataProduct.model_validate(data)

    return make
