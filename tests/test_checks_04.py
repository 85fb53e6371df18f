"""The checks of exercise 04 accept the correct variants and reject plausible wrong ones."""

import copy
import heapq

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau, spearmanr
from torch import nn

from nas_lessons.benchmark import Benchmark
from nas_lessons.checks import (
    CheckFailed,
    check_early_ranking,
    check_lab,
    check_naswot,
    check_successive_halving,
    check_synflow,
)


# ---- 4.1 successive halving -------------------------------------------------------------------
def sh_reference(archs, rungs, eta, curve, cost):
    alive, spent = [(a, 0) for a in archs], 0.0
    for i, r in enumerate(rungs):
        spent += sum(cost(a, done, r) for a, done in alive)
        scored = sorted(((curve(a)[r - 1], a) for a, _ in alive), key=lambda t: -t[0])
        keep = max(1, len(scored) // eta) if i + 1 < len(rungs) else 1
        alive = [(a, r) for _, a in scored[:keep]]
    return alive[0][0], spent


def sh_heap_variant(archs, rungs, eta, curve, cost):
    alive, spent, done = list(archs), 0.0, dict.fromkeys(archs, 0)
    for i, r in enumerate(rungs):
        for a in alive:
            spent += cost(a, done[a], r)
            done[a] = r
        k = max(1, len(alive) // eta) if i + 1 < len(rungs) else 1
        alive = heapq.nlargest(k, alive, key=lambda a, r=r: curve(a)[r - 1])
    return alive[0], spent


def sh_keeps_the_worst(archs, rungs, eta, curve, cost):
    alive, spent = [(a, 0) for a in archs], 0.0
    for i, r in enumerate(rungs):
        spent += sum(cost(a, done, r) for a, done in alive)
        scored = sorted(((curve(a)[r - 1], a) for a, _ in alive), key=lambda t: t[0])
        keep = max(1, len(scored) // eta) if i + 1 < len(rungs) else 1
        alive = [(a, r) for _, a in scored[:keep]]
    return alive[0][0], spent


def sh_retrains_from_scratch(archs, rungs, eta, curve, cost):
    alive, spent = list(archs), 0.0
    for i, r in enumerate(rungs):
        spent += sum(cost(a, 0, r) for a in alive)
        alive.sort(key=lambda a, r=r: -curve(a)[r - 1])
        alive = alive[:max(1, len(alive) // eta) if i + 1 < len(rungs) else 1]
    return alive[0], spent


def sh_ranks_by_the_first_rung(archs, rungs, eta, curve, cost):
    alive, spent = [(a, 0) for a in archs], 0.0
    for i, r in enumerate(rungs):
        spent += sum(cost(a, done, r) for a, done in alive)
        scored = sorted(((curve(a)[rungs[0] - 1], a) for a, _ in alive), key=lambda t: -t[0])
        keep = max(1, len(scored) // eta) if i + 1 < len(rungs) else 1
        alive = [(a, r) for _, a in scored[:keep]]
    return alive[0][0], spent


@pytest.mark.parametrize("fn", [sh_reference, sh_heap_variant])
def test_successive_halving_accepts_correct_variants(fn, capsys):
    check_successive_halving(fn)
    assert "all 5 cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("fn", [sh_keeps_the_worst, sh_retrains_from_scratch,
                                sh_ranks_by_the_first_rung])
def test_successive_halving_rejects_wrong_ones(fn):
    with pytest.raises(CheckFailed, match="Exercise 4.1"):
        check_successive_halving(fn)


# ---- 4.2 synflow ------------------------------------------------------------------------------
WEIGHTS = (nn.Conv1d, nn.Conv2d, nn.Linear)


def _synflow(model, input_shape, *, bn_off=True, absolute=True, dtype=torch.float64,
             copy_model=True, ones=True):
    net = copy.deepcopy(model) if copy_model else model
    net = net.to(dtype)
    if bn_off:
        for m in net.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.forward = lambda t: t
    if absolute:
        with torch.no_grad():
            for p in net.state_dict().values():
                p.abs_()
    weights = [m.weight for m in net.modules() if isinstance(m, WEIGHTS)]
    x = (torch.ones if ones else torch.randn)(1, *input_shape, dtype=dtype)
    grads = torch.autograd.grad(net(x).sum(), weights)
    return float(sum((w * g).detach().abs().sum() for w, g in zip(weights, grads)))


@pytest.mark.parametrize("fn", [
    lambda m, s: _synflow(m, s),
    lambda m, s: _synflow(m, s, dtype=torch.float32),  # float32: within the tolerance
])
def test_synflow_accepts_correct_variants(fn, capsys):
    check_synflow(fn)
    assert "all 5 cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs", [dict(bn_off=False), dict(absolute=False),
                                    dict(copy_model=False), dict(ones=False)])
def test_synflow_rejects_wrong_ones(kwargs):
    with pytest.raises(CheckFailed, match="Exercise 4.2"):
        check_synflow(lambda m, s: _synflow(m, s, **kwargs))


# ---- 4.3 naswot -------------------------------------------------------------------------------
def _naswot(model, x, *, kernel="agree", from_output=False, compare=">"):
    K = torch.zeros(len(x), len(x), dtype=torch.float64)

    def add(module, inputs, output):
        t = (output if from_output else inputs[0]).detach().reshape(len(x), -1)
        c = (t > 0 if compare == ">" else t >= 0).double()
        if kernel == "agree":
            K.add_(c @ c.T + (1 - c) @ (1 - c).T)
        elif kernel == "no_zeros":
            K.add_(c @ c.T)
        else:  # the Hamming distance itself
            K.add_(c @ (1 - c).T + (1 - c) @ c.T)

    hooks = [m.register_forward_hook(add) for m in model.modules() if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return float(torch.linalg.slogdet(K)[1])


@pytest.mark.parametrize("fn", [lambda m, x: _naswot(m, x),
                                lambda m, x: _naswot(m, x, from_output=True)])
def test_naswot_accepts_correct_variants(fn, capsys):
    check_naswot(fn)
    assert "all 3 cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs", [dict(kernel="no_zeros"), dict(kernel="hamming"),
                                    dict(from_output=True, compare=">=")])
def test_naswot_rejects_wrong_ones(kwargs):
    with pytest.raises(CheckFailed, match="Exercise 4.3"):
        check_naswot(lambda m, x: _naswot(m, x, **kwargs))


# ---- 4.4 the lab ------------------------------------------------------------------------------
def _early(epoch=2, half=True, corr=spearmanr):
    bench = Benchmark.load()
    rows = np.array([bench.space.index(a) for a in bench.space.unique_archs()])
    final = bench.array("val_acc")[rows]
    keep = final >= np.median(final) if half else np.ones(len(rows), bool)
    return float(corr(bench.array("val_acc", epoch=epoch)[rows][keep], final[keep])[0])


def test_lab_accepts_the_measurement_whatever_the_prediction(capsys):
    check_early_ranking(0.9, _early())
    out = capsys.readouterr().out
    assert "your prediction 0.9" in out and "all 1 cases passed" in out


@pytest.mark.parametrize("wrong", [dict(half=False), dict(epoch=3), dict(corr=kendalltau)])
def test_lab_rejects_other_measurements(wrong):
    with pytest.raises(CheckFailed, match="Exercise 4.4"):
        check_early_ranking(0.5, _early(**wrong))


def test_lab_requires_a_prediction_first():
    with pytest.raises(NotImplementedError, match="Exercise 4.4: write down your prediction"):
        check_early_ranking(None, _early())
    with pytest.raises(CheckFailed, match="must be a number"):
        check_lab("9.9", prediction=1, answer="many", measured=1.0, tolerance=0.1)
