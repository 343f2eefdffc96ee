"""Federated governance: the policy's rules applied to products, and domains kept tight."""

from __future__ import annotations

from collections.abc import Iterator

from mesh_dagster.spec.errors import FieldPath, did_you_mean
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.policy_models import MeshPolicy, PolicyRules
from mesh_dagster.spec.rules import RuleViolation


def effective_rules(policy: MeshPolicy, domain: str) -> PolicyRules:
    """Return the global rules with the domain's own rules laid over them."""
    domain_policy = policy.domains.get(domain)
    if domain_policy is None:
        return policy.rules
    tightened = domain_policy.rules.model_dump(exclude_none=True)
    return policy.rules.model_copy(update=tightened)


def _percent(share: float) -> str:
    return f"{share * 100:g}%"


def _loosening(field: str, global_value: object, domain_value: object) -> str | None:
    """Return why ``domain_value`` loosens ``global_value``, or None if it does not."""
    if global_value is None or domain_value is None:
        return None
    if field in ("min_consumers", "min_availability_target"):
        assert isinstance(domain_value, (int, float)) and isinstance(global_value, (int, float))
        return "is lower than the global rule" if domain_value < global_value else None
    if field == "max_freshness_sla_hours":
        assert isinstance(domain_value, (int, float)) and isinstance(global_value, (int, float))
        return "is higher than the global rule" if domain_value > global_value else None
    if field == "pii_requires_handling":
        return "turns off a global requirement" if global_value and not domain_value else None
    if field in ("steward_email_domains", "output_formats"):
        assert isinstance(domain_value, list) and isinstance(global_value, list)
        extra = sorted(set(domain_value) - set(global_value))
        return f"allows {', '.join(extra)} beyond the global rule" if extra else None
    if field == "required_tags":
        assert isinstance(domain_value, list) and isinstance(global_value, list)
        missing = sorted(set(global_value) - set(domain_value))
        return f"drops required tags {', '.join(missing)}" if missing else None
    if field == "output_locations":
        assert isinstance(domain_value, str) and isinstance(global_value, str)
        return None if domain_value.startswith(global_value) else "is outside the global prefix"
    return None


def policy_violations(policy: MeshPolicy) -> Iterator[RuleViolation]:
    """Yield the policy's own problems: loosened domain rules and unknown channels."""
    for domain, domain_policy in sorted(policy.domains.items()):
        for field in PolicyRules.model_fields:
            reason = _loosening(
                field, getattr(policy.rules, field), getattr(domain_policy.rules, field)
            )
            if reason:
                yield RuleViolation(
                    ("domains", domain, "rules", field),
                    f"a domain may tighten but not loosen a global rule: this {reason}.",
                )
        for index, name in enumerate(domain_policy.alert_channels):
            if name not in policy.alert_channels:
                yield RuleViolation(
                    ("domains", domain, "alert_channels", index),
                    f"unknown alert channel '{name}'; declare it under alert_channels.",
                    did_you_mean(name, policy.alert_channels),
                )


def _rules_of(policy: MeshPolicy, product: DataProduct) -> tuple[PolicyRules, str]:
    rules = effective_rules(policy, product.domain)
    where = f"policy of domain '{product.domain}'" if product.domain in policy.domains else "policy"
    return rules, where


def product_policy_violations(policy: MeshPolicy, product: DataProduct) -> Iterator[RuleViolation]:
    """Yield the policy rules the product breaks."""
    rules, where = _rules_of(policy, product)
    meta, spec = product.metadata, product.spec
    if rules.steward_email_domains is not None:
        domain = meta.steward.rsplit("@", 1)[-1]
        if domain not in rules.steward_email_domains:
            allowed = ", ".join(rules.steward_email_domains)
            yield RuleViolation(
                ("metadata", "steward"),
                f"steward must have an e-mail address at {allowed} ({where}); "
                f"got '{meta.steward}'.",
            )
    if rules.min_consumers is not None and len(spec.consumers) < rules.min_consumers:
        yield RuleViolation(
            ("spec", "consumers") if spec.consumers else ("spec",),
            f"at least {rules.min_consumers} consumer(s) required ({where}); "
            f"found {len(spec.consumers)}.",
        )
    if rules.pii_requires_handling:
        for index, column in enumerate(spec.columns):
            if column.pii and column.pii_handling is None:
                yield RuleViolation(
                    ("spec", "schema", index, "pii"),
                    f"PII column '{column.name}' must declare pii_handling ({where}).",
                    "Expected one of: hashed, masked, redacted.",
                )
    yield from _output_violations(rules, where, product)
    yield from _sla_violations(rules, where, policy, product)
    for tag in rules.required_tags or []:
        if tag not in meta.tags:
            yield RuleViolation(
                ("metadata", "tags") if meta.tags else ("metadata",),
                f"required tag '{tag}' is missing ({where}).",
            )
    for index, name in enumerate(spec.alerts.channels):
        if name not in policy.alert_channels:
            yield RuleViolation(
                ("spec", "alerts", "channels", index),
                f"unknown alert channel '{name}'; channels are declared in mesh.yaml.",
                did_you_mean(name, policy.alert_channels),
            )


def _output_violations(
    rules: PolicyRules, where: str, product: DataProduct
) -> Iterator[RuleViolation]:
    output = product.spec.output
    if rules.output_formats is not None and output.format not in rules.output_formats:
        yield RuleViolation(
            ("spec", "output", "format"),
            f"format '{output.format}' is not allowed ({where}); "
            f"allowed: {', '.join(rules.output_formats)}.",
        )
    if rules.output_locations is not None:
        prefix = rules.output_locations.replace("{domain}", product.domain)
        if not output.location.startswith(prefix):
            yield RuleViolation(
                ("spec", "output", "location"),
                f"output location must be under '{prefix}' ({where}); got '{output.location}'.",
            )


def _sla_violations(
    rules: PolicyRules, where: str, policy: MeshPolicy, product: DataProduct
) -> Iterator[RuleViolation]:
    quality, sla = product.spec.quality, product.spec.sla
    limit = rules.max_freshness_sla_hours
    hours = quality.freshness_sla_hours
    if limit is not None and hours is not None and hours > limit:
        yield RuleViolation(
            ("spec", "quality", "freshness_sla_hours"),
            f"freshness_sla_hours may be at most {limit:g} ({where}); got {hours:g}.",
        )
    floor = rules.min_availability_target
    if floor is None or sla is None:
        return
    target = sla.availability_target or policy.defaults.availability_target
    path: FieldPath = (
        ("spec", "sla", "availability_target") if sla.availability_target else ("spec", "sla")
    )
    if target is not None and target < floor:
        yield RuleViolation(
            path,
            f"availability_target must be at least {_percent(floor)} ({where}); "
            f"got {_percent(target)}.",
        )
