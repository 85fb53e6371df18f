"""CASH: combined algorithm selection and hyperparameter optimization (Thornton, Hutter,
Hoos & Leyton-Brown, Auto-WEKA, KDD 2013, Sec. 3).

One search space holds a preprocessing step, a feature step and a model family, each family
with its own conditional hyperparameters (the "hierarchical" space of Eq. 2 there):
`suggest_cash` draws a configuration through Optuna's define-by-run API, `cash_pipeline`
builds it, `cash_objective` scores it. All preprocessing sits inside an sklearn `Pipeline`,
so it is fitted on the training folds only (no leakage into the validation folds).
"""

from __future__ import annotations

from .hpo import cv_accuracy

__all__ = ["CASH_MODELS", "suggest_cash", "cash_pipeline", "cash_objective",
           "cash_vs_best_default"]

CASH_MODELS = ("logreg", "knn", "svm", "random_forest", "hist_gboost")


def suggest_cash(trial, *, n_features: int) -> dict:
    """One CASH configuration: scaler, feature step (with its size), model family and that
    family's hyperparameters — a family's parameters exist only when it is chosen."""
    p = {"scaler": trial.suggest_categorical("scaler", ["none", "standard", "minmax"]),
         "features": trial.suggest_categorical("features", ["all", "pca", "kbest"])}
    if p["features"] != "all":
        p["n_features"] = trial.suggest_int("n_features", 2, max(2, n_features), log=True)
    p["model"] = model = trial.suggest_categorical("model", list(CASH_MODELS))
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


def cash_pipeline(p: dict, *, seed: int = 0):
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
                                             max_depth=p["max_depth"], max_iter=20,
                                             random_state=seed)
    else:
        raise ValueError(f"unknown model {m!r}; allowed: {', '.join(CASH_MODELS)}")
    return Pipeline([*steps, ("model", clf)])


def cash_objective(X, y, *, folds: int = 3, seed: int = 0):
    """Optuna objective over the CASH space: scaler x feature step x model family, each
    family with its own (conditional) hyperparameters. Scored by CV accuracy (%)."""
    n_features = min(X.shape[1], int(len(y) * (folds - 1) / folds) - 1)

    def objective(trial) -> float:
        p = suggest_cash(trial, n_features=n_features)
        trial.set_user_attr("config", p)
        return cv_accuracy(cash_pipeline(p, seed=seed), X, y, folds=folds, seed=seed)

    return objective


def cash_vs_best_default(X, y, X_test, y_test, *, n_train: int, seeds, n_trials: int,
                         folds: int = 3, algorithms: tuple[str, ...] | None = None) -> dict:
    """CASH against the baseline a practitioner uses without any HPO, once per seed.

    For each seed: draw `n_train` training examples from (X, y); **CASH** runs TPE over the
    CASH space for `n_trials` trials scored by `folds`-fold CV on them; **best default** scores
    every algorithm of `algorithms` (default `metalearning.ALGORITHMS`) with its default
    settings (`metalearning.make_algorithm`) by the same CV and
    keeps the best (algorithm selection by CV). Both winners are refitted on the training
    examples and scored once on the untouched (X_test, y_test). Returns arrays over seeds
    ('cash_cv', 'cash_test', 'default_cv', 'default_test', in %) and the chosen 'configs' and
    'defaults'."""
    import warnings

    import numpy as np
    import optuna

    from .hpo import run_study
    from .metalearning import ALGORITHMS, make_algorithm

    algorithms = ALGORITHMS if algorithms is None else tuple(algorithms)
    seeds = list(seeds)
    if not seeds or n_trials < 1 or not 2 * folds <= n_train <= len(y):
        raise ValueError(f"need >= 1 seed, n_trials >= 1 and 2*folds <= n_train <= {len(y)}; "
                         f"got {len(seeds)} seeds, n_trials={n_trials}, n_train={n_train}")
    out = {k: [] for k in ("cash_cv", "cash_test", "default_cv", "default_test", "configs",
                           "defaults")}
    for seed in seeds:
        idx = np.random.default_rng(seed).permutation(len(y))[:n_train]
        Xs, ys = X[idx], y[idx]
        study = run_study(cash_objective(Xs, ys, folds=folds, seed=seed),
                          optuna.samplers.TPESampler(seed=seed), n_trials)
        config = study.best_trial.user_attrs["config"]
        out["cash_cv"].append(study.best_value)
        with warnings.catch_warnings():  # k-best on blank pixels: constant-feature warnings
            warnings.simplefilter("ignore")
            winner = cash_pipeline(config, seed=seed).fit(Xs, ys)
        out["cash_test"].append(100 * winner.score(X_test, y_test))
        out["configs"].append(config)
        cv = [cv_accuracy(make_algorithm(a, seed=seed), Xs, ys, folds=folds, seed=seed)
              for a in algorithms]
        best = algorithms[int(np.argmax(cv))]
        out["default_cv"].append(max(cv))
        with warnings.catch_warnings():  # an MLP may stop at max_iter: that is its default
            warnings.simplefilter("ignore")
            baseline = make_algorithm(best, seed=seed).fit(Xs, ys)
        out["default_test"].append(100 * baseline.score(X_test, y_test))
        out["defaults"].append(best)
    return {k: np.array(v) if "cv" in k or "test" in k else v for k, v in out.items()}
