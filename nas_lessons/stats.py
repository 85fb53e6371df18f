"""Statistics for comparing search runs over seeds.

* `bootstrap_ci` — the percentile bootstrap (Efron & Tibshirani, *An Introduction to the
  Bootstrap*, 1993, ch. 13): resample the runs with replacement, recompute the statistic,
  take the quantiles.
* `mann_whitney` — the Mann-Whitney U test (Mann & Whitney, 1947), a rank test that assumes no
  distribution; NAS comparisons need it because final regrets are skewed and often tied
  (Lindauer & Hutter, "Best practices for scientific research on NAS", JMLR 2020).
* `paired_difference` — the mean of paired differences (same seed, two methods) with its
  Student-t confidence interval and the Wilcoxon signed-rank test (Wilcoxon, 1945), which
  needs no normality; with n paired seeds its smallest two-sided p-value is 2 / 2**n, so
  five seeds can never reach p < 0.05 (0.0625) — a reason to run more.
* `mean_interval` — the mean over seeds of a curve (one row per seed) with its Student-t
  interval at every point: the band drawn around a mean curve.
* `holm` — Holm's step-down correction for testing several hypotheses at once (Holm, "A simple
  sequentially rejective multiple test procedure", Scand. J. Statistics 1979): with four
  strategies each tested against random search at 5%, the chance that at least one "wins" by
  luck alone is up to 1 - 0.95**4 = 19%; Holm keeps it at 5%.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["bootstrap_ci", "mann_whitney", "paired_difference", "mean_interval", "holm"]


def bootstrap_ci(x, statistic=np.mean, *, level: float = 0.95, n_resamples: int = 10_000,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of `statistic` over the sample `x`: 1-D, or
    2-D with one row per unit (e.g. a cell's accuracies under several seeds), rows resampled
    together and `statistic` applied to the resampled 2-D array."""
    x = np.asarray(x, dtype=float)
    if x.ndim not in (1, 2) or len(x) < 2:
        raise ValueError(f"need a 1-D or 2-D sample of at least 2 rows, got shape {x.shape}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n_resamples, len(x)))
    if x.ndim == 1:
        values = np.apply_along_axis(statistic, 1, x[idx])
    else:
        values = np.array([statistic(x[i]) for i in idx])
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def mann_whitney(x, y, *, alternative: str = "less") -> float:
    """p-value of the Mann-Whitney U test; `alternative="less"`: x tends to be smaller than
    y (e.g. the regret of strategy x is lower)."""
    if alternative not in ("less", "greater", "two-sided"):
        raise ValueError(f"alternative must be 'less', 'greater' or 'two-sided', "
                         f"got {alternative!r}")
    return float(stats.mannwhitneyu(np.asarray(x, float), np.asarray(y, float),
                                    alternative=alternative).pvalue)


def paired_difference(a, b, *, level: float = 0.95) -> dict:
    """Compare two methods run on the same seeds: d = a - b per seed. Returns 'n', 'mean',
    'ci' (the Student-t interval of the mean difference at `level`) and 'p' (two-sided
    Wilcoxon signed-rank test, exact for small n; 1.0 when every difference is 0)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"need two 1-D samples of the same length >= 2 (one value per seed), "
                         f"got shapes {a.shape} and {b.shape}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    d = a - b
    n = len(d)
    half = stats.t.ppf((1 + level) / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)
    p = 1.0 if not d.any() else float(stats.wilcoxon(d, zero_method="zsplit").pvalue)
    return {"n": n, "mean": float(d.mean()), "ci": (float(d.mean() - half),
                                                    float(d.mean() + half)), "p": p}


def mean_interval(y, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Column means of `y` (one row per seed, one column per point of a curve) and the
    half-width of their Student-t interval at `level`: plot mean ± half."""
    y = np.asarray(y, dtype=float)
    if y.ndim != 2 or len(y) < 2:
        raise ValueError(f"need a 2-D array of at least 2 rows (one per seed), got shape "
                         f"{y.shape}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    half = stats.t.ppf((1 + level) / 2, len(y) - 1) * y.std(0, ddof=1) / np.sqrt(len(y))
    return y.mean(0), half


def holm(pvalues) -> np.ndarray:
    """Holm-adjusted p-values, in the input order: reject hypothesis i at level alpha when
    its adjusted p-value is below alpha, and the chance of any false rejection stays at most
    alpha. The k-th smallest p is multiplied by (m - k + 1), then made non-decreasing."""
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1 or len(p) == 0 or np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError(f"need a non-empty 1-D sequence of p-values in [0, 1], got {pvalues!r}")
    m = len(p)
    order = np.argsort(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adjusted
    return out
