"""Auto-checks for the exercises: run a student's function on several cases.

Each `check_*` function compares the student's implementation with the package's reference
behaviour on a handful of cases, prints one line per case (✓ or ✗ with a hint) and raises
`CheckFailed` if any case failed. A stub that still raises `NotImplementedError` makes the
check raise that error unchanged, so the student sees which exercise is still open.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["CheckFailed", "run_cases", "check_count_params", "check_space_size",
           "check_sample_cell", "check_neighbours", "check_leak_free_cv",
           "check_class_entropy", "check_best_so_far", "check_conditional_space",
           "check_pruned_objective", "check_tournament", "check_ageing_step",
           "check_reinforce_loss", "check_holm", "check_winners_curse", "check_mixed_op",
           "check_derive_edges", "check_first_order_step", "check_gumbel_straight_through",
           "check_none_exclusion", "check_pareto_2d", "check_hypervolume", "check_lut_predict",
           "check_lab", "check_successive_halving", "check_synflow", "check_naswot",
           "check_early_ranking"]


class CheckFailed(AssertionError):
    """At least one case of an exercise check failed."""


Case = tuple[str, Callable[[], object], Callable[[object], bool], str]


def run_cases(exercise: str, cases: list[Case]) -> None:
    """Run (description, call, accept, hint) cases; print ✓/✗ lines; raise on failure."""
    failed = 0
    for desc, call, accept, hint in cases:
        try:
            got = call()
        except NotImplementedError:
            raise
        except Exception as e:  # the student's code failed: report it as a failed case
            print(f"✗ {desc}: raised {type(e).__name__}: {e}\n    hint: {hint}")
            failed += 1
            continue
        if accept(got):
            print(f"✓ {desc}")
        else:
            print(f"✗ {desc}: got {got!r}\n    hint: {hint}")
            failed += 1
    if failed:
        raise CheckFailed(f"{exercise}: {failed} of {len(cases)} case(s) failed; see the "
                          "hints above")
    print(f"{exercise}: all {len(cases)} cases passed.")


def check_count_params(fn: Callable) -> None:
    """Exercise 0.1: `fn(model)` returns the number of trainable parameters."""
    import torch
    from torch import nn

    from .hardware import count_params

    def frozen():
        m = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
        m[0].weight.requires_grad_(False)
        return m

    models = {
        "Linear(10, 5): weights and bias": lambda: nn.Linear(10, 5),
        "Conv1d(1, 8, 3) + BatchNorm1d(8) (BN buffers are not parameters)":
            lambda: nn.Sequential(nn.Conv1d(1, 8, 3), nn.BatchNorm1d(8)),
        "a frozen weight does not count": frozen,
        "a model without parameters": lambda: nn.ReLU(),
    }
    cases = []
    for desc, make in models.items():
        torch.manual_seed(0)
        m = make()
        want = count_params(m)
        cases.append((desc, lambda m=m: fn(m), lambda got, w=want: got == w,
                      f"expected {want}; sum p.numel() over model.parameters() that "
                      "require grad"))
    run_cases("Exercise 0.1", cases)


def check_space_size(fn: Callable) -> None:
    """Exercise 2.1: `fn(n_nodes, n_ops)` = number of distinct DARTS cells."""
    from .ops import DARTS_OPS
    from .spaces import DARTSSpace

    cases = []
    for n_nodes, n_ops in [(1, 1), (1, 3), (2, 2), (4, 7), (5, 8)]:
        want = DARTSSpace(n_nodes, DARTS_OPS[:n_ops]).size()
        cases.append((f"{n_nodes} node(s), {n_ops} op(s)", lambda n=n_nodes, k=n_ops: fn(n, k),
                      lambda got, w=want: got == w,
                      f"expected {want}; node i chooses an unordered pair of distinct inputs "
                      "among i+2 earlier nodes, and an op for each of the two edges"))
    run_cases("Exercise 2.1", cases)


def check_sample_cell(fn: Callable) -> None:
    """Exercise 2.2: `fn(n_nodes, ops, rng)` samples a valid DARTS cell (distinct inputs,
    earlier nodes only), covering the whole space."""
    import random

    from .spaces import DARTSSpace

    def valid_many(n_nodes, ops):
        space = DARTSSpace(n_nodes, ops)
        rng = random.Random(0)
        for _ in range(300):
            space.validate(fn(n_nodes, list(ops), rng))
        return True

    def covers(n_nodes, ops):
        space = DARTSSpace(n_nodes, ops)
        rng = random.Random(1)
        seen = {space.normalize(fn(n_nodes, list(ops), rng)) for _ in range(40 * space.size())}
        return len(seen), space.size()

    cases = [
        ("300 samples of a 4-node cell are valid", lambda: valid_many(4, ["skip_connect",
                                                                          "sep_conv_3x3"]),
         lambda got: got is True, "each node i picks 2 *distinct* inputs from 0..i+1"),
        ("1 node, 1 op: the only cell", lambda: valid_many(1, ["skip_connect"]),
         lambda got: got is True, "with one node the inputs must be 0 and 1"),
        ("every cell of a 2-node, 2-op space appears", lambda: covers(2, ["skip_connect",
                                                                         "max_pool_3x3"]),
         lambda got: got[0] == got[1],
         "sample inputs with random.sample(range(i + 2), 2) and ops with rng.choice"),
    ]
    run_cases("Exercise 2.2", cases)


def check_neighbours(fn: Callable) -> None:
    """Exercise 2.3: `fn(arch)` returns all one-edge mutations of an NB201 arch tuple."""
    from .spaces import NB201Space

    space = NB201Space()
    cases = []
    for seed in (0, 1, 2):
        a = space.sample(seed)
        want = sorted(space.neighbours(a))
        cases.append((f"neighbours of {space.format(a)}",
                      lambda a=a: sorted(fn(a)), lambda got, w=want: got == w,
                      "change exactly one of the 6 edges to each of the 4 other ops: 24 "
                      "tuples, none equal to the input"))
    run_cases("Exercise 2.3", cases)


def check_leak_free_cv(fn: Callable) -> None:
    """Exercise 1.1: `fn(X, y, k, folds, seed)` = CV accuracy (%) of SelectKBest(k) +
    logistic regression with the selection fitted inside each training fold."""
    import numpy as np

    from .cash import cash_pipeline
    from .hpo import cv_accuracy

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

    from .hpo import best_so_far

    cases = []
    for vals, mx in [([1, 3, 2, 5, 4], True), ([5, 3, 4, 1, 2], False), ([0.5], True),
                     ([2, 2, 1, 3], True)]:
        want = best_so_far(vals, maximize=mx).tolist()
        cases.append((f"{vals}, maximize={mx}", lambda v=vals, m=mx: list(fn(v, m)),
                      lambda got, w=want: np.allclose(got, w),
                      f"expected {want}: element i is the best of values[:i+1]"))
    run_cases("Exercise 1.3", cases)


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


# ---- lesson 03 ---------------------------------------------------------------------------------
def check_tournament(fn: Callable) -> None:
    """Exercise 3.1: `fn(population, sample_size, rng)` = arch of the best of `sample_size`
    members drawn at random with `rng` (aging evolution's parent selection). Drawing with
    replacement (Real et al. 2019, Alg. 1: `rng.choices` or `rng.choice` in a loop) and
    without (`rng.sample`) are both accepted; a member's score decides, ties the first
    drawn."""
    import random

    from .spaces import NB201Space

    space = NB201Space()

    def best(contenders):
        return max(contenders, key=lambda m: m[1])[0]

    variants = (lambda p, k, r: r.sample(p, k), lambda p, k, r: r.choices(p, k=k),
                lambda p, k, r: [r.choice(p) for _ in range(k)])
    cases = []
    for seed, k in [(0, 2), (1, 5), (2, 10), (3, 1)]:
        pop = [(space.sample(seed * 100 + i), float((i * 37) % 11)) for i in range(10)]
        wants = {best(v(pop, k, random.Random(seed))) for v in variants}
        cases.append((f"population of 10, sample_size={k}",
                      lambda p=pop, k=k, s=seed: fn(list(p), k, random.Random(s)),
                      lambda got, w=wants: tuple(got) in w,
                      "draw sample_size members with rng (with or without replacement) and "
                      "return the arch of the one with the highest score"))
    population = [(space.sample(i), float(i)) for i in range(6)]

    def global_random_untouched() -> bool:
        saved = random.getstate()
        try:
            random.seed(123)
            fn(list(population), 3, random.Random(0))
            return random.random() == random.Random(123).random()
        finally:
            random.setstate(saved)

    cases.append(("uses only the rng it is given (the global random module untouched)",
                  global_random_untouched, lambda got: got is True,
                  "draw with rng.sample / rng.choices, not random.sample"))
    run_cases("Exercise 3.1", cases)


def check_ageing_step(fn: Callable) -> None:
    """Exercise 3.2: `fn(population, sample_size, population_size, mutate, evaluate, rng)` runs
    one cycle of regularized evolution (Real et al. 2019, Alg. 1) on `population`, a deque of
    (arch, score) pairs, oldest first, in place: a tournament of `sample_size` members drawn
    with `rng` (with or without replacement), the winner's `mutate(arch, rng)` is the child,
    `evaluate(child)` its score, the child joins at the young end and — if the population is
    then larger than `population_size` — the oldest member dies. Returns (child, score)."""
    import random
    from collections import deque

    from .spaces import NB201Space

    space = NB201Space()

    def score(arch) -> float:
        return 10.0 * arch.count("nor_conv_3x3") + arch.count("skip_connect")

    draws = (lambda p, k, r: r.sample(p, k), lambda p, k, r: r.choices(p, k=k),
             lambda p, k, r: [r.choice(p) for _ in range(k)])

    def reference(pop, k, size, seed):
        outs = set()
        for draw in draws:
            rng = random.Random(seed)
            parent = max(draw(list(pop), k, rng), key=lambda m: m[1])[0]
            child = space.mutate(parent, rng)
            after = deque(pop)
            after.append((child, score(child)))
            while len(after) > size:
                after.popleft()
            outs.add((child, tuple(after)))
        return outs

    def run(pop, k, size, seed):
        population, calls = deque(pop), []

        def evaluate(arch):
            calls.append(tuple(arch))
            return score(tuple(arch))

        child, s = fn(population, k, size, space.mutate, evaluate, random.Random(seed))
        return {"child": tuple(child), "score": s, "after": tuple(population),
                "calls": calls}

    def accept(pop, k, size, seed):
        want = reference(pop, k, size, seed)
        return lambda got: (got["child"], got["after"]) in want and \
            got["calls"] == [got["child"]] and got["score"] == score(got["child"])

    cases = []
    best_first = [(space.sample(i), 100.0 - i) for i in range(5)]  # the oldest is the best
    for desc, pop, k, size, seed in [
            ("full population of 5, the oldest is the best", best_first, 3, 5, 0),
            ("full population of 8", [(space.sample(10 + i), float(i % 3)) for i in range(8)],
             2, 8, 1),
            ("population of 4 below its size 6: nobody dies",
             [(space.sample(30 + i), float(i)) for i in range(4)], 2, 6, 2)]:
        cases.append((desc, lambda p=pop, k=k, z=size, s=seed: run(p, k, z, s),
                      accept(pop, k, size, seed),
                      "tournament with rng, child = mutate(winner's arch, rng), evaluate it "
                      "once, append (child, score) at the young end, then remove the OLDEST "
                      "(left end) while the population is too large — never the worst"))

    def global_random_untouched() -> bool:
        saved = random.getstate()
        try:
            random.seed(7)
            run(best_first, 3, 5, 0)
            return random.random() == random.Random(7).random()
        finally:
            random.setstate(saved)

    cases.append(("uses only the rng it is given (the global random module untouched)",
                  global_random_untouched, lambda got: got is True,
                  "pass rng to the draws and to mutate; do not call random.* directly"))
    run_cases("Exercise 3.2", cases)


def check_reinforce_loss(fn: Callable) -> None:
    """Exercise 3.3: `fn(log_prob, entropy, reward, baseline, decay, entropy_weight)` returns
    (loss, new_baseline) of REINFORCE (Williams 1992) with an exponential-moving-average
    baseline and an entropy bonus: loss = -A * log_prob - entropy_weight * entropy with the
    advantage A = reward - baseline (or, ENAS' convention, against the baseline already
    updated with this reward: A = decay * (reward - baseline)); new_baseline = decay *
    baseline + (1 - decay) * reward. The loss must stay a differentiable function of
    `log_prob` and `entropy` (a tensor with gradients, not a float)."""
    import torch

    cases = []
    for lp, ent, r, b, d, ew in [(-2.0, 1.5, 0.9, 0.5, 0.9, 0.01),
                                 (-0.5, 0.2, 0.1, 0.6, 0.8, 0.0),
                                 (-1.0, 1.0, 0.7, 0.7, 0.95, 0.1)]:
        want_b = d * b + (1 - d) * r
        advantages = (r - b, d * (r - b))  # the baseline before, or after, this reward

        def call(lp=lp, ent=ent, r=r, b=b, d=d, ew=ew):
            log_prob = torch.tensor(lp, requires_grad=True)
            entropy = torch.tensor(ent, requires_grad=True)
            loss, nb = fn(log_prob, entropy, r, b, d, ew)
            if not (torch.is_tensor(loss) and loss.requires_grad):
                return {"value": float(loss), "grads": None, "baseline": float(nb)}
            loss.backward()
            g_ent = 0.0 if entropy.grad is None else float(entropy.grad)
            return {"value": float(loss.detach()), "grads": (float(log_prob.grad), g_ent),
                    "baseline": float(nb)}

        def ok(got, lp=lp, ent=ent, ew=ew, wb=want_b, advs=advantages):
            return got["grads"] is not None and abs(got["baseline"] - wb) < 1e-9 and any(
                abs(got["value"] - (-a * lp - ew * ent)) < 1e-6
                and abs(got["grads"][0] + a) < 1e-6 and abs(got["grads"][1] + ew) < 1e-6
                for a in advs)

        cases.append((f"reward {r}, baseline {b}, decay {d}, entropy weight {ew}", call, ok,
                      f"the loss must be a tensor built from log_prob and entropy (no .item()); "
                      f"loss = -(reward - baseline) * log_prob - entropy_weight * entropy; "
                      f"its gradient w.r.t. log_prob is minus the advantage ({-advantages[0]:.4f}"
                      f" or ENAS' {-advantages[1]:.4f}), w.r.t. entropy -entropy_weight; new "
                      f"baseline = decay * baseline + (1 - decay) * reward = {want_b:.4f}"))
    run_cases("Exercise 3.3", cases)


def check_holm(fn: Callable) -> None:
    """Exercise 3.4: `fn(pvalues)` returns Holm's step-down adjusted p-values (Holm 1979) in
    the input's order: sort ascending, multiply the i-th smallest (i = 0..m-1) by m - i, take
    the running maximum so adjusted values never decrease with the raw ones, cap at 1."""
    import numpy as np

    from .stats import holm

    cases = []
    for desc, ps in [("four p-values, unsorted", [0.04, 0.01, 0.03, 0.5]),
                     ("a running maximum is needed", [0.01, 0.012, 0.02, 0.9]),
                     ("values capped at 1", [0.6, 0.7, 0.02]),
                     ("ties", [0.02, 0.02, 0.5]),
                     ("a single test is not adjusted", [0.03])]:
        want = holm(ps)
        cases.append((desc, lambda p=ps: np.asarray(fn(list(p)), dtype=float),
                      lambda got, w=want: got.shape == w.shape and np.allclose(got, w),
                      f"expected {np.round(want, 4).tolist()} for {ps}: sort, multiply the i-th "
                      "smallest by (m - i), running maximum, cap at 1, back in input order"))
    run_cases("Exercise 3.4", cases)


def check_winners_curse(prediction, answer) -> None:
    """Exercise 3.5 (lab): among the cells trained with every seed, the 5 best by seed-0
    validation accuracy: their seed-0 mean minus their mean on the other seeds (pp)."""
    from .benchmark import Benchmark, selection_bias

    measured = selection_bias(Benchmark.load(), ks=(5,))["by_k"][5]["bias"]
    check_lab("3.5", prediction=prediction, answer=answer, measured=measured, tolerance=0.01,
              what="the top-5 selection bias (pp)")


# ---- lesson 05 ---------------------------------------------------------------------------------
def check_mixed_op(fn: Callable) -> None:
    """Exercise 5.1: `fn(x, weights, ops)` = sum_i weights[i] * ops[i](x)."""
    import torch

    from .darts import MixedOp
    from .ops import NB201_OPS

    torch.manual_seed(0)
    mixed = MixedOp(4, 1, ops=NB201_OPS, rank=1).eval()
    x = torch.randn(2, 4, 12)
    cases = []
    for desc, w in [("uniform weights", torch.full((5,), 0.2)),
                    ("one-hot on nor_conv_3x3", torch.eye(5)[3]),
                    ("softmax of random logits", torch.softmax(torch.randn(5), 0))]:
        want = mixed(x, w)
        cases.append((desc, lambda w=w: fn(x, w, mixed.ops),
                      lambda got, want=want: torch.allclose(got, want, atol=1e-6),
                      "return sum(w * op(x) for w, op in zip(weights, ops))"))
    run_cases("Exercise 5.1", cases)


def check_derive_edges(fn: Callable) -> None:
    """Exercise 5.2: `fn(alpha)` = the NB201 op per edge by argmax, `none` excluded (it can
    never be chosen, however large its alpha). Masking `none` with -inf on alpha, or with 0
    after the softmax, are both correct."""
    import torch

    from .darts import derive_nb201

    cases = []
    torch.manual_seed(0)
    dominated = torch.randn(6, 5)
    dominated[:, 0] = 9.0
    negative = -1.0 - torch.rand(6, 5)  # every alpha below 0; `none` the largest
    negative[:, 0] = -0.5
    for desc, a in [("random alpha", torch.randn(6, 5)),
                    ("`none` is the largest on every edge", dominated),
                    ("every alpha is negative, `none` the largest", negative),
                    ("the last op wins on every edge", torch.eye(5)[[4] * 6] * 3.0)]:
        want = derive_nb201(a)
        cases.append((desc, lambda a=a: tuple(fn(a.clone())), lambda got, w=want: got == w,
                      f"expected {want}: `none` must be impossible to choose — mask it so that "
                      "it is below every other op whatever the alphas (on alpha itself 0 is "
                      "not low enough), and keep the op indices aligned with NB201_OPS"))
    original = torch.randn(6, 5)

    def unchanged() -> bool:
        alpha = original.clone()
        fn(alpha)
        return torch.equal(alpha, original)

    cases.append(("alpha is left unchanged", unchanged, lambda got: got is True,
                  "work on a copy of alpha"))
    run_cases("Exercise 5.2", cases)


def check_first_order_step(fn: Callable) -> None:
    """Exercise 5.3: `fn(model, x_val, y_val, arch_optimizer)` takes one first-order
    architecture step: the gradient of the validation loss w.r.t. alpha only — whatever
    `.grad` the parameters held before (no stale gradient may leak into the step), leaving
    the weights and their `.grad` as they were."""
    import copy

    import torch

    from .darts import Architect, NB201SearchNetwork

    torch.manual_seed(0)
    base = NB201SearchNetwork(C=2, N=1, num_classes=3, in_channels=1, rank=1)
    x, y = torch.randn(8, 1, 10), torch.randint(0, 3, (8,))

    def run(stale: bool):
        model = copy.deepcopy(base)
        if stale:  # what a previous weight step or a forgotten backward left behind
            model.alpha.grad = torch.full_like(model.alpha, 5.0)
            for p in model.weights():
                p.grad = torch.ones_like(p)
        w_before = [p.detach().clone() for p in model.weights()]
        g_before = [None if p.grad is None else p.grad.clone() for p in model.weights()]
        opt = torch.optim.SGD(model.arch_parameters(), lr=0.1)
        fn(model, x, y, opt)
        ref = copy.deepcopy(base)
        arch = Architect(ref, order=1, lr=0.1, weight_decay=0.0)
        arch.optimizer = torch.optim.SGD(ref.arch_parameters(), lr=0.1)
        arch.step(x, y, x, y)
        same_w = all(torch.equal(a, b) for a, b in zip(w_before, model.weights()))
        same_g = all((g is None and p.grad is None) or (g is not None and p.grad is not None
                                                         and torch.equal(g, p.grad))
                     for g, p in zip(g_before, model.weights()))
        return torch.allclose(model.alpha, ref.alpha, atol=1e-6), same_w, same_g

    hint = ("gradients of model.loss(x_val, y_val) for model.arch_parameters() only "
            "(torch.autograd.grad, or backward(inputs=...) after clearing alpha's .grad), "
            "then arch_optimizer.step()")
    cases = [("alpha moves as a first-order DARTS step would", lambda: run(False),
              lambda got: got[0], hint),
             ("with stale .grad left on alpha and the weights", lambda: run(True),
              lambda got: got[0], "a stale alpha.grad must not be added to the new gradient: "
              + hint),
             ("network weights are left untouched", lambda: run(True), lambda got: got[1],
              "do not step (or change) model.weights() in the architecture step"),
             ("the weights' .grad is left as it was", lambda: run(True), lambda got: got[2],
              "loss.backward() also writes the weights' .grad, which the next weight step "
              "would then use; differentiate w.r.t. alpha only")]
    run_cases("Exercise 5.3", cases)


def check_gumbel_straight_through(fn: Callable) -> None:
    """Exercise 5.4: `fn(alpha, tau, u)` = GDAS' hard Gumbel-softmax (Dong & Yang, CVPR 2019,
    Eq. 3-5; Jang et al., ICLR 2017): with Gumbel noise g = -log(-log u) and the soft sample
    y = softmax((alpha + g) / tau) per row, return (h, index): index = argmax of y per row,
    h = one_hot(index) in the forward pass with the gradient of y in the backward pass
    (straight-through: h = one_hot - y.detach() + y)."""
    import torch
    import torch.nn.functional as F

    def reference(alpha, tau, u):
        y = F.softmax((alpha - torch.log(-torch.log(u))) / tau, dim=-1)
        idx = y.argmax(-1)
        return F.one_hot(idx, y.shape[-1]).to(y) - y.detach() + y, idx

    cases = []
    gen = torch.Generator().manual_seed(0)
    for desc, shape, tau in [("6 edges x 5 ops, tau 10", (6, 5), 10.0),
                             ("6 edges x 5 ops, tau 0.5", (6, 5), 0.5),
                             ("14 edges x 8 ops, tau 1", (14, 8), 1.0)]:
        a0 = torch.randn(shape, generator=gen)
        u = torch.rand(shape, generator=gen).clamp(1e-6, 1 - 1e-6)
        w = torch.randn(shape, generator=gen)  # a downstream use of h

        def run(a0=a0, u=u, tau=tau, w=w, use_fn=True):
            alpha = a0.clone().requires_grad_(True)
            h, idx = (fn if use_fn else reference)(alpha, tau, u.clone())
            (h * w).sum().backward()
            grad = alpha.grad if alpha.grad is not None else torch.zeros_like(alpha)
            return h.detach(), torch.as_tensor(idx), grad

        want = run(use_fn=False)
        cases.append((desc, run,
                      lambda got, want=want: torch.allclose(got[0], want[0], atol=1e-6)
                      and torch.equal(got[1], want[1])
                      and torch.allclose(got[2], want[2], atol=1e-5),
                      "forward: one-hot of argmax((alpha - log(-log u)) / tau); backward: the "
                      "gradient of that softmax (h = one_hot - y.detach() + y)"))
    run_cases("Exercise 5.4", cases)


def check_none_exclusion(prediction, answer) -> None:
    """Exercise 5.5 (lab): over the 16 shipped searches of lesson 05 (8 seeds x 2 thread
    counts), the mean benchmark validation accuracy (seed 0) of the cell derived without
    `none` minus that of the plain-argmax cell, in pp."""
    import json
    from importlib.resources import files

    import numpy as np

    from .benchmark import Benchmark

    bench = Benchmark.load()
    runs = [json.loads(line) for line in
            files("nas_lessons.assets").joinpath("darts_live_seeds.jsonl").open()]
    measured = float(np.mean([bench.query(r["cell"])["val_acc"]
                              - bench.query(r["naive"])["val_acc"] for r in runs]))
    check_lab("5.5", prediction=prediction, answer=answer, measured=measured, tolerance=0.01,
              what="the mean accuracy gain from excluding `none` (pp)")


# ---- lesson 06 ---------------------------------------------------------------------------------
def check_pareto_2d(fn: Callable) -> None:
    """Exercise 6.1: `fn(points)` = indices of the non-dominated (accuracy up, latency down)
    points, sorted."""
    import numpy as np

    from .multiobjective import pareto_front

    rng = np.random.default_rng(0)
    cases = []
    for desc, pts in [("random cloud of 30", rng.integers(0, 10, (30, 2)).astype(float)),
                      ("duplicates are both kept", np.array([[1, 1], [1, 1], [0, 2.0]])),
                      ("same accuracy, faster wins", np.array([[5, 2], [5, 1.0]]))]:
        want = pareto_front(pts, ["max", "min"]).tolist()
        cases.append((desc, lambda p=pts: sorted(int(i) for i in fn(p)),
                      lambda got, w=want: got == w,
                      f"expected {want}: keep a point unless another is at least as good in "
                      "both objectives and strictly better in one"))
    run_cases("Exercise 6.1", cases)


def check_hypervolume(fn: Callable) -> None:
    """Exercise 6.2: `fn(points, ref)` = 2-D hypervolume (maximise x, minimise y)."""
    from .multiobjective import hypervolume_2d

    cases = []
    for pts, ref in [([(1.0, 1.0)], (0.0, 2.0)), ([(3, 4), (5, 8)], (0, 10)),
                     ([(3, 4), (5, 8), (2, 9), (-1, 1)], (0, 10))]:
        want = hypervolume_2d(pts, ref)
        cases.append((f"{pts} vs ref {ref}", lambda p=pts, r=ref: fn(p, r),
                      lambda got, w=want: got is not None and abs(got - w) < 1e-9,
                      f"expected {want}: sort by accuracy, add the rectangles each point "
                      "adds below the previous latency; ignore points not beating ref"))
    run_cases("Exercise 6.2", cases)


def check_lut_predict(fn: Callable) -> None:
    """Exercise 6.3: `fn(table, arch, N, overhead, scale)` = the lookup-table latency."""
    from .hardware import LatencyTable
    from .ops import NB201_OPS
    from .spaces import NB201Space

    t = LatencyTable(N=2)
    for s in range(3):
        for k, op in enumerate(NB201_OPS):
            t.table[(op, s)] = 0.0 if op == "none" else 0.01 * (k + 1) * (s + 1)
    t.overhead, t.scale = 0.3, 1.2
    cases = []
    for seed in (0, 1, 2):
        a = NB201Space().sample(seed)
        want = t.predict(a)
        cases.append((f"cell {NB201Space().format(a)}",
                      lambda a=a: fn(dict(t.table), a, 2, 0.3, 1.2),
                      lambda got, w=want: abs(got - w) < 1e-9,
                      f"expected {want:.4f}: overhead + scale * N * sum over the 3 stages and "
                      "the 6 edges of table[(op, stage)]"))
    run_cases("Exercise 6.3", cases)


# ---- labs -------------------------------------------------------------------------------------
def check_lab(exercise: str, *, prediction, answer, measured: float, tolerance: float,
              what: str = "the measured value") -> None:
    """A lab: the student wrote down `prediction` before running the experiment, then read
    `answer` off it; `measured` is the value the check computed itself. Passes when the
    answer is within `tolerance` of the measurement; the prediction is never graded, only
    compared, so that a wrong guess is a lesson and not a penalty."""
    if prediction is None:
        raise NotImplementedError(f"Exercise {exercise}: write down your prediction first "
                                  "(before you run the experiment)")
    if answer is None:
        raise NotImplementedError(f"Exercise {exercise}: give the number you measured")
    try:
        answer = float(answer)
    except (TypeError, ValueError):
        raise CheckFailed(f"{exercise}: the answer must be a number, got {answer!r}") from None
    off = abs(float(prediction) - measured)
    print(f"your prediction {float(prediction):.3g}, measured {measured:.3g} "
          f"({'close' if off <= 3 * tolerance else 'off by ' + format(off, '.3g')})")
    run_cases(f"Exercise {exercise}", [(
        f"your answer matches {what}", lambda: answer,
        lambda got: abs(got - measured) <= tolerance,
        f"expected {measured:.4g} (within {tolerance:g}); recompute it from the experiment")])


# ---- lesson 04 ---------------------------------------------------------------------------------
def _bench_curves():
    from .benchmark import Benchmark
    from .estimation.fidelity import _Table

    bench = Benchmark.load()
    table = _Table.of(bench)
    return bench, table


def check_successive_halving(fn: Callable) -> None:
    """Exercise 4.1: `fn(archs, rungs, eta, curve, cost)` runs successive halving over the
    given archs and returns (incumbent, seconds spent); `curve(arch)` is the list of
    validation accuracies after each epoch, `cost(arch, start, stop)` the seconds to train
    from epoch `start` to `stop`."""
    import random

    from .benchmark import Benchmark
    from .estimation.fidelity import _Table, halve, rungs

    bench = Benchmark.load()
    table, space = _Table.of(bench), bench.space
    jitter: dict[int, float] = {}  # distinct scores: no answer depends on breaking ties

    def curve(arch):
        i = space.index(arch)
        return [float(v) + jitter[i] for v in table.val[i]]

    def cost(arch, start, stop):
        secs = table.secs[space.index(arch)]
        return float(secs[stop - 1] - (secs[start - 1] if start > 0 else 0.0))

    cases = []
    for n, min_epochs, eta, seed in [(9, 1, 3, 0), (27, 1, 3, 1), (8, 2, 2, 2), (5, 10, 3, 3),
                                     (2, 1, 3, 4)]:
        rng = random.Random(seed)
        archs = [space.sample(rng) for _ in range(n)]
        for a in archs:
            jitter.setdefault(space.index(a), 1e-6 * len(jitter))
        ladder = rungs(bench.epochs, min_epochs, eta)
        ref = halve(archs, ladder=ladder, eta=eta, score=lambda a, e: curve(a)[e - 1],
                    cost=cost)
        want = (ref.incumbent[-1], ref.spent)
        cases.append((f"{n} archs, rungs {ladder}, eta {eta}",
                      lambda a=archs, r=ladder, e=eta: fn(list(a), list(r), e, curve, cost),
                      lambda got, w=want: (tuple(got[0]) == w[0]
                                           and abs(float(got[1]) - w[1]) < 1e-6),
                      f"expected incumbent {space.format(want[0])} and {want[1]:.3f} s: keep "
                      "max(1, k // eta) of the k at each rung, rank by the score at that "
                      "rung, and charge only the epochs a network adds"))
    run_cases("Exercise 4.1", cases)


def check_synflow(fn: Callable) -> None:
    """Exercise 4.2: `fn(model, input_shape)` = synflow (Tanaka et al. 2020; Abdelfattah et
    al. 2021) of `model`; the model passed in must be left unchanged."""
    import torch
    from torch import nn

    from .estimation.proxies import synflow
    from .models import NB201Network

    def nets():
        torch.manual_seed(0)
        return {
            "a linear chain": (nn.Sequential(nn.Linear(3, 5, bias=False), nn.ReLU(),
                                             nn.Linear(5, 2)), (3,)),
            "conv + BatchNorm + linear (BN must be switched off)": (nn.Sequential(
                nn.Conv1d(1, 4, 3), nn.BatchNorm1d(4), nn.ReLU(), nn.Flatten(),
                nn.Linear(4 * 6, 3)), (1, 8)),
            "a NAS-Bench-201 network": (NB201Network(
                "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|"
                "nor_conv_3x3~2|", C=4, N=1, num_classes=5, in_channels=1, rank=1,
                reduction="cheap"), (1, 16)),
            "2-D images": (nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3),
                                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                         nn.Linear(3, 4)), (2, 5, 5)),
        }

    cases = []
    for desc, (model, shape) in nets().items():
        want = synflow(model, torch.zeros(2, *shape), torch.zeros(2, dtype=torch.long))
        cases.append((desc, lambda m=model, s=shape: float(fn(m, s)),
                      lambda got, w=want: abs(got - w) <= 1e-6 * abs(w),
                      f"expected {want:.6g}: |theta| for every state-dict entry, BatchNorm "
                      "as the identity, float64, an all-ones input, sum of |theta * dR/dtheta| "
                      "over conv and linear weights"))
    model, shape = nets()["conv + BatchNorm + linear (BN must be switched off)"]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(4, *shape)
    out_before = model.eval()(x)

    def unchanged():
        fn(model, shape)
        same = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
        return same and model[0].weight.dtype == torch.float32 and torch.equal(model(x),
                                                                               out_before)

    cases.append(("the model passed in is left unchanged (weights, signs, dtype, BatchNorm)",
                  unchanged, lambda got: got is True,
                  "work on copy.deepcopy(model); never change the caller's model"))
    run_cases("Exercise 4.2", cases)


def check_naswot(fn: Callable) -> None:
    """Exercise 4.3: `fn(model, x)` = log|det K| with K_ij = N_A - Hamming(c_i, c_j) over the
    binary codes c of the inputs of every nn.ReLU (Mellor et al., ICML 2021, Eq. 2)."""
    import math

    import torch
    from torch import nn

    from .estimation.proxies import naswot
    from .models import NB201Network

    y = torch.zeros(1, dtype=torch.long)
    torch.manual_seed(0)
    net = NB201Network("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|"
                       "none~1|nor_conv_3x3~2|", C=4, N=1, num_classes=5, in_channels=1,
                       rank=1, reduction="cheap").eval()
    two = nn.Sequential(nn.Linear(3, 24), nn.ReLU(), nn.Linear(24, 24), nn.ReLU(),
                        nn.Linear(24, 2))
    xs = {"three codes (1,0), (0,1), (1,1): K = [[2,0,1],[0,2,1],[1,1,2]], log det = log 4":
          (nn.Sequential(nn.ReLU(), nn.Linear(2, 2)),
           torch.tensor([[1.0, -1.0], [-2.0, 3.0], [0.5, 0.5]])),
          "two ReLU layers: their codes add up": (two, torch.randn(6, 3)),
          "a NAS-Bench-201 network, 16 signals": (net, torch.randn(16, 1, 16))}
    cases = []
    for desc, (model, x) in xs.items():
        want = naswot(model, x, y.expand(len(x)))
        assert math.isfinite(want) and (not desc.startswith("three")
                                        or math.isclose(want, math.log(4)))
        cases.append((desc, lambda m=model, x=x: float(fn(m, x)),
                      lambda got, w=want: abs(got - w) <= 1e-6 * max(1.0, abs(w)),
                      f"expected {want:.6g}: K += c c^T + (1 - c)(1 - c)^T for every ReLU's "
                      "input codes c (> 0), then the log of |det K|"))
    run_cases("Exercise 4.3", cases)


def check_early_ranking(prediction, answer) -> None:
    """Exercise 4.4 (lab): Spearman's rho between validation accuracy after 2 epochs and after
    the last, among the better half of the 7,005 networks (seed 0)."""
    import numpy as np
    from scipy.stats import spearmanr

    from .benchmark import Benchmark

    bench = Benchmark.load()
    space = bench.space
    rows = np.array([space.index(a) for a in space.unique_archs()])
    final = bench.array("val_acc")[rows]
    better = final >= np.median(final)
    measured = float(spearmanr(bench.array("val_acc", epoch=2)[rows][better],
                               final[better])[0])
    check_lab("4.4", prediction=prediction, answer=answer, measured=measured, tolerance=0.005,
              what="Spearman rho after 2 epochs, better half")
