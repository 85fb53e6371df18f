"""Thesis starters (lesson 09): a question, a method, a minimal experiment that runs on a laptop
CPU, the range of results to expect, what would make it a thesis, and a reading list.

Each starter's `experiment(scale=...)` really runs: `scale="lesson"` in a few seconds (what
lesson 09 runs), `scale="minimal"` in at most about a minute (`nas-lessons starter run KEY`).
`expected` gives, for the numbers a starter makes a claim about, the range they fell in at
the lesson scale over seeds 0-3 at one and two threads and at the minimal scale with seed 0
(the other numbers are reported only) — a result outside it is worth a look, not
necessarily a bug (another CPU, another benchmark version). The topics are the article's list,
made concrete; the practice around them is Lindauer & Hutter's checklist (JMLR 21(243), 2020).
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from .benchmark.recipe import V2_SETTINGS, BenchSettings, train_cell

SCALES = ("lesson", "minimal")


@dataclass
class StarterResult:
    """What one run of a starter measured: named numbers, the lines that explain them, and
    how long it took."""

    metrics: dict[str, float]
    lines: list[str]
    seconds: float = 0.0
    figure_data: dict = field(default_factory=dict)
    #: the metrics that fell outside the starter's expected range (name -> value)
    outside: dict[str, float] = field(default_factory=dict)
    #: why this run's numbers are not judged against the expected ranges (e.g. other programs
    #: kept the CPU busy during a timing); empty when they are
    not_judged: str = ""


@dataclass(frozen=True)
class Starter:
    key: str
    level: str          # bachelor, master
    question: str
    method: str
    thesis: str
    reading: tuple[str, ...]
    experiment: Callable[..., StarterResult]
    expected: dict[str, tuple[float, float]]   # metric -> (low, high), at either scale

    def run(self, *, scale: str = "lesson", seed: int = 0) -> StarterResult:
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}; allowed: {', '.join(SCALES)}")
        t0 = time.perf_counter()
        result = self.experiment(scale=scale, seed=seed)
        result.seconds = time.perf_counter() - t0
        result.outside = {} if result.not_judged else {
            k: v for k, v in result.metrics.items()
            if k in self.expected and not self.expected[k][0] <= v <= self.expected[k][1]}
        return result

    def card(self, result: StarterResult | None = None) -> str:
        """The starter as text: question, method, what it measured against what to expect,
        what would make it a thesis, reading."""
        out = [f"[{self.level}] {self.key}: {self.question}", f"  method: {self.method}"]
        if result is not None:
            out += [f"  {line}" for line in result.lines]
            for k, v in result.metrics.items():
                if k not in self.expected:   # reported, no claim made about it
                    out.append(f"  {k} = {v:.3g}")
                    continue
                lo, hi = self.expected[k]
                flag = ("" if result.not_judged or lo <= v <= hi
                        else "   <- outside the expected range")
                out.append(f"  {k} = {v:.3g}  (expected {lo:g} to {hi:g}){flag}")
            if result.not_judged:
                out.append(f"  not judged against the expected ranges: {result.not_judged}")
            out.append(f"  ({result.seconds:.1f} s)")
        out += [f"  a thesis: {self.thesis}", f"  reading: {'; '.join(self.reading)}"]
        return "\n".join(out)


@functools.cache
def _bench():
    """The bundled benchmark, loaded (and checksum-verified) once per process."""
    from .benchmark import Benchmark

    return Benchmark.load()


def _stratified_cells(n: int) -> list[str]:
    """`n` different networks of the benchmark spread evenly over its range of validation
    accuracy (5th to 100th percentile), so that a rank correlation over few cells measures
    whether the order carries over, not the noise among near-equal cells."""
    from .spaces import NB201Space

    bench, space = _bench(), NB201Space()
    cells = [i for i in map(space.index, space.unique_archs()) if bench.available()[i]]
    acc = bench.array("val_acc")[cells]
    order = np.argsort(acc, kind="stable")
    picks = order[np.linspace(0.05 * (len(order) - 1), len(order) - 1, n).round().astype(int)]
    return [space.format(space.from_index(cells[p])) for p in picks]


def _benchmark_val(archs) -> np.ndarray:

    bench = _bench()
    return np.array([bench.query(a, seed="mean")["val_acc"] for a in archs])


# ---- bachelor -------------------------------------------------------------------------------
def hpo_methods(*, scale: str, seed: int = 0) -> StarterResult:
    """Random search, regularized evolution (Real et al., AAAI 2019) and TPE (Bergstra et al.,
    NeurIPS 2011) on the benchmark at equal evaluations: final validation regret over
    independent seeds (each strategy its own random stream), and Mann-Whitney's U test of
    evolution against random search (unpaired, one-sided)."""
    from scipy.stats import mannwhitneyu

    from .search import BenchmarkObjective, compare_strategies

    seeds, budget = {"lesson": (10, 50), "minimal": (30, 100)}[scale]
    res = compare_strategies(["rs", "re", "tpe"], BenchmarkObjective(_bench()),
                             budget, range(seed * 1000, seed * 1000 + seeds))
    final = {k: v["regret"][:, -1] for k, v in res.items()}
    metrics = {f"{k}_regret": float(np.mean(v)) for k, v in final.items()}
    p = float(mannwhitneyu(final["re"], final["rs"], alternative="less").pvalue)
    metrics["p_re_below_rs"] = p
    lines = [f"{seeds} seeds x {budget} evaluations; mean final validation regret (pp): "
             + ", ".join(f"{k} {np.mean(v):.2f}" for k, v in final.items()),
             f"regularized evolution below random search? Mann-Whitney U, one-sided p = {p:.3f}"]
    return StarterResult(metrics, lines)


def automl_vs_manual(*, scale: str, seed: int = 0) -> StarterResult:
    """An RBF SVM on digits: scikit-learn's defaults, a careful manual log grid of 16 settings
    and Optuna's TPE with the same 16 evaluations, each chosen by 3-fold cross-validation on
    the training half and scored once on the held-out half, over several splits."""
    import optuna
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.svm import SVC

    from .hpo import cv_accuracy, run_study

    splits = {"lesson": 1, "minimal": 8}[scale]
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    grid = [{"C": c, "gamma": g} for c in (0.1, 1.0, 10.0, 100.0)
            for g in (1e-3, 1e-2, 3e-2, 1e-1)]
    test = {"defaults": [], "manual grid": [], "TPE": []}
    for s in range(seed * 1000, seed * 1000 + splits):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=s, stratify=y)

        def score(p: dict, Xtr=Xtr, ytr=ytr, s=s) -> float:
            return cv_accuracy(SVC(**p), Xtr, ytr, folds=3, seed=s)

        def held_out(p: dict, Xtr=Xtr, ytr=ytr, Xte=Xte, yte=yte) -> float:
            return 100.0 * SVC(**p).fit(Xtr, ytr).score(Xte, yte)

        study = run_study(lambda t, score=score: score(
            {"C": t.suggest_float("C", 1e-2, 1e3, log=True),
             "gamma": t.suggest_float("gamma", 1e-5, 1e0, log=True)}),
            optuna.samplers.TPESampler(seed=s), len(grid))
        test["defaults"].append(held_out({}))
        test["manual grid"].append(held_out(max(grid, key=score)))
        test["TPE"].append(held_out(study.best_params))
    mean = {k: float(np.mean(v)) for k, v in test.items()}
    metrics = {"defaults_test": mean["defaults"], "tpe_minus_grid": mean["TPE"]
               - mean["manual grid"], "tpe_minus_defaults": mean["TPE"] - mean["defaults"]}
    lines = [f"{splits} train/test splits of digits; held-out accuracy (%): "
             + ", ".join(f"{k} {v:.2f}" for k, v in mean.items())]
    return StarterResult(metrics, lines)


def classical_mds(d: np.ndarray, *, dims: int = 2) -> np.ndarray:
    """Points whose Euclidean distances approximate the dissimilarities `d` (n x n):
    classical multidimensional scaling (Torgerson, Psychometrika 1952) — double-centre the
    squared distances, B = -1/2 J D^2 J, and take the top eigenvectors scaled by the square
    roots of their eigenvalues. Deterministic, unlike iterative (SMACOF) MDS."""
    n = len(d)
    j = np.eye(n) - 1.0 / n
    w, v = np.linalg.eigh(-0.5 * j @ (d**2) @ j)
    top = np.argsort(w)[::-1][:dims]
    return v[:, top] * np.sqrt(np.clip(w[top], 0.0, None))


def search_trajectory(*, scale: str, seed: int = 0) -> StarterResult:
    """Where a search looks: the Hamming distance (edges that differ) from each proposal to
    the incumbent of that moment — 6 x 4/5 = 4.8 expected for random search, less for a
    search that exploits — and a 2-D map of the visited cells (classical MDS on Hamming
    distances)."""
    from .search import BenchmarkObjective, compare_strategies
    from .spaces import NB201Space

    seeds, budget = {"lesson": (5, 60), "minimal": (20, 150)}[scale]
    space = NB201Space()
    res = compare_strategies(["rs", "re"], BenchmarkObjective(_bench()), budget,
                             range(seed * 1000, seed * 1000 + seeds))
    metrics, maps = {}, {}
    for name, r in res.items():
        dists = []
        for archs in r["archs"]:
            scored = _benchmark_val(archs)
            enc = np.array([space.to_arch(a) for a in archs])
            for t in range(1, len(archs)):
                inc = int(np.argmax(scored[:t]))
                dists.append(int(np.sum(enc[t] != enc[inc])))
        metrics[f"{name}_distance"] = float(np.mean(dists))
        enc = np.array([space.to_arch(a) for a in r["archs"][0]])
        xy = classical_mds((enc[:, None, :] != enc[None, :, :]).sum(-1).astype(float))
        maps[name] = {"xy": xy, "val": _benchmark_val(r["archs"][0])}
    lines = [f"{seeds} seeds x {budget} evaluations; mean edges a proposal differs from the "
             f"incumbent: random search {metrics['rs_distance']:.2f}, regularized evolution "
             f"{metrics['re_distance']:.2f} (of 6)"]
    return StarterResult(metrics, lines, figure_data=maps)


# ---- master ---------------------------------------------------------------------------------
def device_latency(*, scale: str, seed: int = 0) -> StarterResult:
    """A latency lookup table for *this* device (lesson 06): built in seconds, fitted on half
    of a sample of cells, and judged on the other half by Kendall's tau against measurement
    — next to re-measuring the same cells, the ceiling any predictor can reach."""
    from scipy.stats import kendalltau

    from .hardware import CPUContention, LatencyTable, prediction_report
    from .spaces import NB201Space

    n, passes = {"lesson": (16, 2), "minimal": (40, 3)}[scale]
    rng = random.Random(seed)
    space = NB201Space()
    archs = [space.format(space.sample(rng)) for _ in range(n)]
    with CPUContention() as load:   # a busy CPU stretches some timings and not others
        table = LatencyTable(threads=1).build(passes=passes)
        measured = np.array(table.measure(archs, passes=passes))
        again = np.array(table.measure(archs, passes=passes))
    half = n // 2
    table.fit(archs[:half], measured[:half])
    rep = prediction_report([table.predict(a) for a in archs[half:]], measured[half:])
    retest = float(kendalltau(measured[half:], again[half:])[0])
    metrics = {"table_tau": rep["kendall_tau"], "retest_tau": retest,
               "tau_shortfall": retest - rep["kendall_tau"], "mape": rep["mape"]}
    lines = [f"{n} random cells, table fitted on {half}: Kendall tau table-vs-measured "
             f"{rep['kendall_tau']:.2f}, re-measured-vs-measured {retest:.2f}, "
             f"MAPE {100 * rep['mape']:.1f}%"]
    return StarterResult(metrics, lines, not_judged=load.busy)


@functools.lru_cache(maxsize=8)
def _train_cells(archs: tuple[str, ...], settings: BenchSettings, seed: int) -> np.ndarray:
    """Final validation accuracy of each cell trained with `settings` and training seed
    `seed` (cached: two starters that train the same cells the same way share the runs)."""
    data = settings.data()
    return np.array([train_cell(a, seed, settings=settings, data=data, measure=False)
                     ["val_acc"][-1] for a in archs])


#: the training starters' recipe: digits (8x8 images; the cells' ops in 2-D), small batches;
#: built on version 2's settings and kept there, so the starters' measured ranges stay valid
DIGITS = replace(V2_SETTINGS, dataset="digits", batch_size=64, lr=0.05)


def transfer(*, scale: str, seed: int = 0) -> StarterResult:
    """Do rankings found with a small network hold for a larger one? Cells spread over the
    benchmark's range trained on digits at width C = 8 and C = 16 with one recipe; Spearman's
    rho between the two orders."""
    from scipy.stats import spearmanr

    n, epochs = {"lesson": (5, 4), "minimal": (8, 8)}[scale]
    archs = tuple(_stratified_cells(n))
    small = _train_cells(archs, replace(DIGITS, epochs=epochs), seed)
    large = _train_cells(archs, replace(DIGITS, epochs=epochs, C=16), seed)
    rho = float(spearmanr(small, large)[0])
    lines = [f"{n} cells on digits, {epochs} epochs: C=8 val {np.round(small, 1).tolist()}",
             f"C=16 val {np.round(large, 1).tolist()}; Spearman rho {rho:.2f}"]
    return StarterResult({"spearman": rho}, lines)


def multitask(*, scale: str, seed: int = 0) -> StarterResult:
    """One cell for two tasks: cells spread over the benchmark's range (MNIST-1D, 1-D
    signals) trained on digits (8x8 images, the same ops in 2-D); Spearman's rho between the
    two tasks' orders and the cells that are Pareto-optimal on both."""
    from scipy.stats import spearmanr

    from .multiobjective import pareto_front

    n, epochs = {"lesson": (5, 4), "minimal": (8, 8)}[scale]
    archs = tuple(_stratified_cells(n))
    a1, a2 = _benchmark_val(archs), _train_cells(archs, replace(DIGITS, epochs=epochs), seed)
    rho = float(spearmanr(a1, a2)[0])
    front = pareto_front(np.stack([a1, a2], axis=1), ("max", "max"))
    lines = [f"{n} cells: MNIST-1D val (benchmark) {np.round(a1, 1).tolist()}",
             f"digits val {np.round(a2, 1).tolist()}; Spearman rho {rho:.2f}; "
             f"{len(front)} cell(s) on the two-task Pareto front"]
    return StarterResult({"spearman": rho}, lines)


STARTERS: dict[str, Starter] = {s.key: s for s in [
    Starter("hpo-methods", "bachelor",
            "Which search method should a practitioner use for a small network?",
            "random search, regularized evolution and TPE on mnist1d-201 at equal evaluations",
            "several benchmarks and budgets, budgets in time (`--time-budget`), a "
            "recommendation with evidence: `nas-lessons experiment compare`",
            ("Bergstra & Bengio, JMLR 2012", "Li & Talwalkar, UAI 2019",
             "Lindauer & Hutter, JMLR 2020"),
            hpo_methods,
            {"rs_regret": (0.3, 2.0), "re_regret": (0.2, 2.0), "tpe_regret": (0.1, 2.0)}),
    Starter("automl-vs-manual", "bachelor",
            "Does an AutoML tool beat careful manual tuning?",
            "an SVM on digits: defaults vs a 16-point manual grid vs TPE with 16 evaluations, "
            "held-out test over several splits",
            "equal compute for the person and the tool, several datasets and models, the "
            "person's time counted too",
            ("Feurer et al., NeurIPS 2015 (auto-sklearn)",
             "Hutter, Kotthoff & Vanschoren (eds.), Automated Machine Learning, 2019"),
            automl_vs_manual,
            {"defaults_test": (97.0, 99.5), "tpe_minus_grid": (-1.0, 1.0),
             "tpe_minus_defaults": (-1.0, 1.5)}),
    Starter("search-trajectory", "bachelor",
            "How does a search move through the space?",
            "distance from each proposal to the incumbent, and a 2-D map of the visited cells",
            "a visualisation tool that shows exploration and exploitation for any strategy, "
            "validated on strategies with known behaviour",
            ("White et al., NeurIPS 2020 (encodings)", "Real et al., AAAI 2019"),
            search_trajectory,
            {"rs_distance": (4.5, 5.1), "re_distance": (2.5, 4.3)}),
    Starter("device-latency", "master", "Hardware-aware NAS for *your* device",
            "a per-op latency table measured here, judged against measurement and against "
            "re-measurement (lesson 06)",
            "a latency predictor validated on a device you own (a phone, a Raspberry Pi), a "
            "Pareto front of accuracy and latency, a deployed model",
            ("Cai et al., ICLR 2019 (ProxylessNAS)", "Zhang et al., MobiSys 2021 (nn-Meter)"),
            device_latency,
            {"tau_shortfall": (-1.0, 0.3), "mape": (0.0, 0.5)}),   # lesson 06's GATE
    Starter("transfer", "master", "Do rankings transfer from a small to a larger setting?",
            "cells spread over the benchmark's range trained on digits at width 8 and 16; "
            "Spearman's rho between the two orders",
            "several widths, depths and datasets; transfer among the *top* cells (where a "
            "search decides), a proxy that predicts it",
            ("Zoph et al., CVPR 2018", "Dong & Yang, ICLR 2020 (NAS-Bench-201)"),
            transfer,
            {"spearman": (-0.3, 1.0)}),   # five cells at the lesson scale: little to go on
    Starter("multitask", "master", "One search for several tasks",
            "cells spread over the benchmark's range (MNIST-1D) trained on digits; Spearman's "
            "rho and the two-task Pareto front",
            "a multi-task objective, the cost of one shared cell against a cell per task",
            ("Zamir et al., CVPR 2018 (Taskonomy)", "Elsken et al., CVPR 2020 (meta-NAS)"),
            multitask,
            {"spearman": (0.4, 1.0)}),
]}


def get(key: str) -> Starter:
    if key not in STARTERS:
        raise ValueError(f"unknown starter {key!r}; allowed: {', '.join(STARTERS)}")
    return STARTERS[key]


def run(key: str, *, scale: str = "lesson", seed: int = 0) -> StarterResult:
    """Run starter `key`, print its card (question, result against what to expect, thesis,
    reading) and return the result."""
    starter = get(key)
    result = starter.run(scale=scale, seed=seed)
    print(starter.card(result))
    return result
