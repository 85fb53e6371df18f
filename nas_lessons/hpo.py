"""Hyperparameter optimization, algorithm selection, meta-learning and CASH.

The levels of AutoML below NAS, each a few functions:

* HPO with Optuna (Akiba et al., KDD 2019): `svm_objective` (a real objective: 3-fold CV
  accuracy of an RBF SVM), `run_study`, and `best_so_far` curves to compare samplers — grid
  vs random (Bergstra & Bengio, JMLR 2012) vs TPE (Bergstra et al., NeurIPS 2011).
* Algorithm selection (Rice, 1976) and meta-learning (Brazdil et al., "Metalearning", 2022):
  `ALGORITHMS`, `performance_matrix`, `meta_features` (simple, statistical and landmarker
  features), `MetaRecommender` (nearest tasks in meta-feature space) and its
  leave-one-task-out evaluation against "always pick the best-on-average algorithm".
* CASH — combined algorithm selection and hyperparameter optimization (Thornton et al.,
  Auto-WEKA, KDD 2013): `cash_objective` searches preprocessing, a feature step and a model
  family with conditional hyperparameters; `cash_pipeline` rebuilds the winner. All
  preprocessing sits inside an sklearn `Pipeline`, so it is fitted on the training folds only
  (no leakage into the validation folds).
* `cnn_objective` trains real networks per trial and reports per-epoch validation accuracy, so
  Optuna's pruners can stop bad trials early (used by lessons 01 and 08).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ALGORITHMS", "PORTFOLIO", "make_algorithm", "cv_accuracy", "svm_objective", "run_study",
           "best_so_far", "performance_matrix", "meta_features", "MetaRecommender",
           "leave_one_task_out", "cash_objective", "cash_pipeline", "cnn_objective",
           "SAMPLERS", "make_sampler", "digits_svm_worker", "cnn_size_objective"]

ALGORITHMS = ("logreg", "knn", "svm", "random_forest", "hist_gboost", "mlp")
#: the cheaper portfolio used for meta-learning over many tasks
PORTFOLIO = ("logreg", "knn", "svm", "random_forest")


def make_algorithm(name: str, seed: int = 0, **params):
    """An sklearn classifier by name; scale-sensitive ones come with a StandardScaler inside
    their Pipeline. Defaults are kept small so that a lesson runs in seconds."""
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
            **{"hidden_layer_sizes": (64,), "max_iter": 200, "early_stopping": True, **params},
            random_state=seed))
    raise ValueError(f"unknown algorithm {name!r}; allowed: {', '.join(ALGORITHMS)}")


def cv_accuracy(model, X, y, folds: int = 3, seed: int = 0) -> float:
    """Mean stratified k-fold accuracy (%) on one thread. `model` is cloned and fitted per
    fold, so any preprocessing inside a Pipeline only sees that fold's training part."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from threadpoolctl import threadpool_limits

    if folds < 2:
        raise ValueError(f"folds must be >= 2, got {folds}")
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    # one thread: OpenMP models (histogram boosting) slow down badly when cores are busy,
    # and a fixed thread count keeps the numbers reproducible
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        # constant features in a fold (k-best on digits' blank pixels) are expected here
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return 100.0 * float(np.mean(cross_val_score(model, X, y, cv=cv)))


# ---- Level 1: HPO ---------------------------------------------------------------------------
SVM_SPACE = {"C": (1e-2, 1e3), "gamma": (1e-5, 1e0), "tol": (1e-4, 1e-1)}


def svm_objective(X, y, folds: int = 3, seed: int = 0):
    """Optuna objective: CV accuracy of an RBF SVM over log-uniform C, gamma and tol. `tol`
    barely matters — the setting where grid search wastes its budget (Bergstra & Bengio)."""
    from sklearn.svm import SVC

    def objective(trial) -> float:
        p = {k: trial.suggest_float(k, lo, hi, log=True) for k, (lo, hi) in SVM_SPACE.items()}
        return cv_accuracy(SVC(**p), X, y, folds, seed)

    return objective


SAMPLERS = ("grid", "random", "tpe", "cmaes", "qmc")


def make_sampler(name: str, seed: int, n_trials: int = 27, space: dict | None = None):
    """An Optuna sampler by name. 'grid' spreads round(n_trials^(1/d)) log-spaced values over
    each of the d dimensions of `space` ({name: (low, high)}) and visits them in a shuffled
    order, so any prefix of the budget is a fair grid sample."""
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed)
    if name == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, scramble=True)
    if name == "grid":
        space = SVM_SPACE if space is None else space
        k = max(2, round(n_trials ** (1 / len(space))))
        grid = {p: list(np.geomspace(lo, hi, k)) for p, (lo, hi) in space.items()}
        return optuna.samplers.GridSampler(grid, seed=seed)
    raise ValueError(f"unknown sampler {name!r}; allowed: {', '.join(SAMPLERS)}")


def run_study(objective, sampler, n_trials: int, direction: str = "maximize", pruner=None,
              storage=None, study_name: str | None = None):
    """Create a quiet Optuna study and optimize `objective` for `n_trials` trials."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=direction, sampler=sampler, pruner=pruner,
                                storage=storage, study_name=study_name,
                                load_if_exists=storage is not None)
    study.optimize(objective, n_trials=n_trials)
    return study


def best_so_far(values, maximize: bool = True) -> np.ndarray:
    """Running best of a sequence of trial values (the anytime-performance curve)."""
    v = np.asarray(values, dtype=float)
    return np.maximum.accumulate(v) if maximize else np.minimum.accumulate(v)


# ---- Level 2: algorithm selection and meta-learning -----------------------------------------
def performance_matrix(tasks, algorithms=ALGORITHMS, folds: int = 3, seed: int = 0
                       ) -> np.ndarray:
    """CV accuracy (%) of every algorithm on every task: rows tasks, columns algorithms.
    `tasks` are (X, y) pairs or objects with `.X` and `.y`."""
    out = np.zeros((len(tasks), len(algorithms)))
    for i, t in enumerate(tasks):
        X, y = (t.X, t.y) if hasattr(t, "X") else t
        for j, a in enumerate(algorithms):
            out[i, j] = cv_accuracy(make_algorithm(a, seed), X, y, folds, seed)
    return out


META_FEATURES = ("log_n", "log_d", "log_d_over_n", "n_classes", "class_entropy",
                 "minority_share", "mean_abs_skew", "mean_abs_corr", "lm_1nn",
                 "lm_stump", "lm_naive_bayes")


def meta_features(X, y, seed: int = 0) -> np.ndarray:
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
    lm = [cv_accuracy(m, Xs, y, 2, seed) / 100 for m in (
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

    def __init__(self, k: int = 3) -> None:
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


def leave_one_task_out(meta: np.ndarray, perf: np.ndarray, k: int = 3) -> dict:
    """Evaluate `MetaRecommender` and the best-on-average baseline, each task held out in
    turn. Hit rate = share of tasks where the choice is the task's best algorithm; regret =
    mean accuracy gap (pp) to that best algorithm."""
    T = len(perf)
    rec, base = np.zeros(T, int), np.zeros(T, int)
    for t in range(T):
        train = np.arange(T) != t
        rec[t] = MetaRecommender(k).fit(meta[train], perf[train]).recommend(meta[t])
        base[t] = int(np.argmax(perf[train].mean(0)))
    best = perf.max(1)
    idx = np.arange(T)
    return {"hit_rate": float(np.mean(perf[idx, rec] == best)),
            "regret": float(np.mean(best - perf[idx, rec])),
            "baseline_hit_rate": float(np.mean(perf[idx, base] == best)),
            "baseline_regret": float(np.mean(best - perf[idx, base])),
            "recommended": rec, "baseline": base}


# ---- Level 4: CASH --------------------------------------------------------------------------
def _suggest_cash(trial, n_features: int) -> dict:
    p = {"scaler": trial.suggest_categorical("scaler", ["none", "standard", "minmax"]),
         "features": trial.suggest_categorical("features", ["all", "pca", "kbest"])}
    if p["features"] != "all":
        p["n_features"] = trial.suggest_int("n_features", 2, max(2, n_features), log=True)
    p["model"] = model = trial.suggest_categorical(
        "model", ["logreg", "knn", "svm", "random_forest", "hist_gboost"])
    if model == "logreg":
        p["C"] = trial.suggest_float("logreg_C", 1e-3, 1e2, log=True)
    elif model == "knn":
        p["n_neighbors"] = trial.suggest_int("knn_k", 1, 30, log=True)
        p["weights"] = trial.suggest_categorical("knn_weights", ["uniform", "distance"])
    elif model == "svm":
        p["C"] = trial.suggest_float("svm_C", 1e-2, 1e3, log=True)
        p["gamma"] = trial.suggest_float("svm_gamma", 1e-5, 1e0, log=True)
    elif model == "random_forest":
        p["n_estimators"] = trial.suggest_int("rf_trees", 10, 100, log=True)
        p["max_depth"] = trial.suggest_int("rf_depth", 2, 20, log=True)
    else:
        p["learning_rate"] = trial.suggest_float("hgb_lr", 1e-2, 0.5, log=True)
        p["max_depth"] = trial.suggest_int("hgb_depth", 2, 8)
    return p


def cash_pipeline(p: dict, seed: int = 0):
    """The sklearn Pipeline for one CASH configuration (the dict `cash_objective` records in
    `trial.user_attrs['config']`)."""
    from sklearn.decomposition import PCA
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.feature_selection import SelectKBest, f_classif
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    from sklearn.svm import SVC

    steps = []
    if p["scaler"] == "standard":
        steps.append(("scaler", StandardScaler()))
    elif p["scaler"] == "minmax":
        steps.append(("scaler", MinMaxScaler()))
    if p["features"] == "pca":
        steps.append(("features", PCA(p["n_features"], random_state=seed)))
    elif p["features"] == "kbest":
        steps.append(("features", SelectKBest(f_classif, k=p["n_features"])))
    m = p["model"]
    if m == "logreg":
        clf = LogisticRegression(C=p["C"], max_iter=500)
    elif m == "knn":
        clf = KNeighborsClassifier(p["n_neighbors"], weights=p["weights"])
    elif m == "svm":
        clf = SVC(C=p["C"], gamma=p["gamma"])
    elif m == "random_forest":
        clf = RandomForestClassifier(p["n_estimators"], max_depth=p["max_depth"],
                                     random_state=seed, n_jobs=1)
    elif m == "hist_gboost":
        clf = HistGradientBoostingClassifier(learning_rate=p["learning_rate"],
                                             max_depth=p["max_depth"], max_iter=50,
                                             random_state=seed)
    else:
        raise ValueError(f"unknown model {m!r}; allowed: logreg, knn, svm, random_forest, "
                         "hist_gboost")
    return Pipeline([*steps, ("model", clf)])


def cash_objective(X, y, folds: int = 3, seed: int = 0):
    """Optuna objective over the CASH space: scaler x feature step x model family, each
    family with its own (conditional) hyperparameters. Scored by CV accuracy (%)."""
    n_features = min(X.shape[1], int(len(y) * (folds - 1) / folds) - 1)

    def objective(trial) -> float:
        p = _suggest_cash(trial, n_features)
        trial.set_user_attr("config", p)
        return cv_accuracy(cash_pipeline(p, seed), X, y, folds, seed)

    return objective


def cnn_size_objective(data, max_params: int, epochs: int = 4, seed: int = 0):
    """Two-objective Optuna objective: (validation accuracy, parameter count) of a CNN
    (`make_cnn` over channels x kernel x depth, Adam 1e-2), with the hard limit
    params <= max_params reported through `trial.set_constraint` (feasible when <= 0)."""
    from .hardware import count_params
    from .models import make_cnn
    from .training import train
    from .utils import seed_everything

    def objective(trial) -> tuple[float, int]:
        channels = trial.suggest_categorical("channels", [8, 16, 32, 64])
        kernel = trial.suggest_categorical("kernel", [3, 5, 7])
        depth = trial.suggest_int("depth", 1, 4)
        seed_everything(seed)
        model = make_cnn(data.input_shape, data.num_classes, channels, kernel, depth)
        n_params = count_params(model)
        trial.set_constraint("max_params", n_params - max_params)
        hist = train(model, data, epochs, 1e-2, "adam", 0.0, 128, "cosine", seed, test=False)
        return hist.val_acc[-1], n_params

    return objective


def digits_svm_worker(storage: str, study_name: str, n_trials: int, seed: int) -> int:
    """A worker process of a shared study: joins (or creates) `study_name` in `storage` and
    runs `n_trials` trials of the digits SVM objective. Start it in as many processes or
    machines as you like; the storage coordinates them. Returns the trials it ran."""
    import optuna

    from .data import load_dataset

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    d = load_dataset("digits_flat")
    X, y = d.x_train.numpy()[:600], d.y_train.numpy()[:600]
    study = optuna.create_study(storage=storage, study_name=study_name, direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed),
                                load_if_exists=True)
    study.optimize(svm_objective(X, y), n_trials=n_trials)
    return n_trials


# ---- NAS-flavoured objective with pruning ---------------------------------------------------
def cnn_objective(data, epochs: int = 8, seed: int = 0, prune: bool = True,
                  lr: float | None = None):
    """Optuna objective that trains a CNN (`make_cnn`) on `data` and returns the final val
    accuracy; it reports val accuracy after every epoch so a pruner can stop it early. The
    space is channels x kernel x depth, plus the Adam learning rate unless `lr` fixes it.
    `trial.user_attrs` records 'epochs_run' (the compute actually spent) and 'test_acc'
    (only for the final report; never used for selection)."""
    import optuna

    from .models import make_cnn
    from .training import train
    from .utils import seed_everything

    def objective(trial) -> float:
        channels = trial.suggest_categorical("channels", [8, 16, 32, 64])
        kernel = trial.suggest_categorical("kernel", [3, 5, 7])
        depth = trial.suggest_int("depth", 1, 4)
        rate = lr if lr is not None else trial.suggest_float("lr", 1e-3, 1e-1, log=True)
        seed_everything(seed)
        model = make_cnn(data.input_shape, data.num_classes, channels, kernel, depth)

        def report(epoch, hist):
            trial.set_user_attr("epochs_run", epoch + 1)
            trial.report(hist.val_acc[-1], epoch)
            if prune and trial.should_prune():
                raise optuna.TrialPruned()

        hist = train(model, data, epochs, rate, "adam", 0.0, 128, "cosine", seed,
                     on_epoch=report)
        trial.set_user_attr("test_acc", hist.test_acc)
        return hist.val_acc[-1]

    return objective
