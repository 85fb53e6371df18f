import numpy as np
import pytest

from nas_lessons.stats import bootstrap_ci, holm, mann_whitney, mean_interval


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
    assert mann_whitney(x, y, alternative="less") < 0.01 < mann_whitney(y, x)
    assert mann_whitney(x, x, alternative="two-sided") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="alternative"):
        mann_whitney(x, y, alternative="smaller")


def test_holm_adjusts_step_down_and_keeps_order():
    # sorted 0.01, 0.02, 0.03, 0.04 times 4, 3, 2, 1 = .04 .06 .06 .04, then made monotone
    adj = holm([0.03, 0.01, 0.04, 0.02])
    assert adj == pytest.approx([0.06, 0.04, 0.06, 0.06])
    assert holm([0.5]) == pytest.approx([0.5]) and holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])
    rng = np.random.default_rng(0)  # under the null, any-rejection rate stays <= 5%
    p = rng.uniform(size=(4000, 4))
    assert np.mean([(holm(row) < 0.05).any() for row in p]) < 0.06
    assert np.mean((p < 0.05).any(axis=1)) > 0.15  # uncorrected: about 19%
    for bad in ([], [0.1, 1.2], [float("nan")], [[0.1]]):
        with pytest.raises(ValueError, match="p-values"):
            holm(bad)


def test_paired_difference():
    from nas_lessons.stats import paired_difference

    r = paired_difference([1, 2, 3, 4, 5], [0, 0, 0, 0, 0])
    assert r["n"] == 5 and r["mean"] == 3
    # t interval: mean +- t_{0.975, 4} * sd / sqrt(n) = 3 +- 2.776 * 1.581 / 2.236
    assert r["ci"] == pytest.approx((3 - 1.9632, 3 + 1.9632), abs=1e-3)
    assert r["p"] == pytest.approx(0.0625)  # five seeds: the smallest two-sided Wilcoxon p
    assert paired_difference([1, 2], [1, 2])["p"] == 1.0
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(400):  # the interval covers the true mean difference ~95% of the time
        a = rng.normal(1.0, 1.0, 8)
        covered += paired_difference(a, np.zeros(8))["ci"][0] < 1.0 < paired_difference(
            a, np.zeros(8))["ci"][1]
    assert 0.91 < covered / 400 < 0.99
    with pytest.raises(ValueError, match="same length"):
        paired_difference([1, 2, 3], [1, 2])


def test_mean_interval_is_the_student_t_band_per_point():
    from scipy import stats as st

    y = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 5.0], [2.0, 2.0, 4.0]])
    m, half = mean_interval(y)
    assert m.tolist() == [2.0, 2.0, 4.0] and half[1] == 0.0
    assert half[0] == pytest.approx(st.t.ppf(0.975, 2) * 1.0 / np.sqrt(3))
    assert (mean_interval(y, level=0.5)[1] < half).sum() == 2  # narrower where it can be
    with pytest.raises(ValueError, match="at least 2 rows"):
        mean_interval(y[:1])
