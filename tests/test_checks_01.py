"""The checks of exercise 01 accept the correct variants and reject plausible wrong ones."""

import math

import numpy as np
import pytest
from scipy.stats import gaussian_kde, norm
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nas_lessons.checks import (
    CheckFailed,
    check_expected_improvement,
    check_leak_free_cv,
    check_leakage_lab,
    check_tpe_next,
)
from nas_lessons.checks.lesson01 import leakage_lab_measurement


# ---- 1.1 leak-free cross-validation ---------------------------------------------------------
def _score(model, X, y, cv) -> float:
    return 100.0 * float(np.mean(cross_val_score(model, X, y, cv=cv)))


def leak_free(X, y, k, folds, seed):
    pipe = make_pipeline(StandardScaler(), SelectKBest(f_classif, k=k),
                         LogisticRegression(max_iter=500))
    return _score(pipe, X, y, StratifiedKFold(folds, shuffle=True, random_state=seed))


def leak_free_by_hand(X, y, k, folds, seed):
    """The same estimate with an explicit loop over the folds."""
    accs = []
    for tr, va in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        pipe = make_pipeline(StandardScaler(), SelectKBest(f_classif, k=k),
                             LogisticRegression(max_iter=500)).fit(X[tr], y[tr])
        accs.append(pipe.score(X[va], y[va]))
    return 100.0 * float(np.mean(accs))


def leaky_selection(X, y, k, folds, seed):
    Xk = SelectKBest(f_classif, k=k).fit_transform(X, y)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    return _score(pipe, Xk, y, StratifiedKFold(folds, shuffle=True, random_state=seed))


def unshuffled_folds(X, y, k, folds, seed):
    pipe = make_pipeline(StandardScaler(), SelectKBest(f_classif, k=k),
                         LogisticRegression(max_iter=500))
    return _score(pipe, X, y, KFold(folds))


def fraction_not_percent(X, y, k, folds, seed):
    return leak_free(X, y, k, folds, seed) / 100


@pytest.mark.parametrize("fn", [leak_free, leak_free_by_hand])
def test_leak_free_cv_accepts(fn):
    check_leak_free_cv(fn)


@pytest.mark.parametrize("fn", [leaky_selection, unshuffled_folds, fraction_not_percent])
def test_leak_free_cv_rejects(fn):
    with pytest.raises(CheckFailed):
        check_leak_free_cv(fn)


# ---- 1.2 expected improvement ---------------------------------------------------------------
def ei(mu, sigma, best, xi):
    gain = np.asarray(mu, float) - best - xi
    sigma = np.asarray(sigma, float)
    z = np.divide(gain, sigma, out=np.zeros_like(gain), where=sigma > 0)
    return np.where(sigma > 0, gain * norm.cdf(z) + sigma * norm.pdf(z), np.maximum(gain, 0))


def ei_with_erf_loop(mu, sigma, best, xi):
    out = []
    for m, s in zip(mu, sigma):
        g = m - best - xi
        if s == 0:
            out.append(max(g, 0.0))
            continue
        z = g / s
        cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
        out.append(g * cdf + s * math.exp(-z * z / 2) / math.sqrt(2 * math.pi))
    return np.array(out)


def ei_for_minimization(mu, sigma, best, xi):
    return ei(-np.asarray(mu, float), sigma, -best, xi)


def ei_without_exploration_term(mu, sigma, best, xi):
    gain = np.asarray(mu, float) - best - xi
    with np.errstate(divide="ignore", invalid="ignore"):
        return gain * norm.cdf(gain / np.asarray(sigma, float))


def ei_nan_at_zero_sigma(mu, sigma, best, xi):
    gain = np.asarray(mu, float) - best - xi
    with np.errstate(divide="ignore", invalid="ignore"):
        z = gain / np.asarray(sigma, float)
    return gain * norm.cdf(z) + np.asarray(sigma, float) * norm.pdf(z)


def ei_ignoring_xi(mu, sigma, best, xi):
    return ei(mu, sigma, best, 0.0)


@pytest.mark.parametrize("fn", [ei, ei_with_erf_loop])
def test_expected_improvement_accepts(fn):
    check_expected_improvement(fn)


@pytest.mark.parametrize("fn", [ei_for_minimization, ei_without_exploration_term,
                                ei_nan_at_zero_sigma, ei_ignoring_xi])
def test_expected_improvement_rejects(fn):
    with pytest.raises(CheckFailed):
        check_expected_improvement(fn)


# ---- 1.3 TPE's next trial --------------------------------------------------------------------
def _tpe(x, y, candidates, gamma, *, n_good=None, largest=True, score="ratio"):
    n = len(y)
    n_good = math.ceil(gamma * n) if n_good is None else n_good(gamma, n)
    order = np.argsort(-np.asarray(y) if largest else np.asarray(y), kind="stable")
    good = np.zeros(n, dtype=bool)
    good[order[:n_good]] = True
    lx, gx = gaussian_kde(x[good])(candidates), gaussian_kde(x[~good])(candidates)
    values = {"ratio": lx / gx, "log": np.log(lx) - np.log(gx), "l": lx, "diff": lx - gx}[score]
    return float(candidates[np.argmax(values)])


def tpe(x, y, candidates, gamma):
    return _tpe(x, y, candidates, gamma)


def tpe_log_ratio(x, y, candidates, gamma):
    return _tpe(x, y, candidates, gamma, score="log")


def tpe_minimizing(x, y, candidates, gamma):
    return _tpe(x, y, candidates, gamma, largest=False)


def tpe_floor(x, y, candidates, gamma):
    return _tpe(x, y, candidates, gamma, n_good=lambda g, n: max(2, math.floor(g * n)))


def tpe_good_density_only(x, y, candidates, gamma):
    return _tpe(x, y, candidates, gamma, score="l")


def tpe_difference(x, y, candidates, gamma):
    return _tpe(x, y, candidates, gamma, score="diff")


def tpe_sorting_in_place(x, y, candidates, gamma):
    order = np.argsort(-y, kind="stable")
    x[:], y[:] = x[order], y[order]
    return _tpe(x, y, candidates, gamma)


@pytest.mark.parametrize("fn", [tpe, tpe_log_ratio])
def test_tpe_next_accepts(fn):
    check_tpe_next(fn)


@pytest.mark.parametrize("fn", [tpe_minimizing, tpe_floor, tpe_good_density_only,
                                tpe_difference, tpe_sorting_in_place])
def test_tpe_next_rejects(fn):
    with pytest.raises(CheckFailed):
        check_tpe_next(fn)


# ---- 1.4 the leakage lab ---------------------------------------------------------------------
def test_leakage_lab_measures_a_large_optimism():
    X = np.random.default_rng(0).normal(size=(60, 5000))
    y = np.array([0, 1] * 30)
    measured = leakage_lab_measurement()
    assert measured == pytest.approx(leaky_selection(X, y, 10, 3, 0) - leak_free(X, y, 10, 3, 0))
    assert measured > 25  # pure noise, yet the leaky estimate is far above chance


def test_leaky_optimism_grows_with_the_noise_features_as_answer_1_4_says():
    """Model answer 1.4 quotes the leaky estimate on the canary's first 100, 1,000 and 5,000
    features: about 65%, 82% and 88%."""
    from nas_lessons.checks.lesson01 import _canary, _leaky_cv

    X, y = _canary()
    got = [_leaky_cv(X[:, :n], y, 10, 3, 0) for n in (100, 1000, 5000)]
    assert got == pytest.approx([65, 82, 88], abs=1.5)


def test_leakage_lab_accepts_the_measurement_and_rejects_the_honest_zero(capsys):
    measured = leakage_lab_measurement()
    check_leakage_lab(5.0, measured)  # a wrong prediction is not penalised
    check_leakage_lab(5.0, measured + 1.5)  # scaling before selecting shifts it a little
    with pytest.raises(CheckFailed):
        check_leakage_lab(5.0, 0.0)
    with pytest.raises(NotImplementedError, match="prediction first"):
        check_leakage_lab(None, measured)
    assert "your prediction 5" in capsys.readouterr().out
