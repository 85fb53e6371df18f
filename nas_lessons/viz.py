"""Drawing: cells as DAGs (nodes, edges coloured and labelled by operation).

Pure matplotlib, no graphviz: nodes sit left to right in topological order and edges are
arcs, so every edge of a NAS-Bench-201 or DARTS cell stays visible.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch

from .spaces import ArchLike, DARTSSpace, NB201Space

__all__ = ["OP_COLORS", "draw_nb201_cell", "draw_darts_cell", "draw_graph"]

OP_COLORS = {
    "none": "#bbbbbb", "skip_connect": "#4c72b0", "avg_pool_3x3": "#55a868",
    "max_pool_3x3": "#8172b2", "nor_conv_1x1": "#dd8452", "nor_conv_3x3": "#c44e52",
    "nor_conv_5x5": "#937860",
    "sep_conv_3x3": "#da8bc3", "sep_conv_5x5": "#8c613c", "dil_conv_3x3": "#64b5cd",
    "dil_conv_5x5": "#ccb974", "concat": "#444444",
}


def draw_graph(nodes: list[str], edges: list[tuple[int, int, str]], ax=None,
               title: str | None = None):
    """Draw labelled nodes left to right and (src, dst, op) edges as coloured arcs."""
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * len(nodes) + 1, 2.6))
    xs = list(range(len(nodes)))
    for x, label in zip(xs, nodes):
        ax.scatter([x], [0], s=900, color="white", edgecolor="black", zorder=3)
        ax.text(x, 0, label, ha="center", va="center", fontsize=9, zorder=4)
    for src, dst, op in edges:
        span = dst - src
        rad = 0.0 if span == 1 else -0.25 - 0.08 * span
        style = ":" if op == "none" else "-"
        arrow = FancyArrowPatch((src, 0), (dst, 0), connectionstyle=f"arc3,rad={rad}",
                                arrowstyle="-|>", mutation_scale=12, shrinkA=14, shrinkB=14,
                                color=OP_COLORS.get(op, "black"), lw=2, linestyle=style)
        ax.add_patch(arrow)
        ymid = -rad * span / 2 if span > 1 else 0.08
        ax.text((src + dst) / 2, ymid, op, ha="center", va="bottom", fontsize=7,
                color=OP_COLORS.get(op, "black"))
    ax.set_xlim(-0.6, len(nodes) - 0.4)
    ax.set_ylim(-0.4, 0.35 + 0.2 * len(nodes))
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def draw_nb201_cell(arch: ArchLike, ax=None, title: str | None = None):
    """Draw a NAS-Bench-201 cell (arch string, tuple or genotype)."""
    space = NB201Space()
    a = space.to_arch(arch)
    edges = [(i, j, op) for (j, i), op in zip(space.EDGES, a)]
    return draw_graph(["in", "1", "2", "out"], edges, ax,
                      title if title is not None else space.format(a))


def draw_darts_cell(cell, concat=None, ax=None, title: str | None = None):
    """Draw a DARTS cell: inputs c_{k-2}, c_{k-1}, intermediate nodes, concat output."""
    n = len(cell) // 2
    cell = DARTSSpace(n, sorted({op for op, _ in cell})).validate(cell)
    concat = list(range(2, n + 2)) if concat is None else list(concat)
    nodes = ["c_{k-2}", "c_{k-1}", *[str(i) for i in range(n)], "c_{k}"]
    edges = [(j, 2 + k // 2, op) for k, (op, j) in enumerate(cell)]
    edges += [(i, n + 2, "concat") for i in concat]
    return draw_graph(nodes, edges, ax, title)
