"""The impact report as GitHub-flavoured Markdown, ready for a pull-request comment."""

from __future__ import annotations

from mesh_dagster.docs.markdown_syntax import md_code, md_escape, md_table
from mesh_dagster.governance.impact_words import (
    plural,
    status_word,
    summary_line,
    verdict,
    version_warning,
)
from mesh_dagster.spec.impact import ImpactReport, ProductImpact

MARKER = "<!-- mesh-impact -->"
"""First line of the comment, so a bot can find and update its earlier comment."""


def _product(impact: ProductImpact) -> list[str]:
    diff = impact.diff
    lines = [
        f"### {md_code(diff.name)} ({md_escape(diff.domain)}): {md_escape(status_word(diff))}",
        "",
        f"Owner {md_code(impact.owner)}, steward {md_escape(impact.steward)}.",
        "",
    ]
    warning = version_warning(diff)
    if warning:
        lines += ["> [!WARNING]", f"> {md_escape(warning[0].upper() + warning[1:])}", ""]
    rows = [
        [
            "**breaking**" if change.breaking else "compatible",
            md_escape(change.message),
            md_code(change.field or None),
            md_code(change.old),
            md_code(change.new),
        ]
        for change in diff.changes
    ]
    lines += [*md_table(["", "Change", "Field", "Before", "After"], rows), ""]
    if impact.consumers:
        rows = [
            [md_escape(c.team), md_escape(c.use_case), md_escape(c.contact or "")]
            for c in impact.consumers
        ]
        lines += [
            f"**Affected consumers ({len(impact.consumers)})**",
            "",
            *md_table(["Team", "Use case", "Contact"], rows),
            "",
        ]
    if impact.downstream:
        rows = [
            [
                md_code(p.name),
                md_escape(p.domain),
                md_code(p.via),
                md_code(p.owner),
                md_escape(p.steward),
                md_escape(", ".join(p.consumers)),
            ]
            for p in impact.downstream
        ]
        lines += [
            f"**Affected downstream products ({len(impact.downstream)})**",
            "",
            *md_table(["Product", "Domain", "Reads", "Owner", "Steward", "Consumers"], rows),
            "",
        ]
    if diff.is_breaking and not impact.consumers and not impact.downstream:
        lines += ["No declared consumers or downstream products.", ""]
    return lines


def render_impact_markdown(report: ImpactReport, base: str, allow_breaking: bool = False) -> str:
    """Return the report as a Markdown document ending with a newline."""
    diff = report.diff
    breaking = [product for product in diff.products if product.is_breaking]
    title = (
        f"{plural(diff.breaking_count, 'breaking change')} in {plural(len(breaking), 'product')}"
        if breaking
        else "no breaking changes"
    )
    lines = [
        MARKER,
        f"## Data product impact: {title}",
        "",
        f"Specs at {md_code(base)} compared with this change. {md_escape(summary_line(report))}",
        "",
    ]
    for impact in report.products:
        lines += _product(impact)
    lines.append(f"**{md_escape(verdict(report, allow_breaking))}**")
    return "\n".join(lines) + "\n"
