"""The scorecard as one self-contained HTML file: tables, availability lines, budget, heatmaps.

Inline CSS and SVG only: no script, no font, no network; a Content-Security-Policy that
allows nothing else makes sure of it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import date
from html import escape

from mesh_dagster.scorecard.model import MeshScorecard, ProductScorecard, RollupScorecard
from mesh_dagster.scorecard.svg_charts import heatmap, line_chart, nice_scale
from mesh_dagster.scorecard.timeline import (
    DayOutcomes,
    Series,
    availability_so_far,
    budget_left_by_day,
    merge_outcomes,
    product_outcomes,
)
from mesh_dagster.scorecard.window import Window
from mesh_dagster.scorecard.words import (
    budget_left,
    duration,
    incident_counts,
    moment,
    percent,
    window_text,
)
from mesh_dagster.spec.mesh import Mesh

TITLE = "Data product scorecard"
STYLE = """
:root { --ink: #1f2430; --muted: #5b6475; --line: #d9dee7; --soft: #f4f5fb;
  --bad: #b42318; --ok: #067647; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #fff; }
header.top { padding: 14px 32px; background: var(--ink); color: #fff; }
header.top h1 { margin: 0; font-size: 22px; }
header.top p { margin: 2px 0 0; color: #c9cdd6; font-size: 14px; }
main { max-width: 1120px; margin: 0 auto; padding: 16px 32px 48px; }
h2 { margin: 32px 0 8px; font-size: 20px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
h3 { margin: 18px 0 4px; font-size: 15px; color: var(--muted); font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 14px; }
th, td { text-align: right; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { text-align: left; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
tr.total td { font-weight: 700; border-top: 2px solid var(--line); }
.good { color: var(--ok); }
.bad { color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 24px; font-weight: 700; }
.card .note { color: var(--muted); font-size: 12px; }
svg.chart { width: 100%; height: auto; display: block; margin: 4px 0 8px;
  border: 1px solid var(--line); border-radius: 8px; background: #fcfcfe; }
svg.chart text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg.chart text.legend { fill: var(--ink); }
svg.chart .grid { stroke: #eef0f4; stroke-width: 1; }
svg.chart .reference { stroke: var(--bad); stroke-width: 1.2; stroke-dasharray: 5 4; }
footer { color: var(--muted); font-size: 13px; max-width: 1120px; margin: 0 auto;
  padding: 0 32px 32px; }
"""


def _policy() -> str:
    digest = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'sha256-{digest}'"


def _availability_cell(card: ProductScorecard | RollupScorecard) -> str:
    share, budget = card.availability.share, card.budget
    css = ""
    if share is not None and budget is not None:
        css = ' class="good"' if share >= budget.target else ' class="bad"'
    return f"<td{css}>{percent(share)}</td>"


def _row(name: str, card: ProductScorecard | RollupScorecard, css: str = "") -> str:
    availability = card.availability
    cells = [
        f"<td>{escape(name)}</td>",
        *(f"<td>{n}</td>" for n in (availability.due, availability.on_time, availability.late)),
        f"<td>{availability.missed}</td>",
        f"<td>{availability.upstream}</td>",
        _availability_cell(card),
        f"<td>{percent(card.budget.target) if card.budget else '–'}</td>",
        f"<td>{escape(budget_left(card.budget))}</td>",
        f"<td>{percent(card.quality.score)}</td>",
        f"<td>{escape(incident_counts(card.incidents))}</td>",
        f"<td>{duration(card.incidents.mean_time_to_recover)}</td>",
    ]
    klass = f' class="{css}"' if css else ""
    return f"<tr{klass}>{''.join(cells)}</tr>"


def _table(first: str, rows: list[str]) -> str:
    heads = [first, "Due", "On time", "Late", "Missed", "Upstream", "Availability", "Target"]
    heads += ["Budget left", "Quality", "Incidents", "MTTR"]
    head = "".join(f"<th>{escape(text)}</th>" for text in heads)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>\n"


def _cards(card: RollupScorecard) -> str:
    budget = card.budget
    facts = [
        ("Availability", percent(card.availability.share), f"target {percent(budget.target)}"
         if budget else "no target"),
        ("Error budget left", budget_left(card.budget), f"{budget.used} misses of "
         f"{budget.periods:.2f} allowed" if budget else ""),
        ("Quality", percent(card.quality.score), f"{card.quality.pairs} rule checks"),
        ("Incidents", str(card.incidents.total), f"{card.incidents.open} still open"),
        ("Time to recover", duration(card.incidents.mean_time_to_recover), "mean"),
    ]  # fmt: skip
    items = "".join(
        f'<div class="card"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div><div class="note">{escape(note)}</div></div>'
        for label, value, note in facts
    )
    return f'<div class="cards">{items}</div>\n'


def _availability_scale(
    series: Sequence[Series], target: float | None
) -> tuple[float, float, float]:
    values = [v for item in series for v in item.values if v is not None]
    low = min([*values, *([target] if target is not None else []), 1.0])
    return nice_scale(min(max(0.0, 1 - (1 - low) * 1.1), 0.99), 1.0)


def _budget_scale(series: Sequence[Series]) -> tuple[float, float, float]:
    values = [v for item in series for v in item.values if v is not None] or [0.0]
    return nice_scale(min([*values, 0.0]), max([*values, 1.0]))


def _charts(
    name: str,
    rows: dict[str, list[DayOutcomes]],
    total: list[DayOutcomes],
    budgets: dict[str, float],
    target: float | None,
    days: Sequence[date],
) -> str:
    """Return the three pictures of a group: availability, budget burn-down, heatmap."""
    lines = [availability_so_far(key, outcomes) for key, outcomes in rows.items()]
    lines.append(availability_so_far(name, total))
    burn = [
        budget_left_by_day(key, outcomes, budgets[key])
        for key, outcomes in rows.items()
        if key in budgets
    ]
    burn.append(budget_left_by_day(name, total, sum(budgets.values())))
    return (
        "<h3>Availability since the window's start</h3>\n"
        + line_chart(
            f"Availability of {name} so far, by day",
            lines,
            days,
            _availability_scale(lines, target),
            lambda value: percent(value, 1),
            reference=(target, f"target {percent(target)}") if target is not None else None,
            highlight=name,
        )
        + "\n<h3>Error budget burn-down (periods that may still be missed)</h3>\n"
        + line_chart(
            f"Error budget of {name} left, by day",
            burn,
            days,
            _budget_scale(burn),
            lambda value: f"{value:.2f}".rstrip("0").rstrip("."),
            reference=(0.0, "budget used up"),
            highlight=name,
        )
        + "\n<h3>Periods by deadline day: on time, late, missed</h3>\n"
        + heatmap(f"Outcomes of {name} by day", list(rows.items()), days)
        + "\n"
    )


def _budgets(
    cards: Sequence[ProductScorecard | RollupScorecard], names: Sequence[str]
) -> dict[str, float]:
    return {
        name: card.budget.periods for name, card in zip(names, cards, strict=True) if card.budget
    }


def render_scorecard_html(card: MeshScorecard, mesh: Mesh) -> str:
    """Return the report: the mesh, then its domains, then each domain with its products."""
    days = Window(card.since, card.until).days()
    outcomes = product_outcomes(card.products, days)
    by_domain = {
        domain.name: {
            p.product: outcomes[p.product] for p in card.products if p.domain == domain.name
        }
        for domain in card.domains
    }
    domain_totals = {name: merge_outcomes(rows.values()) for name, rows in by_domain.items()}
    mesh_total = merge_outcomes(domain_totals.values()) if domain_totals else []
    body = [_cards(card.mesh), "<h2>Domains</h2>\n"]
    body.append(
        _table(
            "Domain", [_row(d.name, d) for d in card.domains] + [_row("mesh", card.mesh, "total")]
        )
    )
    domain_names = [domain.name for domain in card.domains]
    body.append(
        _charts(
            "mesh",
            domain_totals,
            mesh_total,
            _budgets(card.domains, domain_names),
            card.mesh.budget.target if card.mesh.budget else None,
            days,
        )
    )
    for domain in card.domains:
        members = [p for p in card.products if p.domain == domain.name]
        owners = sorted({mesh.product(p.product).metadata.owner for p in members})
        body.append(f'<h2 id="domain-{escape(domain.name)}">Domain {escape(domain.name)}</h2>\n')
        body.append(f"<p>Owned by {escape(', '.join(owners))}.</p>\n")
        rows = [_row(p.product, p) for p in members] + [_row("all", domain, "total")]
        body.append(_table("Product", rows))
        body.append(
            _charts(
                domain.name,
                by_domain[domain.name],
                domain_totals[domain.name],
                _budgets(members, [p.product for p in members]),
                domain.budget.target if domain.budget else None,
                days,
            )
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_policy()}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{TITLE} · {escape(window_text(card))}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
        f'<header class="top"><h1>{TITLE}</h1><p>{escape(window_text(card))}</p></header>\n'
        f"<main>\n{''.join(body)}</main>\n"
        "<footer>Generated by <code>mesh scorecard</code> from the Dagster instance's event "
        f"history, up to {escape(moment(card.until))}. Availability: share of due periods "
        "published by their deadline (late and missed count as misses). Upstream: misses "
        "caused by an input period not published by the deadline. Error budget: the "
        "misses the availability target allows, (1 − target) × due periods. Quality: share of "
        "(period, error rule) pairs whose last evaluation passed.</footer>\n"
        "</body>\n</html>\n"
    )
