"""The loaded mesh: every product, the policy, and where each came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.policy import effective_rules
from mesh_dagster.spec.policy_models import MeshPolicy, PolicyRules
from mesh_dagster.spec.yaml_source import SourceMap


@dataclass(frozen=True)
class Mesh:
    """All data products of a specs folder, with the policy that governs them."""

    root: Path
    products: dict[str, DataProduct]
    policy: MeshPolicy
    files: dict[str, Path] = field(default_factory=dict)
    sources: dict[str, SourceMap] = field(default_factory=dict, repr=False, compare=False)

    def product(self, name: str) -> DataProduct:
        """Return the product called ``name``; KeyError if there is none."""
        return self.products[name]

    def domains(self) -> list[str]:
        """Return the domains of the mesh, sorted."""
        return sorted({product.domain for product in self.products.values()})

    def timezone_of(self, product: DataProduct) -> str:
        """Return the timezone of the product's schedule (spec, else policy default)."""
        schedule = product.spec.schedule
        if schedule is not None and schedule.timezone is not None:
            return schedule.timezone
        return self.policy.defaults.timezone

    def sla_timezone_of(self, product: DataProduct) -> str:
        """Return the timezone in which the product's `available_by` is read."""
        sla = product.spec.sla
        if sla is not None and sla.timezone is not None:
            return sla.timezone
        return self.timezone_of(product)

    def availability_target_of(self, product: DataProduct) -> float | None:
        """Return the product's availability target, else the policy's default."""
        sla = product.spec.sla
        if sla is not None and sla.availability_target is not None:
            return sla.availability_target
        return self.policy.defaults.availability_target

    def rules_for(self, domain: str) -> PolicyRules:
        """Return the global rules tightened by the domain's own."""
        return effective_rules(self.policy, domain)

    def alert_channels_of(self, product: DataProduct) -> list[str]:
        """Return the names of the channels that hear about this product, domain first."""
        domain = self.policy.domains.get(product.domain)
        names = list(domain.alert_channels) if domain else []
        names += [name for name in product.spec.alerts.channels if name not in names]
        return names
