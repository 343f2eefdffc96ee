"""Federated governance: the policy's rules applied to products, and domains kept tight."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from mesh_dagster.spec.errors import FieldPath, did_you_mean
from mesh_dagster.spec.locations import Location, LocationError, parse_location
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.policy_models import MeshPolicy, PolicyRules
from mesh_dagster.spec.rules import RuleViolation

RuleSource = Callable[[str], str]
"""Given a rule's field name, says which policy set it ("the mesh policy")."""


def effective_rules(policy: MeshPolicy, domain: str) -> PolicyRules:
    """Return the global rules with the domain's tightened rules laid over them.

    A domain rule that would loosen a global one is reported by ``policy_violations`` and
    ignored here, so products are not judged by it as well.
    """
    domain_policy = policy.domains.get(domain)
    if domain_policy is None:
        return policy.rules
    tightened = {
        field: value
        for field, value in domain_policy.rules.model_dump(exclude_none=True).items()
        if _loosening(field, domain, getattr(policy.rules, field), value) is None
    }
    return policy.rules.model_copy(update=tightened)


def _percent(share: float) -> str:
    return f"{share * 100:g}%"


def _loosening(field: str, domain: str, global_value: object, domain_value: object) -> str | None:
    """Return how ``domain_value`` loosens ``global_value``, or None if it does not."""
    if global_value is None or domain_value is None:
        return None
    if field in ("min_consumers", "min_availability_target"):
        assert isinstance(domain_value, (int, float)) and isinstance(global_value, (int, float))
        shown = _percent if field == "min_availability_target" else _number
        if domain_value < global_value:
            return f"{shown(domain_value)} is lower than the global {shown(global_value)}"
        return None
    if field == "max_freshness_sla_hours":
        assert isinstance(domain_value, (int, float)) and isinstance(global_value, (int, float))
        if domain_value > global_value:
            return f"{domain_value:g} is higher than the global {global_value:g}"
        return None
    if field == "pii_requires_handling":
        turned_off = bool(global_value) and not domain_value
        return "false turns off the global requirement" if turned_off else None
    if field in ("steward_email_domains", "output_formats"):
        assert isinstance(domain_value, list) and isinstance(global_value, list)
        extra = sorted(set(domain_value) - set(global_value))
        return f"it allows {', '.join(extra)}, which the global rule does not" if extra else None
    if field == "required_tags":
        assert isinstance(domain_value, list) and isinstance(global_value, list)
        missing = sorted(set(global_value) - set(domain_value))
        return f"it drops the globally required {', '.join(missing)}" if missing else None
    if field == "output_locations":
        assert isinstance(domain_value, str) and isinstance(global_value, str)
        own, outer = (value.replace("{domain}", domain) for value in (domain_value, global_value))
        own_location, outer_location = _location(own, prefix=True), _location(outer, prefix=True)
        if own_location is None or outer_location is None:
            return None  # reported by the policy's own validation
        inside = outer_location.contains(own_location)
        return None if inside else f"'{own}' is outside the global '{outer}'"
    if field == "allow_local_paths":
        turned_on = not global_value and bool(domain_value)
        return "true allows local paths, which the global rule does not" if turned_on else None
    return None


def _location(text: str, *, prefix: bool = False) -> Location | None:
    """Return the parsed location, or None for text the models already reported."""
    try:
        return parse_location(text, prefix=prefix)
    except LocationError:
        return None


def _number(value: float) -> str:
    return f"{value:g}"


def policy_violations(policy: MeshPolicy) -> Iterator[RuleViolation]:
    """Yield the policy's own problems: loosened domain rules and unknown channels."""
    for domain, domain_policy in sorted(policy.domains.items()):
        for field in PolicyRules.model_fields:
            reason = _loosening(
                field, domain, getattr(policy.rules, field), getattr(domain_policy.rules, field)
            )
            if reason:
                yield RuleViolation(
                    ("domains", domain, "rules", field),
                    f"a domain may tighten a global rule but not loosen it: {reason}.",
                )
        for index, name in enumerate(domain_policy.alert_channels):
            if name not in policy.alert_channels:
                yield RuleViolation(
                    ("domains", domain, "alert_channels", index),
                    f"unknown alert channel '{name}'; declare it under alert_channels.",
                    did_you_mean(name, policy.alert_channels),
                )


def _rules_of(policy: MeshPolicy, product: DataProduct) -> tuple[PolicyRules, RuleSource]:
    """Return the rules for the product, and a function naming the policy behind a rule."""
    rules = effective_rules(policy, product.domain)
    domain_policy = policy.domains.get(product.domain)
    own = domain_policy.rules.model_dump(exclude_none=True) if domain_policy else {}

    def source(field: str) -> str:
        from_domain = field in own and own[field] == getattr(rules, field)
        return f"the policy of domain '{product.domain}'" if from_domain else "the mesh policy"

    return rules, source


def product_policy_violations(policy: MeshPolicy, product: DataProduct) -> Iterator[RuleViolation]:
    """Yield the policy rules the product breaks."""
    rules, where = _rules_of(policy, product)
    meta, spec = product.metadata, product.spec
    if rules.steward_email_domains is not None:
        domain = meta.steward.rsplit("@", 1)[-1]
        if domain not in rules.steward_email_domains:
            allowed = " or ".join(f"@{name}" for name in rules.steward_email_domains)
            yield RuleViolation(
                ("metadata", "steward"),
                f"{where('steward_email_domains')} requires a steward address at {allowed}; "
                f"got '{meta.steward}'.",
            )
    wanted = rules.min_consumers
    if wanted is not None and len(spec.consumers) < wanted:
        noun = "consumer" if wanted == 1 else "consumers"
        found = len(spec.consumers) or "none"
        yield RuleViolation(
            ("spec", "consumers") if spec.consumers else ("spec",),
            f"{where('min_consumers')} requires at least {wanted} {noun} in spec.consumers; "
            f"found {found}.",
            "Add '- {team: <team>, use_case: <what they use it for>}' under spec.consumers.",
        )
    if rules.pii_requires_handling:
        for index, column in enumerate(spec.columns):
            if column.pii and column.pii_handling is None:
                yield RuleViolation(
                    ("spec", "schema", index, "pii"),
                    f"{where('pii_requires_handling')} requires pii_handling on every PII "
                    f"column; '{column.name}' has none.",
                    "Expected one of: hashed, masked, redacted.",
                )
    yield from _output_violations(rules, where, product)
    yield from _sla_violations(rules, where, policy, product)
    for tag in rules.required_tags or []:
        if tag not in meta.tags:
            yield RuleViolation(
                ("metadata", "tags") if meta.tags else ("metadata",),
                f"{where('required_tags')} requires the tag '{tag}' in metadata.tags.",
            )
    for index, name in enumerate(spec.alerts.channels):
        if name not in policy.alert_channels:
            yield RuleViolation(
                ("spec", "alerts", "channels", index),
                f"unknown alert channel '{name}'; channels are declared in mesh.yaml.",
                did_you_mean(name, policy.alert_channels),
            )


def _output_violations(
    rules: PolicyRules, where: RuleSource, product: DataProduct
) -> Iterator[RuleViolation]:
    output = product.spec.output
    if rules.output_formats is not None and output.format not in rules.output_formats:
        yield RuleViolation(
            ("spec", "output", "format"),
            f"{where('output_formats')} allows the output formats "
            f"{', '.join(rules.output_formats)}; got '{output.format}'.",
        )
    location = _location(output.location)
    if location is None:
        return
    if rules.allow_local_paths is False and location.kind == "local":
        yield RuleViolation(
            ("spec", "output", "location"),
            f"{where('allow_local_paths')} does not allow local paths as output locations; "
            f"got '{output.location}'.",
            "Use an 's3://bucket/prefix/' URI.",
        )
        return
    if rules.output_locations is not None:
        prefix = rules.output_locations.replace("{domain}", product.domain)
        allowed = _location(prefix, prefix=True)
        # Strictly inside, segment by segment: '.../orders-evil/' is not under '.../orders'.
        inside = allowed is not None and allowed.contains(location) and allowed != location
        if not inside:
            table = product.name.replace("-", "_")
            yield RuleViolation(
                ("spec", "output", "location"),
                f"{where('output_locations')} requires output locations under '{prefix}'; "
                f"got '{output.location}'.",
                f"For example '{prefix.rstrip('/')}/{table}/'.",
            )


def _sla_violations(
    rules: PolicyRules, where: RuleSource, policy: MeshPolicy, product: DataProduct
) -> Iterator[RuleViolation]:
    quality, sla = product.spec.quality, product.spec.sla
    limit = rules.max_freshness_sla_hours
    hours = quality.freshness_sla_hours
    if limit is not None and hours is not None and hours > limit:
        yield RuleViolation(
            ("spec", "quality", "freshness_sla_hours"),
            f"{where('max_freshness_sla_hours')} allows freshness_sla_hours of at most "
            f"{limit:g}; got {hours:g}.",
        )
    floor = rules.min_availability_target
    if floor is None or sla is None:
        return
    target = sla.availability_target or policy.defaults.availability_target
    path: FieldPath = (
        ("spec", "sla", "availability_target") if sla.availability_target else ("spec", "sla")
    )
    inherited = "" if sla.availability_target else " (the policy's default)"
    if target is not None and target < floor:
        yield RuleViolation(
            path,
            f"{where('min_availability_target')} requires an availability_target of at least "
            f"{_percent(floor)}; got {_percent(target)}{inherited}.",
        )
