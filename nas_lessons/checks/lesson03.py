"""Checks of exercise 03 (`solutions/03_search_strategies.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import check_lab, global_random_case, run_cases


def check_tournament(fn: Callable) -> None:
    """Exercise 3.1: `fn(population, sample_size, rng)` = arch of the best of `sample_size`
    members drawn at random with `rng` (aging evolution's parent selection). Drawing with
    replacement (Real et al. 2019, Alg. 1: `rng.choices` or `rng.choice` in a loop) and
    without (`rng.sample`) are both accepted; a member's score decides, ties the first
    drawn."""
    import random

    from ..spaces import NB201Space

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

    cases.append(global_random_case(lambda: fn(list(population), 3, random.Random(0)),
                                    hint="draw with rng.sample / rng.choices, not "
                                         "random.sample"))
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

    from ..spaces import NB201Space

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

    cases.append(global_random_case(lambda: run(best_first, 3, 5, 0),
                                    hint="pass rng to the draws and to mutate; do not call "
                                         "random.* directly"))
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

    from ..stats import holm

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
    from ..benchmark import Benchmark, selection_bias

    measured = selection_bias(Benchmark.load(), ks=(5,))["by_k"][5]["bias"]
    check_lab("3.5", prediction=prediction, answer=answer, measured=measured, tolerance=0.01,
              what="the top-5 selection bias (pp)")
