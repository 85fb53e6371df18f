"""Checks of exercise 05 (`solutions/05_darts.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import check_lab, run_cases


def check_mixed_op(fn: Callable) -> None:
    """Exercise 5.1: `fn(x, weights, ops)` = `sum_i weights[i] * ops[i](x)`."""
    import torch

    from ..darts import MixedOp
    from ..ops import NB201_OPS

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

    from ..darts import derive_nb201

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

    from ..darts import Architect, NB201SearchNetwork

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
              "loss.backward() also writes the weights' .grad, which a weight step that "
              "does not zero its gradients first would then use (DARTS' own code zeroes "
              "them; this step must be safe either way): differentiate w.r.t. alpha only")]
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

    from ..benchmark import Benchmark

    bench = Benchmark.load()
    runs = [json.loads(line) for line in
            files("nas_lessons.assets").joinpath("darts_live_seeds.jsonl").open()]
    measured = float(np.mean([bench.query(r["cell"])["val_acc"]
                              - bench.query(r["naive"])["val_acc"] for r in runs]))
    check_lab("5.5", prediction=prediction, answer=answer, measured=measured, tolerance=0.01,
              what="the mean accuracy gain from excluding `none` (pp)")
