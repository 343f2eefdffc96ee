"""The impact report for a terminal: styled with rich, readable without colour."""

from __future__ import annotations

from rich.text import Text

from mesh_dagster.governance.impact_words import (
    status_word,
    summary_line,
    verdict,
    version_warning,
)
from mesh_dagster.spec.diff_types import SpecChange
from mesh_dagster.spec.impact import ImpactReport, ProductImpact


def _change_line(text: Text, change: SpecChange) -> None:
    if change.breaking:
        text.append("  breaking    ", style="bold red")
    else:
        text.append("  compatible  ", style="green")
    if change.field:
        text.append(f"{change.field}: ", style="cyan")
    text.append(f"{change.message}\n")


def _affected(text: Text, impact: ProductImpact) -> None:
    if impact.consumers:
        text.append(f"  Affected consumers ({len(impact.consumers)}):\n", style="bold")
        for consumer in impact.consumers:
            text.append(f"    - {consumer.team}", style="bold")
            text.append(f": {consumer.use_case}")
            text.append(f" <{consumer.contact}>\n" if consumer.contact else "\n")
    if impact.downstream:
        count = len(impact.downstream)
        text.append(f"  Affected downstream products ({count}):\n", style="bold")
        for product in impact.downstream:
            text.append(f"    - {product.name}", style="bold")
            text.append(f" ({product.domain}) reads {product.via}; ")
            text.append(f"owner {product.owner}, steward {product.steward}")
            consumers = ", ".join(product.consumers)
            text.append(f"; consumers: {consumers}\n" if consumers else "\n")
    if impact.diff.is_breaking and not impact.consumers and not impact.downstream:
        text.append("  No declared consumers or downstream products.\n", style="dim")


def _product(text: Text, impact: ProductImpact) -> None:
    diff = impact.diff
    text.append("\n")
    text.append(diff.name, style="bold")
    text.append(f" ({diff.domain}) ")
    text.append(status_word(diff).upper(), style="bold red" if diff.is_breaking else "green")
    text.append(f"\n  owner {impact.owner}, steward {impact.steward}\n", style="dim")
    warning = version_warning(diff)
    if warning:
        text.append(f"  {warning}\n", style="yellow")
    for change in diff.changes:
        _change_line(text, change)
    _affected(text, impact)


def render_impact_text(report: ImpactReport, base: str, allow_breaking: bool = False) -> Text:
    """Return the report as styled text for a terminal (``Text.plain`` for no colour)."""
    text = Text()
    text.append("mesh impact", style="bold")
    text.append(f": specs at {base} -> working tree\n")
    text.append(summary_line(report) + "\n")
    for impact in report.products:
        _product(text, impact)
    if report.products:
        text.append("\n")
    breaking = report.is_breaking and not allow_breaking
    text.append(verdict(report, allow_breaking), style="bold red" if breaking else "bold green")
    text.append("\n")
    return text
