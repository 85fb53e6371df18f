"""Drawing cells as graphs: nodes where the cell's tensors are, edges coloured and labelled by
operation, every label readable.

A NAS-Bench-201 cell (Dong & Yang, ICLR 2020, Fig. 1) has its four nodes in a row: edges
between neighbours are straight, two-step edges arc above, the input-to-output edge below. A
DARTS cell (Liu et al., ICLR 2019, Fig. 1 and 4) has its two inputs on the left, the
intermediate nodes in a zig-zag, the output on the right; nodes carry the indices the genotype
uses (0 and 1 are the inputs c_{k-2} and c_{k-1}, 2.. the intermediate nodes). Labels sit at
the middle of their arc on a white box, so crossing edges do not hide them.

A Once-for-All subnet (`draw_subnet`) is a chain of inverted-residual blocks: one box per
block slot, grouped by stage, its height the expand ratio, its colour the kernel size; the
slots beyond a stage's depth are drawn dashed and empty.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch

from .spaces import ArchLike, DARTSSpace, NB201Space

__all__ = ["OP_COLORS", "OP_LABELS", "KERNEL_COLORS", "draw_graph", "draw_nb201_cell",
           "draw_darts_cell", "draw_subnet"]

OP_COLORS = {
    "none": "#9a9a9a", "skip_connect": "#4c72b0", "avg_pool_3x3": "#55a868",
    "max_pool_3x3": "#8172b2", "nor_conv_1x1": "#dd8452", "nor_conv_3x3": "#c44e52",
    "nor_conv_5x5": "#937860", "sep_conv_3x3": "#da8bc3", "sep_conv_5x5": "#8c613c",
    "dil_conv_3x3": "#64b5cd", "dil_conv_5x5": "#ccb974", "concat": "#444444",
}
#: short names that fit on an edge
OP_LABELS = {
    "none": "none", "skip_connect": "skip", "avg_pool_3x3": "avg pool",
    "max_pool_3x3": "max pool", "nor_conv_1x1": "conv 1×1", "nor_conv_3x3": "conv 3×3",
    "nor_conv_5x5": "conv 5×5", "sep_conv_3x3": "sep 3×3", "sep_conv_5x5": "sep 5×5",
    "dil_conv_3x3": "dil 3×3", "dil_conv_5x5": "dil 5×5", "concat": "",
}

#: one colour per depthwise kernel size of a Once-for-All block
KERNEL_COLORS = {3: "#8fbbd9", 5: "#4c72b0", 7: "#1f3d73"}


def _bezier(p0, p1, rad: float, t: float) -> tuple[float, float]:
    """The point at parameter t of the quadratic Bezier curve that matplotlib's arc3 draws."""
    (x0, y0), (x1, y1) = p0, p1
    cx = (x0 + x1) / 2 + rad * (y1 - y0)
    cy = (y0 + y1) / 2 - rad * (x1 - x0)
    return ((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1,
            (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1)


def draw_graph(nodes: list[tuple[str, tuple[float, float]]],
               edges: list[tuple[int, int, str, float]], ax=None, title: str | None = None,
               fontsize: float = 8.0):
    """Draw `nodes` (label, (x, y)) and `edges` (src, dst, op, curvature) as coloured arcs,
    each labelled with its op's short name on the arc — at its middle, or moved along it
    where another label or a node is already there; `none` edges are dotted."""
    xs = [p[0] for _, p in nodes]
    ys = [p[1] for _, p in nodes]
    if ax is None:
        _, ax = plt.subplots(figsize=(1.9 * (max(xs) - min(xs)) + 2,
                                      1.3 * (max(ys) - min(ys)) + 2.2))
    taken = [p for _, p in nodes]  # where labels must not go
    lows, highs = [min(ys)], [max(ys)]
    for src, dst, op, rad in edges:
        p0, p1 = nodes[src][1], nodes[dst][1]
        color = OP_COLORS.get(op, "black")
        ax.add_patch(FancyArrowPatch(p0, p1, connectionstyle=f"arc3,rad={rad}",
                                     arrowstyle="-|>", mutation_scale=11, shrinkA=15,
                                     shrinkB=15, color=color, lw=1.8 if op != "concat" else 1,
                                     linestyle=":" if op == "none" else "-", zorder=1))
        mid = _bezier(p0, p1, rad, 0.5)
        lows.append(mid[1])
        highs.append(mid[1])
        label = OP_LABELS.get(op, op)
        if not label:
            continue
        spots = [_bezier(p0, p1, rad, t) for t in (0.5, 0.35, 0.65, 0.25, 0.75, 0.42, 0.58)]
        free = [q for q in spots
                if all(abs(q[0] - x) > 0.75 or abs(q[1] - y) > 0.28 for x, y in taken)]
        x, y = (free or spots)[0]
        taken.append((x, y))
        ax.text(x, y, label, ha="center", va="center", fontsize=fontsize, color=color,
                zorder=3, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none",
                                    alpha=0.9))
    for label, (x, y) in nodes:
        ax.scatter([x], [y], s=700, color="white", edgecolor="black", zorder=4)
        ax.text(x, y, label, ha="center", va="center", fontsize=fontsize + 1, zorder=5)
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(lows) - 0.5, max(highs) + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize + 1)
    return ax


def draw_nb201_cell(arch: ArchLike, ax=None, title: str | None = None):
    """Draw a NAS-Bench-201 cell (arch string, tuple or nested form); the title defaults to
    the arch string."""
    space = NB201Space()
    a = space.to_arch(arch)
    nodes = [("in", (0.0, 0.0)), ("1", (2.0, 0.0)), ("2", (4.0, 0.0)), ("out", (6.0, 0.0))]
    curvature = {1: 0.0, 2: -0.45, 3: 0.35}  # straight; two steps: above; in to out: below
    edges = [(i, j, op, curvature[j - i]) for (j, i), op in zip(space.EDGES, a)]
    if title is None:  # the arch string, one node per line
        title = "\n".join("|" + t.strip("|") + "|" for t in space.format(a).split("+"))
    return draw_graph(nodes, edges, ax, title)


def draw_darts_cell(cell, concat=None, ax=None, title: str | None = None):
    """Draw a DARTS cell given as (op, input) pairs, two per intermediate node; node labels
    are the indices the genotype uses (0, 1: the cell's inputs c_{k-2}, c_{k-1})."""
    n = len(cell) // 2
    cell = DARTSSpace(n, sorted({op for op, _ in cell})).validate(cell)
    concat = list(range(2, n + 2)) if concat is None else list(concat)
    nodes = [("0\n$c_{k-2}$", (0.0, 1.6)), ("1\n$c_{k-1}$", (0.0, -1.6))]
    nodes += [(str(i + 2), (2.2 + 2.0 * i, 0.9 if i % 2 == 0 else -0.9)) for i in range(n)]
    nodes.append(("$c_k$", (2.2 + 2.0 * n + 0.4, 0.0)))
    edges = []
    for k, (op, j) in enumerate(cell):
        dst = 2 + k // 2
        (x0, y0), (x1, y1) = nodes[j][1], nodes[dst][1]
        hops = abs(x1 - x0) / 2.0
        # long edges bow away from the row of nodes: up above the middle line, down below
        rad = 0.0 if hops <= 1.2 else (0.15 + 0.08 * hops) * (-1 if y0 + y1 >= 0 else 1)
        edges.append((j, dst, op, rad))
    edges += [(i, n + 2, "concat", 0.0) for i in concat]
    return draw_graph(nodes, edges, ax, title, fontsize=7.5)


def draw_subnet(config, space, ax=None, title: str | None = None):
    """Draw a Once-for-All subnet (`ofa.SubnetConfig` of `ofa.ElasticSpace` `space`): per
    stage its `max_depth` block slots left to right; a used slot is a box whose height is
    the expand ratio and whose colour is the kernel size, labelled 'k5 e4'; unused slots are
    dashed outlines."""
    from matplotlib.patches import Patch, Rectangle

    space.validate(config)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.75 * space.slots, 2.2))
    top = max(space.expands)
    used = {(s, b): (k, e) for s, b, k, e in config.active(space.max_depth)}
    for s in range(space.n_stages):
        for b in range(space.max_depth):
            x = s * (space.max_depth + 0.6) + b
            if (s, b) in used:
                k, e = used[(s, b)]
                h = e / top
                ax.add_patch(Rectangle((x, (1 - h) / 2), 0.85, h, color=KERNEL_COLORS.get(k, "k")))
                ax.text(x + 0.425, 0.5, f"k{k}\ne{e}", ha="center", va="center", fontsize=8,
                        color="white" if k != 3 else "black")
            else:
                ax.add_patch(Rectangle((x, 0.3), 0.85, 0.4, fill=False, ls="--", color="#999999"))
        ax.text(s * (space.max_depth + 0.6) + space.max_depth / 2 - 0.1, -0.12,
                f"stage {s + 1}: depth {config.depths[s]}", ha="center", va="top", fontsize=8)
    ax.set_xlim(-0.2, space.n_stages * (space.max_depth + 0.6) - 0.5)
    ax.set_ylim(-0.3, 1.05)
    ax.axis("off")
    ax.legend(handles=[Patch(color=c, label=f"kernel {k}") for k, c in KERNEL_COLORS.items()
                       if k in space.kernels], loc="upper left", bbox_to_anchor=(1.0, 1.0),
              fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=9)
    return ax
