"""Checks of exercise 09 (`solutions/09_benchmarks_research.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .core import check_lab, global_random_case, run_cases


def check_bootstrap_ci(fn: Callable) -> None:
    """Exercise 9.1: `fn(x, *, level, n_resamples, rng)` is the percentile bootstrap interval
    of the mean (Efron & Tibshirani 1993, ch. 13), drawing only from `rng`."""
    from ..stats import bootstrap_ci

    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 1.0, 40)
    ref = bootstrap_ci(x, level=0.95, n_resamples=20_000, seed=3)

    def call(sample, level=0.95, n=20_000, seed=1):
        lo, hi = fn(np.asarray(sample, dtype=float), level=level, n_resamples=n,
                    rng=np.random.default_rng(seed))
        return float(lo), float(hi)

    def numpy_untouched() -> bool:
        state = np.random.get_state()
        try:
            np.random.seed(5)
            call(x, n=200)
            return np.random.random() == np.random.RandomState(5).random_sample()
        finally:
            np.random.set_state(state)

    cases = [
        ("a sample of equal values: the interval is that value", lambda: call([3.0] * 6),
         lambda got: np.allclose(got, (3.0, 3.0)),
         "resample the sample with replacement, take each resample's mean"),
        ("95% interval of 40 normal values agrees with the reference (within 0.02)",
         lambda: call(x), lambda got: np.allclose(got, ref, atol=0.02),
         "the bounds are the (1 - level)/2 and (1 + level)/2 quantiles of the resampled means"),
        ("a 50% interval is narrower than the 95% one, both around the mean",
         lambda: (call(x, level=0.5), call(x)),
         lambda got: got[1][0] < got[0][0] < x.mean() < got[0][1] < got[1][1],
         "use `level` for both tails: quantiles at (1 - level)/2 and (1 + level)/2"),
        ("the same rng seed gives the same interval", lambda: (call(x, n=500, seed=4),
                                                              call(x, n=500, seed=4)),
         lambda got: got[0] == got[1], "draw every random number from `rng`"),
        ("numpy's global random state is left alone", numpy_untouched,
         lambda got: got is True, "use rng.integers / rng.choice, never np.random.*"),
    ]
    run_cases("Exercise 9.1", cases)


def check_a12(fn: Callable) -> None:
    """Exercise 9.2: `fn(x, y)` is Vargha & Delaney's A12 = P(X > Y) + 0.5 P(X = Y) over
    all pairs of one value of `x` and one of `y`."""
    from scipy import stats

    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 9), rng.integers(0, 5, 13)  # ties, unequal sizes
    u = stats.mannwhitneyu(a, b).statistic
    cases = [
        ("x always larger: 1.0", lambda: fn([1, 2, 3], [0, 0, 0]), lambda got: got == 1.0,
         "count the pairs (xi, yj) with xi > yj"),
        ("identical samples: 0.5 (ties count half)", lambda: fn([1, 1], [1, 1]),
         lambda got: got == 0.5, "a tie xi == yj counts 0.5"),
        ("x = [1, 2], y = [2, 3]: 0.125", lambda: fn([1, 2], [2, 3]),
         lambda got: np.isclose(got, 0.125), "divide by the number of pairs, len(x) * len(y)"),
        ("9 vs 13 values with ties: equals Mann-Whitney U / (n m)", lambda: fn(a, b),
         lambda got: np.isclose(got, u / (len(a) * len(b))),
         "A12 = U / (n m), with U counting ties as one half"),
        ("A12(x, y) + A12(y, x) = 1", lambda: fn(a, b) + fn(b, a),
         lambda got: np.isclose(got, 1.0), "the probability is that x is *larger* than y"),
    ]
    run_cases("Exercise 9.2", cases)


def check_non_aging(cls: type) -> None:
    """Exercise 9.3: `cls(population_size, sample_size, seed)` is evolution without ageing
    (Real et al., AAAI 2019, the non-regularized baseline of Sec. 4): random cells until the
    population is full, then a one-edge mutation of the best of `sample_size` members drawn
    with replacement; `tell` appends (arch, score) to `population` and, above
    `population_size`, removes the member with the lowest score (the oldest of equal ones)."""
    from ..spaces import NB201Space

    space = NB201Space()

    def fill(s, scores):
        for sc in scores:
            s.tell(s.ask(), sc)
        return s

    def population_after_worst_replaced():
        s = fill(cls(population_size=4, sample_size=2, seed=0), [90.0, 10.0, 50.0, 70.0])
        first = [a for a, _ in s.population]
        child = s.ask()
        s.tell(child, 60.0)
        return first, [(a, sc) for a, sc in s.population], child

    def pop_ok(got):
        first, pop, child = got
        return ([sc for _, sc in pop] == [90.0, 50.0, 70.0, 60.0]
                and [a for a, _ in pop] == [first[0], first[2], first[3], child])

    def children_of_best():
        s = fill(cls(population_size=5, sample_size=200, seed=1), [10, 20, 99, 30, 40])
        best = s.population[2][0]
        return [sum(u != v for u, v in zip(s.ask(), best)) for _ in range(10)]

    def one_edge_mutations():
        s = fill(cls(population_size=5, sample_size=2, seed=2), [50, 60, 70, 80, 90])
        members = [a for a, _ in s.population]
        children = [s.ask() for _ in range(20)]
        return [min(sum(u != v for u, v in zip(child, m)) for m in members)
                for child in children]

    def run(seed):
        s = cls(population_size=6, sample_size=3, seed=seed)
        out = []
        for k in range(15):
            a = s.ask()
            out.append(space.to_arch(a))
            s.tell(a, float((k * 37) % 11))
        return out

    cases = [
        ("the worst member goes, not the oldest; order of the others kept",
         population_after_worst_replaced, pop_ok,
         "after appending, remove the member with the lowest score (RE would remove the "
         "oldest)"),
        ("a sample larger than the population always contains the best: its children",
         children_of_best, lambda got: got == [1] * 10,
         "parent = the best-scoring of sample_size members drawn with replacement"),
        ("every child differs from a member in exactly one edge", one_edge_mutations,
         lambda got: got == [1] * 20, "child = self.space.mutate(parent, self.rng)"),
        ("the same seed proposes the same cells", lambda: run(3) == run(3),
         lambda got: got is True, "draw all randomness from self.rng"),
        global_random_case(lambda: run(4), hint="use self.rng, never the random module"),
    ]
    run_cases("Exercise 9.3", cases)


def seeds_lab_p_value(n_seeds: int = 10) -> float:
    """Exercise 9.4's measurement: the one-sided Mann-Whitney p-value that regularized
    evolution's final regret is lower than random search's, 100 evaluations on the bundled
    benchmark, the first `n_seeds` seeds of `compare_strategies`."""
    from ..benchmark import Benchmark
    from ..search import BenchmarkObjective, compare_strategies
    from ..stats import mann_whitney

    runs = compare_strategies(["re", "rs"], BenchmarkObjective(Benchmark.load()), 100,
                              seeds=range(n_seeds))
    return mann_whitney(runs["re"]["regret"][:, -1], runs["rs"]["regret"][:, -1],
                        alternative="less")


def check_seeds_lab(prediction, answer) -> None:
    """Exercise 9.4 (lab): the p-value at 10 seeds."""
    check_lab("9.4", prediction=prediction, answer=answer, measured=seeds_lab_p_value(10),
              tolerance=0.002, what="the p-value at 10 seeds")
