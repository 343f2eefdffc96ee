"""A build's inputs as lazy Arrow datasets: scanned by the engine, never read whole first.

Delta inputs come from deltalake's own dataset, limited to the period by a filter that
prunes partitions (and files, by their statistics); Parquet and CSV sources are
``pyarrow.dataset`` scans, limited the same way when they name a partition column. DuckDB
pushes its projections and filters into each scan, so only the columns and row groups a
transform needs are read. The engine registers them as views: the transform sees its
declared inputs only, with external access still off.
"""

from __future__ import annotations

import pyarrow.dataset as ds

from mesh_dagster.build.context import view_name
from mesh_dagster.build.sources import source_dataset
from mesh_dagster.io.delta import PeriodFilter, open_table, storage_errors
from mesh_dagster.io.locations import StorageSettings, resolve_location, storage_options
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct, InputSpec
from mesh_dagster.spec.periods import Period


class InputMissingError(RuntimeError):
    """Raised when an input product has not published the data a build needs."""


def period_filter_for(product: DataProduct, period: Period | None) -> PeriodFilter | None:
    """Return the filter selecting the product's rows of ``period`` (None if unpartitioned)."""
    partitioning = product.spec.partitioning
    if partitioning is None or period is None:
        return None
    column = product.column(partitioning.column)
    assert column is not None  # validated at load time
    return PeriodFilter(partitioning.column, column.type == "date", period)


def table_uri(product: DataProduct, storage: StorageSettings) -> str:
    """Return where the product's table really lives."""
    return resolve_location(product.spec.output.location, storage)


def delta_dataset(
    uri: str, options: dict[str, str], period_filter: PeriodFilter | None
) -> ds.Dataset | None:
    """Return the Delta table's rows (of one period if a filter is given), None if absent."""
    table = open_table(uri, options)
    if table is None:
        return None
    with storage_errors(uri, options):
        dataset = table.to_pyarrow_dataset()
    return dataset if period_filter is None else dataset.filter(period_filter.expression())


def published_dataset(
    product: DataProduct, period: Period | None, storage: StorageSettings
) -> ds.Dataset | None:
    """Return the product's published rows of ``period`` (all if None), None if absent."""
    uri = table_uri(product, storage)
    return delta_dataset(uri, storage_options(uri, storage), period_filter_for(product, period))


def input_dataset(
    mesh: Mesh, item: InputSpec, period: Period | None, storage: StorageSettings, index: int = 0
) -> tuple[str, ds.Dataset]:
    """Return an input's view name and its rows for ``period`` (lazy).

    ``index`` is the input's position in ``spec.inputs``, which a source's errors name.
    """
    if item.source is not None:
        where = f"spec.inputs[{index}].source"
        return view_name(item.source.name), source_dataset(item.source, storage, period, where)
    assert item.product is not None
    upstream = mesh.product(item.product)
    window = period if item.window == "partition" else None
    rows = published_dataset(upstream, window, storage)
    if rows is None:
        raise InputMissingError(
            f"input product '{upstream.name}' has not published anything yet; build it first"
        )
    return view_name(upstream.name), rows


def input_datasets(
    mesh: Mesh, product: DataProduct, period: Period | None, storage: StorageSettings
) -> dict[str, ds.Dataset]:
    """Return every input of ``product`` as a lazy dataset, by view name."""
    return dict(
        input_dataset(mesh, item, period, storage, index)
        for index, item in enumerate(product.spec.inputs)
    )
