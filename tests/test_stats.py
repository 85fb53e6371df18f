import numpy as np
import pytest

from nas_lessons.stats import bootstrap_ci, mann_whitney


def test_bootstrap_ci_covers_the_mean_and_shrinks_with_n():
    rng = np.random.default_rng(0)
    small, large = rng.normal(5, 1, 20), rng.normal(5, 1, 2000)
    lo, hi = bootstrap_ci(small)
    assert lo < small.mean() < hi
    lo2, hi2 = bootstrap_ci(large)
    assert lo2 < 5 < hi2 and hi2 - lo2 < (hi - lo) / 5
    assert bootstrap_ci(small, seed=1) == bootstrap_ci(small, seed=1)


def test_bootstrap_ci_resamples_rows_of_a_2d_sample_together():
    a = np.random.default_rng(0).normal(size=200)
    rows = np.column_stack([a, a + 1.0])  # within a row the difference is always 1
    lo, hi = bootstrap_ci(rows, lambda x: float((x[:, 1] - x[:, 0]).mean()), n_resamples=200)
    assert lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    lo, hi = bootstrap_ci(rows, lambda x: float(x[:, 0].mean()), n_resamples=500)
    assert lo < a.mean() < hi and hi - lo == pytest.approx(3.92 / np.sqrt(200), rel=0.2)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        bootstrap_ci(np.zeros((3, 2, 2)))


def test_bootstrap_ci_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 2"):
        bootstrap_ci([1.0])
    with pytest.raises(ValueError, match="level"):
        bootstrap_ci([1.0, 2.0], level=1.5)


def test_mann_whitney_directions():
    x, y = np.arange(10.0), np.arange(10.0) + 8
    assert mann_whitney(x, y, "less") < 0.01 < mann_whitney(y, x, "less")
    assert mann_whitney(x, x, "two-sided") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="alternative"):
        mann_whitney(x, y, "smaller")
