"""Checks of exercise 01 (`solutions/01_automl_levels.ipynb`)."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from .core import check_lab, run_cases


def _canary() -> tuple[np.ndarray, np.ndarray]:
    """60 examples of 5,000 pure-noise features and balanced labels: nothing to learn, so an
    honest estimate of accuracy is 50%."""
    return np.random.default_rng(0).normal(size=(60, 5000)), np.array([0, 1] * 30)


def _quiet(fn: Callable, *args, **kwargs):
    with warnings.catch_warnings():  # digits has blank pixels: f_classif warns about them
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _cv(model, X, y, folds: int, seed: int) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return 100.0 * float(np.mean(_quiet(cross_val_score, model, X, y, cv=cv)))


def _clean_cv(X, y, k: int, folds: int, seed: int) -> float:
    """The reference of Exercise 1.1: selection inside the cross-validated pipeline."""
    from sklearn.feature_selection import SelectKBest, f_classif
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return _cv(make_pipeline(StandardScaler(), SelectKBest(f_classif, k=k),
                             LogisticRegression(max_iter=500)), X, y, folds, seed)


def _leaky_cv(X, y, k: int, folds: int, seed: int) -> float:
    """The leaky estimate of lab 1.4: the k best features chosen on all the data first."""
    from sklearn.feature_selection import SelectKBest, f_classif
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    Xk = _quiet(lambda: SelectKBest(f_classif, k=k).fit_transform(X, y))
    return _cv(make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), Xk, y,
               folds, seed)


def check_leak_free_cv(fn: Callable) -> None:
    """Exercise 1.1: `fn(X, y, k, folds, seed)` = CV accuracy (%) of standardize ->
    SelectKBest(f_classif, k) -> LogisticRegression(max_iter=500), every step fitted inside
    each training fold, StratifiedKFold(folds, shuffle=True, random_state=seed)."""
    from sklearn.datasets import load_digits

    Xn, yn = _canary()
    d = load_digits()
    Xd, yd = d.data[:400], d.target[:400]
    cases = [("leakage canary: 5,000 noise features, 60 examples", lambda: _quiet(fn, Xn, yn,
                                                                                 10, 3, 0),
              lambda got: got is not None and got < 70,
              "the score is far above chance (50%) on data with nothing to learn: the feature "
              "selection saw the validation folds")]
    for k, folds, seed in [(20, 3, 0), (5, 5, 1)]:
        want = _clean_cv(Xd, yd, k, folds, seed)
        cases.append((f"digits, k={k}, {folds} folds, seed {seed}",
                      lambda k=k, f=folds, s=seed: _quiet(fn, Xd, yd, k, f, s),
                      lambda got, w=want: got is not None and abs(got - w) < 1e-6,
                      f"expected {want:.4f}: the pipeline and splitter of the instructions, "
                      "accuracy in %"))
    run_cases("Exercise 1.1", cases)


def check_expected_improvement(fn: Callable) -> None:
    """Exercise 1.2: `fn(mu, sigma, best, xi)` = expected improvement over `best` for
    maximization (Jones et al. 1998, Eq. 15), elementwise, max(mu - best - xi, 0) where
    sigma = 0."""
    from ..bayesopt import expected_improvement

    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(size=50), rng.uniform(0.05, 2.0, size=50)
    zero_sd = np.array([0.0, 0.0, 0.5, 0.0])
    zero_mu = np.array([1.5, -1.0, 0.2, 0.5])  # the last: at the best point itself
    cases = []
    for desc, args in [("50 points, xi = 0", (mu, sigma, 0.3, 0.0)),
                       ("50 points, xi = 0.1", (mu, sigma, 0.3, 0.1)),
                       ("sigma = 0 at some points (a noiseless model at its data)",
                        (zero_mu, zero_sd, 0.5, 0.0)),
                       ("far below the best, almost certain: EI ~ 0 but not negative",
                        (np.array([-5.0]), np.array([0.1]), 0.0, 0.0))]:
        want = expected_improvement(*args[:3], xi=args[3])

        def call(args=args):
            out = np.asarray(fn(*args), dtype=float)
            return out

        cases.append((desc, call,
                      lambda got, w=want: got.shape == w.shape and np.all(np.isfinite(got))
                      and np.allclose(got, w, rtol=1e-7, atol=1e-12),
                      f"expected {np.round(want[:4], 4).tolist()}...: EI for *maximization* "
                      "of mu - best - xi, with both terms; finite where sigma = 0"))
    run_cases("Exercise 1.2", cases)


def _tpe_reference(x, y, candidates, gamma: float) -> float:
    from ..bayesopt import parzen_densities, tpe_split

    good = tpe_split(y, gamma=gamma)
    lx, gx = parzen_densities(x, good, candidates)
    return float(np.asarray(candidates)[int(np.argmax(lx / gx))])


TPE_CASES = (
    # (description, x, y, gamma): every group has >= 2 distinct points
    ("good trials near x = 2", [0.0, 0.5, 1.8, 2.1, 2.3, 3.5, 4.0, 4.6], [1, 2, 9, 10, 8, 3, 2,
                                                                           1], 0.375),
    ("a bad trial inside the good region", [1.0, 1.2, 1.4, 1.3, 3.0, 3.2, 0.2, 4.5, 2.0, 2.6],
     [5, 6, 7, 1, 6.5, 2, 0, 1, 5.5, 3], 0.3),
    ("maximization: the largest values are the good ones", [0.1, 0.4, 0.6, 2.5, 2.8, 3.1, 1.5,
                                                             1.6], [1, 2, 1.5, 8, 9, 7, 4, 5],
     0.4),
    ("gamma = 0.25 of 10 trials: ceil gives 3 good ones", [0.0, 0.3, 0.6, 1.0, 1.4, 2.0, 2.6,
                                                           3.0, 3.3, 3.9],
     [3, 9.5, 10, 2, 4, 9, 1, 5, 6, 2.5], 0.25),
)


def check_tpe_next(fn: Callable) -> None:
    """Exercise 1.3: `fn(x, y, candidates, gamma)` = the candidate TPE tries next: good =
    the ceil(gamma * n) trials with the largest y, l and g = Gaussian KDEs (scipy,
    Scott's rule) of the good and the bad trials' x, the candidate with the largest l/g."""
    cases = []
    candidates = np.linspace(-0.5, 5.0, 111)
    for desc, x, y, gamma in TPE_CASES:
        x, y = np.array(x, dtype=float), np.array(y, dtype=float)
        want = _tpe_reference(x, y, candidates, gamma)

        def call(x=x, y=y, gamma=gamma):
            x0, y0 = x.copy(), y.copy()
            got = fn(x, y, candidates.copy(), gamma)
            if not (np.array_equal(x, x0) and np.array_equal(y, y0)):
                return "changed its inputs"
            return float(got)

        cases.append((desc, call, lambda got, w=want: got == w,
                      f"expected the candidate {want:.3f}: split by the largest y "
                      "(ceil(gamma * n) good trials), KDE of each group's x, largest l / g"))
    run_cases("Exercise 1.3", cases)


def leakage_lab_measurement(*, k: int = 10, folds: int = 3, seed: int = 0) -> float:
    """Lab 1.4's number: leaky minus leak-free CV accuracy (pp) on the noise canary."""
    X, y = _canary()
    return _leaky_cv(X, y, k, folds, seed) - _clean_cv(X, y, k, folds, seed)


def check_leakage_lab(prediction, answer) -> None:
    """Exercise 1.4 (lab): how many points of CV accuracy leaky feature selection invents on
    the noise canary (selection on all 60 examples, then 3-fold CV, k = 10, seed 0). The
    tolerance accepts scaling before or after the selection."""
    check_lab("1.4", prediction=prediction, answer=answer,
              measured=leakage_lab_measurement(), tolerance=2.5,
              what="the optimism of the leaky estimate (pp)")
