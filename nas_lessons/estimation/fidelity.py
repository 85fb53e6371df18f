"""Low-fidelity estimation: judge an architecture after a few epochs instead of all of them.

`epoch_rank_correlation` measures, on the tabular benchmark, how well the ranking of all cells
after k epochs predicts their final ranking (Spearman and Kendall, signed), for every k.
`successive_halving` (Jamieson & Talwalkar, AISTATS 2016) trains n random cells for r epochs,
keeps the best 1/eta, trains those eta times longer, and so on up to the full budget;
`hyperband` (Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar, JMLR 2018, Alg. 1) runs
brackets of successive halving with different trade-offs between n and r, so that no single
guess of how early a curve can be trusted decides the result. Costs are the benchmark's
measured training seconds: continuing a cell from r to r' epochs costs the seconds of the
epochs added (training resumes from a checkpoint), and `random_search_seconds` is the
baseline at the same simulated time.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import kendalltau, spearmanr

from ..spaces import NB201Arch

__all__ = ["epoch_rank_correlation", "Run", "rungs", "halve", "successive_halving", "hyperband",
           "random_search_seconds", "incumbent_scores"]


def epoch_rank_correlation(bench, *, metric: str = "val_acc", seed: int | str = 0) -> dict:
    """Spearman's rho and Kendall's tau between `metric` after k epochs and after the last
    epoch, over every trained network (each of the 7,005 counted once, not once per
    isomorphic cell), for k = 1..epochs (signed, no absolute value)."""
    space = bench.space
    cells = np.array([i for i in map(space.index, space.unique_archs())
                      if bench.available()[i]])
    final = bench.array(metric, seed=seed)[cells]
    rho, tau = [], []
    for k in range(1, bench.epochs + 1):
        early = bench.array(metric, epoch=k, seed=seed)[cells]
        rho.append(float(spearmanr(early, final)[0]))
        tau.append(float(kendalltau(early, final)[0]))
    return {"epochs": list(range(1, bench.epochs + 1)), "spearman": rho, "kendall": tau,
            "n_cells": len(cells)}


@dataclass
class Run:
    """One multi-fidelity search on the benchmark: every (arch, epochs) evaluation in order,
    the simulated seconds spent after it, and the incumbent — the best cell at the highest
    number of epochs any cell has reached so far."""

    evaluations: list[tuple[NB201Arch, int, float]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    incumbent: list[NB201Arch] = field(default_factory=list)
    _best: tuple[int, float, NB201Arch] | None = None

    def record(self, arch: NB201Arch, epochs: int, score: float, cost: float) -> None:
        self.evaluations.append((arch, epochs, score))
        self.seconds.append((self.seconds[-1] if self.seconds else 0.0) + cost)
        if self._best is None or (epochs, score) > self._best[:2]:
            self._best = (epochs, score, arch)
        self.incumbent.append(self._best[2])

    @property
    def spent(self) -> float:
        return self.seconds[-1] if self.seconds else 0.0


class _Table:
    """The benchmark's per-epoch validation accuracy and cumulative training seconds of all
    15,625 archs as two arrays, so that the thousands of lookups of a search are indexing."""

    _cache: dict[int, _Table] = {}

    def __init__(self, bench) -> None:
        E = bench.epochs
        self.val = np.stack([bench.array("val_acc", epoch=e) for e in range(1, E + 1)], 1)
        self.secs = np.stack([bench.array("train_seconds", epoch=e) for e in range(1, E + 1)], 1)
        self.available = bench.available()

    @classmethod
    def of(cls, bench) -> _Table:
        if id(bench) not in cls._cache:
            cls._cache.clear()  # one benchmark at a time
            cls._cache[id(bench)] = cls(bench)
        return cls._cache[id(bench)]


def _sample(bench, rng: random.Random) -> NB201Arch:
    """A uniformly random arch among those the benchmark has (rejection sampling)."""
    available = _Table.of(bench).available
    while True:
        a = bench.space.sample(rng)
        if available[bench.space.index(a)]:
            return a


def _check_budget(budget_seconds: float) -> None:
    """A search that runs "until the time is spent" needs a finite, positive time (a NaN,
    e.g. the mean of a column with missing cells, would never be reached)."""
    if not (isinstance(budget_seconds, (int, float)) and math.isfinite(budget_seconds)
            and budget_seconds > 0):
        raise ValueError(f"budget_seconds must be a positive, finite number of seconds, got "
                         f"{budget_seconds!r} (on a partial benchmark, average only the "
                         "trained cells: np.nanmean)")


def _score(bench, arch: NB201Arch, epochs: int) -> float:
    return float(_Table.of(bench).val[bench.space.index(arch), epochs - 1])


def _cost(bench, arch: NB201Arch, start: int, stop: int) -> float:
    """Simulated seconds to train `arch` from epoch `start` to `stop` (0 = from scratch)."""
    secs = _Table.of(bench).secs[bench.space.index(arch)]
    return float(secs[stop - 1] - (secs[start - 1] if start > 0 else 0.0))


def rungs(max_epochs: int, min_epochs: int, eta: int) -> list[int]:
    """The epochs of successive halving's rungs: max_epochs * eta^-k for k = s..0, rounded,
    s = floor(log_eta(max_epochs / min_epochs)) — a geometric ladder ending at the full
    budget (Li et al. 2018, Alg. 1: r_i = r * eta^i with r = R * eta^-s)."""
    s = int(math.floor(math.log(max_epochs / min_epochs, eta) + 1e-9))
    return sorted({max(1, int(round(max_epochs * eta ** (-k)))) for k in range(s, -1, -1)})


def halve(archs: list[NB201Arch], *, ladder: list[int], eta: int,
          score: Callable[[NB201Arch, int], float],
          cost: Callable[[NB201Arch, int, int], float], run: Run | None = None,
          budget_seconds: float = math.inf) -> Run:
    """Successive halving of `archs` over the rungs `ladder` (epochs): every survivor is
    trained to the rung (paying `cost(arch, trained so far, rung)`) and scored
    (`score(arch, rung)`); the best max(1, floor(k / eta)) of the k continue (ties keep the
    earlier arch), until the last rung. Stops before an evaluation that would exceed
    `budget_seconds`."""
    run = Run() if run is None else run
    alive = [(a, 0) for a in archs]  # (arch, epochs trained so far)
    for i, epochs in enumerate(ladder):
        scored = []
        for arch, done in alive:
            c = cost(arch, done, epochs)
            if run.spent + c > budget_seconds:
                return run
            s = score(arch, epochs)
            run.record(arch, epochs, s, c)
            scored.append((s, arch))
        scored.sort(key=lambda t: -t[0])  # stable: ties keep the earlier arch
        keep = max(1, len(scored) // eta) if i + 1 < len(ladder) else len(scored)
        alive = [(a, epochs) for _, a in scored[:keep]]
    return run


def successive_halving(bench, *, n: int, min_epochs: int, eta: int = 3,
                       rng: random.Random | int = 0, run: Run | None = None,
                       budget_seconds: float = math.inf,
                       archs: list[NB201Arch] | None = None) -> Run:
    """Successive halving (`halve`) on the benchmark: n random cells (or the given `archs`)
    over the rungs `rungs(epochs, min_epochs, eta)`, with the benchmark's accuracies and
    measured seconds."""
    if archs is not None:
        n = len(archs)
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not isinstance(min_epochs, int) or not 1 <= min_epochs <= bench.epochs:
        raise ValueError(f"min_epochs must be an int in 1..{bench.epochs}, got {min_epochs!r}")
    if not isinstance(eta, int) or eta < 2:
        raise ValueError(f"eta must be an int >= 2, got {eta!r}")
    rng = random.Random(rng) if not isinstance(rng, random.Random) else rng
    cells = ([bench.space.to_arch(a) for a in archs] if archs is not None
             else [_sample(bench, rng) for _ in range(n)])
    return halve(cells, ladder=rungs(bench.epochs, min_epochs, eta), eta=eta,
                 score=lambda a, e: _score(bench, a, e),
                 cost=lambda a, start, stop: _cost(bench, a, start, stop), run=run,
                 budget_seconds=budget_seconds)


def hyperband(bench, *, budget_seconds: float, eta: int = 3, seed: int = 0,
              most_aggressive_only: bool = False) -> Run:
    """Hyperband (Li et al. 2018, Alg. 1) with R = the benchmark's epochs: brackets
    s = s_max..0 of successive halving with n = ceil((s_max + 1) / (s + 1) * eta^s) cells at
    R * eta^-s epochs, repeated until `budget_seconds` of simulated training are spent.
    `most_aggressive_only=True` repeats only the bracket s = s_max: plain successive halving
    from the smallest budget, restarted until the time is spent."""
    _check_budget(budget_seconds)
    R = bench.epochs
    s_max = int(math.floor(math.log(R, eta) + 1e-9))
    rng = random.Random(seed)
    run = Run()
    brackets = [s_max] if most_aggressive_only else list(range(s_max, -1, -1))
    while True:
        for s in brackets:
            n = int(math.ceil((s_max + 1) / (s + 1) * eta**s))
            r = max(1, int(round(R * eta ** (-s))))
            before = len(run.evaluations)
            successive_halving(bench, n=n, min_epochs=r, eta=eta, rng=rng, run=run,
                               budget_seconds=budget_seconds)
            if len(run.evaluations) == before or run.spent >= budget_seconds:
                return run


def random_search_seconds(bench, *, budget_seconds: float, seed: int = 0) -> Run:
    """Random search with full training, until `budget_seconds` of simulated time are spent."""
    _check_budget(budget_seconds)
    rng = random.Random(seed)
    run = Run()
    while True:
        arch = _sample(bench, rng)
        cost = _cost(bench, arch, 0, bench.epochs)
        if run.spent + cost > budget_seconds:
            return run
        run.record(arch, bench.epochs, _score(bench, arch, bench.epochs), cost)


def incumbent_scores(bench, runs: list[Run]) -> dict[str, np.ndarray]:
    """The final incumbent of each run, judged on data the search did not select on: its
    test accuracy (mean over the seeds it has) and its validation accuracy averaged over the
    other seeds where it has them — beside `val`, the seed-0 score the search saw, and
    `regret`, the optimum's seed-0 validation accuracy minus `val`."""
    best = bench.optimum("val_acc")["val_acc"]
    val, test, held = [], [], []
    for run in runs:
        arch = run.incumbent[-1]
        r, m = bench.query(arch), bench.query(arch, seed="mean")
        val.append(r["val_acc"])
        test.append(m["test_acc"])
        held.append((m["val_acc"] * m["n_seeds"] - r["val_acc"]) / (m["n_seeds"] - 1)
                    if m["n_seeds"] > 1 else np.nan)
    val_a = np.array(val)
    return {"val": val_a, "regret": best - val_a, "test": np.array(test),
            "held_out_val": np.array(held)}
