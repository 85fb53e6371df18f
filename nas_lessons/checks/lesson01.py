"""Checks of exercise 01 (`solutions/01_automl_levels.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import run_cases


def check_leak_free_cv(fn: Callable) -> None:
    """Exercise 1.1: `fn(X, y, k, folds, seed)` = CV accuracy (%) of SelectKBest(k) +
    logistic regression with the selection fitted inside each training fold."""
    import numpy as np

    from ..cash import cash_pipeline
    from ..hpo import cv_accuracy

    rng = np.random.default_rng(0)
    Xn, yn = rng.normal(size=(60, 5000)), np.array([0, 1] * 30)  # pure noise: chance is 50%
    from sklearn.datasets import load_digits

    d = load_digits()
    Xd, yd = d.data[:400], d.target[:400]
    cfg = lambda k: {"scaler": "standard", "features": "kbest", "n_features": k,  # noqa: E731
                     "model": "logreg", "C": 1.0}
    want = cv_accuracy(cash_pipeline(cfg(20)), Xd, yd, folds=3, seed=0)

    def quiet(*args):  # digits has blank pixels: f_classif warns about constant features
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)

    cases = [
        ("leakage canary: noise features, random labels", lambda: quiet(Xn, yn, 10, 3, 0),
         lambda got: got < 70, "the score is far above chance: feature selection saw the "
         "validation folds. Put SelectKBest inside a Pipeline and cross-validate the pipeline"),
        ("digits, k=20, 3 folds", lambda: quiet(Xd, yd, 20, 3, 0),
         lambda got: abs(got - want) < 1e-6,
         f"expected {want:.4f}: StandardScaler -> SelectKBest(f_classif, k) -> "
         "LogisticRegression(max_iter=500), StratifiedKFold(folds, shuffle=True, "
         "random_state=seed), accuracy in %"),
    ]
    run_cases("Exercise 1.1", cases)


def check_class_entropy(fn: Callable) -> None:
    """Exercise 1.2: `fn(y)` = Shannon entropy (nats) of the class distribution."""
    import math

    import numpy as np

    cases = []
    for desc, y in [("balanced, 2 classes", [0, 1] * 10), ("one class", [3] * 7),
                    ("imbalanced 3 classes", [0] * 6 + [1] * 3 + [2]),
                    ("balanced, 10 classes", list(range(10)) * 3)]:
        _, c = np.unique(y, return_counts=True)
        p = c / c.sum()
        want = float(-(p * np.log(p)).sum())
        cases.append((desc, lambda y=y: fn(np.array(y)),
                      lambda got, w=want: got is not None and math.isclose(got, w,
                                                                            abs_tol=1e-9),
                      f"expected {want:.4f}: -sum p_c log p_c over the classes present "
                      "(natural log)"))
    run_cases("Exercise 1.2", cases)


def check_best_so_far(fn: Callable) -> None:
    """Exercise 1.3: `fn(values, maximize)` = running best of a sequence."""
    import numpy as np

    from ..hpo import best_so_far

    cases = []
    for vals, mx in [([1, 3, 2, 5, 4], True), ([5, 3, 4, 1, 2], False), ([0.5], True),
                     ([2, 2, 1, 3], True)]:
        want = best_so_far(vals, maximize=mx).tolist()
        cases.append((f"{vals}, maximize={mx}", lambda v=vals, m=mx: list(fn(v, m)),
                      lambda got, w=want: np.allclose(got, w),
                      f"expected {want}: element i is the best of values[:i+1]"))
    run_cases("Exercise 1.3", cases)
