"""Algorithm selection and meta-learning: which learning algorithm for a new task?

Algorithm selection (Rice, 1976) picks, per task, one algorithm of a portfolio; meta-learning
(Brazdil, van Rijn, Soares & Vanschoren, "Metalearning", 2nd ed., 2022) learns that choice
from earlier tasks. `performance_matrix` measures every algorithm on every task,
`meta_features` describes a task (simple, statistical and landmarker features),
`MetaRecommender` recommends from the nearest known tasks, and `leave_one_task_out` judges it
against the strong baseline "always the algorithm that is best on average".
"""

from __future__ import annotations

import math

import numpy as np

from .hpo import cv_accuracy

__all__ = ["ALGORITHMS", "PORTFOLIO", "make_algorithm", "performance_matrix", "META_FEATURES",
           "meta_features", "MetaRecommender", "leave_one_task_out"]

ALGORITHMS = ("logreg", "knn", "svm", "random_forest", "hist_gboost", "mlp")
#: the cheaper portfolio used for meta-learning over many tasks
PORTFOLIO = ("logreg", "knn", "svm", "random_forest")


def make_algorithm(name: str, *, seed: int = 0, **params):
    """An sklearn classifier by name; scale-sensitive ones come with a StandardScaler inside
    their Pipeline. These are sklearn's defaults except where a lesson must stay fast or a
    default is unusable on small data: logistic regression max_iter=300, random forest with
    50 trees, histogram boosting with 20 iterations, an MLP of 64 hidden units trained for up
    to 500 epochs *without* early stopping (which would hold out 10% of a 100-example task and
    stop on a handful of samples). `print(make_algorithm(name))` shows exactly what differs
    from sklearn's defaults."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if name == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=300, **params))
    if name == "knn":
        return make_pipeline(StandardScaler(), KNeighborsClassifier(**params))
    if name == "svm":
        return make_pipeline(StandardScaler(), SVC(**params))
    if name == "random_forest":
        return RandomForestClassifier(**{"n_estimators": 50, "n_jobs": 1, **params},
                                      random_state=seed)
    if name == "hist_gboost":
        return HistGradientBoostingClassifier(**{"max_iter": 20, **params}, random_state=seed)
    if name == "mlp":
        return make_pipeline(StandardScaler(), MLPClassifier(
            **{"hidden_layer_sizes": (64,), "max_iter": 500, **params},
            random_state=seed))
    raise ValueError(f"unknown algorithm {name!r}; allowed: {', '.join(ALGORITHMS)}")


def performance_matrix(tasks, *, algorithms: tuple[str, ...] = ALGORITHMS, folds: int = 3,
                       seed: int = 0) -> np.ndarray:
    """CV accuracy (%) of every algorithm on every task: rows tasks, columns algorithms.
    `tasks` are (X, y) pairs or objects with `.X` and `.y`."""
    out = np.zeros((len(tasks), len(algorithms)))
    for i, t in enumerate(tasks):
        X, y = (t.X, t.y) if hasattr(t, "X") else t
        for j, a in enumerate(algorithms):
            out[i, j] = cv_accuracy(make_algorithm(a, seed=seed), X, y, folds=folds, seed=seed)
    return out


META_FEATURES = ("log_n", "log_d", "log_d_over_n", "n_classes", "class_entropy",
                 "minority_share", "mean_abs_skew", "mean_abs_corr", "lm_1nn",
                 "lm_stump", "lm_naive_bayes")


def meta_features(X, y, *, seed: int = 0) -> np.ndarray:
    """Dataset meta-features (Brazdil et al. 2022, ch. 4): simple (size, dimensionality,
    classes), statistical (class entropy, imbalance, skewness, feature correlation) and
    landmarkers (2-fold CV accuracy of 1-NN, a depth-1 tree, Gaussian naive Bayes)."""
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    X = np.asarray(X, dtype=float)
    n, d = X.shape
    _, counts = np.unique(y, return_counts=True)
    p = counts / counts.sum()
    Xs = (X - X.mean(0)) / (X.std(0) + 1e-12)
    skew = np.abs((Xs**3).mean(0)).mean()
    corr = np.corrcoef(Xs, rowvar=False) if d > 1 else np.ones((1, 1))
    mean_corr = np.abs(corr[np.triu_indices(d, 1)]).mean() if d > 1 else 0.0
    lm = [cv_accuracy(m, Xs, y, folds=2, seed=seed) / 100 for m in (
        KNeighborsClassifier(1), DecisionTreeClassifier(max_depth=1, random_state=seed),
        GaussianNB())]
    return np.array([math.log(n), math.log(d), math.log(d / n), len(counts),
                     float(-(p * np.log(p)).sum()), float(p.min()), float(skew),
                     float(np.nan_to_num(mean_corr)), *lm])


class MetaRecommender:
    """Recommend an algorithm for a new task from the k most similar known tasks.

    Similarity is Euclidean distance between standardized meta-features; the recommendation
    is the algorithm with the best mean rank on the neighbours (a k-NN meta-learner in the
    spirit of Brazdil, Soares & da Costa, Machine Learning 2003)."""

    def __init__(self, *, k: int = 3) -> None:
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.k = k

    def fit(self, meta: np.ndarray, perf: np.ndarray) -> MetaRecommender:
        self.mu, self.sd = meta.mean(0), meta.std(0) + 1e-12
        self.meta = (meta - self.mu) / self.sd
        # rank 0 = best algorithm on that task (ties share the average rank)
        from scipy.stats import rankdata

        self.ranks = np.array([rankdata(-row) for row in perf])
        return self

    def recommend(self, meta_row: np.ndarray) -> int:
        dist = np.linalg.norm(self.meta - (meta_row - self.mu) / self.sd, axis=1)
        nn = np.argsort(dist, kind="stable")[: self.k]
        return int(np.argmin(self.ranks[nn].mean(0)))


def leave_one_task_out(meta: np.ndarray, perf: np.ndarray, *, k: int = 3) -> dict:
    """Evaluate `MetaRecommender` and the best-on-average baseline, each task held out in
    turn. Hit rate = share of tasks where the choice is the task's best algorithm; regret =
    mean accuracy gap (pp) to that best algorithm."""
    T = len(perf)
    rec, base = np.zeros(T, int), np.zeros(T, int)
    for t in range(T):
        train = np.arange(T) != t
        rec[t] = MetaRecommender(k=k).fit(meta[train], perf[train]).recommend(meta[t])
        base[t] = int(np.argmax(perf[train].mean(0)))
    best = perf.max(1)
    idx = np.arange(T)
    return {"hit_rate": float(np.mean(perf[idx, rec] == best)),
            "regret": float(np.mean(best - perf[idx, rec])),
            "baseline_hit_rate": float(np.mean(perf[idx, base] == best)),
            "baseline_regret": float(np.mean(best - perf[idx, base])),
            "recommended": rec, "baseline": base}
