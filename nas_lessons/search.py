"""Running a search: objectives, the ask/evaluate/tell loop, and comparisons of strategies.

An objective maps an arch to its score (validation accuracy in %), its test accuracy and its
cost in seconds. `BenchmarkObjective` looks the arch up in the tabular benchmark, with the
measured training time as its simulated cost (NAS-Bench-201's protocol, Dong & Yang, ICLR
2020, Sec. 5); `TrainingObjective` really trains it with the benchmark's recipe. `run_search`
records the anytime incumbent (`Trajectory`); `compare_strategies` runs several strategies
over several seeds at an equal budget, and `at_seconds` resamples their curves to equal
simulated time — the comparison NAS-Bench-201 and Lindauer & Hutter (JMLR 2020, best
practices 2 and 5) ask for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .benchmark import SETTINGS, Benchmark, BenchSettings, NotInBenchmark, train_cell
from .spaces import ArchLike
from .strategies import Strategy, make_strategy

__all__ = ["BenchmarkObjective", "TrainingObjective", "Trajectory", "run_search",
           "compare_strategies", "at_seconds"]


class BenchmarkObjective:
    """Score an arch by the tabular benchmark: validation accuracy after `epoch` epochs, with
    the measured training time to that epoch as its simulated cost (NAS-Bench-201's protocol).
    """

    def __init__(self, bench: Benchmark, *, epoch: int | None = None,
                 seed: int | str = 0) -> None:
        self.bench, self.epoch, self.seed = bench, epoch, seed
        self.optimum = bench.optimum("val_acc", epoch=epoch)

    def __call__(self, arch: ArchLike) -> dict:
        r = self.bench.query(arch, epoch=self.epoch, seed=self.seed)
        return {"score": r["val_acc"], "test_acc": r["test_acc"], "cost": r["train_seconds"]}


class TrainingObjective:
    """Score an arch by really training it with the benchmark's recipe (`BenchSettings`);
    the cost is the measured training time. Seed and data split are fixed."""

    def __init__(self, *, settings: BenchSettings = SETTINGS, seed: int = 0) -> None:
        self.settings, self.seed = settings, seed
        self.data = settings.data()

    def __call__(self, arch: ArchLike) -> dict:
        r = train_cell(arch, self.seed, settings=self.settings, data=self.data, measure=False)
        return {"score": r["val_acc"][-1], "test_acc": r["test_acc"],
                "cost": r["train_seconds"]}


@dataclass
class Trajectory:
    """One search run: what was asked, what it scored, and the anytime incumbent."""

    archs: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    best_score: list = field(default_factory=list)   # best-so-far validation accuracy
    best_test: list = field(default_factory=list)    # test accuracy of that incumbent
    regret: list = field(default_factory=list)       # optimum val - best-so-far val
    seconds: list = field(default_factory=list)      # cumulative (simulated) train seconds
    skipped: int = 0   # proposals a partial benchmark had no record for (not counted)


def run_search(strategy: Strategy, objective: Callable[[ArchLike], dict], budget: int, *,
               max_skips: int = 1000,
               on_step: Callable[[int, Strategy, Trajectory], None] | None = None
               ) -> Trajectory:
    """Ask/evaluate/tell `budget` times. `objective(arch)` returns a dict with 'score',
    'test_acc' and 'cost'; if it has an `optimum` record, regret is measured against it.

    On a partial benchmark (still being built), a proposal without a record raises
    `NotInBenchmark`: it is discarded — not evaluated, not told, not counted against the
    budget — and counted in `Trajectory.skipped`; the search then runs on the trained cells
    only. On the complete benchmark nothing is ever skipped.
    `on_step(step, strategy, traj)`, if given, is called after each evaluation is told.
    """
    if not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be a positive int, got {budget!r}")
    traj = Trajectory()
    best, best_test, spent = -float("inf"), float("nan"), 0.0
    opt = getattr(objective, "optimum", None)
    in_a_row = 0
    while len(traj.scores) < budget:
        arch = strategy.ask()
        try:
            r = objective(arch)
        except NotInBenchmark:
            strategy.discard(arch)
            traj.skipped += 1
            in_a_row += 1
            if in_a_row > max_skips:
                raise ValueError(f"{max_skips} proposals in a row had no benchmark record; "
                                 "finish the benchmark build") from None
            continue
        in_a_row = 0
        strategy.tell(arch, r["score"])
        spent += r.get("cost", 0.0)
        if r["score"] > best:
            best, best_test = r["score"], r.get("test_acc", float("nan"))
        traj.archs.append(arch)
        traj.scores.append(r["score"])
        traj.best_score.append(best)
        traj.best_test.append(best_test)
        traj.regret.append(opt["val_acc"] - best if opt else float("nan"))
        traj.seconds.append(spent)
        if on_step is not None:
            on_step(len(traj.scores), strategy, traj)
    return traj


def at_seconds(values, seconds, grid) -> np.ndarray:
    """Resample anytime curves from evaluation count to simulated time: for each run (row) and
    each time in `grid`, the value after the last evaluation finished by then (NaN before the
    first). `values`, `seconds`: (runs, budget) arrays as returned by `compare_strategies`."""
    values, seconds = np.atleast_2d(values), np.atleast_2d(seconds)
    out = np.full((len(values), len(grid)), np.nan)
    for r, (v, s) in enumerate(zip(values, seconds)):
        k = np.searchsorted(s, grid, side="right") - 1
        out[r, k >= 0] = v[k[k >= 0]]
    return out


def compare_strategies(names: Iterable[str], objective: Callable[[ArchLike], dict],
                       budget: int, seeds: Iterable[int], *,
                       kwargs: dict[str, dict] | None = None) -> dict:
    """Run each strategy in `names` once per seed at the same `budget` of evaluations.

    Returns `{name: {"regret": (S, budget), "best_test": (S, budget), "seconds": (S, budget),
    "unique": (S,), "skipped": (S,), "wall_seconds": float}}` as NumPy arrays, one row per
    seed — the raw material for anytime curves, tables and significance tests.
    `kwargs` maps a strategy name to its constructor arguments.
    """
    kwargs = kwargs or {}
    seeds = list(seeds)
    out = {}
    for name in names:
        t0 = time.perf_counter()
        runs = [run_search(make_strategy(name, seed=s, **kwargs.get(name, {})), objective,
                           budget) for s in seeds]
        out[name] = {"regret": np.array([r.regret for r in runs]),
                     "best_test": np.array([r.best_test for r in runs]),
                     "seconds": np.array([r.seconds for r in runs]),
                     "unique": np.array([len(set(r.archs)) for r in runs]),
                     "skipped": np.array([r.skipped for r in runs]),
                     "wall_seconds": time.perf_counter() - t0}
    return out
