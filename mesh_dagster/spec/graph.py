"""The product graph: who reads whom, cycles, and everything downstream of a product."""

from __future__ import annotations

from collections.abc import Mapping
from graphlib import CycleError, TopologicalSorter

from mesh_dagster.spec.models import DataProduct


def upstream_products(product: DataProduct) -> list[str]:
    """Return the names of the products this product reads, in spec order."""
    return [item.product for item in product.spec.inputs if item.product is not None]


def _sorter(products: Mapping[str, DataProduct]) -> TopologicalSorter[str]:
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for name in sorted(products):
        # A product reading itself is reported on its own; it is not a cycle of products.
        known = [up for up in upstream_products(products[name]) if up in products and up != name]
        sorter.add(name, *known)
    return sorter


def find_cycle(products: Mapping[str, DataProduct]) -> list[str] | None:
    """Return one cycle of product inputs as a closed path (``a -> b -> a``), if any."""
    try:
        _sorter(products).prepare()
    except CycleError as error:
        cycle: list[str] = list(reversed(error.args[1]))
        return cycle
    return None


def topological_order(products: Mapping[str, DataProduct]) -> list[str]:
    """Return product names with every product after its inputs; the mesh must be acyclic."""
    return list(_sorter(products).static_order())


def readers_of(products: Mapping[str, DataProduct]) -> dict[str, list[str]]:
    """Return, for each product read by others, the names of its readers in name order."""
    readers: dict[str, list[str]] = {}
    for name in sorted(products):
        for upstream in upstream_products(products[name]):
            readers.setdefault(upstream, []).append(name)
    return readers


def downstream_of(products: Mapping[str, DataProduct], name: str) -> list[str]:
    """Return every product that reads ``name``, directly or transitively, sorted."""
    readers = readers_of(products)
    seen: set[str] = set()
    frontier = [name]
    while frontier:
        for reader in readers.get(frontier.pop(), []):
            if reader not in seen:
                seen.add(reader)
                frontier.append(reader)
    return sorted(seen)
