"""The checks of exercise 08 accept the correct variants and reject plausible wrong ones."""

import optuna
import pytest

from nas_lessons.checks import (
    CheckFailed,
    check_batched,
    check_conditional_space,
    check_promotable,
    check_pruned_objective,
    check_pruning_lab,
    lesson08,
)


# ---- 8.1 conditional space -----------------------------------------------------------------
def _space(trial, *, both=False, linear_c=False):
    model = trial.suggest_categorical("model", ["svm", "knn"])
    out = {"model": model}
    if model == "svm" or both:
        out["C"] = trial.suggest_float("C", 1e-2, 1e2, log=not linear_c)
    if model == "knn" or both:
        out["n_neighbors"] = trial.suggest_int("n_neighbors", 1, 30)
    return out


def test_conditional_space_accepts_the_reference():
    check_conditional_space(_space)


@pytest.mark.parametrize("kw", [{"both": True}, {"linear_c": True}])
def test_conditional_space_rejects(kw):
    with pytest.raises(CheckFailed):
        check_conditional_space(lambda t: _space(t, **kw))


# ---- 8.2 pruned objective ------------------------------------------------------------------
def _pruned(trial, values, *, best=False, ask=True, only_end=False):
    for step, value in enumerate(values):
        if not only_end:
            trial.report(value, step)
        if ask and not only_end and trial.should_prune():
            raise optuna.TrialPruned()
    if only_end:
        trial.report(values[-1], len(values) - 1)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return max(values) if best else values[-1]


def test_pruned_objective_accepts_the_reference():
    check_pruned_objective(_pruned)


@pytest.mark.parametrize("kw", [{"best": True}, {"ask": False}, {"only_end": True}])
def test_pruned_objective_rejects(kw):
    with pytest.raises(CheckFailed):
        check_pruned_objective(lambda t, v: _pruned(t, v, **kw))


# ---- 8.3 promotion rule --------------------------------------------------------------------
def test_promotable_accepts_the_reference_and_optunas_own_rule():
    from optuna.pruners._successive_halving import _is_trial_promotable_to_next_rung
    from optuna.study import StudyDirection

    check_promotable(lesson08.promotable)
    check_promotable(lambda v, r, eta: _is_trial_promotable_to_next_rung(
        v, list(r), eta, StudyDirection.MAXIMIZE))


@pytest.mark.parametrize("wrong", [
    lambda v, r, eta: v >= sorted(r)[-(len(r) // eta)] if len(r) >= eta else False,  # no floor 1
    lambda v, r, eta: v > sorted(r)[-max(1, len(r) // eta) - 1] if len(r) > 1 else True,  # ties
    lambda v, r, eta: v >= sorted(r)[-max(1, -(-len(r) // eta))],  # rounds up
])
def test_promotable_rejects(wrong):
    with pytest.raises(CheckFailed):
        check_promotable(wrong)


# ---- 8.4 batched ask-and-tell --------------------------------------------------------------
def _batches(study, evaluate_batch, *, batches, size, one_by_one=False, skip_failed=False):
    for _ in range(batches):
        if one_by_one:
            for _ in range(size):
                t = study.ask()
                t.suggest_float("x", -5, 5)
                study.tell(t, evaluate_batch([t])[0])
            continue
        trials = [study.ask() for _ in range(size)]
        for t in trials:
            t.suggest_float("x", -5, 5)
        for t, v in zip(trials, evaluate_batch(trials)):
            if v is None:
                if not skip_failed:  # a failure left untold stays RUNNING for ever
                    study.tell(t, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(t, v)


def test_batched_accepts_the_reference():
    check_batched(_batches)


@pytest.mark.parametrize("kw", [{"one_by_one": True}, {"skip_failed": True}])
def test_batched_rejects(kw):
    with pytest.raises(CheckFailed):
        check_batched(lambda s, e, **k: _batches(s, e, **k, **kw))


# ---- 8.5 lab -------------------------------------------------------------------------------
def test_pruning_lab(monkeypatch):
    monkeypatch.setattr(lesson08, "pruning_lab_measurement", lambda **kw: -0.25)
    check_pruning_lab(0.5, -0.25)
    with pytest.raises(CheckFailed):
        check_pruning_lab(0.5, 0.5)
    with pytest.raises(NotImplementedError, match="prediction first"):
        check_pruning_lab(None, -0.25)
