"""Interactive pieces of the lessons (ipywidgets 8).

Each widget keeps its logic in a plain function that tests call without a browser; the widget
only wires controls to it and redraws.

* `CellBuilder` (lesson 02): six dropdowns, one per NAS-Bench-201 edge; the cell is redrawn and
  its parameters and FLOPs are recomputed as the student changes an op.
"""

from __future__ import annotations

from .hardware import count_flops, count_params
from .models import NB201Network
from .spaces import NB201Space

__all__ = ["cell_summary", "CellBuilder"]


def cell_summary(arch, C: int = 8, N: int = 1, input_shape: tuple[int, ...] = (1, 40),
                 num_classes: int = 10, reduction: str = "cheap") -> dict:
    """What the cell builder shows for `arch`: arch string, canonical form, whether the cell
    has an input->output path, and the params/FLOPs of the network built from it."""
    space = NB201Space()
    a = space.to_arch(arch)
    net = NB201Network(a, C, N, num_classes, input_shape[0], len(input_shape) - 1, reduction)
    canon = space.canonical(a)
    return {"arch": space.format(a), "canonical": space.format(canon),
            "is_canonical": canon == a, "has_path": space.has_path(a),
            "params": count_params(net), "flops": count_flops(net, input_shape)}


class CellBuilder:
    """Six dropdowns (one per edge) that redraw an NB201 cell and report its cost."""

    def __init__(self, arch=("nor_conv_3x3",) * 6, **network_kwargs) -> None:
        import ipywidgets as W

        space = NB201Space()
        a = space.to_arch(arch)
        self.network_kwargs = network_kwargs
        self.dropdowns = [
            W.Dropdown(options=list(space.OPS), value=op, description=f"{i}→{j}",
                       layout=W.Layout(width="230px"))
            for (j, i), op in zip(space.EDGES, a)]
        self.info = W.HTML()
        self.plot = W.Output()
        for d in self.dropdowns:
            d.observe(lambda _: self.update(), names="value")
        self.widget = W.HBox([W.VBox([*self.dropdowns, self.info]), self.plot])
        self.update()

    @property
    def arch(self) -> tuple:
        return tuple(d.value for d in self.dropdowns)

    def update(self) -> dict:
        import matplotlib.pyplot as plt

        from .viz import draw_nb201_cell

        s = cell_summary(self.arch, **self.network_kwargs)
        note = "" if s["has_path"] else "<br><b>no input→output path: the cell outputs zeros</b>"
        canon = "" if s["is_canonical"] else f"<br>isomorphic to <code>{s['canonical']}</code>"
        self.info.value = (f"<code>{s['arch']}</code><br>params: {s['params']:,} &nbsp; "
                           f"FLOPs: {s['flops']:,}{canon}{note}")
        with self.plot:
            self.plot.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(6, 2.6))
            draw_nb201_cell(self.arch, ax=ax)
            plt.show()
        self.summary = s
        return s

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
