"""The checks of exercise 05 accept the correct variants and reject plausible wrong ones."""

import json
from importlib.resources import files

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nas_lessons.benchmark import Benchmark
from nas_lessons.checks import (
    CheckFailed,
    check_derive_edges,
    check_first_order_step,
    check_gumbel_straight_through,
    check_mixed_op,
    check_none_exclusion,
)
from nas_lessons.ops import NB201_OPS

NONE = NB201_OPS.index("none")


# ---- 5.1 the mixed operation -------------------------------------------------------------------
def mixed_sum(x, weights, ops):
    return sum(w * op(x) for w, op in zip(weights, ops))


def mixed_stacked(x, weights, ops):
    return torch.einsum("k,k...->...", weights, torch.stack([op(x) for op in ops]))


def mixed_softmax_again(x, weights, ops):  # treats the weights as logits
    return mixed_sum(x, torch.softmax(weights, 0), ops)


def mixed_argmax_only(x, weights, ops):  # the discrete cell, not the relaxation
    return ops[int(weights.argmax())](x)


def mixed_unweighted_mean(x, weights, ops):
    return sum(op(x) for op in ops) / len(ops)


def mixed_reversed(x, weights, ops):  # weights and ops out of step
    return mixed_sum(x, weights.flip(0), ops)


@pytest.mark.parametrize("fn", [mixed_sum, mixed_stacked])
def test_mixed_op_accepts(fn):
    check_mixed_op(fn)


@pytest.mark.parametrize("fn", [mixed_softmax_again, mixed_argmax_only, mixed_unweighted_mean,
                                mixed_reversed])
def test_mixed_op_rejects(fn):
    with pytest.raises(CheckFailed):
        check_mixed_op(fn)


# ---- 5.2 derivation ---------------------------------------------------------------------------
def derive_mask_inf(alpha):
    a = alpha.clone()
    a[:, NONE] = -float("inf")
    return tuple(NB201_OPS[int(i)] for i in a.argmax(1))


def derive_softmax_then_zero(alpha):
    w = torch.softmax(alpha, -1)
    w[:, NONE] = 0.0
    return tuple(NB201_OPS[int(i)] for i in w.argmax(1))


def derive_mask_zero_on_alpha(alpha):
    a = alpha.clone()
    a[:, NONE] = 0.0
    return tuple(NB201_OPS[int(i)] for i in a.argmax(1))


def derive_plain_argmax(alpha):
    return tuple(NB201_OPS[int(i)] for i in alpha.argmax(1))


def derive_off_by_one(alpha):
    return tuple(NB201_OPS[int(i)] for i in alpha[:, 1:].argmax(1))  # forgot the +1


def derive_in_place(alpha):
    alpha[:, NONE] = -float("inf")
    return tuple(NB201_OPS[int(i)] for i in alpha.argmax(1))


@pytest.mark.parametrize("fn", [derive_mask_inf, derive_softmax_then_zero])
def test_derive_accepts(fn):
    check_derive_edges(fn)


@pytest.mark.parametrize("fn", [derive_mask_zero_on_alpha, derive_plain_argmax,
                                derive_off_by_one, derive_in_place])
def test_derive_rejects(fn):
    with pytest.raises(CheckFailed):
        check_derive_edges(fn)


# ---- 5.3 first-order step ---------------------------------------------------------------------
def step_autograd(model, x, y, opt):
    alphas = model.arch_parameters()
    for a, g in zip(alphas, torch.autograd.grad(model.loss(x, y), alphas)):
        a.grad = g
    opt.step()


def step_backward_inputs(model, x, y, opt):
    opt.zero_grad()
    model.loss(x, y).backward(inputs=model.arch_parameters())
    opt.step()


def step_stale_alpha_grad(model, x, y, opt):
    model.loss(x, y).backward(inputs=model.arch_parameters())  # adds to a stale .grad
    opt.step()


def step_backward_everything(model, x, y, opt):
    opt.zero_grad()
    model.loss(x, y).backward()  # also writes the weights' .grad
    opt.step()


def step_moves_weights(model, x, y, opt):
    params = list(model.parameters())
    for p, g in zip(params, torch.autograd.grad(model.loss(x, y), params)):
        with torch.no_grad():
            p -= 0.1 * g


@pytest.mark.parametrize("fn", [step_autograd, step_backward_inputs])
def test_first_order_step_accepts(fn):
    check_first_order_step(fn)


@pytest.mark.parametrize("fn", [step_stale_alpha_grad, step_backward_everything,
                                step_moves_weights])
def test_first_order_step_rejects(fn):
    with pytest.raises(CheckFailed):
        check_first_order_step(fn)


# ---- 5.4 Gumbel straight-through --------------------------------------------------------------
def gumbel_st(alpha, tau, u):
    y = F.softmax((alpha - torch.log(-torch.log(u))) / tau, dim=-1)
    idx = y.argmax(-1)
    return F.one_hot(idx, y.shape[-1]).to(y) - y.detach() + y, idx


def gumbel_st_scatter(alpha, tau, u):
    g = -torch.log(-torch.log(u))
    y = torch.softmax((alpha + g) / tau, -1)
    idx = y.max(-1).indices
    hard = torch.zeros_like(y).scatter_(-1, idx.unsqueeze(-1), 1.0)
    return (hard - y).detach() + y, idx


def gumbel_no_straight_through(alpha, tau, u):
    y = F.softmax((alpha - torch.log(-torch.log(u))) / tau, dim=-1)
    idx = y.argmax(-1)
    return F.one_hot(idx, y.shape[-1]).to(y), idx  # no gradient reaches alpha


def gumbel_wrong_sign(alpha, tau, u):
    y = F.softmax((alpha + torch.log(-torch.log(u))) / tau, dim=-1)
    idx = y.argmax(-1)
    return F.one_hot(idx, y.shape[-1]).to(y) - y.detach() + y, idx


def gumbel_ignores_tau(alpha, tau, u):
    y = F.softmax(alpha - torch.log(-torch.log(u)), dim=-1)
    idx = y.argmax(-1)
    return F.one_hot(idx, y.shape[-1]).to(y) - y.detach() + y, idx


def gumbel_soft_forward(alpha, tau, u):
    y = F.softmax((alpha - torch.log(-torch.log(u))) / tau, dim=-1)
    return y, y.argmax(-1)  # the mixture, not one op


@pytest.mark.parametrize("fn", [gumbel_st, gumbel_st_scatter])
def test_gumbel_accepts(fn):
    check_gumbel_straight_through(fn)


@pytest.mark.parametrize("fn", [gumbel_no_straight_through, gumbel_wrong_sign,
                                gumbel_ignores_tau, gumbel_soft_forward])
def test_gumbel_rejects(fn):
    with pytest.raises(CheckFailed):
        check_gumbel_straight_through(fn)


# ---- 5.5 lab ----------------------------------------------------------------------------------
def test_none_exclusion_lab():
    bench = Benchmark.load()
    runs = [json.loads(line) for line in
            files("nas_lessons.assets").joinpath("darts_live_seeds.jsonl").open()]
    measured = float(np.mean([bench.query(r["cell"])["val_acc"]
                              - bench.query(r["naive"])["val_acc"] for r in runs]))
    check_none_exclusion(10.0, measured)
    with pytest.raises(CheckFailed):
        check_none_exclusion(10.0, measured + 1.0)
    with pytest.raises(NotImplementedError, match="prediction"):
        check_none_exclusion(None, measured)
