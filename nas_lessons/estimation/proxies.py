"""Zero-cost proxies: score an untrained network from one mini-batch, in about a second.

Each proxy follows its paper and, for the pruning-at-init scores, the reference
implementation of Abdelfattah, Mehrotra, Dudziak & Lane, "Zero-Cost Proxies for Lightweight
NAS", ICLR 2021 (github.com/SamsungLabs/zero-cost-nas): a per-weight saliency summed over the
weights of every convolution (1-D and 2-D) and linear layer.

* `grad_norm`: sum over layers of the L2 norm of the loss gradient of the layer's weight.
* `snip` (Lee, Ajanthan & Torr, ICLR 2019, Eq. 6): `|theta * dL/dtheta|` (the gradient with
  respect to a multiplicative mask of ones).
* `grasp` (Wang, Zhang & Grosse, ICLR 2020, Eq. 8): -theta * (H g), H the Hessian of the
  loss, g its gradient (a Hessian-gradient product by double backward).
* `fisher` (Theis et al. 2018; Turner et al., BlockSwap, ICLR 2020): per output channel,
  0.5 * mean over the batch of (sum over positions of activation * its gradient)^2, counted
  once per weight of that channel, as the reference code does.
* `synflow` (Tanaka, Kunin, Yamins & Ganguli, NeurIPS 2020, Eq. 2): `|theta * dR/dtheta|` with
  R the sum of the outputs of the network with `|theta|` on an all-ones input, BatchNorm
  disabled, in float64 — data-free.
* `jacov` (Mellor, Turner, Storkey & Crowley, "Neural architecture search without training",
  arXiv v1 2020): the correlation matrix of the input Jacobians of the batch, scored
  -sum(log(lambda + k) + 1 / (lambda + k)) over its eigenvalues, k = 1e-5.
* `naswot` (Mellor et al., ICML 2021, Eq. 2): the log-determinant of the kernel
  K_ij = N_A - Hamming(c_i, c_j) of the binary ReLU codes c of the batch's inputs.
* `params`, `flops`: the plain baselines every proxy has to beat.

Gradient proxies run the network in training mode (BatchNorm uses the batch's statistics, as
at initialisation in the reference); the network passed in is left unchanged. Higher is
better for every proxy as defined here (grasp carries the reference's minus sign).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..hardware import count_flops, count_params

__all__ = ["PROXIES", "score", "score_all", "weight_layers"]

JACOV_K = 1e-5  # Mellor et al. v1 / the reference's `eval_score`


def weight_layers(model: nn.Module) -> list[nn.Module]:
    """The layers whose weights the pruning-at-init proxies score: every convolution (1-D and
    2-D) and linear layer, in module order."""
    return [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear))]


def _loss_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *,
                create_graph: bool = False) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    weights = [m.weight for m in weight_layers(model)]
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, weights, create_graph=create_graph, allow_unused=True)
    return weights, [torch.zeros_like(w) if g is None else g for w, g in zip(weights, grads)]


def grad_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    _, grads = _loss_grads(model, x, y)
    return float(sum(g.detach().norm() for g in grads))


def snip(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    weights, grads = _loss_grads(model, x, y)
    return float(sum((w * g).detach().abs().sum() for w, g in zip(weights, grads)))


def grasp(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    _, g_fixed = _loss_grads(model, x, y)
    weights, grads = _loss_grads(model, x, y, create_graph=True)
    z = sum((gf.detach() * g).sum() for gf, g in zip(g_fixed, grads))
    hg = torch.autograd.grad(z, weights, allow_unused=True)
    return float(sum((-w * h).detach().sum() for w, h in zip(weights, hg) if h is not None))


def fisher(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    acts: dict[nn.Module, torch.Tensor] = {}

    def keep(module, _inp, out):
        out.retain_grad()
        acts[module] = out

    layers = weight_layers(model)
    handles = [m.register_forward_hook(keep) for m in layers]
    try:
        F.cross_entropy(model(x), y).backward()
    finally:
        for h in handles:
            h.remove()
    total = 0.0
    for m in layers:
        a = acts.get(m)
        if a is None or a.grad is None:
            continue
        prod = (a * a.grad).detach()
        g_nk = prod.sum(dim=tuple(range(2, prod.dim()))) if prod.dim() > 2 else prod
        per_channel = 0.5 * g_nk.pow(2).mean(0)
        total += float(per_channel.sum()) * int(np.prod(m.weight.shape[1:]))
    return total


def synflow(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    net = copy.deepcopy(model).double()
    for m in net.modules():  # BatchNorm disabled: the identity
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.forward = lambda t: t  # type: ignore[method-assign]
    with torch.no_grad():
        for p in net.state_dict().values():
            p.abs_()
    weights = [m.weight for m in weight_layers(net)]
    out = net(torch.ones(1, *x.shape[1:], dtype=torch.float64))
    grads = torch.autograd.grad(out.sum(), weights, allow_unused=True)
    return float(sum((w * g).detach().abs().sum() for w, g in zip(weights, grads)
                     if g is not None))


def jacov(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    x = x.clone().requires_grad_(True)
    out = model(x)
    (jac,) = torch.autograd.grad(out, x, torch.ones_like(out), allow_unused=True)
    if jac is None:  # the output does not depend on the input (a cell of zeros)
        return float("nan")
    corr = np.corrcoef(jac.reshape(len(x), -1).double().numpy())
    if not np.isfinite(corr).all():  # a constant Jacobian row (e.g. a network of zeros)
        return float("nan")
    v = np.linalg.eigvalsh(corr)
    return float(-np.sum(np.log(v + JACOV_K) + 1.0 / (v + JACOV_K)))


def naswot(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    K = torch.zeros(len(x), len(x), dtype=torch.float64)

    def code(_module, inp, _out):
        c = (inp[0].detach().reshape(len(x), -1) > 0).double()
        K.add_(c @ c.T + (1 - c) @ (1 - c).T)

    handles = [m.register_forward_hook(code) for m in model.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return float(np.linalg.slogdet(K.numpy())[1])


def _params(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float(count_params(model))


def _flops(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float(count_flops(model, tuple(x.shape[1:])))


Proxy = Callable[[nn.Module, torch.Tensor, torch.Tensor], float]
#: name -> proxy(model, inputs, targets); every one "higher is better"
PROXIES: dict[str, Proxy] = {"grad_norm": grad_norm, "snip": snip, "grasp": grasp,
                             "fisher": fisher, "synflow": synflow, "jacov": jacov,
                             "naswot": naswot, "params": _params, "flops": _flops}


def score(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, proxy: str) -> float:
    """`proxy` of `model` on one mini-batch. The model is deep-copied first (proxies compute
    gradients and put it in training mode), so its weights, gradients and mode are left as
    they were."""
    if proxy not in PROXIES:
        raise ValueError(f"unknown proxy {proxy!r}; allowed: {', '.join(PROXIES)}")
    if len(inputs) != len(targets) or len(inputs) < 2:
        raise ValueError(f"need a batch of at least 2 inputs with one target each, got "
                         f"{len(inputs)} inputs and {len(targets)} targets")
    net = copy.deepcopy(model).train()
    for p in net.parameters():
        p.grad = None
    return PROXIES[proxy](net, inputs, targets)


def score_all(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
              proxies: tuple[str, ...] = tuple(PROXIES)) -> dict[str, float]:
    """Every proxy in `proxies` on the same batch."""
    return {p: score(model, inputs, targets, p) for p in proxies}
