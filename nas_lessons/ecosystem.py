"""One small HPO problem in four libraries of the ecosystem (lesson 09's map).

The RBF SVM on 600 digits of lesson 08 (`hpo.svm_objective`: 3-fold CV accuracy over
log-uniform C, gamma and tol) tuned at the same number of evaluations by Optuna's TPE
(Akiba et al., KDD 2019), Hyperopt's TPE (Bergstra, Yamins & Cox, ICML 2013 — the original
implementation), FLAML's CFO (Wu, Wang & Huang, AAAI 2021: cost-frugal local search from
a low-cost starting point) and SMAC3's random-forest Bayesian optimization (Hutter, Hoos &
Leyton-Brown, LION 2011; Lindauer et al., JMLR 2022). The same search space, the same
objective function, one call per library. Hyperopt, FLAML and SMAC3 are an optional extra:
`pip install -e ".[ecosystem]"`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["LIBRARIES", "available", "svm_score", "tune", "compare"]

LIBRARIES = ("optuna", "hyperopt", "flaml", "smac")


def available() -> dict[str, bool]:
    """Which of the libraries can be imported here."""
    import importlib.util

    return {name: importlib.util.find_spec(name) is not None for name in LIBRARIES}


def svm_score(seed: int = 0) -> Callable[..., float]:
    """`score(C=..., gamma=..., tol=...)`: the 3-fold CV accuracy (%) of lesson 08's SVM on
    the first 600 digits (cached: a repeated configuration is not refitted)."""
    from functools import cache

    from sklearn.svm import SVC

    from .data import load_dataset
    from .hpo import cv_accuracy

    d = load_dataset("digits_flat", seed=seed)
    X, y = d.x_train.numpy()[:600], d.y_train.numpy()[:600]

    @cache
    def score(C: float, gamma: float, tol: float) -> float:
        return cv_accuracy(SVC(C=C, gamma=gamma, tol=tol), X, y, folds=3, seed=seed)

    return lambda **p: score(float(p["C"]), float(p["gamma"]), float(p["tol"]))


def tune(library: str, n_trials: int, *, seed: int = 0) -> list[float]:
    """The values of `n_trials` evaluations of `svm_score` proposed by `library`, in order."""
    from .hpo import SVM_SPACE

    if library not in LIBRARIES:
        raise ValueError(f"unknown library {library!r}; allowed: {', '.join(LIBRARIES)}")
    if not available()[library]:
        raise ImportError(f"{library} is not installed: pip install -e \".[ecosystem]\"")
    score = svm_score(seed)
    if library == "optuna":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(direction="maximize",
                                    sampler=optuna.samplers.TPESampler(seed=seed))
        study.optimize(lambda t: score(**{k: t.suggest_float(k, lo, hi, log=True)
                                          for k, (lo, hi) in SVM_SPACE.items()}),
                       n_trials=n_trials)
        return [t.value for t in study.trials]
    if library == "hyperopt":
        from hyperopt import STATUS_OK, Trials, fmin, hp, tpe

        trials = Trials()
        fmin(lambda p: {"loss": -score(**p), "status": STATUS_OK},
             {k: hp.loguniform(k, math.log(lo), math.log(hi)) for k, (lo, hi) in SVM_SPACE.items()},
             algo=tpe.suggest, max_evals=n_trials, trials=trials,
             rstate=np.random.default_rng(seed), show_progressbar=False)
        return [-t["result"]["loss"] for t in trials.trials]
    if library == "smac":
        return _smac(score, n_trials, seed=seed)
    import logging
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # flaml warns that its AutoML part is not installed
        from flaml import CFO
        from flaml import tune as flaml_tune
    logging.getLogger("flaml").setLevel(logging.ERROR)
    space = {k: flaml_tune.loguniform(lo, hi) for k, (lo, hi) in SVM_SPACE.items()}
    analysis = flaml_tune.run(lambda cfg: {"acc": score(**cfg)}, config=space, metric="acc",
                              mode="max", num_samples=n_trials, verbose=0,
                              search_alg=CFO(metric="acc", mode="max", space=space,
                                             seed=seed))
    return [t.last_result["acc"] for t in analysis.trials]


def _smac(score: Callable[..., float], n_trials: int, *, seed: int) -> list[float]:
    """SMAC3's hyperparameter-optimization facade: a random-forest surrogate with expected
    improvement, after a Sobol initial design (Lindauer et al., JMLR 2022). Its run files go
    to a temporary folder."""
    import tempfile

    from ConfigSpace import ConfigurationSpace, Float
    from smac import HyperparameterOptimizationFacade, Scenario

    from .hpo import SVM_SPACE

    space = ConfigurationSpace(seed=seed)
    space.add([Float(k, (lo, hi), log=True) for k, (lo, hi) in SVM_SPACE.items()])
    values: list[float] = []

    def cost(config, seed: int = 0) -> float:  # SMAC minimises
        values.append(score(**dict(config)))
        return 100.0 - values[-1]

    with tempfile.TemporaryDirectory() as tmp:
        scenario = Scenario(space, deterministic=True, n_trials=n_trials, seed=seed,
                            output_directory=Path(tmp) / "smac")
        HyperparameterOptimizationFacade(scenario, cost, overwrite=True,
                                         logging_level=40).optimize()
    return values


def compare(n_trials: int = 20, *, seeds=range(3)) -> dict[str, np.ndarray]:
    """Best-so-far CV accuracy, one row per seed, for each installed library."""
    return {lib: np.array([np.maximum.accumulate(tune(lib, n_trials, seed=s)[:n_trials])
                           for s in seeds])
            for lib, ok in available().items() if ok}
