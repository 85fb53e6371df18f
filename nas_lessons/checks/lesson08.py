"""Checks of exercise 08 (`solutions/08_optuna_hpo.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import check_lab, run_cases


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

    def run_on(values, pruner):
        study = optuna.create_study(direction="maximize", pruner=pruner)
        study.optimize(lambda t: fn(t, list(values)), n_trials=1)
        t = study.trials[0]
        return t.state.name, dict(t.intermediate_values), t.value

    dip = [20.0, 60.0, 55.0, 50.0]
    cases = [
        ("no pruner: every epoch reported, last value returned",
         lambda: run(optuna.pruners.NopPruner()),
         lambda got: got == ("COMPLETE", dict(enumerate(curve)), 60.0),
         "report(value, step) for step = 0, 1, 2, 3 and return values[-1]"),
        ("a curve that peaks early: the last value is the trial's value, not the best",
         lambda: run_on(dip, optuna.pruners.NopPruner()),
         lambda got: got == ("COMPLETE", dict(enumerate(dip)), 50.0),
         "return values[-1]: the model you would keep is the one after the last epoch"),
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


def promotable(value: float, rung_values: list[float], eta: int) -> bool:
    """Asynchronous successive halving's rule (Li et al., MLSys 2020; Optuna's
    `SuccessiveHalvingPruner`), maximising: a trial that reached a rung continues if its value
    is among the top max(1, floor(n / eta)) of the n values recorded at that rung (its own
    included)."""
    k = max(1, len(rung_values) // eta)
    return value >= sorted(rung_values)[-k]


def check_promotable(fn: Callable) -> None:
    """Exercise 8.3: `fn(value, rung_values, eta)` = whether the trial continues."""
    import numpy as np

    fixed = [("the first trial at a rung continues", 50.0, [50.0], 3),
             ("fewer than eta values: only the best continues", 40.0, [40.0, 60.0], 3),
             ("... and the best does", 60.0, [40.0, 60.0], 3),
             ("6 values, eta 3: the top 2 continue", 55.0, [10, 20, 30, 40, 55, 60.0], 3),
             ("6 values, eta 3: the third does not", 40.0, [10, 20, 30, 40, 55, 60.0], 3),
             ("a tie with the last promoted value continues", 55.0, [55, 20, 55, 40, 10, 60.0],
              3),
             ("7 values, eta 3: still the top 2", 40.0, [10, 20, 30, 40, 55, 60, 5.0], 3),
             ("eta 2: the top half", 30.0, [10, 20, 30, 40.0], 2)]
    cases = [(desc, lambda v=v, r=r, e=e: bool(fn(v, list(r), e)),
              lambda got, w=promotable(v, list(r), e): got == w,
              f"expected {promotable(v, list(r), e)}: the top max(1, n // eta) of the n values "
              "at the rung continue (ties with the last of them too)")
             for desc, v, r, e in fixed]
    rng = np.random.default_rng(8)
    draws = [(float(rng.integers(0, 10)), [float(x) for x in rng.integers(0, 10, rng.integers(1,
                                                                                      12))])
             for _ in range(200)]
    draws = [(v, r + [v]) for v, r in draws]
    want = [promotable(v, r, eta) for (v, r), eta in zip(draws, [2, 3, 4, 5] * 50)]
    cases.append(("200 random rungs, eta 2 to 5",
                  lambda: [bool(fn(v, list(r), eta)) for (v, r), eta in zip(draws,
                                                                             [2, 3, 4, 5] * 50)],
                  lambda got: got == want, f"expected {sum(want)} of 200 to continue"))
    run_cases("Exercise 8.3", cases)


def check_batched(fn: Callable) -> None:
    """Exercise 8.4: `fn(study, evaluate_batch, *, batches, size)` runs `batches` rounds: ask
    `size` trials, each suggesting x = trial.suggest_float("x", -5, 5); one call
    `evaluate_batch(trials)` returns one value per trial, None for a failed evaluation; tell
    each trial its value, or that it failed (state FAIL)."""
    import optuna

    def run(batches: int, size: int, fail_every: int = 0):
        calls = []

        def evaluate_batch(trials):
            calls.append([t.number for t in trials])
            states = {t.number: optuna.trial.TrialState.RUNNING for t in trials}
            running = [t.number for t in study.get_trials(deepcopy=False)
                       if t.state == optuna.trial.TrialState.RUNNING]
            assert sorted(running) == sorted(states), "ask the whole batch before telling"
            return [None if fail_every and t.number % fail_every == fail_every - 1
                    else -(t.params["x"] - 1) ** 2 for t in trials]

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(direction="maximize",
                                    sampler=optuna.samplers.RandomSampler(seed=0))
        fn(study, evaluate_batch, batches=batches, size=size)
        return study, calls

    def accept(batches, size, fail_every=0):
        def ok(got) -> bool:
            study, calls = got
            if [len(c) for c in calls] != [size] * batches:
                return False
            for t in study.trials:
                failed = fail_every and t.number % fail_every == fail_every - 1
                if failed and t.state != optuna.trial.TrialState.FAIL:
                    return False
                if not failed and (t.state != optuna.trial.TrialState.COMPLETE
                                   or t.value != -(t.params["x"] - 1) ** 2):
                    return False
            return len(study.trials) == batches * size
        return ok

    cases = [("3 batches of 4", lambda: run(3, 4), accept(3, 4),
              "each round: ask `size` trials (suggest x in each), ONE call of evaluate_batch "
              "with all of them, then tell each its value"),
             ("5 batches of 2, every third evaluation fails", lambda: run(5, 2, 3),
              accept(5, 2, 3),
              "a None value is a failed evaluation: study.tell(trial, "
              "state=optuna.trial.TrialState.FAIL)")]
    run_cases("Exercise 8.4", cases)


def pruning_lab_measurement(*, seeds: int = 5, trials: int = 30) -> float:
    """Lab 8.5's number: on the bundled benchmark, random sampling with an epoch budget of
    `trials` unpruned trials (`hpo.run_with_epoch_budget`), the mean over seeds 0..`seeds`-1
    of the best validation accuracy with `SuccessiveHalvingPruner(reduction_factor=3)` minus
    without pruning (pp)."""
    import numpy as np
    import optuna

    from ..benchmark import Benchmark
    from ..hpo import benchmark_objective, run_with_epoch_budget

    bench = Benchmark.load()
    objective = benchmark_objective(bench)
    gains = []
    for seed in range(seeds):
        best = [run_with_epoch_budget(objective, optuna.samplers.RandomSampler(seed=seed),
                                      epochs=trials * bench.epochs, pruner=pruner).best_value
                for pruner in (optuna.pruners.SuccessiveHalvingPruner(reduction_factor=3),
                               None)]
        gains.append(best[0] - best[1])
    return float(np.mean(gains))


def check_pruning_lab(prediction, answer) -> None:
    """Exercise 8.5 (lab): what successive halving buys at equal compute (pp)."""
    check_lab("8.5", prediction=prediction, answer=answer, measured=pruning_lab_measurement(),
              tolerance=1e-6, what="the mean gain of successive halving at equal epochs (pp)")
