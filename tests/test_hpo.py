import numpy as np
import optuna
import pytest
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression

from nas_lessons import cash, hpo, metalearning
from nas_lessons.data import load_dataset, make_task_family

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_leakage_canary():
    """Noise features, random labels: selecting features on all data before CV 'finds'
    signal; the package's pipelines (selection inside the folds) stay near chance."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 5000)), np.array([0, 1] * 30)
    cfg = {"scaler": "standard", "features": "kbest", "n_features": 10, "model": "logreg",
           "C": 1.0}
    clean = hpo.cv_accuracy(cash.cash_pipeline(cfg), X, y, folds=3, seed=0)
    X_leaky = SelectKBest(f_classif, k=10).fit_transform(X, y)
    leaky = hpo.cv_accuracy(LogisticRegression(max_iter=500), X_leaky, y, folds=3, seed=0)
    assert clean <= 60 and leaky >= 85


def test_cash_objective_runs_every_family():
    d = load_dataset("iris")
    X, y = d.x_train.numpy(), d.y_train.numpy()
    study = hpo.run_study(cash.cash_objective(X, y), optuna.samplers.RandomSampler(seed=0), 25)
    fams = {t.user_attrs["config"]["model"] for t in study.trials}
    assert fams == {"logreg", "knn", "svm", "random_forest", "hist_gboost"}
    assert all(0 <= t.value <= 100 for t in study.trials)
    best = cash.cash_pipeline(study.best_trial.user_attrs["config"]).fit(X, y)
    assert best.score(d.x_test.numpy(), d.y_test.numpy()) > 0.8
    with pytest.raises(ValueError, match="unknown model"):
        cash.cash_pipeline({"scaler": "none", "features": "all", "model": "xgb"})


def test_samplers_and_best_so_far():
    assert hpo.best_so_far([1, 3, 2]).tolist() == [1, 3, 3]
    assert hpo.best_so_far([3, 1, 2], maximize=False).tolist() == [3, 1, 1]
    kinds = {"grid": "GridSampler", "random": "RandomSampler", "tpe": "TPESampler",
             "cmaes": "CmaEsSampler", "qmc": "QMCSampler"}
    assert set(kinds) == set(hpo.SAMPLERS)
    for name, cls in kinds.items():
        assert type(hpo.make_sampler(name, seed=0)).__name__ == cls
    with pytest.raises(ValueError, match="allowed: grid, random"):
        hpo.make_sampler("bayes", seed=0)
    grid = hpo.make_sampler("grid", seed=0, n_trials=27)
    study = hpo.run_study(lambda t: sum(t.suggest_float(k, lo, hi, log=True)
                                        for k, (lo, hi) in hpo.SVM_SPACE.items()), grid, 27)
    assert len({tuple(t.params.values()) for t in study.trials}) == 27  # a full 3x3x3 grid


def test_meta_features_and_recommender():
    tasks = make_task_family(6, seed=0)
    meta = np.array([metalearning.meta_features(t.X, t.y) for t in tasks])
    assert meta.shape == (6, len(metalearning.META_FEATURES)) and np.isfinite(meta).all()
    # a synthetic performance matrix where the nearest task's winner is the right answer
    perf = np.array([[90, 80], [91, 80], [80, 90], [80, 91], [90, 80], [80, 90.5]])
    meta2 = np.array([[0.0], [0.1], [5.0], [5.1], [0.05], [5.05]])
    r = metalearning.leave_one_task_out(meta2, perf, k=1)
    assert r["hit_rate"] == 1.0 and r["regret"] == 0.0
    assert r["baseline_hit_rate"] < 1.0
    with pytest.raises(ValueError, match="k must be"):
        metalearning.MetaRecommender(k=0)


def test_unknown_algorithm():
    with pytest.raises(ValueError, match="allowed: logreg, knn"):
        metalearning.make_algorithm("xgboost")
    with pytest.raises(ValueError, match="folds"):
        hpo.cv_accuracy(metalearning.make_algorithm("knn"), np.zeros((4, 2)), [0, 1, 0, 1], folds=1)


def test_cnn_objective_reports_and_prunes():
    d = load_dataset("mnist1d", n_samples=600)
    study = hpo.run_study(hpo.cnn_objective(d, epochs=3, lr=1e-2),
                          optuna.samplers.RandomSampler(seed=0), 4,
                          pruner=optuna.pruners.ThresholdPruner(lower=99.0))
    states = {t.state for t in study.trials}
    assert states == {optuna.trial.TrialState.PRUNED}  # nobody reaches 99% after 1 epoch
    assert all(t.user_attrs["epochs_run"] == 1 for t in study.trials)
    study = hpo.run_study(hpo.cnn_objective(d, epochs=2, prune=False),
                          optuna.samplers.RandomSampler(seed=0), 2)
    assert all(len(t.intermediate_values) == 2 and "lr" in t.params for t in study.trials)


def test_cnn_size_objective_skips_infeasible_networks_before_training(monkeypatch):
    import nas_lessons.training as training

    d = load_dataset("mnist1d", n_samples=400)
    trained = []
    real = training.train
    monkeypatch.setattr(training, "train", lambda model, *a, **kw: trained.append(
        sum(p.numel() for p in model.parameters())) or real(model, *a, **kw))
    study = optuna.create_study(directions=["maximize", "minimize"],
                                sampler=optuna.samplers.NSGAIISampler(seed=0))
    study.optimize(hpo.cnn_size_objective(d, max_params=2000, epochs=1), n_trials=8)
    states = {t.state.name for t in study.trials}
    assert states == {"COMPLETE", "PRUNED"}  # seed 0 draws both kinds
    for t in study.trials:
        feasible = t.constraints["max_params"] <= 0
        assert feasible == (t.state.name == "COMPLETE")
        if feasible:
            assert t.values[1] <= 2000
    assert len(trained) == sum(t.state.name == "COMPLETE" for t in study.trials)
    assert max(trained) <= 2000  # no infeasible network was trained


def test_metalearning_mlp_is_not_crippled_by_early_stopping():
    """The MLP trains without early stopping (which would hold out ~10 iris flowers)."""
    mlp = metalearning.make_algorithm("mlp")[-1]
    assert not mlp.early_stopping and mlp.max_iter == 500
    d = load_dataset("iris")
    X, y = d.x_train.numpy(), d.y_train.numpy()
    assert hpo.cv_accuracy(metalearning.make_algorithm("mlp"), X, y, folds=3) > 85


def test_matched_channels_matches_the_parameter_count():
    from nas_lessons.hardware import count_params
    from nas_lessons.models import make_baseline

    for target in (7_690, 39_882, 60_554):
        c = hpo.matched_channels(target, (1, 40), 10)
        got = count_params(make_baseline("cnn", (1, 40), 10, channels=c))
        for other in (c - 1, c + 1):
            alt = count_params(make_baseline("cnn", (1, 40), 10, channels=other))
            assert abs(got - target) <= abs(alt - target)
    assert hpo.matched_channels(7_690, (1, 40), 10) == 32  # the lesson's CNN itself


def test_search_vs_manual_small_run():
    data = load_dataset("mnist1d", seed=0)
    r = hpo.search_vs_manual(data, trials=2, epochs=1, seed=3, manual_runs=2)
    assert len(r["search"]) == 2 and len(r["manual"]) == 2
    assert r["search_best"]["val"] == max(x["val"] for x in r["search"])
    assert r["manual_best"]["val"] == max(x["val"] for x in r["manual"])
    assert [m["seed"] for m in r["manual"]] == [3000, 3001]
    c = r["manual"][0]["arch"]["channels"]
    assert c == hpo.matched_channels(r["search_best"]["params"], data.input_shape, 10)
    assert all(x["flops"] > 0 and x["params"] > 0 for x in r["search"] + r["manual"])
    with pytest.raises(ValueError, match="manual_runs must be >= 1"):
        hpo.search_vs_manual(data, trials=1, epochs=1, manual_runs=0)


def test_cash_vs_best_default_is_deterministic_and_validates():
    d = load_dataset("digits_flat")
    args = (d.x_train.numpy(), d.y_train.numpy(), d.x_test.numpy(), d.y_test.numpy())
    kw = dict(n_train=150, seeds=[0, 1], n_trials=4, algorithms=("knn", "svm"))
    a, b = cash.cash_vs_best_default(*args, **kw), cash.cash_vs_best_default(*args, **kw)
    for key in ("cash_cv", "cash_test", "default_cv", "default_test"):
        assert a[key].shape == (2,) and np.array_equal(a[key], b[key])
    assert set(a["defaults"]) <= {"knn", "svm"} and a["configs"] == b["configs"]
    # the best default is the CV argmax: its CV score is the best of the candidates
    for s, seed in enumerate([0, 1]):
        idx = np.random.default_rng(seed).permutation(len(args[1]))[:150]
        cvs = [hpo.cv_accuracy(metalearning.make_algorithm(x, seed=seed), args[0][idx],
                               args[1][idx], folds=3, seed=seed) for x in ("knn", "svm")]
        assert a["default_cv"][s] == max(cvs)
    with pytest.raises(ValueError, match="n_train"):
        cash.cash_vs_best_default(*args, n_train=5, seeds=[0], n_trials=1)


def test_benchmark_objective_reports_every_epoch_and_can_be_pruned():
    import optuna

    from nas_lessons.benchmark import Benchmark

    bench = Benchmark.load()
    objective = hpo.benchmark_objective(bench)
    study = hpo.run_study(objective, optuna.samplers.RandomSampler(seed=0), 12,
                          pruner=optuna.pruners.MedianPruner(n_startup_trials=3))
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned and done
    for t in done:
        assert t.user_attrs["epochs_run"] == bench.epochs
        assert len(t.intermediate_values) == bench.epochs
        assert t.value == t.intermediate_values[bench.epochs]
    assert all(t.user_attrs["epochs_run"] < bench.epochs for t in pruned)
    with pytest.raises(ValueError, match="epochs must be in 1.."):
        hpo.benchmark_objective(bench, epochs=bench.epochs + 1)


def test_run_with_epoch_budget_spends_equal_compute():
    import optuna

    from nas_lessons.benchmark import Benchmark

    bench = Benchmark.load()
    objective = hpo.benchmark_objective(bench)
    budget = 20 * bench.epochs
    runs = {}
    for name, pruner in [("none", None),
                         ("asha", optuna.pruners.SuccessiveHalvingPruner(reduction_factor=3))]:
        study = hpo.run_with_epoch_budget(objective, optuna.samplers.RandomSampler(seed=1),
                                          epochs=budget, pruner=pruner)
        spent = sum(t.user_attrs["epochs_run"] for t in study.trials)
        assert budget <= spent < budget + bench.epochs
        runs[name] = len(study.trials)
    assert runs["none"] == 20 and runs["asha"] > 20  # saved epochs bought more trials
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        hpo.run_with_epoch_budget(objective, None, epochs=0)


def test_gp_sampler_searches_the_cell_space():
    from nas_lessons.benchmark import Benchmark

    bench = Benchmark.load()
    study = hpo.run_study(hpo.benchmark_objective(bench), hpo.make_sampler("gp", seed=0), 14)
    assert len(study.trials) == 14 and study.best_value > 0
    with pytest.raises(ValueError, match="allowed: grid, random, tpe, cmaes, qmc, gp"):
        hpo.make_sampler("bohb")


def test_run_study_does_not_prune_unless_asked():
    from nas_lessons.benchmark import Benchmark

    bench = Benchmark.load()
    study = hpo.run_study(hpo.benchmark_objective(bench), optuna.samplers.RandomSampler(seed=0),
                          30)
    assert all(t.state.name == "COMPLETE" for t in study.trials)  # Optuna's default would prune


def test_make_pruner_names_and_errors():
    assert isinstance(hpo.make_pruner("none", max_resource=10), optuna.pruners.NopPruner)
    assert isinstance(hpo.make_pruner("hyperband", max_resource=10),
                      optuna.pruners.HyperbandPruner)
    with pytest.raises(ValueError, match="allowed: none, median, successive halving, hyperband"):
        hpo.make_pruner("asha", max_resource=10)


def test_benchmark_run_is_repeatable_and_incumbent_matches_optuna():
    from nas_lessons.benchmark import Benchmark

    bench = Benchmark.load()
    for kind, name in [("sampler", "tpe"), ("pruner", "hyperband")]:
        a = hpo.benchmark_run(bench, kind=kind, name=name, seed=3, trials=30, cells=10)
        b = hpo.benchmark_run(bench, kind=kind, name=name, seed=3, trials=30, cells=10)
        assert a["index"] == b["index"] and a["state"] == b["state"]  # Hyperband too
    rec = hpo.benchmark_run(bench, kind="pruner", name="successive halving", seed=0, cells=10)
    assert set(rec["state"]) == {"C", "P"} and len(rec["index"]) == len(rec["epochs"])
    inc = hpo.incumbent(bench, rec)
    assert inc["epochs"][-1] == sum(rec["epochs"]) >= 10 * bench.epochs
    val, test = bench.array("val_acc"), bench.array("test_acc")
    complete = [i for i, s in zip(rec["index"], rec["state"]) if s == "C"]
    best = max(complete, key=lambda i: val[i])  # first of equals, as Optuna's best_trial
    assert inc["val"][-1] == val[best] and inc["test"][-1] == test[best]
    for k in range(len(rec["index"])):  # at every trial: the best completed so far, first of equals
        seen = [i for i, s in zip(rec["index"][:k + 1], rec["state"][:k + 1]) if s == "C"]
        if seen:
            first = max(seen, key=lambda i: val[i])
            assert inc["val"][k] == val[first] and inc["test"][k] == test[first]
        else:
            assert np.isnan(inc["val"][k])
    with pytest.raises(ValueError, match="kind must be"):
        hpo.benchmark_run(bench, kind="strategy", name="re", seed=0)


def test_stored_runs_match_the_benchmark_and_code():
    from nas_lessons.benchmark import Benchmark

    bench = Benchmark.load()
    runs = hpo.stored_runs(bench)
    keys = {(r["kind"], r["name"], r["seed"]) for r in runs}
    assert len(keys) == len(runs) == 20 * (len(hpo.BENCHMARK_SAMPLERS)
                                           + len(hpo.BENCHMARK_PRUNERS))
    r = next(r for r in runs if (r["kind"], r["name"], r["seed"]) == ("pruner", "median", 1))
    live = hpo.benchmark_run(bench, kind="pruner", name="median", seed=1)
    assert live["index"] == r["index"] and live["state"] == r["state"]


def test_variance_share_is_eta_squared():
    from nas_lessons.benchmark import Benchmark

    bench = Benchmark.load()
    share = hpo.variance_share(bench)
    assert len(share) == 6 and all(0 <= v <= 1 for v in share.values())
    # every edge alone explains less than all of them together
    assert sum(share.values()) < 1
    # an edge's share equals the R^2 of a one-hot regression on that edge alone
    y = bench.array("val_acc")
    ok = ~np.isnan(y)
    ops = np.array([bench.space.OPS.index(bench.space.from_index(i)[0])
                    for i in np.flatnonzero(ok)])
    X = np.eye(5)[ops]
    fit = X @ np.linalg.lstsq(X, y[ok], rcond=None)[0]
    r2 = 1 - ((y[ok] - fit) ** 2).sum() / ((y[ok] - y[ok].mean()) ** 2).sum()
    assert share["edge10"] == pytest.approx(r2, abs=1e-9)


def test_wilcoxon_pruner_stops_bad_trials_early():
    d = load_dataset("digits_flat")
    X, y = d.x_train.numpy()[:300], d.y_train.numpy()[:300]
    objective = hpo.svm_fold_objective(X, y, folds=5)
    study = hpo.run_study(objective, optuna.samplers.RandomSampler(seed=0), 12,
                          pruner=optuna.pruners.WilcoxonPruner(p_threshold=0.1))
    runs = [t.user_attrs["folds_run"] for t in study.trials]
    assert max(runs) == 5 and min(runs) < 5
    for t in study.trials:  # the value is the mean of the folds it fitted
        assert t.value == pytest.approx(np.mean(list(t.intermediate_values.values())))
    with pytest.raises(ValueError, match="folds must be >= 2"):
        hpo.svm_fold_objective(X, y, folds=1)


def test_digits_svm_worker_global_budget(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert hpo.digits_svm_worker(storage=url, study_name="s", max_trials=4) == 4
    # MaxTrialsCallback checks after a trial: a late worker still runs one, then stops
    assert hpo.digits_svm_worker(storage=url, study_name="s", max_trials=4) == 1
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 5
    with pytest.raises(ValueError, match="n_trials .* or max_trials"):
        hpo.digits_svm_worker(storage=url, study_name="s")
