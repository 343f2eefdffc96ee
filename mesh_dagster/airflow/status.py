"""`mesh sla status --airflow`: each product's latest due period, from Airflow's records.

Publishes are read from Airflow's metadata database (the ``asset_event`` rows of each
product's asset), through Airflow's own ORM and configuration (``AIRFLOW_HOME``,
``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN``), as the ``airflow`` CLI does: it needs no running
API server and no token, and reads exactly the records the SLA watcher judges.
"""

from __future__ import annotations

import os
from datetime import date, datetime

from mesh_dagster.airflow.assets import asset_uri
from mesh_dagster.airflow.records import first_publishes
from mesh_dagster.airflow.settings import storage_from_env
from mesh_dagster.sla.status import SlaStatus, latest_due_period, sla_status, status_moment
from mesh_dagster.spec.mesh import Mesh


def read_publishes(uris: list[str]) -> dict[str, dict[str, datetime]]:
    """Return, by asset URI, when each period was first published (Airflow's metadata DB)."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    found: dict[str, dict[str, datetime]] = {uri: {} for uri in uris}
    with create_session() as session:
        query = (
            select(AssetModel.uri, AssetEvent.timestamp, AssetEvent.extra)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri.in_(uris))
            .order_by(AssetEvent.timestamp)
        )
        rows = session.execute(query).all()
    for uri in uris:
        events = [(row.timestamp, row.extra) for row in rows if row.uri == uri]
        found[uri] = first_publishes(events)
    return found


def read_airflow_statuses(mesh: Mesh, day: date | None, now: datetime) -> list[SlaStatus]:
    """Return the state of every product with an SLA, as Airflow's records tell it."""
    storage = storage_from_env(os.environ)
    products = [product for product in mesh.products.values() if product.spec.sla is not None]
    uris = {product.name: asset_uri(product, storage) for product in products}
    publishes = read_publishes(sorted(set(uris.values())))
    statuses: list[SlaStatus] = []
    for product in products:
        due = latest_due_period(mesh, product, status_moment(mesh, product, day, now))
        published = publishes[uris[product.name]].get(due.period.key)
        statuses.append(sla_status(product, due, published, now))
    return statuses
