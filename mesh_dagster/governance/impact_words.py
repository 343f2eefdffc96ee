"""Words shared by the text and Markdown impact reports."""

from __future__ import annotations

from mesh_dagster.spec.diff import ProductDiff
from mesh_dagster.spec.impact import ImpactReport


def plural(count: int, noun: str) -> str:
    """Return ``1 change`` / ``2 changes``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary_line(report: ImpactReport) -> str:
    """Return one sentence counting changed products and breaking/compatible changes."""
    diff = report.diff
    if not diff.products:
        return "No product changed."
    breaking = [product for product in diff.products if product.is_breaking]
    text = (
        f"{plural(len(diff.products), 'product')} changed: "
        f"{plural(diff.breaking_count, 'breaking change')}"
    )
    if breaking:
        text += f" in {plural(len(breaking), 'product')}"
    return f"{text}, {plural(diff.compatible_count, 'compatible change')}."


def status_word(diff: ProductDiff) -> str:
    """Return how a product changed, in a word or two: ``breaking``, ``new``, ``removed``."""
    words = {"added": "new", "removed": "removed", "renamed": "renamed", "changed": "changed"}
    word = words[diff.status]
    if diff.status == "renamed":
        word = f"renamed to {diff.new_name}"
    if diff.is_breaking and diff.status in ("changed", "renamed"):
        return f"{word}, breaking" if diff.status == "renamed" else "breaking"
    return word if diff.status != "changed" else "compatible"


def version_warning(diff: ProductDiff) -> str | None:
    """Return the call-out for a breaking change without a major version bump, if due."""
    if diff.version_check == "not_bumped":
        shown = f"{diff.old_version} -> {diff.new_version or 'none'}"
        return (
            f"breaking change without a major version bump: metadata.version {shown}; "
            f"expected {diff.expected_version} or later."
        )
    if diff.version_check == "undeclared":
        return "breaking change, and the product declares no metadata.version to bump."
    return None


def verdict(report: ImpactReport, allow_breaking: bool) -> str:
    """Return the closing sentence: what the exit status will be and why."""
    if not report.is_breaking:
        return "No breaking changes."
    count = plural(report.diff.breaking_count, "breaking change")
    if allow_breaking:
        return f"{count}, accepted with --allow-breaking."
    return f"{count}: tell the affected teams, bump the major version, or pass --allow-breaking."
