"""The same specs on Airflow 3: one DAG per data product, write-audit-publish, SLA verdicts.

Install with ``pip install mesh-dagster[airflow]``; one file in the dags folder::

    from mesh_dagster.airflow import build_dags

    globals().update(build_dags("/opt/mesh/specs"))

Nothing in this package imports Dagster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mesh_dagster.airflow.dags import build_dags, build_mesh_dags

INSTALL_HINT = (
    "mesh_dagster.airflow needs Apache Airflow 3.1 or later: pip install 'mesh-dagster[airflow]'"
)


def __getattr__(name: str) -> Any:
    if name in ("build_dags", "build_mesh_dags"):
        try:
            from mesh_dagster.airflow import dags
        except ModuleNotFoundError as error:
            if error.name is not None and error.name.split(".")[0] == "airflow":
                raise ModuleNotFoundError(INSTALL_HINT, name="airflow") from None
            raise
        return getattr(dags, name)
    raise AttributeError(f"module 'mesh_dagster.airflow' has no attribute '{name}'")


__all__ = ["INSTALL_HINT", "build_dags", "build_mesh_dags"]
