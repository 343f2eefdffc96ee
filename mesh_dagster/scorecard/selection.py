"""Which products a scorecard covers: all, or some domains and products by name."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct


class SelectionError(ValueError):
    """A domain or product that the specs do not have; the message says what they have."""


def _unknown(kind: str, name: str, known: Sequence[str]) -> SelectionError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else f" The specs have: {', '.join(known)}."
    return SelectionError(f"there is no {kind} '{name}' in the specs.{hint}")


def select_products(
    mesh: Mesh, domains: Sequence[str] = (), products: Sequence[str] = ()
) -> list[DataProduct]:
    """Return the products of ``domains`` and the ``products`` named (all when both are empty).

    Sorted by domain and name; SelectionError names the first unknown domain or product.
    """
    known_domains = mesh.domains()
    for domain in domains:
        if domain not in known_domains:
            raise _unknown("domain", domain, known_domains)
    for name in products:
        if name not in mesh.products:
            raise _unknown("product", name, sorted(mesh.products))
    chosen = [
        product
        for product in mesh.products.values()
        if (not domains and not products) or product.domain in domains or product.name in products
    ]
    return sorted(chosen, key=lambda product: (product.domain, product.name))
