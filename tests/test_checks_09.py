"""The checks of exercise 09 accept the correct variants and reject plausible wrong ones."""

import numpy as np
import pytest

from nas_lessons.checks import (
    CheckFailed,
    check_a12,
    check_bootstrap_ci,
    check_non_aging,
    check_seeds_lab,
)
from nas_lessons.checks.lesson09 import seeds_lab_p_value
from nas_lessons.strategies import Strategy


# ---- 9.1 bootstrap --------------------------------------------------------------------------
def _boot(x, *, level=0.95, n_resamples=10_000, rng, how="indices"):
    if how == "indices":
        means = x[rng.integers(0, len(x), size=(n_resamples, len(x)))].mean(axis=1)
    elif how == "choice":  # a correct variant: resample the values directly
        means = rng.choice(x, size=(n_resamples, len(x)), replace=True).mean(axis=1)
    elif how == "no_replacement":
        means = np.array([rng.permutation(x).mean() for _ in range(n_resamples)])
    elif how == "data_quantiles":
        return tuple(np.quantile(x, [(1 - level) / 2, (1 + level) / 2]))
    elif how == "one_sided_level":
        means = x[rng.integers(0, len(x), size=(n_resamples, len(x)))].mean(axis=1)
        return tuple(np.quantile(means, [1 - level, level]))
    elif how == "global_numpy":
        means = x[np.random.randint(0, len(x), size=(n_resamples, len(x)))].mean(axis=1)
    return tuple(np.quantile(means, [(1 - level) / 2, (1 + level) / 2]))


@pytest.mark.parametrize("how", ["indices", "choice"])
def test_bootstrap_accepts(how):
    check_bootstrap_ci(lambda x, **kw: _boot(x, how=how, **kw))


@pytest.mark.parametrize("how", ["no_replacement", "data_quantiles", "one_sided_level",
                                 "global_numpy"])
def test_bootstrap_rejects(how):
    with pytest.raises(CheckFailed):
        check_bootstrap_ci(lambda x, **kw: _boot(x, how=how, **kw))


# ---- 9.2 A12 --------------------------------------------------------------------------------
def _a12(x, y, *, how="broadcast"):
    x, y = np.asarray(x, float), np.asarray(y, float)
    if how == "broadcast":
        return float(((x[:, None] > y) + 0.5 * (x[:, None] == y)).mean())
    if how == "ranks":  # a correct variant: from the rank sum (Vargha & Delaney, eq. 14)
        from scipy.stats import rankdata

        r = rankdata(np.r_[x, y])[:len(x)].sum()
        return float((r / len(x) - (len(x) + 1) / 2) / len(y))
    if how == "no_ties":
        return float((x[:, None] > y).mean())
    if how == "swapped":
        return float(((x[:, None] < y) + 0.5 * (x[:, None] == y)).mean())
    if how == "square":
        return float(((x[:, None] > y) + 0.5 * (x[:, None] == y)).sum() / len(x) ** 2)


@pytest.mark.parametrize("how", ["broadcast", "ranks"])
def test_a12_accepts(how):
    check_a12(lambda x, y: _a12(x, y, how=how))


@pytest.mark.parametrize("how", ["no_ties", "swapped", "square"])
def test_a12_rejects(how):
    with pytest.raises(CheckFailed):
        check_a12(lambda x, y: _a12(x, y, how=how))


# ---- 9.3 non-aging evolution ----------------------------------------------------------------
def _evolution(remove="worst", parent="tournament", edges=1, rng_source="own"):
    class Evo(Strategy):
        def __init__(self, *, population_size=20, sample_size=5, **kw):
            super().__init__(**kw)
            self.population_size, self.sample_size = population_size, sample_size
            self.population, self.told = [], 0

        def ask(self):
            import random

            rng = self.rng if rng_source == "own" else random
            if self.told < self.population_size:
                return self.space.sample(rng)
            if parent == "tournament":
                p = max(rng.choices(self.population, k=self.sample_size), key=lambda m: m[1])[0]
            else:
                p = rng.choice(self.population)[0]
            child = p
            for _ in range(edges):
                child = self.space.mutate(child, rng)
            return child

        def tell(self, arch, score):
            self.told += 1
            self.population.append((self.space.to_arch(arch), float(score)))
            if len(self.population) > self.population_size:
                if remove == "worst":
                    del self.population[min(range(len(self.population)),
                                            key=lambda i: self.population[i][1])]
                else:
                    self.population.pop(0)

    return Evo


def test_non_aging_accepts_the_reference():
    check_non_aging(_evolution())


@pytest.mark.parametrize("kw", [{"remove": "oldest"}, {"parent": "random"}, {"edges": 2},
                                {"rng_source": "global"}])
def test_non_aging_rejects(kw):
    with pytest.raises(CheckFailed):
        check_non_aging(_evolution(**kw))


# ---- 9.4 lab ------------------------------------------------------------------------------
def test_seeds_lab():
    p = seeds_lab_p_value(10)
    check_seeds_lab(0.5, p)
    with pytest.raises(CheckFailed):
        check_seeds_lab(0.5, p + 0.05)
    with pytest.raises(NotImplementedError, match="prediction"):
        check_seeds_lab(None, p)
