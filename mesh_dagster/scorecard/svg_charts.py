"""Inline SVG charts: lines over the window's days, and a heatmap of outcomes by day.

Plain strings, no script and no external resource, so a report opens anywhere (and under
a strict Content-Security-Policy). Each mark carries a ``<title>``: hovering shows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from html import escape

from mesh_dagster.scorecard.timeline import DayOutcomes, Series

WIDTH = 1040
PALETTE = (
    "#2e90fa",
    "#ee46bc",
    "#15b79e",
    "#875bf7",
    "#ef6820",
    "#66c61c",
    "#6172f3",
    "#e31b54",
    "#0e9384",
    "#a15c07",
)
HIGHLIGHT = "#1f2430"
OUTCOME_COLORS = {"on_time": "#32d583", "late": "#fdb022", "missed": "#f04438", None: "#eaecf0"}
OUTCOME_WORDS = {"on_time": "on time", "late": "late", "missed": "missed", None: "nothing due"}


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def nice_scale(low: float, high: float, most: int = 5) -> tuple[float, float, float]:
    """Return ``(low, high, step)`` widened to round steps, with at most ``most`` steps."""
    span = max(high - low, 1e-9)
    for step in (0.001, 0.0025, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20):
        bottom, top = math.floor(low / step) * step, math.ceil(high / step) * step
        if (top - bottom) / step <= most + 1e-9:
            return bottom, top, step
    step = 10 ** math.ceil(math.log10(span / most))
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _day_labels(days: Sequence[date]) -> list[tuple[int, str]]:
    """Return (index, label) of the days worth a label: the first, and each month's first."""
    labels = [(0, f"{days[0]:%b} {days[0].day}")] if days else []
    for index, day in enumerate(days):
        if day.day == 1 and index > 3:
            labels.append((index, f"{day:%b} {day.day}"))
    return labels


def line_chart(
    title: str,
    series: Sequence[Series],
    days: Sequence[date],
    scale: tuple[float, float, float],
    label: Callable[[float], str],
    reference: tuple[float, str] | None = None,
    highlight: str | None = None,
) -> str:
    """Return an SVG chart of ``series`` over ``days`` on ``scale`` (low, high, tick step).

    ``reference`` draws a dashed line (a target, zero budget); ``highlight`` names the
    series drawn bold in ink (the domain's or the mesh's own).
    """
    left, right, top, bottom = 64, 190, 14, 30
    height = 230
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    low, high, step_y = scale
    span = high - low or 1.0
    step = plot_w / max(1, len(days) - 1)

    def x(index: int) -> float:
        return left + index * step

    def y(value: float) -> float:
        return top + (1 - (min(max(value, low), high) - low) / span) * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for tick in range(round(span / step_y) + 1):
        value = low + tick * step_y
        parts.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{_number(y(value))}" '
            f'y2="{_number(y(value))}"/><text class="axis" x="{left - 6}" '
            f'y="{_number(y(value) + 4)}" text-anchor="end">{escape(label(value))}</text>'
        )
    for index, text in _day_labels(days):
        parts.append(
            f'<text class="axis" x="{_number(x(index))}" y="{height - 10}" '
            f'text-anchor="middle">{escape(text)}</text>'
        )
    if reference is not None:
        level, name = reference
        parts.append(
            f'<line class="reference" x1="{left}" x2="{left + plot_w}" y1="{_number(y(level))}" '
            f'y2="{_number(y(level))}"><title>{escape(name)}</title></line>'
        )
    ordered = sorted(series, key=lambda item: item.name == highlight)  # highlight on top
    for index, item in enumerate(ordered):
        color = HIGHLIGHT if item.name == highlight else PALETTE[index % len(PALETTE)]
        width = 3 if item.name == highlight else 1.6
        path: list[str] = []
        pen_down = False
        for day, point in enumerate(item.values):
            if point is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{_number(x(day))} {_number(y(point))}")
            pen_down = True
        last = next((v for v in reversed(item.values) if v is not None), None)
        tip = f"{item.name}: {label(last)}" if last is not None else item.name
        parts.append(
            f'<path d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="{width}">'
            f"<title>{escape(tip)}</title></path>"
        )
        legend_y = top + 14 + index * 16
        parts.append(
            f'<rect x="{WIDTH - right + 14}" y="{legend_y - 9}" width="12" height="4" '
            f'fill="{color}"/><text class="legend" x="{WIDTH - right + 32}" y="{legend_y - 3}">'
            f"{escape(_short(item.name))} {escape(label(last) if last is not None else '–')}"
            "</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(name: str, limit: int = 20) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def heatmap(
    title: str, rows: Sequence[tuple[str, Sequence[DayOutcomes]]], days: Sequence[date]
) -> str:
    """Return an SVG grid: a row per name, a cell per day colored by its worst outcome."""
    left, top, row_h, gap = 170, 22, 18, 2
    cell_w = (WIDTH - left - 10) / max(1, len(days))
    height = top + len(rows) * row_h + 40
    parts = [
        f'<svg class="chart heatmap" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, text in _day_labels(days):
        anchor = "end" if index > len(days) - 5 else "start"  # keep the last one inside
        x = left + (index + 1) * cell_w if anchor == "end" else left + index * cell_w
        parts.append(
            f'<text class="axis" x="{_number(x)}" y="{top - 8}" text-anchor="{anchor}">'
            f"{escape(text)}</text>"
        )
    for row, (name, outcomes) in enumerate(rows):
        y = top + row * row_h
        parts.append(
            f'<text class="legend" x="{left - 8}" y="{y + row_h - 6}" text-anchor="end">'
            f"{escape(_short(name, 24))}</text>"
        )
        for column, day in enumerate(outcomes):
            worst = day.worst
            counts = f"{day.on_time} on time, {day.late} late, {day.missed} missed"
            tip = f"{name} · {day.day.isoformat()} · {OUTCOME_WORDS[worst]}"
            if day.due > 1:
                tip += f" ({counts})"
            parts.append(
                f'<rect x="{_number(left + column * cell_w)}" y="{y}" '
                f'width="{_number(max(cell_w - gap, 1))}" height="{row_h - gap}" '
                f'fill="{OUTCOME_COLORS[worst]}" data-status="{worst or "none"}">'
                f"<title>{escape(tip)}</title></rect>"
            )
    legend_y = top + len(rows) * row_h + 20
    x = left
    for status in ("on_time", "late", "missed", None):
        parts.append(
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" '
            f'fill="{OUTCOME_COLORS[status]}"/><text class="legend" x="{x + 18}" '
            f'y="{legend_y}">{OUTCOME_WORDS[status]}</text>'
        )
        x += 110
    parts.append("</svg>")
    return "".join(parts)
