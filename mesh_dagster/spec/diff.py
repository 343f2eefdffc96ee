"""Schema diff of two meshes: every change of every product, breaking or compatible.

A change is *breaking* when a consumer of the product's output can be hurt by it (DESIGN
section 8): a product or column removed or renamed, a type that does not widen, a column
that may now be null, grain or partitioning changed, a later SLA or lower target, PII
handling changed. Everything else (a column added, descriptions, stricter quality, an
earlier SLA, a new product) is compatible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mesh_dagster.spec.contract_diff import ProductPair, product_changes
from mesh_dagster.spec.diff_types import SpecChange
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct

ProductStatus = Literal["added", "removed", "renamed", "changed"]
VersionCheck = Literal["bumped", "not_bumped", "undeclared", "not_needed"]

__all__ = ["MeshDiff", "ProductDiff", "SpecChange", "diff_meshes", "major_version"]


def major_version(version: str | None) -> int | None:
    """Return the major number of a ``MAJOR.MINOR.PATCH`` version, if one is given."""
    return None if version is None else int(version.split(".", 1)[0])


@dataclass(frozen=True)
class ProductDiff:
    """What changed in one product between the base and the new mesh."""

    name: str
    """The product's name at the base (its new name for an added product)."""
    domain: str
    status: ProductStatus
    changes: tuple[SpecChange, ...]
    old_version: str | None = None
    new_version: str | None = None
    new_name: str | None = None
    """The product's new name when it was renamed."""

    @property
    def is_breaking(self) -> bool:
        """Return whether any change of the product is breaking."""
        return any(change.breaking for change in self.changes)

    @property
    def breaking_changes(self) -> tuple[SpecChange, ...]:
        """Return the breaking changes, in order."""
        return tuple(change for change in self.changes if change.breaking)

    @property
    def compatible_changes(self) -> tuple[SpecChange, ...]:
        """Return the compatible changes, in order."""
        return tuple(change for change in self.changes if not change.breaking)

    @property
    def version_check(self) -> VersionCheck:
        """Return whether a breaking change came with a new major version.

        ``not_needed`` when nothing is breaking or the product is gone; ``undeclared`` when
        neither side declares ``metadata.version``; a version declared for the first time
        counts as a bump, a version dropped does not.
        """
        if not self.is_breaking or self.status == "removed":
            return "not_needed"
        old, new = major_version(self.old_version), major_version(self.new_version)
        if old is None and new is None:
            return "undeclared"
        if new is not None and (old is None or new > old):
            return "bumped"
        return "not_bumped"

    @property
    def expected_version(self) -> str | None:
        """Return the smallest version that would bump the major, when one is missing."""
        old = major_version(self.old_version)
        if self.version_check != "not_bumped" or old is None:
            return None
        return f"{old + 1}.0.0"


@dataclass(frozen=True)
class MeshDiff:
    """Every product that changed between two meshes, sorted by name."""

    products: tuple[ProductDiff, ...]

    @property
    def is_breaking(self) -> bool:
        """Return whether any product has a breaking change."""
        return any(product.is_breaking for product in self.products)

    @property
    def breaking_count(self) -> int:
        """Return the number of breaking changes over all products."""
        return sum(len(product.breaking_changes) for product in self.products)

    @property
    def compatible_count(self) -> int:
        """Return the number of compatible changes over all products."""
        return sum(len(product.compatible_changes) for product in self.products)

    def product(self, name: str) -> ProductDiff:
        """Return the diff of the product called ``name`` (at the base); KeyError if none."""
        for product in self.products:
            if product.name == name:
                return product
        raise KeyError(name)


def _signature(product: DataProduct) -> tuple[str, tuple[tuple[str, str], ...]]:
    return product.domain, tuple((column.name, column.type) for column in product.spec.columns)


def _renames(removed: list[DataProduct], added: list[DataProduct]) -> dict[str, DataProduct]:
    """Return removed name -> added product, for pairs with the same domain and schema."""
    pairs: dict[str, DataProduct] = {}
    taken: set[str] = set()
    for old in removed:
        for new in added:
            if new.name not in taken and _signature(new) == _signature(old):
                pairs[old.name] = new
                taken.add(new.name)
                break
    return pairs


def _removed(product: DataProduct) -> ProductDiff:
    change = SpecChange(
        kind="product_removed",
        breaking=True,
        field="metadata.name",
        old=product.name,
        new=None,
        message=f"product '{product.name}' is removed; its consumers lose their data",
    )
    return ProductDiff(
        product.name, product.domain, "removed", (change,), old_version=product.metadata.version
    )


def _added(product: DataProduct) -> ProductDiff:
    change = SpecChange(
        kind="product_added",
        breaking=False,
        field="metadata.name",
        old=None,
        new=product.name,
        message=f"new product '{product.name}'",
    )
    return ProductDiff(
        product.name, product.domain, "added", (change,), new_version=product.metadata.version
    )


def _changed(pair: ProductPair, status: ProductStatus) -> ProductDiff | None:
    changes = tuple(product_changes(pair))
    if not changes:
        return None
    old, new = pair.old, pair.new
    return ProductDiff(
        old.name,
        old.domain,
        status,
        changes,
        old_version=old.metadata.version,
        new_version=new.metadata.version,
        new_name=new.name if status == "renamed" else None,
    )


def diff_meshes(old: Mesh, new: Mesh) -> MeshDiff:
    """Return every change from the ``old`` mesh (the base) to the ``new`` one, classified."""
    removed = [old.products[name] for name in sorted(old.products) if name not in new.products]
    added = [new.products[name] for name in sorted(new.products) if name not in old.products]
    renamed = _renames(removed, added)
    renamed_to = {product.name for product in renamed.values()}
    diffs: list[ProductDiff] = []
    for name in sorted(set(old.products) | set(new.products)):
        if name in old.products and name in new.products:
            pair = ProductPair(old, new, old.products[name], new.products[name])
            changed = _changed(pair, "changed")
            if changed is not None:
                diffs.append(changed)
        elif name in renamed:
            pair = ProductPair(old, new, old.products[name], renamed[name])
            diffs.append(_changed(pair, "renamed") or _removed(old.products[name]))
        elif name in old.products:
            diffs.append(_removed(old.products[name]))
        elif name not in renamed_to:
            diffs.append(_added(new.products[name]))
    return MeshDiff(tuple(diffs))
