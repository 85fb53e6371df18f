"""Hyperparameter optimization with Optuna (Akiba et al., KDD 2019): objectives, samplers,
studies and anytime curves.

The HPO problem (Feurer & Hutter, "Hyperparameter optimization", in AutoML, 2019, Eq. 1.1):
find lambda* = argmin over Lambda of the validation loss of the model trained with lambda.
`svm_objective` is a real objective (3-fold CV accuracy of an RBF SVM); `make_sampler` gives
grid, random (Bergstra & Bengio, JMLR 2012), TPE (Bergstra et al., NeurIPS 2011), CMA-ES and
QMC; `run_study` runs one; `best_so_far` turns its trials into the anytime curve that compares
samplers. `cnn_objective` trains real networks and reports per-epoch validation accuracy, so
Optuna's pruners can stop bad trials early; `cnn_size_objective` adds the parameter count as a
second objective with a constraint (lessons 01 and 08). `benchmark_objective` asks for an
NB201 cell and replays its per-epoch validation accuracy from the mnist1d-201 benchmark —
evaluations are free, so samplers (`make_sampler`, also Gaussian-process BO) and pruners can
be compared over many seeds, the pruners at equal compute (`run_with_epoch_budget`).
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["cv_accuracy", "svm_fold_objective", "SVM_SPACE", "svm_objective", "SAMPLERS",
           "BENCHMARK_SAMPLERS", "make_sampler",
           "run_study", "best_so_far", "suggest_cnn", "cnn_objective", "cnn_size_objective",
           "matched_channels", "search_vs_manual", "digits_svm_worker", "benchmark_objective",
           "run_with_epoch_budget", "BENCHMARK_PRUNERS", "make_pruner", "benchmark_run",
           "stored_runs", "incumbent", "variance_share"]


def cv_accuracy(model, X, y, *, folds: int = 3, seed: int = 0) -> float:
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


def svm_fold_objective(X, y, *, folds: int = 10, seed: int = 0):
    """The SVM objective of `svm_objective`, evaluated one cross-validation fold at a time
    for `WilcoxonPruner` (Optuna 3.6): after fold k the trial reports that fold's accuracy
    as step k, and when the pruner finds it significantly worse than the best trial on the
    same folds (a Wilcoxon signed-rank test on the paired fold scores) the trial stops and
    returns the mean of the folds it evaluated — Optuna's advice for samplers such as TPE,
    which otherwise never learn from a pruned trial. `folds_run` records the cost."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import SVC
    from threadpoolctl import threadpool_limits

    if folds < 2:
        raise ValueError(f"folds must be >= 2, got {folds}")
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y))

    def objective(trial) -> float:
        p = {k: trial.suggest_float(k, lo, hi, log=True) for k, (lo, hi) in SVM_SPACE.items()}
        scores = []
        for k, (tr, te) in enumerate(splits):
            with warnings.catch_warnings(), threadpool_limits(limits=1):
                warnings.simplefilter("ignore", ConvergenceWarning)
                scores.append(100.0 * SVC(**p).fit(X[tr], y[tr]).score(X[te], y[te]))
            trial.set_user_attr("folds_run", k + 1)
            trial.report(scores[-1], k)
            if trial.should_prune():
                break
        return float(np.mean(scores))

    return objective


SVM_SPACE = {"C": (1e-2, 1e3), "gamma": (1e-5, 1e0), "tol": (1e-4, 1e-1)}


def svm_objective(X, y, *, folds: int = 3, seed: int = 0):
    """Optuna objective: CV accuracy of an RBF SVM over log-uniform C, gamma and tol. `tol`
    barely matters — the setting where grid search wastes its budget (Bergstra & Bengio).
    The score is deterministic, so a configuration seen before (the same grid visited again
    in another order) is looked up instead of refitted; every trial still counts."""
    from functools import cache

    from sklearn.svm import SVC

    @cache
    def score(C: float, gamma: float, tol: float) -> float:
        return cv_accuracy(SVC(C=C, gamma=gamma, tol=tol), X, y, folds=folds, seed=seed)

    def objective(trial) -> float:
        p = {k: trial.suggest_float(k, lo, hi, log=True) for k, (lo, hi) in SVM_SPACE.items()}
        return score(**p)

    return objective


SAMPLERS = ("grid", "random", "tpe", "cmaes", "qmc")
#: samplers for categorical spaces too, such as an NB201 cell on the benchmark
BENCHMARK_SAMPLERS = ("random", "tpe", "gp", "cmaes", "qmc")


def make_sampler(name: str, *, seed: int = 0, n_trials: int = 27, space: dict | None = None):
    """An Optuna sampler by name ('gp': Gaussian-process Bayesian optimization, Optuna's
    `GPSampler`). 'grid' spreads round(n_trials^(1/d)) log-spaced values over
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
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    if name == "grid":
        space = SVM_SPACE if space is None else space
        k = max(2, round(n_trials ** (1 / len(space))))
        grid = {p: list(np.geomspace(lo, hi, k)) for p, (lo, hi) in space.items()}
        return optuna.samplers.GridSampler(grid, seed=seed)
    raise ValueError(f"unknown sampler {name!r}; allowed: "
                     f"{', '.join(dict.fromkeys(SAMPLERS + BENCHMARK_SAMPLERS))}")


def run_study(objective, sampler, n_trials: int, *, direction: str = "maximize", pruner=None,
              storage: str | None = None, study_name: str | None = None):
    """Create a quiet Optuna study and optimize `objective` for `n_trials` trials.
    `pruner=None` means no pruning: Optuna's own default (`MedianPruner`) would silently stop
    trials of any objective that reports intermediate values, such as `benchmark_objective`."""
    import optuna

    if optuna.logging.get_verbosity() < optuna.logging.WARNING:  # quiet, never louder
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=direction, sampler=sampler,
                                pruner=pruner or optuna.pruners.NopPruner(),
                                storage=storage, study_name=study_name,
                                load_if_exists=storage is not None)
    study.optimize(objective, n_trials=n_trials)
    return study


def best_so_far(values, *, maximize: bool = True) -> np.ndarray:
    """Running best of a sequence of trial values (the anytime-performance curve)."""
    v = np.asarray(values, dtype=float)
    return np.maximum.accumulate(v) if maximize else np.minimum.accumulate(v)


def suggest_cnn(trial) -> dict:
    """The CNN search space of lessons 01 and 08 (`models.make_cnn`): channels, kernel size
    and depth, as an Optuna trial suggests them."""
    return {"channels": trial.suggest_categorical("channels", [8, 16, 32, 64]),
            "kernel": trial.suggest_categorical("kernel", [3, 5, 7]),
            "depth": trial.suggest_int("depth", 1, 4)}


def cnn_objective(data, *, epochs: int = 8, seed: int = 0, prune: bool = True,
                  lr: float | None = None):
    """Optuna objective that trains a CNN (`make_cnn`) on `data` and returns the final val
    accuracy; it reports val accuracy after every epoch so a pruner can stop it early. The
    space is channels x kernel x depth, plus the Adam learning rate unless `lr` fixes it.
    `trial.user_attrs` records 'epochs_run' (the compute actually spent) and 'test_acc'
    (only for the final report; never used for selection)."""
    import optuna
    import torch

    from .models import make_cnn
    from .training import train
    from .utils import seed_everything

    def objective(trial) -> float:
        arch = suggest_cnn(trial)
        rate = lr if lr is not None else trial.suggest_float("lr", 1e-3, 1e-1, log=True)
        seed_everything(seed, threads=torch.get_num_threads())
        model = make_cnn(data.input_shape, data.num_classes, **arch)

        def report(epoch, hist):
            trial.set_user_attr("epochs_run", epoch + 1)
            trial.report(hist.val_acc[-1], epoch)
            if prune and trial.should_prune():
                raise optuna.TrialPruned()

        hist = train(model, data, epochs=epochs, lr=rate, optimizer="adam", weight_decay=0.0,
                     batch_size=128, seed=seed, on_epoch=report, progress=False)
        trial.set_user_attr("test_acc", hist.test_acc)
        return hist.val_acc[-1]

    return objective


def cnn_size_objective(data, *, max_params: int, epochs: int = 4, seed: int = 0):
    """Two-objective Optuna objective: (validation accuracy, parameter count) of a CNN
    (`make_cnn` over channels x kernel x depth, Adam 1e-2), with the hard limit
    params <= max_params reported through `trial.set_constraint` (feasible when <= 0). The
    parameter count is known before training, so an infeasible network is not trained: its
    trial records the constraint and ends pruned, at no cost (lesson 06's point: check
    what you can before you pay for the evaluation)."""
    import optuna
    import torch

    from .hardware import count_params
    from .models import make_cnn
    from .training import train
    from .utils import seed_everything

    def objective(trial) -> tuple[float, int]:
        seed_everything(seed, threads=torch.get_num_threads())
        model = make_cnn(data.input_shape, data.num_classes, **suggest_cnn(trial))
        n_params = count_params(model)
        trial.set_constraint("max_params", n_params - max_params)
        if n_params > max_params:  # known before training: do not spend the epochs
            raise optuna.TrialPruned(f"{n_params:,} parameters > {max_params:,}")
        hist = train(model, data, epochs=epochs, lr=1e-2, optimizer="adam", weight_decay=0.0,
                     batch_size=128, seed=seed, test=False, progress=False)
        return hist.val_acc[-1], n_params

    return objective


def matched_channels(n_params: int, input_shape: tuple[int, ...], num_classes: int) -> int:
    """The width of the hand-designed CNN (`models.make_baseline("cnn")`) whose parameter
    count is closest to `n_params` — a capacity-matched manual baseline."""
    from .hardware import count_params
    from .models import make_baseline

    return min(range(4, 257), key=lambda c: abs(count_params(
        make_baseline("cnn", input_shape, num_classes, channels=c)) - n_params))


def search_vs_manual(data, *, trials: int, epochs: int, seed: int = 0,
                     manual_runs: int | None = None, lr: float = 1e-2) -> dict:
    """Architecture search against a fair manual baseline (lesson 01, level 3).

    Random search draws `trials` CNNs of `suggest_cnn` (Optuna's `RandomSampler(seed)`), each
    trained for `epochs` with Adam(`lr`) and training seed `seed`, and keeps the best on
    validation. The manual baseline is the hand-designed CNN widened to the winner's
    parameter count (`matched_channels`), trained `manual_runs` times (default `trials`:
    equal trials) with seeds 1000*seed + k and also kept best on validation. Test accuracy is
    only reported. Returns 'search' and 'manual' (one dict per training: arch, val, test,
    params, flops) and 'search_best', 'manual_best'."""
    import optuna
    import torch

    from .hardware import count_flops, count_params
    from .models import make_baseline, make_cnn
    from .training import train
    from .utils import seed_everything

    runs = trials if manual_runs is None else manual_runs
    if trials < 1 or runs < 1:
        raise ValueError(f"trials and manual_runs must be >= 1, got {trials} and {runs}")
    shape, k = data.input_shape, data.num_classes

    def size(model) -> dict:
        return {"params": count_params(model), "flops": count_flops(model, shape)}

    study = run_study(cnn_objective(data, epochs=epochs, seed=seed, prune=False, lr=lr),
                      optuna.samplers.RandomSampler(seed=seed), trials)
    search = [{"arch": t.params, "val": t.value, "test": t.user_attrs["test_acc"],
               **size(make_cnn(shape, k, **t.params))} for t in study.trials]
    best = max(search, key=lambda r: r["val"])
    channels = matched_channels(best["params"], shape, k)
    manual = []
    for r in range(runs):
        train_seed = 1000 * seed + r
        seed_everything(train_seed, threads=torch.get_num_threads())
        model = make_baseline("cnn", shape, k, channels=channels)
        hist = train(model, data, epochs=epochs, lr=lr, optimizer="adam", weight_decay=0.0,
                     batch_size=128, seed=train_seed, progress=False)
        manual.append({"arch": {"channels": channels}, "seed": train_seed,
                       "val": hist.val_acc[-1], "test": hist.test_acc, **size(model)})
    return {"search": search, "manual": manual, "search_best": best,
            "manual_best": max(manual, key=lambda r: r["val"])}


def digits_svm_worker(*, storage: str, study_name: str, n_trials: int | None = None,
                      max_trials: int | None = None, seed: int = 0,
                      heartbeat: int | None = None) -> int:
    """A worker process of a shared study: joins (or creates) `study_name` in `storage` and
    runs trials of the digits SVM objective. Start it in as many processes or machines as you
    like; the storage coordinates them. `n_trials` limits this worker; `max_trials` is a
    budget for the whole study (Optuna's `MaxTrialsCallback`: a worker stops once the study
    holds that many completed trials. It checks after each trial, so workers in the middle
    of one still finish it, and a worker started after the budget is spent runs one trial
    before it stops: the total can exceed the budget by a trial per worker. The course's
    `nas-lessons search --budget` counts inside the storage instead and stops exactly.) With
    `heartbeat` seconds, a trial whose worker died is failed and retried
    (`optuna_bridge.storage_for`). Returns the trials this worker ran."""
    import optuna

    from .data import load_dataset
    from .optuna_bridge import storage_for

    if n_trials is None and max_trials is None:
        raise ValueError("give n_trials (this worker) or max_trials (the whole study), or both")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    d = load_dataset("digits_flat")
    X, y = d.x_train.numpy()[:600], d.y_train.numpy()[:600]
    study = optuna.create_study(storage=storage_for(storage, heartbeat=heartbeat),
                                study_name=study_name, direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed),
                                load_if_exists=True)
    ran = []
    callbacks = [lambda study, trial: ran.append(trial.number)]
    if max_trials is not None:
        callbacks.append(optuna.study.MaxTrialsCallback(
            max_trials, states=(optuna.trial.TrialState.COMPLETE,)))
    study.optimize(svm_objective(X, y), n_trials=n_trials, callbacks=callbacks)
    return len(ran)


def benchmark_objective(bench, *, epochs: int | None = None):
    """An Optuna objective on the tabular benchmark `bench`: the trial asks for an NB201 cell
    (its six edges, `optuna_bridge.suggest_arch`), then "trains" it by reading its validation
    accuracy after each epoch 1..`epochs` (default: all the benchmark has), reporting each
    (`trial.report`) so that a pruner can stop it, and returns the last. `epochs_run` (user
    attribute) is the resource the trial used."""
    import optuna

    from .optuna_bridge import suggest_arch

    last = bench.epochs if epochs is None else epochs
    if not 1 <= last <= bench.epochs:
        raise ValueError(f"epochs must be in 1..{bench.epochs}, got {epochs!r}")

    def objective(trial) -> float:
        arch = suggest_arch(trial)
        for e in range(1, last + 1):
            acc = bench.query(arch, epoch=e)["val_acc"]
            trial.set_user_attr("epochs_run", e)
            trial.report(acc, e)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return acc

    return objective


def run_with_epoch_budget(objective, sampler, *, epochs: int, pruner=None,
                          max_trials: int = 100_000, study_name: str | None = None):
    """Optimize until `epochs` training epochs have been spent in all (the trials'
    `epochs_run`), so that searches with and without a pruner are compared at equal compute:
    the epochs a pruner saves buy more trials. `pruner=None` means no pruning (Optuna's own
    default would be the median pruner). The last trial may overshoot by less than one
    trial's epochs. Name the study for a repeatable Hyperband run: `HyperbandPruner` assigns
    trials to brackets by a hash of the study name and trial number, and an unnamed study
    gets a random name."""
    import optuna

    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    spent = [0]

    def stop(study, trial) -> None:
        spent[0] += trial.user_attrs.get("epochs_run", 0)
        if spent[0] >= epochs or len(study.trials) >= max_trials:
            study.stop()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=sampler, study_name=study_name,
                                pruner=pruner or optuna.pruners.NopPruner())
    study.optimize(objective, callbacks=[stop])
    return study


#: the asset `benchmarks/optuna_samplers.py` writes: samplers and pruners on the benchmark
OPTUNA_RUNS_ASSET = "optuna_samplers.jsonl"
BENCHMARK_PRUNERS = ("none", "median", "successive halving", "hyperband")


def make_pruner(name: str, *, max_resource: int):
    """An Optuna pruner by name, as lesson 08 compares them on a resource of 1..`max_resource`
    epochs: 'none' (no pruning), 'median' (`MedianPruner`: stop a trial below the median of
    earlier trials at the same step, after 5 trials and 1 step), 'successive halving'
    (asynchronous successive halving, Li et al., MLSys 2020: `SuccessiveHalvingPruner`, rungs
    at 1, 3, 9, ... epochs, keep the top third) and 'hyperband' (Li et al., JMLR 2018:
    `HyperbandPruner`, several successive-halving brackets with different first rungs)."""
    import optuna

    if name == "none":
        return optuna.pruners.NopPruner()
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)
    if name == "successive halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_resource,
                                              reduction_factor=3)
    raise ValueError(f"unknown pruner {name!r}; allowed: {', '.join(BENCHMARK_PRUNERS)}")


def benchmark_run(bench, *, kind: str, name: str, seed: int, trials: int = 100,
                  cells: int = 50) -> dict:
    """One run of lesson 08's comparison on the benchmark, as a record: kind 'sampler' runs
    sampler `name` for `trials` fully trained cells; kind 'pruner' runs TPE with pruner
    `name` until the compute of `cells` fully trained cells is spent (`run_with_epoch_budget`).
    The record keeps, per trial in order, the cell's benchmark `index`, its `state` ('C'
    complete, 'P' pruned) and the `epochs` it trained; `incumbent` turns it into curves."""
    from .optuna_bridge import suggest_arch

    if kind not in ("sampler", "pruner"):
        raise ValueError(f"kind must be 'sampler' or 'pruner', got {kind!r}")
    t0 = time.perf_counter()
    objective = benchmark_objective(bench)
    if kind == "sampler":
        study = run_study(objective, make_sampler(name, seed=seed), trials)
    else:
        study = run_with_epoch_budget(objective, make_sampler("tpe", seed=seed),
                                      epochs=cells * bench.epochs,
                                      pruner=make_pruner(name, max_resource=bench.epochs),
                                      study_name=f"{name} seed {seed}")
    done = [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    return {"benchmark": bench.tag, "kind": kind, "name": name, "seed": seed,
            "trials": trials if kind == "sampler" else None,
            "epoch_budget": cells * bench.epochs if kind == "pruner" else None,
            "seconds": time.perf_counter() - t0,
            "index": [bench.space.index(suggest_arch(t)) for t in done],
            "state": "".join(t.state.name[0] for t in done),
            "epochs": [t.user_attrs["epochs_run"] for t in done]}


def stored_runs(bench) -> list[dict]:
    """The records of `benchmarks/optuna_samplers.py` (`nas_lessons/assets/`), checked to be
    made on `bench` (`benchmark.stored_results`; raises if not: rerun the script)."""
    from .benchmark import stored_results

    return stored_results(OPTUNA_RUNS_ASSET, bench=bench, script="benchmarks/optuna_samplers.py")


def incumbent(bench, record: dict) -> dict[str, np.ndarray]:
    """Anytime curves of a `benchmark_run` record, one entry per trial: 'val', the best
    validation accuracy among the completed trials so far (what the search selects on;
    pruned trials are never selected, as in Optuna's `best_trial`); 'test', the test accuracy
    of that incumbent (seed 0; held out, never used for selection); 'epochs', the epochs
    spent so far. NaN before the first completed trial."""
    val, test = bench.array("val_acc"), bench.array("test_acc")
    idx = np.asarray(record["index"])
    v = np.where(np.array(list(record["state"])) == "C", val[idx], -np.inf)
    best = np.maximum.accumulate(v)
    improved = v > np.concatenate([[-np.inf], best[:-1]])  # ties keep the earlier trial
    where = np.maximum.accumulate(np.where(improved, np.arange(len(v)), 0))
    found = np.isfinite(best)
    return {"val": np.where(found, best, np.nan),
            "test": np.where(found, test[idx[where]], np.nan),
            "epochs": np.cumsum(record["epochs"])}


def variance_share(bench, *, metric: str = "val_acc") -> dict[str, float]:
    """How much of the variance of `metric` over every cell of the benchmark each edge's
    operation explains alone: the one-way ANOVA ratio eta^2 = SS_between / SS_total per edge
    (the first-order term of the functional ANOVA decomposition, Hutter et al., ICML 2014,
    computed exactly from the full table instead of estimated from a model of a few trials).
    Keys are the Optuna parameter names of the edges (`optuna_bridge.edge_params`)."""
    from .optuna_bridge import edge_params

    y_all = bench.array(metric)
    ok = ~np.isnan(y_all)
    ops = np.array([[bench.space.OPS.index(o) for o in bench.space.from_index(i)]
                    for i in np.flatnonzero(ok)])
    y = y_all[ok]
    total = float(((y - y.mean()) ** 2).sum())
    out = {}
    for e, name in enumerate(edge_params()):
        between = sum((ops[:, e] == k).sum() * (y[ops[:, e] == k].mean() - y.mean()) ** 2
                      for k in np.unique(ops[:, e]))
        out[name] = float(between / total)
    return out
