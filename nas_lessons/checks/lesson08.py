"""Checks of exercise 08 (`solutions/08_optuna_hpo.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import run_cases


def check_conditional_space(fn: Callable) -> None:
    """Exercise 8.1: `fn(trial)` suggests 'model' and only that model's parameters."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def run():
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        study.optimize(lambda t: (fn(t), 0.0)[1], n_trials=40)
        return study.trials

    def svm_ok(trials):
        svm = [t for t in trials if t.params.get("model") == "svm"]
        return bool(svm) and all(
            set(t.params) == {"model", "C"} and t.distributions["C"].log
            and t.distributions["C"].low == 1e-2 and t.distributions["C"].high == 1e2
            for t in svm)

    def knn_ok(trials):
        knn = [t for t in trials if t.params.get("model") == "knn"]
        return bool(knn) and all(
            set(t.params) == {"model", "n_neighbors"}
            and isinstance(t.distributions["n_neighbors"], optuna.distributions.IntDistribution)
            and (t.distributions["n_neighbors"].low, t.distributions["n_neighbors"].high)
            == (1, 30) for t in knn)

    cases = [
        ("svm trials have exactly model and a log-uniform C in [1e-2, 1e2]", run, svm_ok,
         "inside `if model == 'svm'`: trial.suggest_float('C', 1e-2, 1e2, log=True)"),
        ("knn trials have exactly model and an int n_neighbors in [1, 30]", run, knn_ok,
         "inside the knn branch: trial.suggest_int('n_neighbors', 1, 30)"),
    ]
    run_cases("Exercise 8.1", cases)


def check_pruned_objective(fn: Callable) -> None:
    """Exercise 8.2: `fn(trial, values)` reports each value and obeys the pruner."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    curve = [20.0, 40.0, 55.0, 60.0]

    def run(pruner):
        study = optuna.create_study(direction="maximize", pruner=pruner)
        study.optimize(lambda t: fn(t, curve), n_trials=1)
        t = study.trials[0]
        return t.state.name, dict(t.intermediate_values), t.value

    cases = [
        ("no pruner: every epoch reported, last value returned",
         lambda: run(optuna.pruners.NopPruner()),
         lambda got: got == ("COMPLETE", dict(enumerate(curve)), 60.0),
         "report(value, step) for step = 0, 1, 2, 3 and return values[-1]"),
        ("threshold pruner (stop below 30 from step 0): pruned after the first report",
         lambda: run(optuna.pruners.ThresholdPruner(lower=30.0)),
         lambda got: got[0] == "PRUNED" and got[1] == {0: 20.0},
         "after each report: if trial.should_prune(): raise optuna.TrialPruned()"),
        ("threshold pruner at 50 from step 2: runs 3 epochs, then completes",
         lambda: run(optuna.pruners.ThresholdPruner(lower=50.0, n_warmup_steps=2)),
         lambda got: got[0] == "COMPLETE" and len(got[1]) == 4,
         "ask the pruner after every report, not only at the end"),
    ]
    run_cases("Exercise 8.2", cases)
