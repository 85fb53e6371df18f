"""Interactive pieces of the lessons (ipywidgets 8).

Each widget keeps its logic in a plain function that tests call without a browser; the widget
only wires controls to it and redraws.

* `CellBuilder` (lesson 02): six dropdowns, one per NAS-Bench-201 edge; the cell is redrawn and
  its parameters and FLOPs are recomputed as the student changes an op.
* `ConstraintExplorer` (lesson 06): sliders for hardware limits and an accuracy floor, a
  latency source and a cost axis; the feasible architectures, their Pareto front, the best
  feasible cell and the cells whose feasibility depends on the latency source follow, and a
  button searches under the limits (logic: `explore`, `feasibility_disagreement`,
  `search_under_constraints`).
* `OFADeployer` (lesson 07): a latency target and a device; Once-for-All's search picks a
  subnet of the trained supernet for them, which is drawn, measured and placed on the
  device's accuracy-latency curve (logic: `ofa_deploy`).
"""

from __future__ import annotations

from .hardware import HardwareConstraints, count_flops, count_params
from .models import NB201Network
from .spaces import ArchLike, NB201Space

__all__ = ["cell_summary", "CellBuilder", "explore", "feasibility_disagreement",
           "search_under_constraints", "ConstraintExplorer", "ofa_deploy", "OFADeployer"]


def _set_range(slider, lo: float, hi: float, *, steps: int = 100) -> None:
    """Give `slider` the range [lo, hi] and its value hi, never letting max < min in between
    (ipywidgets raises TraitError): a range entirely above the current one needs its max set
    first, any other range its min first."""
    if lo > slider.max:
        slider.max, slider.min = hi, lo
    else:
        slider.min, slider.max = lo, hi
    slider.step = (hi - lo) / steps
    slider.value = hi


class _Shown:
    """Shows `self.widget` in Jupyter; where widgets cannot render (an untrusted notebook
    before its cells run, a static page) the text in its place says what to do instead of
    printing the widget's repr."""

    widget: object
    fallback = "an interactive widget: run this cell in Jupyter to open it"

    def _repr_mimebundle_(self, **kwargs) -> dict:
        data = self.widget._repr_mimebundle_(**kwargs)
        data["text/plain"] = self.fallback
        return data


#: pixels per inch of the widgets' pictures: their widest (10 in) fits a 1,366-px screen
DPI = 90
#: a picture keeps its own size (a flex box would stretch it) unless the screen is narrower
PICTURE = {"align_self": "flex-start", "max_width": "100%"}


def _figure(**kwargs):
    """A matplotlib figure outside pyplot: a widget's picture is never shown by the inline
    backend at the end of a cell, only through `_png`."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _png(fig) -> bytes:
    """`fig` as PNG bytes for an `Image` widget. The picture is the widget's state, so it is
    replaced in place, kept in a saved notebook, and never routed as an output (a figure
    shown from a callback can land in JupyterLab's log console instead of the widget)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def cell_summary(arch: ArchLike, *, C: int = 8, N: int = 1,
                 input_shape: tuple[int, ...] = (1, 40), num_classes: int = 10,
                 reduction: str = "cheap") -> dict:
    """What the cell builder shows for `arch`: arch string, canonical form, whether the cell
    has an input->output path, and the params/FLOPs of the network built from it."""
    space = NB201Space()
    a = space.to_arch(arch)
    net = NB201Network(a, C=C, N=N, num_classes=num_classes, in_channels=input_shape[0],
                       rank=len(input_shape) - 1, reduction=reduction)
    canon = space.canonical(a)
    return {"arch": space.format(a), "canonical": space.format(canon),
            "is_canonical": canon == a, "has_path": space.has_path(a),
            "params": count_params(net), "flops": count_flops(net, input_shape)}


class CellBuilder(_Shown):
    """Six dropdowns (one per edge) that redraw an NB201 cell and report its cost."""

    fallback = ("Cell builder (lesson 02): run this cell in Jupyter to pick an op per "
                "edge and see the network's parameters and FLOPs.")

    def __init__(self, arch: ArchLike = ("nor_conv_3x3",) * 6, **network_kwargs) -> None:
        import ipywidgets as W

        space = NB201Space()
        a = space.to_arch(arch)
        self.network_kwargs = network_kwargs
        self.dropdowns = [
            W.Dropdown(options=list(space.OPS), value=op, description=f"edge {i}→{j}",
                       style={"description_width": "70px"}, layout=W.Layout(width="250px"))
            for (j, i), op in zip(space.EDGES, a)]
        self.info = W.HTML()
        self.plot = W.Image(format="png", layout=PICTURE)
        for d in self.dropdowns:
            d.observe(lambda _: self.update(), names="value")
        # edges in a grid above a full-width drawing: fits a 1,366-px laptop screen
        grid = W.GridBox(self.dropdowns, layout=W.Layout(
            grid_template_columns="repeat(auto-fill, 250px)", grid_gap="2px 8px"))
        self.widget = W.VBox([grid, self.info, self.plot])
        self.update()

    @property
    def arch(self) -> tuple:
        return tuple(d.value for d in self.dropdowns)

    def update(self) -> dict:
        from .viz import draw_nb201_cell

        s = cell_summary(self.arch, **self.network_kwargs)
        note = "" if s["has_path"] else "<br><b>no input→output path: the cell outputs zeros</b>"
        canon = "" if s["is_canonical"] else f"<br>isomorphic to <code>{s['canonical']}</code>"
        self.info.value = (f"<div style='white-space: normal; overflow-wrap: anywhere'>"
                           f"<code>{s['arch']}</code><br>params: {s['params']:,} &nbsp; "
                           f"FLOPs: {s['flops']:,}{canon}{note}</div>")
        fig = _figure(figsize=(8, 2.8))
        draw_nb201_cell(self.arch, ax=fig.subplots())
        self.plot.value = _png(fig)
        self.summary = s
        return s



# ---- lesson 06: hardware constraint explorer ---------------------------------------------------
#: the width of each of the explorer's controls
WIDTH = "440px"
#: the cost axes the explorer can plot against accuracy, with their units
COST_AXES = {"latency_ms": "latency (ms)", "params": "parameters", "flops": "FLOPs",
             "memory_mb": "memory (MB)"}


def explore(metrics: dict, constraints: HardwareConstraints, *,
            min_accuracy: float | None = None, x: str = "latency_ms") -> dict:
    """The explorer's logic, without widgets. `metrics` maps 'accuracy', 'latency_ms',
    'params', 'flops' and optionally 'memory_mb' to arrays over the same archs (NaN where
    unknown); `constraints` is a `HardwareConstraints`, `min_accuracy` an accuracy floor (%).
    Returns the feasible mask, their count, the most accurate feasible arch (index), the
    Pareto front *of the feasible archs* over (accuracy, `x`) and a message; never raises for
    an infeasible setting."""
    import numpy as np

    from .multiobjective import pareto_front

    if x not in COST_AXES or x not in metrics:
        raise ValueError(f"x must be one of the metrics given: "
                         f"{', '.join(k for k in COST_AXES if k in metrics)}; got {x!r}")
    acc = np.asarray(metrics["accuracy"], dtype=float)
    known = np.isfinite(acc)
    given = {k: metrics[k] for k in ("latency_ms", "memory_mb", "params", "flops")
             if k in metrics}
    ok = known & constraints.feasible(**given)
    if min_accuracy is not None:
        ok = ok & (np.nan_to_num(acc, nan=-np.inf) >= min_accuracy)
    n = int(ok.sum())
    cost = np.asarray(metrics[x], dtype=float)
    idx = np.flatnonzero(ok & np.isfinite(cost))
    front = (idx[pareto_front(np.stack([acc[idx], cost[idx]], 1), ["max", "min"])]
             if len(idx) else idx)
    if n == 0:
        tight = list(constraints.excess(**given)) + (["min_accuracy"] if min_accuracy else [])
        return {"feasible": ok, "n_feasible": 0, "best": None, "front": front,
                "message": f"No architecture satisfies all limits ({', '.join(tight)}); "
                           "relax a slider."}
    best = int(np.flatnonzero(ok)[np.argmax(acc[ok])])
    lat = np.asarray(metrics["latency_ms"], dtype=float)
    return {"feasible": ok, "n_feasible": n, "best": best, "front": front,
            "message": f"{n:,} of {int(known.sum()):,} architectures feasible; best "
                       f"{acc[best]:.2f}% at {lat[best]:.3f} ms; {len(front)} on the "
                       "feasible front"}


def feasibility_disagreement(latency_a, latency_b, limit: float):
    """Archs that one latency source calls feasible under `limit` (ms) and the other does not
    (e.g. a lookup table's prediction vs a measurement): a boolean mask."""
    import numpy as np

    a, b = np.asarray(latency_a, dtype=float), np.asarray(latency_b, dtype=float)
    return np.isfinite(a) & np.isfinite(b) & ((a <= limit) != (b <= limit))


def search_under_constraints(archs: list, metrics: dict, constraints: HardwareConstraints, *,
                             min_accuracy: float | None = None, budget: int = 100,
                             seed: int = 0) -> dict:
    """Run two searches over the table `archs` × `metrics` (as in `explore`) under the
    explorer's limits: regularized evolution that rejects proposals breaking a hardware limit
    before evaluating them, and NSGA-II on (accuracy, latency) with every limit an Optuna
    constraint; `budget` evaluations each. Returns, per search, the most accurate cell it
    evaluated that meets every limit and the floor (index into `archs`, or None) and how
    many of its evaluations broke a limit; and the feasible oracle (`explore`'s best)."""
    import numpy as np

    from .benchmark import NotInBenchmark
    from .multiobjective import nsga2_search
    from .optuna_bridge import suggest_arch
    from .search import run_search
    from .spaces import NB201Space
    from .strategies import RegularizedEvolution

    space = NB201Space()
    row = {space.canonical(space.to_arch(a)): i for i, a in enumerate(archs)}
    acc = np.asarray(metrics["accuracy"], dtype=float)
    given = {k: np.asarray(metrics[k], dtype=float)
             for k in ("latency_ms", "memory_mb", "params", "flops") if k in metrics}

    def index(arch) -> int:
        i = row.get(space.canonical(arch))
        if i is None or not np.isfinite(acc[i]):
            raise NotInBenchmark(f"{space.format(arch)} has no accuracy in the table")
        return i

    def hardware_ok(arch) -> bool:
        i = row.get(space.canonical(arch))
        return i is None or bool(constraints.feasible(**{k: v[i] for k, v in given.items()}))

    explored = explore(metrics, constraints, min_accuracy=min_accuracy)
    ok = explored["feasible"]

    def result(evaluated: list[int]) -> dict:
        good = [i for i in evaluated if ok[i]]
        return {"best": max(good, key=lambda i: acc[i]) if good else None,
                "evaluations": len(evaluated),
                "infeasible_evaluations": sum(not ok[i] for i in evaluated)}

    re = RegularizedEvolution(seed=seed, feasible=hardware_ok)
    traj = run_search(re, lambda a: {"score": float(acc[index(a)]), "test_acc": float("nan"),
                                     "cost": 1.0}, budget)
    out = {"RE, rejection": {**result([index(a) for a in traj.archs]), "rejected": re.rejected}}

    def excess(i: int) -> dict[str, float]:
        return {k: float(np.nan_to_num(v, nan=np.inf))
                for k, v in constraints.excess(**{k: v[i] for k, v in given.items()}).items()}

    def evaluate(arch):
        i = index(arch)
        return float(acc[i]), float(given["latency_ms"][i])

    study = nsga2_search(evaluate, budget, seed=seed,
                         constraint=lambda arch: excess(index(arch)))
    done = [index(suggest_arch(t)) for t in study.trials if t.state.name == "COMPLETE"]
    out["NSGA-II"] = result(done)
    out["oracle"] = explored["best"]
    return out


class ConstraintExplorer(_Shown):
    """Constraint tuning over a table of architectures: sliders for latency, parameters,
    FLOPs and (if given) memory limits and an accuracy floor; a latency source (e.g. the
    benchmark's measurement or your lookup table); an axis to plot accuracy against. The
    feasible cells, their Pareto front, the best feasible cell (drawn) and the cells whose
    feasibility the latency sources disagree on are redrawn on every change; a button runs
    `search_under_constraints` and marks what each search found against the oracle."""

    fallback = ("Constraint explorer (lesson 06): run this cell in Jupyter to move the "
                "latency, parameter and FLOP limits and see the feasible cells.")

    def __init__(self, archs: list, accuracy, sources: dict, params, flops, memory=None, *,
                 budget: int = 100) -> None:
        import ipywidgets as W
        import numpy as np

        self.archs, self.acc = archs, np.asarray(accuracy, dtype=float)
        self.sources = {k: np.asarray(v, dtype=float) for k, v in sources.items()}
        self.params, self.flops = np.asarray(params, float), np.asarray(flops, float)
        self.memory = None if memory is None else np.asarray(memory, float)
        self.budget, self.searched = budget, None
        style = {"description_width": "160px"}

        def slider(desc, values, fmt, *, low=False):
            lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
            return W.FloatSlider(value=lo if low else hi, min=lo, max=hi, step=(hi - lo) / 100,
                                 description=desc, readout_format=fmt, continuous_update=False,
                                 style=style, layout=W.Layout(width=WIDTH))

        first = next(iter(self.sources.values()))
        self.source = W.Dropdown(options=list(self.sources), description="latency source",
                                 style=style, layout=W.Layout(width=WIDTH))
        self.latency = slider("max latency (ms)", first, ".3f")
        self.max_params = slider("max params (millions)", self.params / 1e6, ".4f")
        self.max_flops = slider("max FLOPs (millions)", self.flops / 1e6, ".3f")
        self.min_acc = slider("min accuracy (%)", self.acc, ".1f", low=True)
        axes = {v: k for k, v in COST_AXES.items() if k != "memory_mb" or memory is not None}
        self.axis = W.Dropdown(options=axes, value="latency_ms", description="plot against",
                               style=style, layout=W.Layout(width=WIDTH))
        controls = [self.source, self.latency, self.max_params, self.max_flops]
        if self.memory is not None:
            self.max_memory = slider("max memory (MB)", self.memory, ".3f")
            controls.append(self.max_memory)
        controls += [self.min_acc, self.axis]
        self.button = W.Button(description="search under these constraints",
                               layout=W.Layout(width="260px"))
        self.button.on_click(lambda _: self.search())
        self.info = W.HTML()
        self.plot = W.Image(format="png", layout=PICTURE)
        for c in controls:
            c.observe(lambda _: self.update(), names="value")
        self.source.observe(self._rescale, names="value")
        # two columns of controls where they fit, one where they do not (a 1,366-px laptop)
        grid = W.GridBox(controls, layout=W.Layout(
            grid_template_columns=f"repeat(auto-fill, {WIDTH})", grid_gap="0 12px"))
        self.widget = W.VBox([grid, W.HBox([self.button, self.info]), self.plot])
        self.update()

    def _rescale(self, _=None) -> None:
        import numpy as np

        lat = self.sources[self.source.value]
        _set_range(self.latency, float(np.nanmin(lat)), float(np.nanmax(lat)))

    def constraints(self) -> HardwareConstraints:
        return HardwareConstraints(
            max_latency_ms=self.latency.value, max_params_m=self.max_params.value,
            max_flops_m=self.max_flops.value,
            max_memory_mb=self.max_memory.value if self.memory is not None else None)

    def metrics(self) -> dict:
        m = {"accuracy": self.acc, "latency_ms": self.sources[self.source.value],
             "params": self.params, "flops": self.flops}
        if self.memory is not None:
            m["memory_mb"] = self.memory
        return m

    def min_accuracy(self) -> float | None:
        return None if self.min_acc.value <= self.min_acc.min else self.min_acc.value

    def disagreement(self):
        """Cells whose feasibility under the latency limit depends on the source."""
        import numpy as np

        current = self.sources[self.source.value]
        out = np.zeros(len(self.acc), dtype=bool)
        for name, other in self.sources.items():
            if name != self.source.value:
                out |= feasibility_disagreement(current, other, self.latency.value)
        return out

    def search(self) -> dict:
        self.searched = search_under_constraints(
            self.archs, self.metrics(), self.constraints(), min_accuracy=self.min_accuracy(),
            budget=self.budget)
        self.update()
        return self.searched

    def update(self) -> dict:
        from .viz import draw_nb201_cell

        x = self.axis.value
        r = explore(self.metrics(), self.constraints(), min_accuracy=self.min_accuracy(), x=x)
        xs = self.metrics()[x]
        split = self.disagreement()
        note = (f"<br>{int(split.sum()):,} cells are feasible by one latency source and not "
                "by another (orange)" if len(self.sources) > 1 else "")
        self.info.value = (f"<div style='white-space: normal'><b>{r['message']}</b>{note}"
                           "</div>")
        fig = _figure(figsize=(10, 3.3))
        ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        ax.scatter(xs, self.acc, s=4, color="#cccccc", label="all")
        f = r["feasible"]
        ax.scatter(xs[f], self.acc[f], s=5, color="#4c72b0", label="feasible")
        ax.scatter(xs[split], self.acc[split], s=12, marker="x", color="#dd8452",
                   label="feasibility depends on the source")
        fr = sorted(r["front"], key=lambda i: xs[i])
        ax.plot(xs[fr], self.acc[fr], "-o", ms=3, color="#c44e52",
                label="front of the feasible cells")
        if self.searched is not None:
            for name, mk in (("RE, rejection", "s"), ("NSGA-II", "^")):
                b = self.searched[name]["best"]
                if b is not None:
                    ax.scatter([xs[b]], [self.acc[b]], s=70, marker=mk, facecolor="none",
                               edgecolor="black", label=f"{name} found")
        ax.set_xlabel(COST_AXES[x] + (f", {self.source.value}" if x == "latency_ms" else ""))
        ax.set_ylabel("accuracy (%)")
        ax.legend(fontsize=7, loc="lower right")
        if r["best"] is not None:
            b = r["best"]
            draw_nb201_cell(self.archs[b], ax=ax2, title=(
                f"best feasible: {self.acc[b]:.2f}%, {self.sources[self.source.value][b]:.3f}"
                f" ms, {self.params[b] / 1e3:.1f}k params"))
        else:
            ax2.axis("off")
            ax2.text(0.5, 0.5, r["message"], ha="center", va="center", wrap=True)
        self.plot.value = _png(fig)
        self.result = r
        self.best_arch = None if r["best"] is None else NB201Space().format(self.archs[r["best"]])
        return r


# ---- lesson 07: Once-for-All deployment --------------------------------------------------------
def ofa_deploy(net, data, *, accuracy, tables: dict, device: str, target: float,
               seed: int = 0) -> dict:
    """The deployer's logic, without widgets: `ofa.specialise` on `tables[device]` (a built
    and fitted `ofa.BlockLatencyTable` per device) under `target` ms, plus a 'message'. A
    target below the smallest subnet's predicted latency, or so close to it that random
    sampling finds no feasible subnet, returns 'config' None and a message instead of
    raising; an unknown device raises a ValueError naming the devices."""
    from .ofa import specialise

    if device not in tables:
        raise ValueError(f"unknown device {device!r}; devices: {', '.join(map(repr, tables))}")
    table = tables[device]
    lo = table.predict(net.space.min_config())
    if target < lo:
        return {"config": None, "target": target, "device": device,
                "message": f"{target:.3f} ms is below the smallest subnet ({lo:.3f} ms "
                           f"predicted on {device}): raise the target"}
    try:
        r = specialise(net, data, accuracy=accuracy, table=table, target=target, seed=seed)
    except ValueError as e:  # random sampling found too few subnets this small
        return {"config": None, "target": target, "device": device,
                "message": f"{e}. Few subnets are this small (the smallest: {lo:.3f} ms): "
                           "raise the target"}
    r["device"] = device
    r["message"] = (f"{device}, target {target:.3f} ms: predicted {r['predicted_ms']:.3f} ms, "
                    f"measured {r['measured_ms']:.3f} ms"
                    f"{'' if r['meets_target'] else ' (over the target when measured)'}; "
                    f"accuracy predicted {r['predicted_accuracy']:.1f}%, real "
                    f"{r['accuracy']:.1f}% after BN recalibration; {r['params']:,} params")
    return r


class OFADeployer(_Shown):
    """A device dropdown and a latency-target slider (ms, between the smallest and the
    largest subnet on that device); each change runs `ofa_deploy` (seconds), draws the chosen
    subnet, and marks it on the device's accuracy-latency curve (`curves[device]`: earlier
    `ofa.specialise` results, measured latency vs real accuracy)."""

    fallback = ("Once-for-All deployment (lesson 07): run this cell in Jupyter to pick "
                "a device and a latency target and see the subnet chosen.")

    def __init__(self, net, data, *, accuracy, tables: dict, curves: dict | None = None,
                 seed: int = 0) -> None:
        import ipywidgets as W

        self.net, self.data, self.accuracy, self.tables = net, data, accuracy, tables
        self.curves, self.seed = curves or {}, seed
        self.device = W.Dropdown(options=list(tables), description="device",
                                 layout=W.Layout(width="320px"))
        self.target = W.FloatSlider(description="target (ms)", readout_format=".3f",
                                    continuous_update=False, style={"description_width": "90px"},
                                    layout=W.Layout(width="480px"))
        self._rescale()
        self.target.value = (self.target.min + self.target.max) / 2
        self.info = W.HTML()
        self.plot = W.Image(format="png", layout=PICTURE)
        self.device.observe(self._rescale, names="value")
        self.device.observe(lambda _: self.update(), names="value")
        self.target.observe(lambda _: self.update(), names="value")
        self.widget = W.VBox([W.HBox([self.device, self.target]), self.info, self.plot])
        self.update()

    def _rescale(self, _=None) -> None:
        table, space = self.tables[self.device.value], self.net.space
        _set_range(self.target, table.predict(space.min_config()),
                   table.predict(space.max_config()))

    def update(self) -> dict:
        from .viz import draw_subnet

        r = ofa_deploy(self.net, self.data, accuracy=self.accuracy, tables=self.tables,
                       device=self.device.value, target=self.target.value, seed=self.seed)
        self.info.value = f"<div style='white-space: normal'><b>{r['message']}</b></div>"
        fig = _figure(figsize=(10, 2.6))
        ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1], "wspace": 0.55})
        if r["config"] is None:
            ax.axis("off")
        else:
            draw_subnet(r["config"], self.net.space, ax=ax)
        curve = sorted(self.curves.get(self.device.value, []), key=lambda c: c["measured_ms"])
        if curve:
            ax2.plot([c["measured_ms"] for c in curve], [c["accuracy"] for c in curve],
                     "-o", ms=4, color="#4c72b0", label="searched subnets")
        if r["config"] is not None:
            ax2.scatter([r["measured_ms"]], [r["accuracy"]], s=90, marker="*",
                        color="#c44e52", zorder=3, label="this target")
        ax2.axvline(r["target"], color="#999999", ls=":", label="target")
        ax2.set_xlabel(f"measured latency (ms, {self.device.value})")
        ax2.set_ylabel("val accuracy (%)")
        ax2.legend(fontsize=8, loc="lower right")
        self.plot.value = _png(fig)
        self.result = r
        return r

