"""Checks of exercise 07 (`solutions/07_once_for_all.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import check_lab, run_cases


def check_transformed_kernel(fn: Callable) -> None:
    """Exercise 7.1: `fn(weight, matrices, size)` = the depthwise kernel of width `size` from
    the stored largest kernel `weight` (channels, 1, K[, K]): centre crops step by step down
    the allowed sizes, each flattened and multiplied by that step's matrix
    (`matrices["7to5"]`, ...) as `F.linear` does, reshaped back."""
    import torch

    from ..ofa import ElasticDepthwiseConv

    cases = []
    for rank, size in [(1, 7), (1, 5), (1, 3), (2, 5), (2, 3)]:
        torch.manual_seed(10 * rank + size)
        conv = ElasticDepthwiseConv(4, (3, 5, 7), stride=1, rank=rank)
        with torch.no_grad():
            for m in conv.matrices.values():
                m.add_(0.3 * torch.randn_like(m))  # not the identity: the order matters
        want = conv.kernel(size).detach()
        weight = conv.weight.detach().clone()
        mats = {k: v.detach().clone() for k, v in conv.matrices.items()}

        def call(weight=weight, mats=mats, size=size):
            before = weight.clone()
            out = fn(weight, mats, size)
            return out.detach(), torch.equal(weight, before)

        cases.append((f"{rank}-D kernel, size {size}", call,
                      lambda got, w=want: got[0].shape == w.shape
                      and torch.allclose(got[0], w, atol=1e-6) and got[1],
                      f"expected shape {tuple(want.shape)}: crop the centre of the current "
                      "kernel to the next smaller size, flatten each channel's crop, apply that "
                      "step's matrix (7to5, then 5to3), repeat; leave `weight` unchanged"))
    run_cases("Exercise 7.1", cases)


def check_importance_order(fn: Callable) -> None:
    """Exercise 7.2: `fn(project_weight)` = the expanded channels ordered by importance, most
    important first: the L1 norm of each channel's outgoing weights, i.e. of
    `project_weight[:, j]` over output channels and kernel positions (ties keep the lower
    index first)."""
    import torch

    cases = []
    gen = torch.Generator().manual_seed(0)
    for desc, shape in [("1-D projection (8, 12, 1)", (8, 12, 1)),
                        ("2-D projection (6, 10, 1, 1)", (6, 10, 1, 1)),
                        ("few outputs, many inputs (2, 16, 1)", (2, 16, 1))]:
        w = torch.randn(shape, generator=gen)
        imp = w.abs().sum(dim=(0, *range(2, w.dim())))
        want = torch.argsort(imp, descending=True, stable=True).tolist()
        cases.append((desc, lambda w=w: [int(i) for i in fn(w.clone())],
                      lambda got, v=want: got == v,
                      f"expected {want}: sum |w| over everything but the input-channel axis "
                      "(dim 1), largest first"))
    tie = torch.ones(3, 4, 1)
    cases.append(("all channels equally important: the original order",
                  lambda: [int(i) for i in fn(tie.clone())], lambda got: got == [0, 1, 2, 3],
                  "a stable sort keeps equal channels in their original order"))
    run_cases("Exercise 7.2", cases)


def _tiny_model():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Conv1d(1, 4, 3, padding=1), nn.BatchNorm1d(4), nn.ReLU(),
                         nn.Conv1d(4, 4, 3, padding=1), nn.BatchNorm1d(4, momentum=0.3),
                         nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(4, 2))


def check_recalibrate(fn: Callable) -> None:
    """Exercise 7.3: `fn(model, batches)` recomputes every BatchNorm's running mean and
    variance as the exact average over `batches` (a list of input tensors) of this model's
    own batch statistics, changes nothing else (parameters, momentum), and returns the model
    in eval mode."""
    import torch

    from ..estimation.supernet import recalibrate_bn

    gen = torch.Generator().manual_seed(1)
    batches = [torch.randn(16, 1, 10, generator=gen) * (1 + k) for k in range(3)]

    class Loader:  # what `recalibrate_bn` reads: data.loader("train", ...)
        def loader(self, split, batch_size, generator=None):
            return [(b, None) for b in batches]

    ref = _tiny_model()
    with torch.no_grad():  # stale statistics, as a supernet leaves them
        for m in ref.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.fill_(5.0)
                m.running_var.fill_(9.0)
    model = _tiny_model()
    model.load_state_dict(ref.state_dict())
    recalibrate_bn(ref, Loader(), batches=len(batches))
    want = [(m.running_mean.clone(), m.running_var.clone()) for m in ref.modules()
            if isinstance(m, torch.nn.BatchNorm1d)]
    params = [p.detach().clone() for p in model.parameters()]

    def run():
        out = fn(model, [b.clone() for b in batches])
        bns = [m for m in out.modules() if isinstance(m, torch.nn.BatchNorm1d)]
        return out, bns

    def accept(got) -> bool:
        out, bns = got
        stats = all(torch.allclose(m.running_mean, w[0], atol=1e-5)
                    and torch.allclose(m.running_var, w[1], atol=1e-5)
                    for m, w in zip(bns, want))
        same = all(torch.equal(p, q) for p, q in zip(out.parameters(), params))
        return (stats and same and not out.training
                and [m.momentum for m in bns] == [0.1, 0.3])

    run_cases("Exercise 7.3", [(
        "a network with stale statistics, 3 batches of different scale", run, accept,
        "reset the running statistics, average (momentum None = cumulative) over every batch in "
        "train mode without gradients, restore each BatchNorm's momentum, return model.eval()")])


def recalibration_lab_measurement(*, seed: int = 0) -> float:
    """Lab 7.4's number: the smallest subnet's validation accuracy after recalibration
    minus with the supernet's statistics (pp), on the lab's tiny supernet."""
    from dataclasses import replace

    import torch

    from ..data import load_dataset
    from ..ofa import OFANetwork, evaluate_subnet, progressive_shrinking

    torch.set_num_threads(1)
    full = load_dataset("mnist1d", seed=0)
    data = replace(full, x_train=full.x_train[:1024], y_train=full.y_train[:1024])
    torch.manual_seed(seed)
    net = OFANetwork(data.input_shape, 10, widths=(8, 8, 8), stem=8)
    progressive_shrinking(net, data, epochs=[3, 0, 0, 0, 0, 2], seed=seed)
    small = net.space.min_config()
    return (evaluate_subnet(net, small, data, batches=4, n_val=400, seed=seed)
            - evaluate_subnet(net, small, data, recalibrate=False, n_val=400, seed=seed))


def check_recalibration_lab(prediction, answer) -> None:
    """Exercise 7.4 (lab): the recalibration gain of the smallest subnet (pp)."""
    check_lab("7.4", prediction=prediction, answer=answer,
              measured=recalibration_lab_measurement(), tolerance=0.01,
              what="the smallest subnet's gain from recalibration (pp)")
