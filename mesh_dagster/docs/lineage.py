"""Lineage graphs laid out in layers (inputs left, readers right) and drawn as inline SVG."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Literal

from mesh_dagster.spec.graph import readers_of, upstream_products
from mesh_dagster.spec.models import DataProduct

NODE_WIDTH = 184
NODE_HEIGHT = 44
LAYER_GAP = 64
ROW_GAP = 20
MARGIN = 12
_LABEL_CHARS = 24

NodeKind = Literal["product", "source"]


@dataclass(frozen=True)
class LineageNode:
    """A box of the graph: a product (linked to its page) or an external source."""

    id: str
    label: str
    detail: str
    kind: NodeKind
    x: int
    y: int
    focus: bool = False


@dataclass(frozen=True)
class LineageEdge:
    """An edge from an upstream node to a reader.

    An edge that skips layers passes through a free slot of each layer in between, so it
    never runs behind a box: ``waypoints`` are those slots' left-middle points.
    """

    source: str
    target: str
    waypoints: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class LineageLayout:
    """Positioned nodes, edges and the drawing's size."""

    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...]
    width: int
    height: int


def _reach(start: str, step: Callable[[str], list[str]]) -> set[str]:
    seen: set[str] = set()
    frontier = [start]
    while frontier:
        for following in step(frontier.pop()):
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    return seen


def lineage_of(
    products: Mapping[str, DataProduct], focus: str | None = None
) -> tuple[dict[str, tuple[str, str, NodeKind]], list[tuple[str, str]]]:
    """Return the nodes (id -> label, detail, kind) and edges of a lineage graph.

    With ``focus``: the product, everything upstream and downstream of it, transitively, and
    its external sources. Without: every product of the mesh.
    """
    if focus is None:
        names = set(products)
    else:
        readers = readers_of(products)
        ups = _reach(focus, lambda name: [u for u in upstream_products(products[name])])
        downs = _reach(focus, lambda name: readers.get(name, []))
        names = {focus} | ups | downs
    nodes: dict[str, tuple[str, str, NodeKind]] = {
        name: (name, products[name].domain, "product") for name in names
    }
    edges = [
        (upstream, name)
        for name in sorted(names)
        for upstream in upstream_products(products[name])
        if upstream in names
    ]
    if focus is not None:
        for item in products[focus].spec.inputs:
            if item.source is not None:
                node = f"source:{item.source.name}"
                nodes[node] = (item.source.name, f"source ({item.source.format})", "source")
                edges.append((node, focus))
    return nodes, sorted(set(edges))


def _layers(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Return each node's layer: the length of the longest input path leading to it."""
    inputs: dict[str, list[str]] = {node: [] for node in nodes}
    for upstream, downstream in edges:
        inputs[downstream].append(upstream)
    layer: dict[str, int] = {}

    def depth(node: str, path: frozenset[str]) -> int:
        if node not in layer:
            ups = [u for u in inputs[node] if u not in path]  # a cycle cannot loop forever
            layer[node] = max((depth(u, path | {node}) + 1 for u in ups), default=0)
        return layer[node]

    for node in nodes:
        depth(node, frozenset())
    return layer


def _order(
    layers: dict[str, int], edges: list[tuple[str, str]], key: Callable[[str], tuple[str, ...]]
) -> list[list[str]]:
    """Return the nodes of each layer, ordered to keep edges short (barycentre heuristic)."""
    count = max(layers.values(), default=-1) + 1
    rows = [
        sorted((n for n, at in layers.items() if at == index), key=key) for index in range(count)
    ]
    inputs: dict[str, list[str]] = {}
    for upstream, downstream in edges:
        inputs.setdefault(downstream, []).append(upstream)
    for index in range(1, count):
        position = {node: place for row in rows[:index] for place, node in enumerate(row)}
        centre: dict[str, float] = {}
        for node in rows[index]:
            ups = [position[u] for u in inputs.get(node, []) if u in position]
            centre[node] = sum(ups) / len(ups) if ups else float("inf")
        rows[index] = sorted(rows[index], key=lambda node: (centre[node], key(node)))
    return rows


def _with_slots(
    layers: dict[str, int], edges: list[tuple[str, str]]
) -> tuple[dict[str, int], list[tuple[str, str]], dict[tuple[str, str], list[str]]]:
    """Return layers and edges with a slot node in each layer a long edge skips.

    Slot ids start with a NUL character, which no product or source name holds.
    """
    layers = dict(layers)
    short: list[tuple[str, str]] = []
    slots: dict[tuple[str, str], list[str]] = {}
    for upstream, downstream in edges:
        chain = [upstream]
        for layer in range(layers[upstream] + 1, layers[downstream]):
            slot = f"\0{upstream}\0{downstream}\0{layer}"
            layers[slot] = layer
            chain.append(slot)
        chain.append(downstream)
        slots[(upstream, downstream)] = chain[1:-1]
        short += list(itertools.pairwise(chain))
    return layers, short, slots


def layout_lineage(
    nodes: Mapping[str, tuple[str, str, NodeKind]],
    edges: list[tuple[str, str]],
    focus: str | None = None,
) -> LineageLayout:
    """Return the graph laid out left to right, one column per layer, rows centred."""
    layers, short, slots = _with_slots(_layers(sorted(nodes), edges), edges)

    def key(node: str) -> tuple[str, ...]:
        # Slots sort after the boxes of their layer unless their inputs pull them up.
        return (nodes[node][1], nodes[node][0]) if node in nodes else ("\uffff", node)

    rows = _order(layers, short, key)
    tallest = max((len(row) for row in rows), default=0)
    height = MARGIN * 2 + tallest * NODE_HEIGHT + max(tallest - 1, 0) * ROW_GAP
    width = MARGIN * 2 + len(rows) * NODE_WIDTH + max(len(rows) - 1, 0) * LAYER_GAP
    position: dict[str, tuple[int, int]] = {}
    for column, row in enumerate(rows):
        used = len(row) * NODE_HEIGHT + max(len(row) - 1, 0) * ROW_GAP
        top = MARGIN + (height - 2 * MARGIN - used) // 2
        for place, node in enumerate(row):
            position[node] = (
                MARGIN + column * (NODE_WIDTH + LAYER_GAP),
                top + place * (NODE_HEIGHT + ROW_GAP),
            )
    placed = tuple(
        LineageNode(node, label, detail, kind, *position[node], focus=node == focus)
        for node, (label, detail, kind) in sorted(nodes.items(), key=lambda item: position[item[0]])
    )
    laid = tuple(
        LineageEdge(
            upstream,
            downstream,
            tuple(
                (position[slot][0], position[slot][1] + NODE_HEIGHT // 2)
                for slot in slots[(upstream, downstream)]
            ),
        )
        for upstream, downstream in edges
    )
    return LineageLayout(placed, laid, width, height)


def _edge_path(edge: LineageEdge, where: Mapping[str, LineageNode]) -> str:
    start, end = where[edge.source], where[edge.target]
    x, y = start.x + NODE_WIDTH, start.y + NODE_HEIGHT // 2
    bend = LAYER_GAP // 2
    path = f"M{x} {y}"
    for left, middle in edge.waypoints:
        path += f" C{x + bend} {y} {left - bend} {middle} {left} {middle} H{left + NODE_WIDTH}"
        x, y = left + NODE_WIDTH, middle
    end_x, end_y = end.x - 6, end.y + NODE_HEIGHT // 2
    return path + f" C{x + bend} {y} {end_x - bend + 6} {end_y} {end_x} {end_y}"


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def render_lineage_svg(
    layout: LineageLayout, title: str, link: Callable[[LineageNode], str | None]
) -> str:
    """Return the layout as an inline ``<svg>`` element; ``link`` gives each node's href."""
    where = {node.id: node for node in layout.nodes}
    parts = [
        f'<svg class="lineage" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{layout.width}" height="{layout.height}" '
        f'viewBox="0 0 {layout.width} {layout.height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for edge in layout.edges:
        end = where[edge.target]
        x2, y2 = end.x, end.y + NODE_HEIGHT // 2
        parts.append(
            f'<path class="edge" d="{_edge_path(edge, where)}"'
            f' data-from="{escape(edge.source)}" data-to="{escape(edge.target)}"/>'
            f'<path class="arrow" d="M{x2 - 7} {y2 - 4} L{x2} {y2} L{x2 - 7} {y2 + 4} Z"/>'
        )
    for node in layout.nodes:
        classes = " ".join(["node", node.kind, *(["focus"] if node.focus else [])])
        box = (
            f'<g class="{classes}" data-node="{escape(node.id)}">'
            f"<title>{escape(node.label)} ({escape(node.detail)})</title>"
            f'<rect x="{node.x}" y="{node.y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" '
            f'rx="6"/>'
            f'<text class="label" x="{node.x + 10}" y="{node.y + 19}">'
            f"{escape(_short(node.label))}</text>"
            f'<text class="detail" x="{node.x + 10}" y="{node.y + 35}">'
            f"{escape(_short(node.detail))}</text></g>"
        )
        href = link(node)
        parts.append(f'<a href="{escape(href)}">{box}</a>' if href else box)
    parts.append("</svg>")
    return "".join(parts)
