"""Each product's output as an Airflow ``Asset`` named by its URI (the resolved location)."""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import Asset

from mesh_dagster.io.locations import StorageSettings, resolve_location
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct


def asset_uri(product: DataProduct, storage: StorageSettings) -> str:
    """Return the URI of the product's table: ``s3://...`` or ``file:///<warehouse>/...``."""
    location = resolve_location(product.spec.output.location, storage)
    return location if "://" in location else Path(location).as_uri()


def product_asset(product: DataProduct, storage: StorageSettings) -> Asset:
    """Return the product's output asset (grouped ``mesh``; domain and product in ``extra``)."""
    return Asset(
        uri=asset_uri(product, storage),
        group="mesh",
        extra={"domain": product.domain, "product": product.name},
    )


def mesh_assets(mesh: Mesh, storage: StorageSettings) -> dict[str, Asset]:
    """Return every product's asset, by product name."""
    return {name: product_asset(product, storage) for name, product in mesh.products.items()}


def input_assets(product: DataProduct, assets: dict[str, Asset]) -> list[Asset]:
    """Return the assets of the product's input products, in spec order."""
    return [assets[item.product] for item in product.spec.inputs if item.product is not None]
