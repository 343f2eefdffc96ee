"""Who a breaking change hurts: declared consumers and every product downstream, transitively."""

from __future__ import annotations

from dataclasses import dataclass

from mesh_dagster.spec.diff import MeshDiff, ProductDiff, diff_meshes
from mesh_dagster.spec.graph import readers_of
from mesh_dagster.spec.mesh import Mesh


@dataclass(frozen=True)
class AffectedConsumer:
    """A consumer declared by the changed product."""

    team: str
    use_case: str
    contact: str | None


@dataclass(frozen=True)
class AffectedProduct:
    """A product that reads the changed product, directly (depth 1) or through others."""

    name: str
    domain: str
    owner: str
    steward: str
    via: str
    """The upstream product through which the change reaches it (the one it reads)."""
    depth: int
    consumers: tuple[str, ...]
    """The teams that consume this downstream product in turn."""


@dataclass(frozen=True)
class ProductImpact:
    """One product's diff with the consumers and products its breaking changes reach."""

    diff: ProductDiff
    owner: str
    steward: str
    consumers: tuple[AffectedConsumer, ...]
    downstream: tuple[AffectedProduct, ...]


@dataclass(frozen=True)
class ImpactReport:
    """The mesh diff and, for every changed product, who is affected (if it is breaking).

    ``products`` lists the breaking products first, then the others, each by name.
    """

    diff: MeshDiff
    products: tuple[ProductImpact, ...]

    @property
    def is_breaking(self) -> bool:
        """Return whether any change is breaking."""
        return self.diff.is_breaking


def _downstream(old: Mesh, new: Mesh, name: str) -> tuple[AffectedProduct, ...]:
    """Return every product downstream of ``name`` at the base, nearest first.

    The base graph is the one consumers built on; owners and stewards are taken from the new
    mesh when the product still exists there, as those are the people to tell now.
    """
    readers = readers_of(old.products)
    found: dict[str, AffectedProduct] = {}
    frontier = [name]
    depth = 0
    while frontier:
        depth += 1
        following: list[str] = []
        for upstream in frontier:
            for reader in readers.get(upstream, []):
                if reader in found or reader == name:
                    continue
                product = new.products.get(reader, old.products[reader])
                found[reader] = AffectedProduct(
                    name=reader,
                    domain=product.domain,
                    owner=product.metadata.owner,
                    steward=product.metadata.steward,
                    via=upstream,
                    depth=depth,
                    consumers=tuple(consumer.team for consumer in product.spec.consumers),
                )
                following.append(reader)
        frontier = sorted(following)
    return tuple(sorted(found.values(), key=lambda item: (item.depth, item.name)))


def _impact(old: Mesh, new: Mesh, diff: ProductDiff) -> ProductImpact:
    base = old.products.get(diff.name)
    current = new.products.get(diff.new_name or diff.name)
    people = current or base
    assert people is not None
    if base is None or not diff.is_breaking:
        return ProductImpact(diff, people.metadata.owner, people.metadata.steward, (), ())
    consumers = tuple(
        AffectedConsumer(consumer.team, consumer.use_case, consumer.contact)
        for consumer in base.spec.consumers
    )
    return ProductImpact(
        diff,
        people.metadata.owner,
        people.metadata.steward,
        consumers,
        _downstream(old, new, diff.name),
    )


def assess_impact(old: Mesh, new: Mesh) -> ImpactReport:
    """Return the diff from ``old`` (the base) to ``new`` with everyone each break affects.

    Products with breaking changes come first, then the others, each by name. A breaking
    change affects the consumers the product declared at the base and every product that
    read it at the base, transitively and across domains.
    """
    diff = diff_meshes(old, new)
    ordered = sorted(diff.products, key=lambda product: (not product.is_breaking, product.name))
    return ImpactReport(diff, tuple(_impact(old, new, product) for product in ordered))
