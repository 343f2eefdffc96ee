"""Where tables really go: inside the warehouse in local mode, checked again at write time."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from spec_folder import SpecFolder

from mesh_dagster.build.pipeline import BuildSettings, build_product
from mesh_dagster.checks.engine import EngineSettings
from mesh_dagster.io.locations import StorageSettings, UnsafeLocationError, resolve_location
from mesh_dagster.spec import DataProduct, Mesh
from mesh_dagster.spec.periods import Period, period_for_key


def test_local_mode_maps_s3_and_relative_paths_under_the_warehouse(tmp_path: Path) -> None:
    settings = StorageSettings(warehouse=tmp_path / "warehouse")
    root = (tmp_path / "warehouse").resolve()
    assert resolve_location("s3://data-platform/products/orders/", settings) == str(
        root / "data-platform" / "products" / "orders"
    )
    assert resolve_location("tables/orders", settings) == str(root / "tables" / "orders")


def test_s3_mode_keeps_the_normalized_uri(tmp_path: Path) -> None:
    settings = StorageSettings(mode="s3", warehouse=tmp_path)
    uri = resolve_location("s3://data-platform/products/orders/", settings)
    assert uri == "s3://data-platform/products/orders"


def test_an_invalid_location_is_refused_before_it_is_resolved(tmp_path: Path) -> None:
    settings = StorageSettings(mode="s3", warehouse=tmp_path)
    with pytest.raises(UnsafeLocationError) as raised:
        resolve_location("s3://data-platform/products/orders/../../x", settings)
    assert str(raised.value) == (
        "invalid location: '..' segments are not allowed in a location; got "
        "'s3://data-platform/products/orders/../../x'."
    )
    assert raised.value.reason == "invalid" and raised.value.transient is False


def test_an_absolute_path_outside_the_warehouse_is_refused(tmp_path: Path) -> None:
    settings = StorageSettings(warehouse=tmp_path / "warehouse")
    outside = tmp_path / "elsewhere" / "orders"
    with pytest.raises(UnsafeLocationError) as raised:
        resolve_location(str(outside), settings)
    warehouse = (tmp_path / "warehouse").resolve()
    assert str(raised.value) == (
        f"the location '{outside}' resolves to {outside.resolve()}, outside the warehouse "
        f"{warehouse}; a table on the local file system must lie strictly inside the "
        "warehouse. Nothing was read or written."
    )
    assert raised.value.reason == "outside_warehouse"


def test_an_absolute_path_inside_the_warehouse_is_allowed(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    settings = StorageSettings(warehouse=warehouse)
    inside = warehouse.resolve() / "tables" / "orders"
    assert resolve_location(str(inside), settings) == str(inside)


def test_a_symbolic_link_out_of_the_warehouse_is_refused(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    (warehouse / "data-platform").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", warehouse / "data-platform" / "products")
    settings = StorageSettings(warehouse=warehouse)
    with pytest.raises(UnsafeLocationError) as raised:
        resolve_location("s3://data-platform/products/orders/", settings)
    assert str(raised.value) == (
        "the location 's3://data-platform/products/orders/' resolves to "
        f"{(tmp_path / 'elsewhere' / 'orders').resolve()}, outside the warehouse "
        f"{warehouse.resolve()}; a table on the local file system must lie strictly inside "
        "the warehouse. Nothing was read or written."
    )


def test_a_source_may_be_read_outside_the_warehouse(tmp_path: Path) -> None:
    settings = StorageSettings(warehouse=tmp_path / "warehouse")
    source = "/srv/exports/orders.csv"
    assert resolve_location(source, settings, confined=False) == source
    with pytest.raises(UnsafeLocationError):
        resolve_location("gs://raw/orders.csv", settings, confined=False)


# The write path, with a product that bypasses validation (as a hand-edited model would).

PERIOD_KEY = "2026-03-01"


@pytest.fixture
def built_mesh(specs: SpecFolder, tmp_path: Path) -> tuple[Mesh, Path]:
    """Return a one-product mesh whose source has one period of rows, and its warehouse."""
    specs.policy()
    specs.product()
    warehouse = tmp_path / "warehouse"
    (warehouse / "raw" / "orders").mkdir(parents=True)
    rows = pa.table(
        {
            "order_id": ["o-1"],
            "customer_id": ["c-1"],
            "order_date": pa.array([period_for_key(PERIOD_KEY, "day", "UTC").start.date()]),
            "revenue_usd": [12.5],
        }
    )
    pq.write_table(rows, warehouse / "raw" / "orders" / "part-0.parquet")
    return specs.load(), warehouse


def _relocated(product: DataProduct, location: str) -> DataProduct:
    """Return ``product`` writing to ``location``, without validating it."""
    output = product.spec.output.model_copy(update={"location": location})
    spec = product.spec.model_copy(update={"output": output})
    return product.model_copy(update={"spec": spec})


def _build(mesh: Mesh, product: DataProduct, warehouse: Path) -> None:
    settings = BuildSettings(StorageSettings(warehouse=warehouse), EngineSettings(), b"k" * 32)
    period: Period = period_for_key(PERIOD_KEY, "day", "UTC")
    build_product(mesh, product, period, settings)


def _files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def test_a_valid_location_is_written_inside_the_warehouse(built_mesh: tuple[Mesh, Path]) -> None:
    mesh, warehouse = built_mesh
    _build(mesh, mesh.product("orders-daily"), warehouse)
    table = warehouse / "data-platform" / "products" / "orders" / "orders_daily"
    assert (table / "_delta_log" / "00000000000000000000.json").is_file()


def test_an_escaping_location_is_refused_at_write_time(
    built_mesh: tuple[Mesh, Path], tmp_path: Path
) -> None:
    mesh, warehouse = built_mesh
    escaping = "s3://data-platform/products/orders/../../../../escaped/"
    before = _files_under(tmp_path)
    with pytest.raises(UnsafeLocationError) as raised:
        _build(mesh, _relocated(mesh.product("orders-daily"), escaping), warehouse)
    assert str(raised.value) == (
        f"invalid location: '..' segments are not allowed in a location; got '{escaping}'."
    )
    assert _files_under(tmp_path) == before
    assert not (tmp_path / "escaped").exists()


def test_a_location_outside_the_warehouse_is_refused_at_write_time(
    built_mesh: tuple[Mesh, Path], tmp_path: Path
) -> None:
    mesh, warehouse = built_mesh
    outside = tmp_path / "outside" / "orders_daily"
    before = _files_under(tmp_path)
    with pytest.raises(UnsafeLocationError) as raised:
        _build(mesh, _relocated(mesh.product("orders-daily"), str(outside)), warehouse)
    assert str(raised.value) == (
        f"the location '{outside}' resolves to {outside.resolve()}, outside the warehouse "
        f"{warehouse.resolve()}; a table on the local file system must lie strictly inside "
        "the warehouse. Nothing was read or written."
    )
    assert _files_under(tmp_path) == before
    assert not outside.exists()


def test_a_link_planted_in_the_warehouse_cannot_redirect_a_write(
    built_mesh: tuple[Mesh, Path], tmp_path: Path
) -> None:
    mesh, warehouse = built_mesh
    (warehouse / "data-platform").mkdir()
    target = tmp_path / "victim"
    target.mkdir()
    os.symlink(target, warehouse / "data-platform" / "products")
    with pytest.raises(UnsafeLocationError) as raised:
        _build(mesh, mesh.product("orders-daily"), warehouse)
    assert raised.value.reason == "outside_warehouse"
    assert list(target.iterdir()) == []
