"""What the benchmark says about itself: op frequencies among the best cells, the noise
between seeds (the floor for comparing architectures), and the selection bias of picking the
best cell by a noisy score.

Seed noise follows the pilot's definitions (`recipe.pilot_report`); selection bias is the
winner's curse of NAS evaluation (Yang, Esperança & Carlucci, ICLR 2020, "NAS evaluation is
frustratingly hard", section 4; Lindauer & Hutter, JMLR 2020, best practice 3): the best of
many noisy scores is high partly because its noise was favourable, so it is re-evaluated
on seeds the selection did not see.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from .pack import CURVES
from .query import Benchmark

__all__ = ["op_frequencies", "seed_table", "seed_rank_correlation", "seed_noise",
           "selection_bias", "noise_report", "describe"]


def op_frequencies(bench: Benchmark, *, top: float = 0.01, metric: str = "val_acc") -> dict:
    """How often each op appears on each edge among the best `top` share of the trained
    unique cells, vs. the whole trained set: {op: (share in top, share overall)}."""
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top!r}")
    space = bench.space
    table = bench.unique_table()
    rows = np.flatnonzero(bench.trained)
    archs = [space.parse(table[u]) for u in rows]
    vals = np.array([bench.query(a)[metric] for a in archs])
    k = max(1, int(round(top * len(rows))))
    best = np.argsort(-vals, kind="stable")[:k]

    def share(idx) -> dict:
        ops = [op for i in idx for op in archs[i]]
        return {op: ops.count(op) / len(ops) for op in space.OPS}

    top_share, all_share = share(best), share(range(len(archs)))
    return {op: (top_share[op], all_share[op]) for op in space.OPS}


def seed_table(bench: Benchmark, metric: str = "val_acc") -> np.ndarray:
    """Final `metric` [cell, seed] of the cells trained with every seed of `bench`, in the
    benchmark's row order (`bench.trained_with_every_seed()`) — the same rows for every
    metric, since all metrics come from the same runs."""
    if len(bench.seeds) < 2:
        raise ValueError("this benchmark has a single seed; seed statistics need two or more")
    allowed = (*CURVES, "test_acc")
    if metric not in allowed:
        raise ValueError(f"unknown metric {metric!r}; allowed: {', '.join(allowed)}")
    a = bench.per_cell(metric)
    a = a[:, :, -1] if a.ndim == 3 else a
    return a[bench.trained_with_every_seed()].astype(np.float64)


def _best_share(bench: Benchmark, metric: str, top: float) -> np.ndarray:
    """`seed_table` restricted to the best `top` share of its cells by their mean over seeds."""
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top!r}")
    a = seed_table(bench, metric)
    order = np.argsort(a.mean(axis=1), kind="stable")
    if not metric.endswith("loss"):
        order = order[::-1]
    a = a[order[:max(1, int(round(top * len(a))))]]
    if len(a) < 3:
        raise ValueError(f"only {len(a)} cells were trained with every seed (need 3)")
    return a


def seed_rank_correlation(bench: Benchmark, metric: str = "val_acc", *, top: float = 1.0
                          ) -> dict:
    """Kendall's tau and Spearman's rho between the rankings that two seeds give to the cells
    trained with every seed, averaged over all pairs of seeds: the benchmark's own noise floor
    for comparing architectures. `top` < 1 keeps only the best share of those cells (by their
    mean over seeds), where cells differ little and the seeds agree less."""
    from scipy.stats import kendalltau, spearmanr

    a = _best_share(bench, metric, top)
    pairs = list(combinations(range(a.shape[1]), 2))
    return {"n_cells": len(a), "n_pairs": len(pairs),
            "kendall_tau": float(np.mean([kendalltau(a[:, i], a[:, j])[0] for i, j in pairs])),
            "spearman_rho": float(np.mean([spearmanr(a[:, i], a[:, j])[0] for i, j in pairs])),
            "mean_abs_diff": float(np.mean([np.abs(a[:, i] - a[:, j]).mean()
                                            for i, j in pairs]))}


def seed_noise(bench: Benchmark, metric: str = "val_acc", *, top: float = 1.0) -> dict:
    """Seed-to-seed noise vs the spread between cells, on the cells trained with every seed,
    with the pilot's definitions, so the two can be compared.

    `within_sd`: mean over cells of the standard deviation over seeds (ddof=1); `between_sd`:
    standard deviation over cells of the seed means; `ratio`: between / within with
    `ratio_ci`, a 95% bootstrap interval over cells; `resolvable`: about how far apart two
    single-seed results must be to differ at the 5% level, 1.96 * sqrt(2) * within_sd;
    `seed_means`: each seed's mean over the cells — a shift common to all cells (every cell
    trained with one seed sees the same batch order).
    """
    from ..stats import bootstrap_ci

    a = _best_share(bench, metric, top)

    def ratio(x: np.ndarray) -> float:
        within = x.std(axis=1, ddof=1).mean()
        return float(x.mean(axis=1).std() / within) if within > 0 else float("inf")

    within = float(a.std(axis=1, ddof=1).mean())
    return {"n_cells": len(a), "n_seeds": a.shape[1], "within_sd": within,
            "between_sd": float(a.mean(axis=1).std()), "ratio": ratio(a),
            "ratio_ci": bootstrap_ci(a, ratio, n_resamples=2000),
            "resolvable": float(1.96 * np.sqrt(2) * within),
            "seed_means": dict(zip(bench.seeds, a.mean(axis=0).tolist()))}


def selection_bias(bench: Benchmark, *, ks: tuple[int, ...] = (1, 5, 10, 50),
                   metric: str = "val_acc", selection_seed: int = 0) -> dict:
    """The winner's curse on the cells trained with every seed: pick the best `k` cells by
    their `selection_seed` score, then score the same cells on the other seeds.

    Returns, for each k, the picked cells' mean on the selection seed (`selected`), their mean
    on the held-out seeds (`held_out`) and `bias` = selected - held_out (pp): how much of a
    top-k score is luck. A search that reports the score it selected on inherits this bias;
    one that re-evaluates on another seed does not.
    """
    a = seed_table(bench, metric)
    s = bench.seeds.index(selection_seed) if selection_seed in bench.seeds else None
    if s is None:
        raise ValueError(f"selection_seed {selection_seed!r} not in {bench.seeds}")
    others = [i for i in range(a.shape[1]) if i != s]
    sign = -1.0 if metric.endswith("loss") else 1.0
    order = np.argsort(-sign * a[:, s], kind="stable")
    out = {}
    for k in ks:
        if not isinstance(k, int) or not 1 <= k <= len(a):
            raise ValueError(f"k must be an int in 1..{len(a)}, got {k!r}")
        pick = a[order[:k]]
        sel, held = float(pick[:, s].mean()), float(pick[:, others].mean())
        out[k] = {"selected": sel, "held_out": held, "bias": sign * (sel - held)}
    return {"n_cells": len(a), "selection_seed": selection_seed,
            "held_out_seeds": [bench.seeds[i] for i in others], "by_k": out}


def pilot_ratio(pilot: dict) -> float | None:
    """The spread/noise ratio the pilot of the benchmark's recipe measured (None without a
    pilot): v2's pilot stores spread and noise; v3's the ratio of each candidate recipe."""
    if "noise" in pilot:
        return pilot["spread"] / pilot["noise"]
    if "chosen" in pilot:
        return pilot["recipes"][pilot["chosen"]]["ratio"]
    return None


def noise_report(bench: Benchmark, metric: str = "val_acc", *, top: float = 0.1,
                 noisiest: float = 0.05) -> dict:
    """Everything lesson 03 says about seed noise, on the cells trained with every seed:
    `seed_noise` and `seed_rank_correlation` over the subset and over its best `top` share;
    the pilot's spread/noise ratio for comparison; the median seed sd of weak (< 80%),
    middling (80-95%) and good (>= 95%) cells; and, for the `noisiest` share of cells (by
    seed sd), their median accuracy, how far their worst seed trails their best one on
    validation and on *training* accuracy, and each run's train - validation gap — equal gaps
    with a training deficit mean under-training, not over-fitting."""
    if not 0 < noisiest <= 1:
        raise ValueError(f"noisiest must be in (0, 1], got {noisiest!r}")
    per_seed = seed_table(bench, metric)
    train = seed_table(bench, "train_acc")
    mean, sd = per_seed.mean(axis=1), per_seed.std(axis=1, ddof=1)
    n_noisy = max(1, int(round(noisiest * len(sd))))
    noisy, rows = np.argsort(-sd, kind="stable")[:n_noisy], np.arange(len(sd))
    low, high = per_seed.argmin(axis=1), per_seed.argmax(axis=1)
    med = lambda x: float(np.median(x[noisy]))  # noqa: E731
    bands = {"weak": mean < 80, "middling": (mean >= 80) & (mean < 95), "good": mean >= 95}
    return {
        "subset": seed_noise(bench, metric), "top": seed_noise(bench, metric, top=top),
        "agree": seed_rank_correlation(bench, metric),
        "agree_top": seed_rank_correlation(bench, metric, top=top),
        "pilot_ratio": pilot_ratio(bench.meta.get("pilot", {})),
        **{f"sd_{name}": float(np.median(sd[k])) if k.any() else float("nan")
           for name, k in bands.items()},
        "n_by_band": {name: int(k.sum()) for name, k in bands.items()},
        "n_noisy": n_noisy, "noisy_min_sd": float(sd[noisy].min()),
        "noisy_acc": med(mean),
        "val_gap": med(per_seed[rows, high] - per_seed[rows, low]),
        "train_gap": med(train[rows, high] - train[rows, low]),
        "overfit_worst": med(train[rows, low] - per_seed[rows, low]),
        "overfit_best": med(train[rows, high] - per_seed[rows, high]),
    }


def describe(bench: Benchmark) -> dict[str, str]:
    """What a bundled benchmark file is, in words: its recipe, where it was built, where the
    latencies and training times come from, its best cell and (with several seeds) its seed
    noise. `nas-lessons bench info` prints it; the course site's data sheet shows it."""
    best = bench.optimum("val_acc")
    out = {"file": repr(bench),
           "settings": ", ".join(f"{k}={v}" for k, v in bench.meta["settings"].items()),
           "machine": ", ".join(f"{k}={v}" for k, v in bench.meta["machine"].items()),
           "latency": str(bench.meta["latency_source"]),
           # files before `bench traintime` stored the build's wall-clock
           "training time": str(bench.meta.get("train_seconds_source",
                                               "wall-clock of the build")),
           "best trained cell": f"{best['arch']}  val {best['val_acc']:.2f}%  "
                                f"test {best['test_acc']:.2f}%"}
    if len(bench.seeds) > 1:
        n = seed_noise(bench)
        out["seed noise"] = (f"over {n['n_cells']} cells x {n['n_seeds']} seeds: sd "
                             f"{n['within_sd']:.2f} pp within a cell, {n['between_sd']:.2f} pp "
                             f"between cells (ratio {n['ratio']:.1f})")
    return out
