"""The checks of exercise 03 accept the correct variants and reject plausible wrong ones."""

import random

import numpy as np
import pytest

from nas_lessons.benchmark import Benchmark, selection_bias
from nas_lessons.checks import (
    CheckFailed,
    check_ageing_step,
    check_holm,
    check_reinforce_loss,
    check_tournament,
    check_winners_curse,
)


# ---- 3.1 tournament ---------------------------------------------------------------------------
def tournament_with_replacement(population, sample_size, rng):
    return max(rng.choices(population, k=sample_size), key=lambda m: m[1])[0]


def tournament_distinct(population, sample_size, rng):
    return max(rng.sample(population, sample_size), key=lambda m: m[1])[0]


def tournament_global_random(population, sample_size, rng):
    return max(random.sample(population, sample_size), key=lambda m: m[1])[0]


def tournament_returns_the_worst(population, sample_size, rng):
    return min(rng.sample(population, sample_size), key=lambda m: m[1])[0]


def tournament_whole_population(population, sample_size, rng):
    return max(population, key=lambda m: m[1])[0]


@pytest.mark.parametrize("fn", [tournament_with_replacement, tournament_distinct])
def test_tournament_accepts_both_draws(fn):
    check_tournament(fn)


@pytest.mark.parametrize("fn", [tournament_global_random, tournament_returns_the_worst,
                                tournament_whole_population])
def test_tournament_rejects(fn):
    with pytest.raises(CheckFailed):
        check_tournament(fn)


# ---- 3.2 one ageing step ----------------------------------------------------------------------
def ageing_step(population, sample_size, population_size, mutate, evaluate, rng, *,
                draw="choices"):
    members = list(population)
    contenders = (rng.choices(members, k=sample_size) if draw == "choices"
                  else rng.sample(members, sample_size))
    parent = max(contenders, key=lambda m: m[1])[0]
    child = mutate(parent, rng)
    score = evaluate(child)
    population.append((child, score))
    while len(population) > population_size:
        population.popleft()
    return child, score


def ageing_step_distinct(*args):
    return ageing_step(*args, draw="sample")


def removes_the_worst(population, sample_size, population_size, mutate, evaluate, rng):
    parent = max(rng.choices(list(population), k=sample_size), key=lambda m: m[1])[0]
    child = mutate(parent, rng)
    score = evaluate(child)
    population.append((child, score))
    if len(population) > population_size:
        population.remove(min(population, key=lambda m: m[1]))
    return child, score


def always_kills_the_oldest(population, sample_size, population_size, mutate, evaluate, rng):
    parent = max(rng.choices(list(population), k=sample_size), key=lambda m: m[1])[0]
    child = mutate(parent, rng)
    score = evaluate(child)
    population.popleft()  # even when the population is not full yet
    population.append((child, score))
    return child, score


def evaluates_twice(population, sample_size, population_size, mutate, evaluate, rng):
    parent = max(rng.choices(list(population), k=sample_size), key=lambda m: m[1])[0]
    child = mutate(parent, rng)
    population.append((child, evaluate(child)))
    while len(population) > population_size:
        population.popleft()
    return child, evaluate(child)


def mutates_with_global_random(population, sample_size, population_size, mutate, evaluate,
                               rng):
    parent = max(rng.choices(list(population), k=sample_size), key=lambda m: m[1])[0]
    child = mutate(parent, random.Random(random.random()))
    score = evaluate(child)
    population.append((child, score))
    while len(population) > population_size:
        population.popleft()
    return child, score


@pytest.mark.parametrize("fn", [ageing_step, ageing_step_distinct])
def test_ageing_step_accepts(fn):
    check_ageing_step(fn)


@pytest.mark.parametrize("fn", [removes_the_worst, always_kills_the_oldest, evaluates_twice,
                                mutates_with_global_random])
def test_ageing_step_rejects(fn):
    with pytest.raises(CheckFailed):
        check_ageing_step(fn)


# ---- 3.3 REINFORCE loss -----------------------------------------------------------------------
def reinforce_loss(log_prob, entropy, reward, baseline, decay, entropy_weight):
    loss = -(reward - baseline) * log_prob - entropy_weight * entropy
    return loss, decay * baseline + (1 - decay) * reward


def reinforce_loss_enas_order(log_prob, entropy, reward, baseline, decay, entropy_weight):
    baseline = decay * baseline + (1 - decay) * reward
    return -(reward - baseline) * log_prob - entropy_weight * entropy, baseline


def loss_without_gradient(log_prob, entropy, reward, baseline, decay, entropy_weight):
    import torch

    loss = -(reward - baseline) * log_prob.item() - entropy_weight * entropy.item()
    return torch.tensor(loss), decay * baseline + (1 - decay) * reward


def entropy_penalty(log_prob, entropy, reward, baseline, decay, entropy_weight):
    loss = -(reward - baseline) * log_prob + entropy_weight * entropy
    return loss, decay * baseline + (1 - decay) * reward


def no_baseline(log_prob, entropy, reward, baseline, decay, entropy_weight):
    return -reward * log_prob - entropy_weight * entropy, baseline


def swapped_decay(log_prob, entropy, reward, baseline, decay, entropy_weight):
    loss = -(reward - baseline) * log_prob - entropy_weight * entropy
    return loss, (1 - decay) * baseline + decay * reward


@pytest.mark.parametrize("fn", [reinforce_loss, reinforce_loss_enas_order])
def test_reinforce_loss_accepts_both_conventions(fn):
    check_reinforce_loss(fn)


@pytest.mark.parametrize("fn", [loss_without_gradient, entropy_penalty, no_baseline,
                                swapped_decay])
def test_reinforce_loss_rejects(fn):
    with pytest.raises(CheckFailed):
        check_reinforce_loss(fn)


# ---- 3.4 Holm ---------------------------------------------------------------------------------
def holm_loop(pvalues):
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    out, running = [0.0] * m, 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, pvalues[i] * (m - k)))
        out[i] = running
    return out


def bonferroni(pvalues):
    return [min(1.0, p * len(pvalues)) for p in pvalues]


def holm_without_running_max(pvalues):
    m = len(pvalues)
    order = np.argsort(pvalues)
    out = np.empty(m)
    out[order] = np.minimum(1.0, np.asarray(pvalues)[order] * (m - np.arange(m)))
    return out


def holm_sorted_output(pvalues):
    return sorted(holm_loop(pvalues))


def holm_uncapped(pvalues):
    m = len(pvalues)
    order = np.argsort(pvalues)
    out = np.empty(m)
    out[order] = np.maximum.accumulate(np.asarray(pvalues)[order] * (m - np.arange(m)))
    return out


def test_holm_accepts_a_loop():
    check_holm(holm_loop)


@pytest.mark.parametrize("fn", [bonferroni, holm_without_running_max, holm_sorted_output,
                                holm_uncapped])
def test_holm_rejects(fn):
    with pytest.raises(CheckFailed):
        check_holm(fn)


# ---- 3.5 lab ----------------------------------------------------------------------------------
def test_winners_curse_lab():
    measured = selection_bias(Benchmark.load(), ks=(5,))["by_k"][5]["bias"]
    check_winners_curse(0.5, measured)
    with pytest.raises(CheckFailed):
        check_winners_curse(0.5, measured + 0.5)
    with pytest.raises(NotImplementedError, match="prediction"):
        check_winners_curse(None, measured)
