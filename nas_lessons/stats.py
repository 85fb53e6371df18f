"""Statistics for comparing search runs over seeds.

* `bootstrap_ci` — the percentile bootstrap (Efron & Tibshirani, *An Introduction to the
  Bootstrap*, 1993, ch. 13): resample the runs with replacement, recompute the statistic,
  take the quantiles.
* `mann_whitney` — the Mann-Whitney U test (Mann & Whitney, 1947), a rank test that assumes no
  distribution; NAS comparisons need it because final regrets are skewed and often tied
  (Lindauer & Hutter, "Best practices for scientific research on NAS", JMLR 2020).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["bootstrap_ci", "mann_whitney"]


def bootstrap_ci(x, statistic=np.mean, level: float = 0.95, n_resamples: int = 10_000,
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


def mann_whitney(x, y, alternative: str = "less") -> float:
    """p-value of the Mann-Whitney U test; `alternative="less"`: x tends to be smaller than
    y (e.g. the regret of strategy x is lower)."""
    if alternative not in ("less", "greater", "two-sided"):
        raise ValueError(f"alternative must be 'less', 'greater' or 'two-sided', "
                         f"got {alternative!r}")
    return float(stats.mannwhitneyu(np.asarray(x, float), np.asarray(y, float),
                                    alternative=alternative).pvalue)
