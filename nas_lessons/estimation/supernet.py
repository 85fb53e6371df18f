"""Weight sharing: one supernet whose subnets are every cell of the NAS-Bench-201 space.

A one-shot supernet holds, on every edge, all candidate ops; each subnet uses one op per edge
and *inherits* its weights instead of training its own (Bender et al., ICML 2018; Pham et al.,
ENAS, ICML 2018). Training samples one path per batch uniformly at random — single-path
one-shot (Guo et al., SPOS, ECCV 2020), the weight-sharing random search of Li & Talwalkar
(UAI 2019) — so every op is trained about equally. A subnet is then scored by its validation
accuracy with the inherited weights, optionally after recalibrating its BatchNorm statistics
on training data (the running statistics were averaged over all paths, not this one; SPOS,
Sec. 3.3; Once-for-All, Sec. 3.3). How well these scores rank the subnets is the question:
NAS-Bench-201 (Dong & Yang, ICLR 2020, Sec. 5) and Yu et al. (ICLR 2020) found weight-sharing
rankings correlate poorly with stand-alone training.
"""

from __future__ import annotations

import math
import random

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import kendalltau, spearmanr
from torch import nn

from ..data import Dataset, TensorLoader
from ..models import NB201Network, nb201_skeleton
from ..ops import NB201_OPS, make_op, nd
from ..spaces import ArchLike, NB201Arch, NB201Space
from ..training import evaluate
from ..utils import progress_bar

__all__ = ["SupernetCell", "Supernet", "train_supernet", "recalibrate_bn",
           "evaluate_subnet", "ranking_quality"]


class SupernetCell(nn.Module):
    """A NAS-Bench-201 cell with every op on every edge; `forward(x, arch)` runs the ops of
    `arch` exactly as `models.NB201Cell` does (same ops, same summation order)."""

    def __init__(self, C: int, *, rank: int) -> None:
        super().__init__()
        self.edges = NB201Space.EDGES
        self.ops = nn.ModuleList(
            nn.ModuleDict({op: make_op(op, C, C, 1, rank=rank) for op in NB201_OPS if op != "none"})
            for _ in self.edges)

    def forward(self, x: torch.Tensor, arch: NB201Arch) -> torch.Tensor:
        nodes = [x]
        for j in range(1, 4):
            terms = [self.ops[e][op](nodes[i]) for e, ((t, i), op) in
                     enumerate(zip(self.edges, arch)) if t == j and op != "none"]
            nodes.append(sum(terms[1:], terms[0]) if terms else torch.zeros_like(x))
        return nodes[-1]


class Supernet(nn.Module):
    """The NAS-Bench-201 skeleton (`models.nb201_skeleton`) around supernet cells; all cells
    of a subnet use the same arch, as in `NB201Network`."""

    def __init__(self, *, C: int = 8, N: int = 1, num_classes: int = 10, in_channels: int = 1,
                 rank: int = 1, reduction: str = "cheap") -> None:
        super().__init__()
        self.config = dict(C=C, N=N, num_classes=num_classes, in_channels=in_channels,
                           rank=rank, reduction=reduction)
        self.space = NB201Space()
        self.stem, layers, c_last = nb201_skeleton(
            lambda c: SupernetCell(c, rank=rank), C=C, N=N, in_channels=in_channels, rank=rank,
            reduction=reduction)
        self.cells = nn.ModuleList(layers)
        self.lastact = nn.Sequential(nd("BatchNorm", rank)(c_last), nn.ReLU(inplace=False))
        self.pool = nd("AdaptiveAvgPool", rank)(1)
        self.classifier = nn.Linear(c_last, num_classes)

    def forward(self, x: torch.Tensor, arch: ArchLike) -> torch.Tensor:
        a = self.space.to_arch(arch)
        x = self.stem(x)
        for layer in self.cells:
            x = layer(x, a) if isinstance(layer, SupernetCell) else layer(x)
        return self.classifier(self.pool(self.lastact(x)).flatten(1))

    def subnet(self, arch: ArchLike) -> NB201Network:
        """A stand-alone `NB201Network` of `arch` with the weights (and BatchNorm statistics)
        it inherits from the supernet: its forward equals `self(x, arch)`."""
        a = self.space.to_arch(arch)
        net = NB201Network(a, **self.config)
        for name in ("stem", "lastact", "classifier"):
            getattr(net, name).load_state_dict(getattr(self, name).state_dict())
        for mine, theirs in zip(self.cells, net.cells):
            if isinstance(mine, SupernetCell):
                for e, op in enumerate(a):
                    if op != "none":
                        theirs.ops[e].load_state_dict(mine.ops[e][op].state_dict())
            else:
                theirs.load_state_dict(mine.state_dict())
        return net.train(self.training)


def train_supernet(supernet: Supernet, data: Dataset, *, epochs: int = 30, lr: float = 0.05,
                   momentum: float = 0.9, weight_decay: float = 5e-4, batch_size: int = 128,
                   seed: int = 0, progress: bool | None = None) -> dict:
    """Single-path uniform training: each batch draws one arch uniformly from the 15,625 (one
    op per edge, independently) and takes an SGD step on that path only (Nesterov momentum,
    cosine lr over the run). Returns the mean training loss per epoch and the seconds."""
    import time

    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    opt = torch.optim.SGD(supernet.parameters(), lr=lr, momentum=momentum,
                          weight_decay=weight_decay, nesterov=True)
    loader = data.loader("train", batch_size, generator=gen)
    steps = epochs * len(loader)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)))
    history = {"train_loss": [], "seconds": []}
    bar = progress_bar(total=epochs, desc="supernet", unit="epoch", progress=progress)
    start = time.perf_counter()
    supernet.train()
    for _ in range(epochs):
        total, n = 0.0, 0
        for x, y in loader:
            arch = supernet.space.sample(rng)
            loss = F.cross_entropy(supernet(x, arch), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total, n = total + loss.item() * len(y), n + len(y)
        history["train_loss"].append(total / n)
        history["seconds"].append(time.perf_counter() - start)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return history


@torch.no_grad()
def recalibrate_bn(model: nn.Module, data: Dataset, *, batches: int = 8,
                   batch_size: int = 256, seed: int = 0) -> nn.Module:
    """Replace every BatchNorm's running statistics by the exact average over `batches`
    training batches of this network (momentum None = cumulative average), then return the
    model in eval mode."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    gen = torch.Generator().manual_seed(seed)
    for k, (x, _) in enumerate(data.loader("train", batch_size, generator=gen)):
        if k == batches:
            break
        model(x)
    for m, mom in zip(bns, saved):
        m.momentum = mom
    return model.eval()


def evaluate_subnet(supernet: Supernet, arch: ArchLike, data: Dataset, *,
                    recalibrate: bool = True, batches: int = 8, n_val: int | None = None,
                    seed: int = 0) -> float:
    """Validation accuracy (%) of `arch` with inherited weights, after BatchNorm
    recalibration on `batches` training batches (or with the supernet's running statistics
    when `recalibrate=False`), on the first `n_val` validation examples (default: all)."""
    net = supernet.subnet(arch)
    if recalibrate:
        recalibrate_bn(net, data, batches=batches, seed=seed)
    n = len(data.y_val) if n_val is None else n_val
    loader = TensorLoader(data.x_val[:n], data.y_val[:n], 1024)
    return evaluate(net.eval(), loader)[1]


def ranking_quality(estimates, truth, *, top: float = 0.1) -> dict:
    """How well `estimates` rank the cells that `truth` ranks: Spearman, Kendall (signed) and
    the share of the true top `top` fraction that the estimates also put in their top."""
    est, tru = np.asarray(estimates, float), np.asarray(truth, float)
    if est.shape != tru.shape or len(est) < 3:
        raise ValueError(f"need two equally long sequences of at least 3 values, got "
                         f"{est.shape} and {tru.shape}")
    k = max(1, int(round(top * len(est))))
    top_est = set(np.argsort(-est, kind="stable")[:k])
    top_tru = set(np.argsort(-tru, kind="stable")[:k])
    return {"spearman": float(spearmanr(est, tru)[0]), "kendall": float(kendalltau(est, tru)[0]),
            "top_overlap": len(top_est & top_tru) / k, "k": k, "n": len(est)}
