"""Multi-objective architecture search: accuracy against latency with NSGA-II.

NSGA-II (Deb, Pratap, Agarwal & Meyarivan, IEEE TEC 2002) keeps a population sorted by
non-domination rank and crowding distance; here it runs through Optuna's `NSGAIISampler`,
which must be passed explicitly (Optuna 5 uses TPE for multi-objective studies by default).
A hardware limit is a constraint (`trial.set_constraint`, Deb's constrained domination), so
infeasible archs stay in the study, marked, instead of vanishing. Random sampling at the same
budget is the baseline every multi-objective search must beat. Results are judged by their
Pareto front (non-dominated sorting, Deb et al. 2002) and the hypervolume it dominates up to
a reference point (Zitzler & Thiele, 1998), whose choice decides what "better" means.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import optuna

from .benchmark import NotInBenchmark
from .optuna_bridge import suggest_arch
from .spaces import NB201Arch

__all__ = ["pareto_front", "pareto_ranks", "hypervolume_2d", "nsga2_search"]


def _as_min(points, senses) -> np.ndarray:
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2:
        raise ValueError(f"points must be a 2-D array (n_points, n_objectives), got shape "
                         f"{pts.shape}")
    if len(senses) != pts.shape[1] or any(s not in ("min", "max") for s in senses):
        raise ValueError(f"senses must give 'min' or 'max' for each of the {pts.shape[1]} "
                         f"objectives, got {senses!r}")
    return pts * np.array([1.0 if s == "min" else -1.0 for s in senses])


def _first_front(f: np.ndarray) -> list[int]:
    """Rows of `f` (to be minimised) that no other row dominates. Scanning in lexicographic
    order, a point can only be dominated by one scanned before it, and if it is, then by one
    already on the front."""
    front: list[int] = []
    for i in np.lexsort(f.T[::-1]):  # by first objective, ties by the next ones
        if not any(np.all(f[j] <= f[i]) and np.any(f[j] < f[i]) for j in front):
            front.append(int(i))
    return front


def pareto_ranks(points, senses) -> np.ndarray:
    """Non-dominated sorting (Deb et al., NSGA-II, 2002): rank 0 is the Pareto front, rank 1
    the front once rank 0 is removed, and so on. A point dominates another if it is at least
    as good in *every* objective and better in one."""
    f = _as_min(points, senses)
    ranks = np.full(len(f), -1)
    remaining = np.arange(len(f))
    r = 0
    while len(remaining):
        front = _first_front(f[remaining])
        ranks[remaining[front]] = r
        remaining = np.delete(remaining, front)
        r += 1
    return ranks


def pareto_front(points, senses) -> np.ndarray:
    """Indices of the non-dominated points, in input order."""
    return np.sort(np.array(_first_front(_as_min(points, senses)), dtype=int))


def hypervolume_2d(points, ref, senses=("max", "min")) -> float:
    """Area dominated by `points` and bounded by the reference point `ref` (Zitzler & Thiele,
    1998), for two objectives. Points that do not beat `ref` in both objectives add nothing."""
    f = _as_min(points, senses)
    if f.shape[1] != 2:
        raise ValueError("hypervolume_2d needs exactly two objectives")
    r = _as_min(np.asarray(ref, dtype=float)[None, :], senses)[0]
    f = f[np.all(f < r, axis=1)]
    hv, prev = 0.0, r[1]
    for p in f[np.lexsort(f.T[::-1])]:
        if p[1] < prev:
            hv += (r[0] - p[0]) * (prev - p[1])
            prev = p[1]
    return float(hv)


def nsga2_search(evaluate: Callable[[NB201Arch], tuple[float, float]], budget: int, *,
                 seed: int = 0, population_size: int = 20, max_latency_ms: float | None = None,
                 random_baseline: bool = False) -> optuna.Study:
    """Maximise accuracy and minimise latency over the NB201 space; `evaluate(arch)` returns
    (accuracy, latency_ms). With `max_latency_ms` the limit is a constraint. The search stops
    after `budget` completed trials; archs a partial benchmark lacks are pruned, not counted.
    `random_baseline=True` samples uniformly instead of NSGA-II."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (optuna.samplers.RandomSampler(seed=seed) if random_baseline else
               optuna.samplers.NSGAIISampler(population_size=population_size, seed=seed))
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        try:
            acc, lat = evaluate(suggest_arch(trial))
        except NotInBenchmark:
            raise optuna.TrialPruned() from None
        if max_latency_ms is not None:
            trial.set_constraint("latency", lat - max_latency_ms)
        return acc, lat

    done = (optuna.trial.TrialState.COMPLETE,)
    study.optimize(objective, callbacks=[optuna.study.MaxTrialsCallback(budget, states=done)])
    return study
