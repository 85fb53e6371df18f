"""Reading long DARTS searches: does the derived cell collapse, and do the remedies help?

The records come from `benchmarks/darts_collapse.py`, one per (variant, seed): softmax(alpha)
after every epoch, the cell derived after every epoch by DARTS' rule (`none` excluded) and by
plain argmax (NAS-Bench-201's protocol), the supernet's validation accuracy, and the dominant
Hessian eigenvalue of the validation loss w.r.t. alpha every few epochs.

Every derived cell is scored by benchmark lookup — its test accuracy in the tabular benchmark,
the mean over the seeds the benchmark trained it with — so a variant is judged by the discrete
cell it would ship, not by its supernet: the size of alpha does not measure what an op is
worth to the discrete cell (Wang et al., "Rethinking architecture selection in differentiable
NAS", ICLR 2021).

* `cell_scores` — the benchmark score of the cell derived after each epoch;
* `op_count`, `op_weight` — how many edges of the derived cell hold an op, and its mean
  softmax weight, per epoch (collapse shows as `skip_connect` taking over);
* `eigenvalues` — the recorded dominant Hessian eigenvalues, in epoch order;
* `darts_plus_stop` — the epoch at which DARTS+ (Liang et al., 2019, criterion 1) stops: the
  derived cell holds two or more skip connections;
* `eigenvalue_stop` — the epoch DARTS-ES (Zela et al., "Understanding and robustifying
  differentiable architecture search", ICLR 2020, Sec. 4) returns: the first recorded epoch
  i - k whose dominant eigenvalue is less than 0.75 of the one at epoch i (the paper averages
  the eigenvalue over a window of k = 5 epochs; the records hold one value every 5);
* `stopped` — a record cut at an epoch: the search a stopping rule would have returned;
* `summarize` — per variant, the mean final score with its bootstrap interval over seeds;
* `compare` — pairs of variants run on the same seeds: the mean paired difference, its
  interval, Wilcoxon's p and Holm's correction over all pairs asked (`stats`);
* `plot_collapse` — small multiples over the search: the skip's weight, the skips in the
  derived cell, the derived cell's score and the eigenvalue, each the mean over seeds with
  its 95% interval.

Both stopping rules are applied after the fact (`stopped`): a stopped search is the same
search up to its stop, so its cell is the one the full run derived at that epoch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .spaces import NB201_OPS
from .stats import bootstrap_ci, holm, mean_interval, paired_difference

__all__ = ["load_runs", "cell_scores", "op_count", "op_weight", "eigenvalues", "darts_plus_stop",
           "eigenvalue_stop", "stopped", "summarize", "compare", "plot_collapse", "RULES"]

#: which derived cell a score reads: DARTS' rule (none excluded) or NAS-Bench-201's argmax
RULES = {"darts": "derived", "argmax": "argmax"}


def load_runs(path: Path | str) -> list[dict]:
    """The records of a JSON-lines file written by `benchmarks/darts_collapse.py`."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def _cells(run: dict, rule: str) -> list[str]:
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
    return run[RULES[rule]]


def cell_scores(run: dict, bench, *, rule: str = "darts", metric: str = "test_acc",
                seed="mean") -> np.ndarray:
    """The benchmark's `metric` (at its last epoch) of the cell derived after each epoch."""
    cache: dict[str, float] = {}
    out = []
    for cell in _cells(run, rule):
        if cell not in cache:
            cache[cell] = bench.query(cell, seed=seed)[metric]
        out.append(cache[cell])
    return np.array(out)


def op_count(run: dict, op: str, *, rule: str = "darts") -> np.ndarray:
    """How many of the derived cell's edges hold `op`, after each epoch."""
    return np.array([cell.count(f"|{op}~") for cell in _cells(run, rule)])


def op_weight(run: dict, op: str, *, ops: tuple[str, ...] = NB201_OPS) -> np.ndarray:
    """The mean over edges of softmax(alpha) for `op` (an entry of `ops`, the op order of the
    records), after each epoch."""
    if op not in ops:
        raise ValueError(f"op must be one of {', '.join(ops)}, got {op!r}")
    return np.array(run["alpha"])[:, :, ops.index(op)].mean(1)


def darts_plus_stop(run: dict, *, skips: int = 2, after: int = 0, rule: str = "darts") -> int:
    """The epoch (1-based) after which DARTS+ stops: the first after epoch `after` whose
    derived cell has at least `skips` skip connections; the last epoch if none has. (`after`
    is not in the paper's rule: right after initialisation two skips among six edges appear
    by chance, so the rule needs alpha to have separated first — lesson 05, section 7.)"""
    if skips < 1 or after < 0:
        raise ValueError(f"need skips >= 1 and after >= 0, got skips={skips}, after={after}")
    counts = op_count(run, "skip_connect", rule=rule)
    hit = np.flatnonzero(counts[after:] >= skips)
    return after + int(hit[0]) + 1 if len(hit) else len(counts)


def eigenvalues(run: dict) -> tuple[np.ndarray, np.ndarray]:
    """The epochs at which the dominant Hessian eigenvalue of the validation loss w.r.t.
    alpha was recorded (RobustDARTS, Zela et al., ICLR 2020), and its values, in epoch order;
    both empty for a run that records none (GDAS)."""
    eig = sorted((int(e), float(v)) for e, v in run.get("eigenvalue", {}).items())
    return np.array([e for e, _ in eig], dtype=int), np.array([v for _, v in eig])


def eigenvalue_stop(run: dict, *, ratio: float = 0.75) -> int:
    """The epoch whose cell DARTS-ES returns: walking the recorded eigenvalues in order, the
    first epoch i - k with lambda(i - k) / lambda(i) < `ratio` (the eigenvalue grew by more
    than 1 / ratio since) gives epoch i - k; the last epoch if the eigenvalue never grows so
    fast. A run without eigenvalues (GDAS) has no such rule: ValueError."""
    if not 0 < ratio < 1:
        raise ValueError(f"ratio must be in (0, 1), got {ratio}")
    epochs, lam = eigenvalues(run)
    if len(lam) < 2:
        raise ValueError(f"the {run.get('variant')} run has {len(lam)} recorded eigenvalues; "
                         "DARTS-ES needs at least 2")
    for e0, v0, v1 in zip(epochs, lam, lam[1:]):
        if v1 > 0 and v0 / v1 < ratio:
            return int(e0)
    return len(run["derived"])


def stopped(run: dict, epoch: int, *, variant: str) -> dict:
    """The record of `run` as if its search had stopped after `epoch`, named `variant`."""
    if not 1 <= epoch <= len(run["derived"]):
        raise ValueError(f"epoch must be in 1..{len(run['derived'])}, got {epoch}")
    cut = {k: run[k][:epoch] for k in ("alpha", "derived", "argmax", "val_acc") if k in run}
    eig = {e: v for e, v in run.get("eigenvalue", {}).items() if int(e) <= epoch}
    return {**run, **cut, "variant": variant, "epochs": epoch, "eigenvalue": eig}


def _final(runs: list[dict], bench, rule: str) -> dict[tuple[str, int], float]:
    return {(r["variant"], r["seed"]): float(cell_scores(r, bench, rule=rule)[-1])
            for r in runs}


def summarize(runs: list[dict], bench, *, rule: str = "darts",
              level: float = 0.95) -> list[dict]:
    """Per variant (in the records' order): seeds, the mean benchmark test accuracy of the
    final derived cell with its percentile-bootstrap interval over seeds, the mean number of
    skip connections in it, and the mean number of search epochs."""
    scores = _final(runs, bench, rule)
    rows = []
    for v in dict.fromkeys(r["variant"] for r in runs):
        rs = [r for r in runs if r["variant"] == v]
        x = np.array([scores[(v, r["seed"])] for r in rs])
        rows.append({"variant": v, "n": len(rs), "mean": float(x.mean()),
                     "ci": (bootstrap_ci(x, level=level) if len(x) > 1
                            else (float(x[0]), float(x[0]))),
                     "skips": float(np.mean([op_count(r, "skip_connect", rule=rule)[-1]
                                             for r in rs])),
                     "epochs": float(np.mean([len(r["derived"]) for r in rs]))})
    return rows


def compare(runs: list[dict], bench, pairs: list[tuple[str, str]], *, rule: str = "darts",
            level: float = 0.95) -> list[dict]:
    """For each (a, b): the final derived cells' test accuracy of variant a minus b on the
    seeds both ran — mean, Student-t interval, two-sided Wilcoxon p — and Holm's adjusted p
    over all the pairs given (the family of tests this comparison makes)."""
    scores = _final(runs, bench, rule)
    rows = []
    for a, b in pairs:
        seeds = sorted({s for v, s in scores if v == a} & {s for v, s in scores if v == b})
        if len(seeds) < 2:
            raise ValueError(f"{a!r} and {b!r} share {len(seeds)} seeds; a paired comparison "
                             "needs at least 2")
        d = paired_difference([scores[(a, s)] for s in seeds], [scores[(b, s)] for s in seeds],
                              level=level)
        rows.append({"a": a, "b": b, **d})
    for row, p in zip(rows, holm([r["p"] for r in rows])):
        row["p_holm"] = float(p)
    return rows


def plot_collapse(runs: list[dict], bench, *, rule: str = "darts", variants=None):
    """Four panels over the search epochs, one line per variant (mean over its seeds, band:
    95% Student-t interval, cut to the values the quantity can take): mean softmax weight of
    `skip_connect`, skips in the derived cell, the derived cell's benchmark test accuracy,
    the dominant Hessian eigenvalue (variants that record it; log scale). Returns the
    figure."""
    import matplotlib.pyplot as plt

    variants = list(variants or dict.fromkeys(r["variant"] for r in runs))
    fig, axes = plt.subplots(1, 4, figsize=(18, 3.8))
    # (label, curve of a run, the values it can take: bands are cut there)
    panels = [("mean softmax weight of skip", lambda r: op_weight(r, "skip_connect"), (0, 1)),
              ("skips in the derived cell (of 6)",
               lambda r: op_count(r, "skip_connect", rule=rule), (0, 6)),
              ("derived cell: benchmark test acc. (%)",
               lambda r: cell_scores(r, bench, rule=rule), (0, 100))]
    for v in variants:
        rs = [r for r in runs if r["variant"] == v]
        if len(rs) < 2:
            continue
        for ax, (_, curve, (lo, hi)) in zip(axes, panels):
            m, half = mean_interval([curve(r) for r in rs])
            x = np.arange(1, len(m) + 1)
            ax.plot(x, m, label=v)
            ax.fill_between(x, np.clip(m - half, lo, hi), np.clip(m + half, lo, hi), alpha=0.15)
        eig = [eigenvalues(r) for r in rs]
        if all(len(lam) >= 2 for _, lam in eig):
            m, half = mean_interval([lam for _, lam in eig])
            x = eig[0][0]
            axes[3].plot(x, m, marker=".", label=v)
            axes[3].fill_between(x, np.maximum(m - half, m / 10), m + half, alpha=0.15)
    for ax, (ylabel, _, _) in zip(axes, panels):
        ax.set(xlabel="search epoch", ylabel=ylabel)
    axes[3].set(xlabel="search epoch", ylabel="dominant eigenvalue of the Hessian",
                yscale="log")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
