"""build_dags: a specs folder -> one Airflow DAG per product, plus the SLA watcher."""

from __future__ import annotations

import os
from pathlib import Path

from airflow.sdk import DAG

from mesh_dagster.airflow.assets import mesh_assets
from mesh_dagster.airflow.product_dag import build_product_dag
from mesh_dagster.airflow.settings import storage_from_env
from mesh_dagster.io.locations import StorageSettings
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh


def build_mesh_dags(mesh: Mesh, storage: StorageSettings | None = None) -> dict[str, DAG]:
    """Return the DAGs of an already loaded mesh, by DAG id."""
    storage = storage or storage_from_env(os.environ)
    assets = mesh_assets(mesh, storage)
    dags: dict[str, DAG] = {}
    for product in mesh.products.values():
        dag = build_product_dag(mesh, product, assets)
        dags[dag.dag_id] = dag
    if any(product.spec.sla is not None for product in mesh.products.values()):
        from mesh_dagster.airflow.sla_dag import build_sla_dag

        watcher = build_sla_dag(mesh, assets)
        dags[watcher.dag_id] = watcher
    return dags


def build_dags(
    specs_path: str | os.PathLike[str], *, storage: StorageSettings | None = None
) -> dict[str, DAG]:
    """Return one DAG per data product under ``specs_path`` and the SLA watcher, by DAG id.

    Meant for one file in the dags folder: ``globals().update(build_dags("/path/specs"))``.
    Raises SpecError (every problem, located) when the specs are invalid; Airflow then
    shows it as the file's import error.
    """
    return build_mesh_dags(load_mesh(Path(specs_path)), storage)


__all__ = ["build_dags", "build_mesh_dags"]
