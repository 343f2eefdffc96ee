"""The impact report as JSON: stable keys for CI and bots."""

from __future__ import annotations

import dataclasses
import json

from mesh_dagster.spec.impact import ImpactReport, ProductImpact

JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def _product(impact: ProductImpact) -> dict[str, JsonValue]:
    diff = impact.diff
    return {
        "name": diff.name,
        "new_name": diff.new_name,
        "domain": diff.domain,
        "status": diff.status,
        "breaking": diff.is_breaking,
        "owner": impact.owner,
        "steward": impact.steward,
        "version": {
            "old": diff.old_version,
            "new": diff.new_version,
            "check": diff.version_check,
            "expected": diff.expected_version,
        },
        "changes": [dataclasses.asdict(change) for change in diff.changes],
        "affected": {
            "consumers": [dataclasses.asdict(consumer) for consumer in impact.consumers],
            "downstream": [
                {**dataclasses.asdict(product), "consumers": list(product.consumers)}
                for product in impact.downstream
            ],
        },
    }


def impact_as_dict(report: ImpactReport, base: str) -> dict[str, JsonValue]:
    """Return the report as JSON-ready data; ``base`` is the git ref compared against."""
    diff = report.diff
    return {
        "base": base,
        "breaking": diff.is_breaking,
        "summary": {
            "products_changed": len(diff.products),
            "products_breaking": sum(1 for product in diff.products if product.is_breaking),
            "breaking_changes": diff.breaking_count,
            "compatible_changes": diff.compatible_count,
            "missing_major_bumps": sum(
                1 for product in diff.products if product.version_check == "not_bumped"
            ),
        },
        "products": [_product(impact) for impact in report.products],
    }


def render_impact_json(report: ImpactReport, base: str) -> str:
    """Return the report as indented JSON text, ending with a newline."""
    return json.dumps(impact_as_dict(report, base), indent=2, ensure_ascii=False) + "\n"
