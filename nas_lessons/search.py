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
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .benchmark import SETTINGS, Benchmark, BenchSettings, NotInBenchmark, train_cell
from .spaces import ArchLike, NB201Space
from .strategies import Strategy, make_strategy

__all__ = ["BenchmarkObjective", "NoisyBenchmarkObjective", "TrainingObjective", "Trajectory",
           "run_search", "compare_strategies", "at_seconds", "stream_seed"]


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


class NoisyBenchmarkObjective(BenchmarkObjective):
    """A benchmark lookup that behaves like retraining: each evaluation returns the record of
    one of the seeds the cell was trained with, drawn at random (most cells have one seed, a
    subset three), plus Gaussian noise of sd `noise_sd` pp if given (a model of seed noise for
    the cells with a single seed). `true_score` is the cell's noise-free value: its mean over
    its seeds. This is the setting in which Real et al. (2019, Sec. 5) argue that ageing
    helps: a lucky evaluation cannot keep a cell in the population forever."""

    def __init__(self, bench: Benchmark, *, noise_sd: float = 0.0, seed: int = 0) -> None:
        super().__init__(bench)
        if noise_sd < 0:
            raise ValueError(f"noise_sd must be >= 0, got {noise_sd}")
        self.noise_sd = noise_sd
        self.rng = np.random.default_rng(seed)
        self._val = bench.per_cell("val_acc")[:, :, -1]
        self._test = bench.per_cell("test_acc")

    def __call__(self, arch: ArchLike) -> dict:
        u = self.bench.row_of(arch)
        seeds = np.flatnonzero(~np.isnan(self._test[u]))
        s = int(self.rng.choice(seeds))
        noise = self.rng.normal(0.0, self.noise_sd) if self.noise_sd else 0.0
        return {"score": float(self._val[u, s]) + noise, "test_acc": float(self._test[u, s]),
                "true_score": float(np.mean(self._val[u, seeds])),
                "cost": self.bench.query(arch)["train_seconds"]}


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
    best_true: list = field(default_factory=list)    # noise-free value of that incumbent
    skipped: int = 0   # proposals a partial benchmark had no record for (not counted)


def run_search(strategy: Strategy, objective: Callable[[ArchLike], dict],
               budget: int | None = None, *, seconds: float | None = None,
               max_skips: int = 1000,
               on_step: Callable[[int, Strategy, Trajectory], None] | None = None
               ) -> Trajectory:
    """Ask/evaluate/tell until the budget is spent: `budget` evaluations, or `seconds` of
    (simulated) cost — the last evaluation is the one that reaches it, so compare runs at
    equal time with `at_seconds`. `objective(arch)` returns a dict with 'score', 'test_acc'
    and 'cost' (and 'true_score' if the score is noisy); if it has an `optimum` record,
    regret is measured against it.

    On a partial benchmark (still being built), a proposal without a record raises
    `NotInBenchmark`: it is discarded — not evaluated, not told, not counted against the
    budget — and counted in `Trajectory.skipped`; the search then runs on the trained cells
    only. On the complete benchmark nothing is ever skipped.
    `on_step(step, strategy, traj)`, if given, is called after each evaluation is told.
    """
    if (budget is None) == (seconds is None):
        raise ValueError("give exactly one of budget (evaluations) and seconds (cost)")
    if budget is not None and (not isinstance(budget, int) or budget < 1):
        raise ValueError(f"budget must be a positive int, got {budget!r}")
    if seconds is not None and not 0 < seconds < float("inf"):  # NaN fails both
        raise ValueError(f"seconds must be a positive, finite number, got {seconds!r}")
    traj = Trajectory()
    best, best_test, best_true, spent = -float("inf"), float("nan"), float("nan"), 0.0
    opt = getattr(objective, "optimum", None)
    in_a_row = 0
    while (len(traj.scores) < budget) if budget is not None else (spent < seconds):
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
            best_true = r.get("true_score", r["score"])
        traj.archs.append(arch)
        traj.scores.append(r["score"])
        traj.best_score.append(best)
        traj.best_test.append(best_test)
        traj.best_true.append(best_true)
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


def stream_seed(name: str, seed: int) -> int:
    """The seed strategy `name` gets in run `seed` of a comparison: derived from both, so that
    two strategies never share a random stream (with one shared seed, random search, evolution
    and local search would start from the same cells, and their results would not be the
    independent samples an unpaired test assumes)."""
    return int(np.random.SeedSequence([seed, zlib.crc32(name.encode())]).generate_state(1)[0])


def _pad(rows: list[list[float]], fill: float) -> np.ndarray:
    n = max(len(r) for r in rows)
    return np.array([list(r) + [fill] * (n - len(r)) for r in rows], dtype=float)


def compare_strategies(names: Iterable[str], objective: Callable[[ArchLike], dict],
                       budget: int | None = None, seeds: Iterable[int] = range(10), *,
                       seconds: float | None = None, kwargs: dict[str, dict] | None = None,
                       independent: bool = True) -> dict:
    """Run each strategy in `names` once per seed at the same budget: `budget` evaluations or
    `seconds` of simulated cost (NAS-Bench-201's protocol; read the curves at equal time
    with `at_seconds`).

    Returns `{name: {"regret", "best_test", "best_true", "seconds": (S, n), "archs": list of
    S lists, "evaluations", "unique", "networks", "skipped": (S,), "seeds": (S,),
    "wall_seconds": float}}`, one row per seed. With a `seconds` budget runs differ in length:
    rows are padded with NaN (and `seconds` with inf), `evaluations` says how many are real.
    `unique` counts distinct cells, `networks` distinct networks (cells that build the same
    network — lesson 02's classes — count once). `independent=True` gives every strategy its
    own random stream (`stream_seed`); False uses `seed` itself for all (paired runs).
    `kwargs` maps a strategy name to its constructor arguments.
    """
    kwargs = kwargs or {}
    seeds = list(seeds)
    space = NB201Space()
    out = {}
    for name in names:
        t0 = time.perf_counter()
        run_seeds = [stream_seed(name, s) if independent else s for s in seeds]
        runs = [run_search(make_strategy(name, seed=s, **kwargs.get(name, {})), objective,
                           budget, seconds=seconds) for s in run_seeds]
        out[name] = {"regret": _pad([r.regret for r in runs], np.nan),
                     "best_test": _pad([r.best_test for r in runs], np.nan),
                     "best_true": _pad([r.best_true for r in runs], np.nan),
                     "seconds": _pad([r.seconds for r in runs], np.inf),
                     "archs": [r.archs for r in runs],
                     "evaluations": np.array([len(r.scores) for r in runs]),
                     "unique": np.array([len(set(r.archs)) for r in runs]),
                     "networks": np.array([len({space.canonical(a) for a in r.archs})
                                           for r in runs]),
                     "skipped": np.array([r.skipped for r in runs]),
                     "seeds": np.array(run_seeds),
                     "wall_seconds": time.perf_counter() - t0}
    return out
