"""Multi-objective architecture search: accuracy against latency with NSGA-II.

NSGA-II (Deb, Pratap, Agarwal & Meyarivan, IEEE TEC 2002) keeps a population sorted by
non-domination rank and crowding distance; here it runs through Optuna's `NSGAIISampler`,
which must be passed explicitly (Optuna 5 uses TPE for multi-objective studies by default).
A hardware limit is a constraint (`trial.set_constraint`, Deb's constrained domination), so
infeasible archs stay in the study, marked, instead of vanishing. Random sampling at the same
budget is the baseline every multi-objective search must beat. Results are judged by their
Pareto front (non-dominated sorting, Deb et al. 2002) and the hypervolume it dominates up to
a reference point (Zitzler & Thiele, 1998), whose choice decides what "better" means;
`hypervolume` computes it for any number of objectives by slicing (While, Hingston, Barone &
Huband, IEEE TEC 2006: HSO), `hypervolume_curve` as a function of the search budget.
`nsga2_search` also runs the baselines at equal budget — random sampling and multi-objective
TPE (Ozaki et al., GECCO 2020) — and can skip networks it has already evaluated (an NB201
cell and its isomorphic relabellings are one network, lesson 02). `mnasnet_reward` is the
other way to trade accuracy for latency: one scalar reward with a soft or a hard latency
target (Tan et al., CVPR 2019), which any single-objective search can maximise
(`RewardObjective`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import optuna

from .benchmark import NotInBenchmark
from .optuna_bridge import suggest_arch
from .spaces import NB201Arch, NB201Space

__all__ = ["pareto_front", "pareto_ranks", "hypervolume", "hypervolume_2d", "hypervolume_curve",
           "nsga2_search", "distinct_networks", "mnasnet_reward", "RewardObjective",
           "SAMPLERS"]

#: the multi-objective samplers `nsga2_search` runs at equal budget
SAMPLERS = ("nsga2", "random", "tpe")


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


def _hv_min(f: np.ndarray, r: np.ndarray) -> float:
    """Hypervolume of minimisation points `f` (all strictly better than `r`) up to `r`: slice
    along the last objective; each slab is the (d-1)-dimensional hypervolume of the points
    already below it times its thickness (HSO, While et al. 2006)."""
    if f.shape[1] == 1:
        return float(r[0] - f[:, 0].min())
    f = f[_first_front(f)]
    f = f[np.argsort(f[:, -1], kind="stable")]
    hv = 0.0
    for i in range(len(f)):
        top = f[i + 1, -1] if i + 1 < len(f) else r[-1]
        if top > f[i, -1]:
            hv += _hv_min(f[: i + 1, :-1], r[:-1]) * (top - f[i, -1])
    return float(hv)


def hypervolume(points, ref, senses) -> float:
    """The volume dominated by `points` and bounded by the reference point `ref` (Zitzler &
    Thiele, 1998), for any number of objectives (`senses`: 'max' or 'min' each). Points that
    do not beat `ref` in every objective add nothing. Exact, by slicing (HSO): fine for the
    fronts of a search (hundreds of points, a few objectives)."""
    f = _as_min(points, senses)
    r = _as_min(np.asarray(ref, dtype=float)[None, :], senses)[0]
    f = f[np.all(f < r, axis=1)]
    return 0.0 if len(f) == 0 else _hv_min(f, r)


def hypervolume_2d(points, ref, senses=("max", "min")) -> float:
    """`hypervolume` for two objectives (accuracy up, latency down by default)."""
    pts = np.asarray(points, dtype=float)
    if len(senses) != 2 or (pts.ndim == 2 and pts.shape[1] != 2):
        raise ValueError("hypervolume_2d needs exactly two objectives")
    return hypervolume(points, ref, senses)


def hypervolume_curve(values, ref, senses, budgets) -> list[float]:
    """Hypervolume of the front of the first b evaluated points, for each b in `budgets`:
    how a search's result grows with its budget. `values` are the points in the order the
    search evaluated them (e.g. completed trials' `values`)."""
    values = np.asarray(values, dtype=float)
    if any(b < 1 or b > len(values) for b in budgets):
        raise ValueError(f"budgets must lie in 1..{len(values)} (the points given), got "
                         f"{list(budgets)}")
    return [hypervolume(values[:b], ref, senses) for b in budgets]


def nsga2_search(evaluate: Callable[[NB201Arch], tuple[float, float]], budget: int, *,
                 seed: int = 0, population_size: int = 20, max_latency_ms: float | None = None,
                 constraint: Callable[[NB201Arch], dict[str, float]] | None = None,
                 sampler: str = "nsga2", dedup: bool = False) -> optuna.Study:
    """Maximise accuracy and minimise latency over the NB201 space; `evaluate(arch)` returns
    (accuracy, latency_ms). With `max_latency_ms` the limit is a constraint; `constraint(arch)`
    adds any others as {name: value} (values <= 0 are met: Deb's constrained domination,
    `trial.set_constraint`). The search stops
    after `budget` completed trials; archs a partial benchmark lacks are pruned, not counted.
    `sampler`: 'nsga2' (Optuna's `NSGAIISampler`), 'random' (uniform) or 'tpe' (Optuna's
    multi-objective TPE). `dedup=True` prunes a trial whose network (NB201 canonical form)
    was already evaluated, so that the budget counts distinct networks; at most 50 x `budget`
    trials are drawn in all."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}")
    if not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be a positive int, got {budget!r}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    chosen = {"random": lambda: optuna.samplers.RandomSampler(seed=seed),
              "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
              "nsga2": lambda: optuna.samplers.NSGAIISampler(population_size=population_size,
                                                              seed=seed)}[sampler]()
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=chosen)
    space, seen = NB201Space(), set()

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        arch = suggest_arch(trial)
        if dedup:
            key = space.canonical(arch)
            if key in seen:
                raise optuna.TrialPruned()
            seen.add(key)
        try:
            acc, lat = evaluate(arch)
        except NotInBenchmark:
            raise optuna.TrialPruned() from None
        if max_latency_ms is not None:
            trial.set_constraint("latency", lat - max_latency_ms)
        for name, value in (constraint(arch) if constraint is not None else {}).items():
            trial.set_constraint(name, value)
        return acc, lat

    def cap(study: optuna.Study, _trial) -> None:
        if len(study.trials) >= 50 * budget:
            study.stop()

    done = (optuna.trial.TrialState.COMPLETE,)
    study.optimize(objective, callbacks=[optuna.study.MaxTrialsCallback(budget, states=done),
                                         cap])
    return study


def distinct_networks(study: optuna.Study) -> int:
    """How many different networks (NB201 canonical forms) the completed trials evaluated."""
    space = NB201Space()
    return len({space.canonical(suggest_arch(t)) for t in study.trials
                if t.state == optuna.trial.TrialState.COMPLETE})


def mnasnet_reward(accuracy, latency, target: float, *, alpha: float = -0.07,
                   beta: float = -0.07):
    """MnasNet's reward (Tan et al., CVPR 2019, Eq. 2): ACC × (LAT / T)^w with w = `alpha`
    if LAT <= T, else `beta`. α = β = −0.07 (the paper's choice) is a *soft* target: a
    network twice as slow must be about 5% more accurate (2^−0.07 ≈ 0.953) to score the
    same, on either side of T. α = 0, β = −1 is a *hard* one: no reward for being faster than
    T, a steep penalty above it. Works on scalars and arrays."""
    if not target > 0:
        raise ValueError(f"target must be a positive latency, got {target!r}")
    lat = np.asarray(latency, dtype=float)
    w = np.where(lat <= target, alpha, beta)
    out = np.asarray(accuracy, dtype=float) * (lat / target) ** w
    return float(out) if out.ndim == 0 else out


class RewardObjective:
    """Wrap an objective (a dict with 'score' = accuracy) so that a single-objective search
    maximises `mnasnet_reward` instead; `latency(arch)` gives the latency, the returned dict
    keeps 'accuracy' and 'latency_ms' beside the new 'score'."""

    def __init__(self, objective, latency, target: float, *, alpha: float = -0.07,
                 beta: float = -0.07) -> None:
        self.objective, self.latency, self.target = objective, latency, target
        self.alpha, self.beta = alpha, beta

    def __call__(self, arch) -> dict:
        r = dict(self.objective(arch))
        lat = self.latency(arch)
        r.update(accuracy=r["score"], latency_ms=lat,
                 score=mnasnet_reward(r["score"], lat, self.target, alpha=self.alpha,
                                      beta=self.beta))
        return r
