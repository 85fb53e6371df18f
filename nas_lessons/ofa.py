"""Once-for-All: one elastic network, trained once, specialised to many latency targets.

Cai, Gan, Wang, Zhang & Han, "Once-for-All: Train One Network and Specialize it for Efficient
Deployment", ICLR 2020. A supernet of inverted-residual (MobileNetV2) blocks is *elastic* in
three dimensions (Sec. 3.2, Fig. 3 there), and any setting of them is a working subnet:

* **kernel size** {3, 5, 7} of every depthwise convolution. A smaller kernel is the centre of
  the next larger one, passed through a per-layer *kernel transformation matrix* (7→5, then
  5→3), shared by all channels of the layer and initialised to the identity
  (`ElasticDepthwiseConv`). Without it, the 3×3 centre must serve as part of the 7×7 kernel and
  as a 3×3 kernel at once.
* **depth** {2, 3, 4} blocks per stage: a stage runs its *first* D blocks.
* **width**, the expand ratio {3, 4, 6} of each block: a block keeps its first
  c_in × e expanded channels; before width is made elastic the channels are *sorted by
  importance* (L1 norm of their outgoing weights), so that the kept ones are the important
  ones (`ElasticMBConv.sort_channels`, which leaves the full network's function unchanged).

`ElasticSpace` describes the subnets (`SubnetConfig`): validation with errors that name the
allowed values, sampling, the smallest and largest subnet, the exact count, and the encoding an
accuracy predictor reads. `OFANetwork` runs any subnet (`forward(x, config)`) and cuts it out as
a standalone module (`extract`) whose output equals the supernet's under that config.
`progressive_shrinking` trains it the paper's way: the largest network first, then elastic
kernel, elastic depth in two steps, elastic width in two steps, each step sampling subnets and
distilling from the largest network (the paper's knowledge distillation, Sec. 3.3). Its
switches (`phases`, `kd`, `sort_channels`, `OFANetwork(kernel_transform=False)`) are the
ablations lesson 07 measures.

Specialising (Sec. 3.4 there): `evaluate_subnet` scores a subnet with inherited weights after
recalibrating its BatchNorm statistics (the supernet's running statistics are a mixture over
all the subnets it trained); `AccuracyPredictor` learns accuracy from the config encoding so
that a search costs milliseconds per candidate; `BlockLatencyTable` predicts a subnet's
latency from its blocks measured on this machine; `evolutionary_search` is the paper's
evolution under a latency target (population 100, the best quarter as parents, half of each
generation mutated with probability 0.1 per choice, half from crossover), and
`random_search_under` its baseline; `specialise` runs that search for one device and target
and then measures what it chose (real accuracy after recalibration, real latency).

`benchmarks/ofa.py` trains `FULL_SCALE` on MNIST-1D for every ablation and seed, trains the
same subnets from scratch, and ships the results (`load_runs`, summarised by
`scratch_comparison`) and the progressively shrunk supernet's weights (`pretrained_supernet`,
checksummed, loaded with `weights_only=True`).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import Dataset
from .ops import check_rank, nd
from .utils import progress_bar

__all__ = ["SubnetConfig", "ElasticSpace", "ElasticDepthwiseConv", "ElasticMBConv", "MBConv",
           "OFANetwork", "shrinking_phases", "progressive_shrinking", "evaluate_subnet",
           "BlockLatencyTable", "AccuracyPredictor", "mutate", "crossover",
           "evolutionary_search", "random_search_under", "specialise", "FULL_SCALE",
           "load_runs", "pretrained_supernet", "scratch_comparison"]

#: the supernet `benchmarks/ofa.py` trains at full scale on MNIST-1D (stage widths, stem)
FULL_SCALE = {"widths": (16, 24, 32), "stem": 16}
RUNS_ASSET, WEIGHTS_ASSET = "ofa_runs.jsonl", "ofa_mnist1d.pt"


@dataclass(frozen=True)
class SubnetConfig:
    """One subnet: `depths` per stage, and `kernels` and `expands` per block slot (stage-major,
    `max_depth` slots per stage; the slots beyond a stage's depth are not used)."""

    depths: tuple[int, ...]
    kernels: tuple[int, ...]
    expands: tuple[int, ...]

    def active(self, max_depth: int):
        """(stage, block, kernel, expand) of every block the subnet runs, in order."""
        for s, d in enumerate(self.depths):
            for b in range(d):
                i = s * max_depth + b
                yield s, b, self.kernels[i], self.expands[i]

    def key(self, max_depth: int) -> tuple:
        """What the subnet computes: equal keys = the same network (unused slots ignored)."""
        return tuple(self.active(max_depth))


class ElasticSpace:
    """The subnets of an OFA network with `n_stages` stages of up to max(`depths`) blocks."""

    def __init__(self, *, n_stages: int = 3, kernels: Sequence[int] = (3, 5, 7),
                 expands: Sequence[int] = (3, 4, 6), depths: Sequence[int] = (2, 3, 4)) -> None:
        if not isinstance(n_stages, int) or n_stages < 1:
            raise ValueError(f"n_stages must be a positive int, got {n_stages!r}")
        for name, values in (("kernels", kernels), ("expands", expands), ("depths", depths)):
            if not values or any(not isinstance(v, int) or v < 1 for v in values):
                raise ValueError(f"{name} must be positive ints, got {values!r}")
        if any(k % 2 == 0 for k in kernels):
            raise ValueError(f"kernels must be odd (centred), got {kernels!r}")
        self.n_stages = n_stages
        self.kernels, self.expands, self.depths = (tuple(sorted(set(v)))
                                                   for v in (kernels, expands, depths))
        self.max_depth = max(self.depths)
        self.slots = n_stages * self.max_depth

    def __repr__(self) -> str:
        return (f"ElasticSpace(n_stages={self.n_stages}, kernels={self.kernels}, "
                f"expands={self.expands}, depths={self.depths}: {self.size():,} subnets)")

    def size(self) -> int:
        """The number of different subnets: per stage sum over D of `(|K| |E|)^D`, to the power
        of the number of stages."""
        per_block = len(self.kernels) * len(self.expands)
        return sum(per_block**d for d in self.depths) ** self.n_stages

    def validate(self, config: SubnetConfig) -> SubnetConfig:
        """Return `config` if it is a subnet of this space, else raise a ValueError that names
        the allowed values."""
        if not isinstance(config, SubnetConfig):
            raise ValueError(f"expected a SubnetConfig, got {type(config).__name__}")
        if len(config.depths) != self.n_stages:
            raise ValueError(f"depths needs one value per stage ({self.n_stages}), got "
                             f"{len(config.depths)}")
        for name, values in (("kernels", config.kernels), ("expands", config.expands)):
            if len(values) != self.slots:
                raise ValueError(f"{name} needs {self.slots} values ({self.n_stages} stages x "
                                 f"{self.max_depth} blocks), got {len(values)}")
        for name, values, allowed in (("depths", config.depths, self.depths),
                                      ("kernels", config.kernels, self.kernels),
                                      ("expands", config.expands, self.expands)):
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(f"{name} {bad[0]!r} is not allowed; allowed: "
                                 f"{', '.join(map(str, allowed))}")
        return config

    def _uniform(self, value: int, depth: int) -> SubnetConfig:
        return SubnetConfig((depth,) * self.n_stages, (value[0],) * self.slots,
                            (value[1],) * self.slots)

    def max_config(self) -> SubnetConfig:
        """The largest subnet: every stage at full depth, largest kernels and expand ratios."""
        return self._uniform((self.kernels[-1], self.expands[-1]), self.depths[-1])

    def min_config(self) -> SubnetConfig:
        """The smallest subnet."""
        return self._uniform((self.kernels[0], self.expands[0]), self.depths[0])

    def sample(self, rng: random.Random, *, kernels: Sequence[int] | None = None,
               expands: Sequence[int] | None = None,
               depths: Sequence[int] | None = None) -> SubnetConfig:
        """A uniformly random subnet, every choice independent; `kernels`, `expands`,
        `depths` restrict a dimension to some of its values (a phase of progressive
        shrinking), the largest value of a dimension when given as ()."""
        def choices(given, full):
            if given is None:
                return full
            given = tuple(given) or (full[-1],)
            if any(v not in full for v in given):
                raise ValueError(f"{given!r} is not a subset of {full!r}")
            return given

        ks, es, ds = choices(kernels, self.kernels), choices(expands, self.expands), choices(
            depths, self.depths)
        return SubnetConfig(tuple(rng.choice(ds) for _ in range(self.n_stages)),
                            tuple(rng.choice(ks) for _ in range(self.slots)),
                            tuple(rng.choice(es) for _ in range(self.slots)))

    def encode(self, config: SubnetConfig) -> np.ndarray:
        """The predictor's input (as in the paper's accuracy predictor): per block slot a
        one-hot kernel and a one-hot expand ratio, all zero for a slot the subnet skips."""
        self.validate(config)
        nk, ne = len(self.kernels), len(self.expands)
        out = np.zeros(self.slots * (nk + ne), dtype=np.float32)
        for s, b, k, e in config.active(self.max_depth):
            i = (s * self.max_depth + b) * (nk + ne)
            out[i + self.kernels.index(k)] = 1
            out[i + nk + self.expands.index(e)] = 1
        return out


def _conv(rank: int, x: torch.Tensor, weight: torch.Tensor, **kw) -> torch.Tensor:
    return (F.conv1d if rank == 1 else F.conv2d)(x, weight, **kw)


def _bn(x: torch.Tensor, bn: nn.modules.batchnorm._BatchNorm, c: int) -> torch.Tensor:
    """BatchNorm over the first `c` channels of `bn` (its statistics are updated in place)."""
    if c == bn.num_features:
        return bn(x)
    return F.batch_norm(x, bn.running_mean[:c], bn.running_var[:c], bn.weight[:c],
                        bn.bias[:c], bn.training, bn.momentum, bn.eps)


class ElasticDepthwiseConv(nn.Module):
    """A depthwise convolution whose kernel size is chosen per forward pass. The weight is
    stored at the largest size; a smaller kernel is the centre crop of the next larger one,
    flattened and multiplied by that step's transformation matrix (Cai et al. 2020,
    Sec. 3.3, "elastic kernel size"), identity at initialisation. `transform=False` is the
    ablation: plain centre crops."""

    def __init__(self, channels: int, kernels: Sequence[int], *, stride: int, rank: int,
                 transform: bool = True) -> None:
        super().__init__()
        self.rank, self.stride = check_rank(rank), stride
        self.kernels = tuple(sorted(kernels))
        big = self.kernels[-1]
        self.weight = nn.Parameter(nd("Conv", rank)(channels, channels, big, groups=channels,
                                                    bias=False).weight.detach().clone())
        self.transform = transform
        self.matrices = nn.ParameterDict()
        if transform:
            for a, b in zip(self.kernels[::-1], self.kernels[-2::-1]):
                self.matrices[f"{a}to{b}"] = nn.Parameter(torch.eye(b**rank))

    def kernel(self, size: int, channels: int | None = None) -> torch.Tensor:
        """The weight of kernel `size` for the first `channels` channels."""
        if size not in self.kernels:
            raise ValueError(f"kernel {size!r} is not allowed; allowed: "
                             f"{', '.join(map(str, self.kernels))}")
        w = self.weight[:channels] if channels is not None else self.weight
        current = self.kernels[-1]
        for smaller in self.kernels[-2::-1]:
            if current == size:
                break
            start = (current - smaller) // 2
            w = w[(..., *[slice(start, start + smaller)] * self.rank)]
            if self.transform:
                m = self.matrices[f"{current}to{smaller}"]
                w = F.linear(w.reshape(-1, smaller**self.rank), m).reshape(w.shape)
            current = smaller
        return w

    def forward(self, x: torch.Tensor, size: int) -> torch.Tensor:
        c = x.shape[1]
        return _conv(self.rank, x, self.kernel(size, c), stride=self.stride, padding=size // 2,
                     groups=c)


class ElasticMBConv(nn.Module):
    """An inverted-residual block (Sandler et al., MobileNetV2, CVPR 2018): 1×1 expand to
    c_in × e channels -> BN -> ReLU -> depthwise k×k (stride) -> BN -> ReLU -> 1×1 project ->
    BN, plus the input when stride 1 and c_in = c_out. Elastic in k and e; it stores the
    largest block and uses its first c_in × e expanded channels."""

    def __init__(self, c_in: int, c_out: int, *, kernels: Sequence[int], expands: Sequence[int],
                 stride: int, rank: int, transform: bool = True) -> None:
        super().__init__()
        self.rank, self.c_in, self.c_out, self.stride = rank, c_in, c_out, stride
        mid = c_in * max(expands)
        conv, bn = nd("Conv", rank), nd("BatchNorm", rank)
        self.expand = conv(c_in, mid, 1, bias=False)
        self.bn1 = bn(mid)
        self.depthwise = ElasticDepthwiseConv(mid, kernels, stride=stride, rank=rank,
                                              transform=transform)
        self.bn2 = bn(mid)
        self.project = conv(mid, c_out, 1, bias=False)
        self.bn3 = bn(c_out)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor, kernel: int, expand: int) -> torch.Tensor:
        mid = self.c_in * expand
        h = F.relu(_bn(_conv(self.rank, x, self.expand.weight[:mid]), self.bn1, mid))
        h = F.relu(_bn(self.depthwise(h, kernel), self.bn2, mid))
        h = self.bn3(_conv(self.rank, h, self.project.weight[:, :mid]))
        return x + h if self.residual else h

    @torch.no_grad()
    def sort_channels(self) -> torch.Tensor:
        """Reorder the expanded channels by importance, the L1 norm of each channel's weights
        in the projection (most important first), permuting every tensor that touches them;
        the full block computes exactly the same function. Returns the order."""
        spatial = tuple(range(2, 2 + self.rank))
        importance = self.project.weight.abs().sum(dim=(0, *spatial))
        order = torch.argsort(importance, descending=True, stable=True)
        self.expand.weight.copy_(self.expand.weight[order])
        self.depthwise.weight.copy_(self.depthwise.weight[order])
        self.project.weight.copy_(self.project.weight[:, order])
        for bn in (self.bn1, self.bn2):
            for t in (bn.weight, bn.bias, bn.running_mean, bn.running_var):
                t.copy_(t[order])
        return order

    def extract(self, kernel: int, expand: int) -> MBConv:
        """This block at kernel `kernel` and expand ratio `expand` as a plain `MBConv` with
        copied weights and BN statistics."""
        mid = self.c_in * expand
        block = MBConv(self.c_in, self.c_out, kernel=kernel, mid=mid, stride=self.stride,
                       rank=self.rank)
        with torch.no_grad():
            block.expand.weight.copy_(self.expand.weight[:mid])
            block.depthwise.weight.copy_(self.depthwise.kernel(kernel, mid))
            block.project.weight.copy_(self.project.weight[:, :mid])
            for src, dst, c in ((self.bn1, block.bn1, mid), (self.bn2, block.bn2, mid),
                                (self.bn3, block.bn3, self.c_out)):
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(dst, name).copy_(getattr(src, name)[:c])
                dst.eps, dst.momentum = src.eps, src.momentum
        return block


class MBConv(nn.Module):
    """A fixed inverted-residual block: what `ElasticMBConv.extract` returns."""

    def __init__(self, c_in: int, c_out: int, *, kernel: int, mid: int, stride: int,
                 rank: int) -> None:
        super().__init__()
        conv, bn = nd("Conv", rank), nd("BatchNorm", rank)
        self.expand, self.bn1 = conv(c_in, mid, 1, bias=False), bn(mid)
        self.depthwise = conv(mid, mid, kernel, stride=stride, padding=kernel // 2, groups=mid,
                              bias=False)
        self.bn2 = bn(mid)
        self.project, self.bn3 = conv(mid, c_out, 1, bias=False), bn(c_out)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn1(self.expand(x)))
        h = F.relu(self.bn2(self.depthwise(h)))
        h = self.bn3(self.project(h))
        return x + h if self.residual else h


class OFANetwork(nn.Module):
    """The elastic supernet: a stem (3-wide conv, BN, ReLU), `len(widths)` stages of
    `ElasticMBConv` blocks (the first block of a stage changes the width and applies the
    stage's stride), global average pooling and a linear classifier. Works on (C, L) signals
    and (C, H, W) images. `forward(x, config)` runs one subnet (the largest by default)."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, *,
                 space: ElasticSpace | None = None, stem: int = 16,
                 widths: Sequence[int] = (16, 24, 32), strides: Sequence[int] | None = None,
                 kernel_transform: bool = True) -> None:
        super().__init__()
        self.rank = check_rank(len(input_shape) - 1)
        self.input_shape, self.num_classes = tuple(input_shape), num_classes
        self.space = space if space is not None else ElasticSpace(n_stages=len(widths))
        if self.space.n_stages != len(widths):
            raise ValueError(f"the space has {self.space.n_stages} stages but widths has "
                             f"{len(widths)}")
        strides = tuple(strides) if strides is not None else (
            (2,) * len(widths) if self.rank == 1 else (1,) + (2,) * (len(widths) - 1))
        if len(strides) != len(widths):
            raise ValueError(f"strides needs one value per stage ({len(widths)}), got "
                             f"{len(strides)}")
        conv, bn = nd("Conv", self.rank), nd("BatchNorm", self.rank)
        self.stem = nn.Sequential(conv(input_shape[0], stem, 3, padding=1, bias=False), bn(stem),
                                  nn.ReLU())
        self.stages = nn.ModuleList()
        c_in = stem
        for width, stride in zip(widths, strides):
            self.stages.append(nn.ModuleList(
                ElasticMBConv(c_in if b == 0 else width, width, kernels=self.space.kernels,
                              expands=self.space.expands, stride=stride if b == 0 else 1,
                              rank=self.rank, transform=kernel_transform)
                for b in range(self.space.max_depth)))
            c_in = width
        self.pool = nd("AdaptiveAvgPool", self.rank)(1)
        self.head = nn.Linear(c_in, num_classes)

    def forward(self, x: torch.Tensor, config: SubnetConfig | None = None) -> torch.Tensor:
        config = self.space.max_config() if config is None else config
        x = self.stem(x)
        for s, b, k, e in config.active(self.space.max_depth):
            x = self.stages[s][b](x, k, e)
        return self.head(self.pool(x).flatten(1))

    def blocks(self):
        return itertools.chain.from_iterable(self.stages)

    def sort_channels(self) -> None:
        """`ElasticMBConv.sort_channels` on every block (before width becomes elastic)."""
        for block in self.blocks():
            block.sort_channels()

    def extract(self, config: SubnetConfig) -> nn.Sequential:
        """The subnet `config` as a standalone network with its own copies of the weights
        and BN statistics (kernel transformations applied, unused channels and blocks
        dropped): in eval mode its output equals `self(x, config)`."""
        self.space.validate(config)
        layers = [copy.deepcopy(self.stem)]
        layers += [self.stages[s][b].extract(k, e)
                   for s, b, k, e in config.active(self.space.max_depth)]
        layers += [copy.deepcopy(self.pool), nn.Flatten(), copy.deepcopy(self.head)]
        return nn.Sequential(*layers).train(self.training)


def shrinking_phases(space: ElasticSpace) -> list[tuple[str, dict]]:
    """The steps of progressive shrinking (Cai et al. 2020, Fig. 3) as (name, choices): the
    largest network; elastic kernel; elastic depth, first the two largest depths, then all;
    elastic width likewise. `choices` restricts `ElasticSpace.sample` (() = largest only)."""
    k, e, d = space.kernels, space.expands, space.depths
    return [("largest", {"kernels": (), "expands": (), "depths": ()}),
            ("kernel", {"kernels": k, "expands": (), "depths": ()}),
            ("depth-1", {"kernels": k, "expands": (), "depths": d[-2:]}),
            ("depth-2", {"kernels": k, "expands": (), "depths": d}),
            ("width-1", {"kernels": k, "expands": e[-2:], "depths": d}),
            ("width-2", {"kernels": k, "expands": e, "depths": d})]


def _soft_cross_entropy(logits: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against the teacher's softmax (Hinton et al. 2015, temperature 1)."""
    return -(F.softmax(teacher, dim=1) * F.log_softmax(logits, dim=1)).sum(1).mean()


def progressive_shrinking(net: OFANetwork, data: Dataset, *, epochs: int | Sequence[int],
                          phases: list[tuple[str, dict]] | None = None, lr: float = 0.05,
                          shrink_lr: float = 0.02, kd: float = 1.0,
                          sort_channels: bool = True, batch_size: int = 128,
                          weight_decay: float = 5e-5, seed: int = 0,
                          progress: bool | None = None) -> dict:
    """Train `net` by progressive shrinking (Cai et al. 2020, Sec. 3.3).

    `phases` (default `shrinking_phases(net.space)`) run in order; `epochs` is one count for
    every phase or one per phase. Each step samples one subnet from the phase's choices
    (`ElasticSpace.sample` with a seeded `random.Random`) and takes an SGD step (Nesterov
    momentum 0.9, cosine schedule within the phase; peak `lr` for the first phase,
    `shrink_lr` after). From the second phase on the loss adds `kd` × the cross-entropy
    against the soft predictions of a frozen copy of the network as it was after the first
    phase (the largest network as teacher). With `sort_channels`, channels are sorted by
    importance at the start of every phase in which the expand ratio is elastic. Returns
    per-phase names, epochs, mean training losses and cumulative seconds."""
    phases = shrinking_phases(net.space) if phases is None else phases
    per_phase = [epochs] * len(phases) if isinstance(epochs, int) else list(epochs)
    if len(per_phase) != len(phases) or any(not isinstance(n, int) or n < 0 for n in per_phase):
        raise ValueError(f"epochs must be an int >= 0 or one per phase ({len(phases)}), got "
                         f"{epochs!r}")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    teacher = None
    history = {"phase": [], "epochs": [], "train_loss": [], "seconds": []}
    start = time.perf_counter()
    bar = progress_bar(total=sum(per_phase), desc="progressive shrinking", unit="epoch",
                       progress=progress)
    for p, ((name, choices), n_epochs) in enumerate(zip(phases, per_phase)):
        expands = choices.get("expands")
        if sort_channels and (expands is None and len(net.space.expands) > 1
                              or expands is not None and len(expands) > 1):
            net.sort_channels()  # at the start of every phase with elastic width, as OFA does
        opt = torch.optim.SGD(net.parameters(), lr=lr if p == 0 else shrink_lr, momentum=0.9,
                              nesterov=True, weight_decay=weight_decay)
        loader = data.loader("train", batch_size, generator=gen)
        steps = max(1, n_epochs * len(loader))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t, steps=steps: 0.5 * (1 + math.cos(math.pi * t / steps)))
        net.train()
        losses = []
        for _ in range(n_epochs):
            for x, y in loader:
                config = net.space.sample(rng, **choices)
                out = net(x, config)
                loss = F.cross_entropy(out, y)
                if teacher is not None and kd > 0:
                    with torch.no_grad():
                        soft = teacher(x)
                    loss = loss + kd * _soft_cross_entropy(out, soft)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                losses.append(loss.item())
            if bar is not None:
                bar.update(1)
        if p == 0 and kd > 0:
            teacher = copy.deepcopy(net).eval()
            for q in teacher.parameters():
                q.requires_grad_(False)
        history["phase"].append(name)
        history["epochs"].append(n_epochs)
        history["train_loss"].append(float(np.mean(losses)) if losses else float("nan"))
        history["seconds"].append(time.perf_counter() - start)
    if bar is not None:
        bar.close()
    return history


def evaluate_subnet(net: OFANetwork, config: SubnetConfig, data: Dataset, *,
                    recalibrate: bool = True, batches: int = 8, n_val: int | None = None,
                    split: str = "val", seed: int = 0) -> float:
    """Accuracy (%) of subnet `config` with the weights it inherits, on the first `n_val`
    examples of `split`: extracted, its BatchNorm statistics recalibrated on `batches`
    training batches (`estimation.recalibrate_bn`) unless `recalibrate=False`, which keeps
    the supernet's running statistics."""
    from .data import TensorLoader
    from .estimation.supernet import recalibrate_bn
    from .training import evaluate

    if split not in ("val", "test"):
        raise ValueError(f"split must be 'val' or 'test', got {split!r}")
    sub = net.extract(config)
    if recalibrate:
        recalibrate_bn(sub, data, batches=batches, seed=seed)
    x, y = (data.x_val, data.y_val) if split == "val" else (data.x_test, data.y_test)
    n = len(y) if n_val is None else n_val
    return evaluate(sub.eval(), TensorLoader(x[:n], y[:n], 1024))[1]


class BlockLatencyTable:
    """A subnet's latency as the sum of its parts, each measured on this machine (the
    lookup table OFA specialises with, Sec. 3.4): the stem and head once, and every block
    variant — (stage, first block of the stage or not, kernel, expand) — at its input shape.
    `predict(config)` adds them up; `measure(config)` times the extracted subnet itself. The
    sum misses what a whole network adds (Python calls between modules, caches), so
    `fit(configs, measured)` calibrates latency ~ overhead + scale * sum by least squares on a
    few measured subnets, as `hardware.LatencyTable.fit` does for lesson 06."""

    def __init__(self, net: OFANetwork, *, threads: int = 1, batch_size: int = 1) -> None:
        self.net, self.threads, self.batch_size = net, threads, batch_size
        self.table: dict[tuple, float] = {}
        self.overhead, self.scale = 0.0, 1.0
        self.shapes: list[tuple[tuple[int, ...], tuple[int, ...]]] = []  # per stage: in, out
        x = torch.zeros(1, *net.input_shape)
        with torch.no_grad():
            h = net.stem(x)
            for stage in net.stages:
                first = stage[0](h, net.space.kernels[0], net.space.expands[0])
                self.shapes.append((tuple(h.shape[1:]), tuple(first.shape[1:])))
                h = first

    def _time(self, module: nn.Module, shape: tuple[int, ...]) -> float:
        from .hardware import measure_latency

        return measure_latency(module.eval(), shape, batch_size=self.batch_size,
                               threads=self.threads, min_run_time=0.05)["median_ms"]

    def build(self, *, passes: int = 3) -> BlockLatencyTable:
        """Measure every entry; each is the minimum over `passes` sweeps (robust to other
        programs' interference, as `hardware.LatencyTable.build`)."""
        net = self.net
        parts: dict[tuple, tuple[nn.Module, tuple[int, ...]]] = {}
        head = nn.Sequential(copy.deepcopy(net.pool), nn.Flatten(), copy.deepcopy(net.head))
        parts[("stem",)] = (copy.deepcopy(net.stem), net.input_shape)
        parts[("head",)] = (head, self.shapes[-1][1])
        for s, stage in enumerate(net.stages):
            for first in (True, False):
                block = stage[0 if first else 1]
                shape = self.shapes[s][0 if first else 1]
                for k in net.space.kernels:
                    for e in net.space.expands:
                        parts[(s, first, k, e)] = (block.extract(k, e), shape)
        self.table = {key: float("inf") for key in parts}
        for _ in range(passes):
            for key, (module, shape) in parts.items():
                self.table[key] = min(self.table[key], self._time(module, shape))
        return self

    def block_sum(self, config: SubnetConfig) -> float:
        """Stem + head + the table entry of every active block (ms)."""
        if not self.table:
            raise ValueError("the table is empty: call build() first")
        self.net.space.validate(config)
        return self.table[("stem",)] + self.table[("head",)] + sum(
            self.table[(s, b == 0, k, e)]
            for s, b, k, e in config.active(self.net.space.max_depth))

    def fit(self, configs, measured_ms) -> BlockLatencyTable:
        """Least-squares overhead and scale from measured subnets (>= 2)."""
        x = np.array([self.block_sum(c) for c in configs])
        y = np.asarray(measured_ms, dtype=float)
        if len(x) < 2 or len(x) != len(y):
            raise ValueError(f"need >= 2 configs with one measurement each, got {len(x)} "
                             f"configs and {len(y)} measurements")
        (self.overhead, self.scale), *_ = np.linalg.lstsq(np.stack([np.ones_like(x), x], 1), y,
                                                          rcond=None)
        return self

    def predict(self, config: SubnetConfig) -> float:
        """Predicted latency (ms): overhead + scale * `block_sum` (the raw sum until `fit`)."""
        return float(self.overhead + self.scale * self.block_sum(config))

    def measure(self, config: SubnetConfig) -> float:
        """Measured latency (ms) of the extracted subnet."""
        return self._time(self.net.extract(config), self.net.input_shape)


class AccuracyPredictor:
    """Accuracy from a subnet's encoding (`ElasticSpace.encode`): an MLP as in OFA's
    predictor (Sec. 3.4 there: three layers of 400 units, trained on 16K subnets; here
    `hidden` units and as many subnets as the reader measures), fitted by full-batch Adam on
    the mean squared error of standardized targets. `report(configs, accs)` gives held-out
    RMSE (pp) and Kendall's tau, the number a search needs: the ranking."""

    def __init__(self, space: ElasticSpace, *, hidden: int = 128, seed: int = 0) -> None:
        self.space, self.hidden, self.seed = space, hidden, seed
        self.model: nn.Module | None = None

    def _x(self, configs) -> torch.Tensor:
        return torch.from_numpy(np.stack([self.space.encode(c) for c in configs]))

    def fit(self, configs, accuracies, *, epochs: int = 500, lr: float = 3e-3,
            weight_decay: float = 1e-4) -> AccuracyPredictor:
        y = torch.tensor(np.asarray(accuracies, dtype=np.float32))
        if len(y) != len(configs) or len(y) < 2:
            raise ValueError(f"need >= 2 configs with one accuracy each, got {len(configs)} "
                             f"configs and {len(y)} accuracies")
        x = self._x(configs)
        torch.manual_seed(self.seed)
        self.model = nn.Sequential(nn.Linear(x.shape[1], self.hidden), nn.ReLU(),
                                   nn.Linear(self.hidden, self.hidden), nn.ReLU(),
                                   nn.Linear(self.hidden, 1))
        self.mu, self.sd = float(y.mean()), float(y.std()) or 1.0
        target = (y - self.mu) / self.sd
        opt = torch.optim.Adam(self.model.parameters(), lr=lr, weight_decay=weight_decay)
        for _ in range(epochs):
            loss = F.mse_loss(self.model(x).squeeze(1), target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return self

    @torch.no_grad()
    def predict(self, configs) -> np.ndarray:
        if self.model is None:
            raise ValueError("call fit() first")
        return (self.model(self._x(configs)).squeeze(1) * self.sd + self.mu).numpy()

    def __call__(self, config: SubnetConfig) -> float:
        return float(self.predict([config])[0])

    def report(self, configs, accuracies) -> dict:
        """RMSE (pp) and Kendall's tau of the predictions against measured `accuracies`."""
        from scipy.stats import kendalltau

        p, y = self.predict(configs), np.asarray(accuracies, dtype=float)
        return {"rmse": float(np.sqrt(np.mean((p - y) ** 2))),
                "kendall_tau": float(kendalltau(p, y)[0]), "n": len(y)}


def mutate(space: ElasticSpace, config: SubnetConfig, rng: random.Random, *,
           prob: float = 0.1) -> SubnetConfig:
    """Resample each choice (every depth, kernel and expand ratio) with probability `prob`
    (OFA's evolution, mutate_prob 0.1)."""
    def pick(values, allowed):
        return tuple(rng.choice(allowed) if rng.random() < prob else v for v in values)

    return SubnetConfig(pick(config.depths, space.depths), pick(config.kernels, space.kernels),
                        pick(config.expands, space.expands))


def crossover(a: SubnetConfig, b: SubnetConfig, rng: random.Random) -> SubnetConfig:
    """Each choice from one of two parents, uniformly."""
    def mix(x, y):
        return tuple(rng.choice(pair) for pair in zip(x, y))

    return SubnetConfig(mix(a.depths, b.depths), mix(a.kernels, b.kernels),
                        mix(a.expands, b.expands))


def _feasible(make, latency, target: float, what: str, tries: int = 10_000) -> SubnetConfig:
    for _ in range(tries):
        config = make()
        if latency(config) <= target:
            return config
    raise ValueError(f"no {what} met the latency target {target} in {tries} tries; the "
                     "target is below what the space can reach")


def random_search_under(space: ElasticSpace, *, accuracy, latency, target: float,
                        evaluations: int, seed: int = 0) -> dict:
    """The baseline: `evaluations` random subnets that meet `latency(config) <= target`,
    the one with the highest `accuracy(config)`. Returns 'config', 'accuracy', 'curve'
    (best so far per evaluation) and 'evaluated'."""
    rng = random.Random(seed)
    best, curve, evaluated = None, [], []
    for _ in range(evaluations):
        config = _feasible(lambda: space.sample(rng), latency, target, "random subnet")
        acc = accuracy(config)
        evaluated.append((config, acc))
        if best is None or acc > best[1]:
            best = (config, acc)
        curve.append(best[1])
    return {"config": best[0], "accuracy": best[1], "curve": curve, "evaluated": evaluated}


def evolutionary_search(space: ElasticSpace, *, accuracy, latency, target: float,
                        generations: int = 20, population: int = 100,
                        parent_ratio: float = 0.25, mutation_ratio: float = 0.5,
                        prob: float = 0.1, seed: int = 0) -> dict:
    """OFA's evolution under a latency target (Cai et al. 2020, Sec. 3.4; their
    EvolutionFinder's defaults): a random feasible population; each generation keeps the
    best `parent_ratio` by `accuracy` (usually a predictor: evaluations are cheap), and
    refills the population with feasible mutants of random parents (`mutation_ratio` of it)
    and feasible crossovers of two random parents. Returns 'config', 'accuracy', 'curve'
    (best per generation, generation 0 = the random population) and 'evaluations'."""
    if not 0 < parent_ratio < 1 or not 0 <= mutation_ratio <= 1:
        raise ValueError("parent_ratio must be in (0, 1) and mutation_ratio in [0, 1]")
    rng = random.Random(seed)
    pop = [_feasible(lambda: space.sample(rng), latency, target, "random subnet")
           for _ in range(population)]
    scored = sorted(((accuracy(c), i, c) for i, c in enumerate(pop)), key=lambda t: -t[0])
    evaluations = len(scored)
    curve = [scored[0][0]]
    n_parents = max(1, int(round(parent_ratio * population)))
    n_mutants = int(round(mutation_ratio * population))
    for _ in range(generations):
        parents = [c for _, _, c in scored[:n_parents]]
        children = []
        for k in range(population - n_parents):
            if k < n_mutants:  # mutate one parent until the mutant is feasible
                parent = rng.choice(parents)
                make = lambda parent=parent: mutate(space, parent, rng, prob=prob)  # noqa: E731
            else:
                a, b = rng.choice(parents), rng.choice(parents)
                make = lambda a=a, b=b: crossover(a, b, rng)  # noqa: E731
            children.append(_feasible(make, latency, target, "child"))
        new = [(accuracy(c), n_parents + i, c) for i, c in enumerate(children)]
        evaluations += len(new)
        scored = sorted(scored[:n_parents] + new, key=lambda t: (-t[0], t[1]))
        curve.append(scored[0][0])
    return {"config": scored[0][2], "accuracy": scored[0][0], "curve": curve,
            "evaluations": evaluations}


def specialise(net: OFANetwork, data: Dataset, *, accuracy, table: BlockLatencyTable,
               target: float, generations: int = 10, population: int = 40,
               seed: int = 0) -> dict:
    """One deployment: `evolutionary_search` under `target` ms of `table`'s predicted
    latency with the `accuracy` predictor, then the chosen subnet measured for real — its
    validation accuracy after BN recalibration and its latency timed on `table`'s device.
    Returns 'config', 'predicted_accuracy', 'accuracy', 'predicted_ms', 'measured_ms',
    'target', 'meets_target' (measured <= target), 'params' and 'evaluations' (the predictor
    queries the search made: give a baseline the same number)."""
    found = evolutionary_search(net.space, accuracy=accuracy, latency=table.predict,
                                target=target, generations=generations,
                                population=population, seed=seed)
    config = found["config"]
    measured = table.measure(config)
    return {"config": config, "predicted_accuracy": found["accuracy"],
            "accuracy": evaluate_subnet(net, config, data, seed=seed),
            "predicted_ms": table.predict(config), "measured_ms": measured, "target": target,
            "meets_target": measured <= target,
            "params": sum(p.numel() for p in net.extract(config).parameters()),
            "evaluations": found["evaluations"]}


# ---- the full-scale run shipped with the package ---------------------------------------------
def load_runs() -> list[dict]:
    """The records of `benchmarks/ofa.py` shipped in `nas_lessons/assets/ofa_runs.jsonl`:
    one per (part, variant, seed, scale); see that script for the fields."""
    with files("nas_lessons.assets").joinpath(RUNS_ASSET).open() as f:
        return [json.loads(line) for line in f if line.strip()]


def pretrained_supernet(data: Dataset) -> OFANetwork:
    """The progressively shrunk `FULL_SCALE` supernet of the shipped full-scale run (seed 0),
    for `data` = MNIST-1D. The float16 weights are checked against the SHA-256 recorded
    with the run and loaded with `torch.load(weights_only=True)` (no code runs from the
    file); BatchNorm statistics are the supernet's, so recalibrate per subnet."""
    row = next((r for r in load_runs() if r["part"] == "supernet" and r["variant"] == "ps"
                and r["seed"] == 0 and r["scale"] == 1.0 and "weights_sha256" in r), None)
    if row is None:
        raise FileNotFoundError(f"no full-scale 'ps' seed-0 record with weights in {RUNS_ASSET}; "
                                "run benchmarks/ofa.py --variants ps")
    path = files("nas_lessons.assets").joinpath(WEIGHTS_ASSET)
    blob = path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != row["weights_sha256"]:
        raise ValueError(f"{WEIGHTS_ASSET} does not match the SHA-256 recorded in {RUNS_ASSET}: "
                         "the file is corrupt or from another run; regenerate it with "
                         "benchmarks/ofa.py")
    net = OFANetwork(data.input_shape, data.num_classes, **FULL_SCALE)
    with path.open("rb") as f:
        state = torch.load(f, weights_only=True)
    shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    if {k: tuple(v.shape) for k, v in state.items()} != shapes:
        raise ValueError(f"the shipped supernet was trained on MNIST-1D (input (1, 40), 10 "
                         f"classes); got a dataset with input {data.input_shape} and "
                         f"{data.num_classes} classes")
    net.load_state_dict({k: v.float() if v.is_floating_point() else v
                         for k, v in state.items()})
    return net.eval()


def scratch_comparison(runs: list[dict], *, metric: str = "test", baseline: str = "scratch",
                       scale: float = 1.0) -> list[dict]:
    """Inherited accuracy vs the same subnet trained from scratch, paired by seed: for every
    supernet variant and every subnet, `metric` of the inherited subnet ('test' after BN
    recalibration, 'finetuned_test' after the short fine-tune, or 'val',
    'val_without_recalibration', 'finetuned_val' against the scratch run's 'val') minus the
    scratch run's accuracy on the same split, with `stats.paired_difference` (Student-t
    interval over seeds; 'per_seed' holds each seed's difference). `baseline` = a variant's
    name ('ps') compares every variant with that one instead, on the same `metric` (an
    ablation's cost). A subnet named 'mean' averages the subnets per seed first."""
    from .stats import paired_difference

    allowed = ("test", "finetuned_test", "val", "val_without_recalibration", "finetuned_val")
    if metric not in allowed:
        raise ValueError(f"metric must be one of {', '.join(allowed)}; got {metric!r}")
    split = "test" if metric.endswith("test") else "val"
    runs = [r for r in runs if r["scale"] == scale]
    def by_seed(variant: str) -> dict:
        return {r["seed"]: r["subnets"] for r in runs if r["variant"] == variant}

    variants = list(dict.fromkeys(r["variant"] for r in runs if r["part"] == "supernet"))
    if baseline != "scratch" and baseline not in variants:
        raise ValueError(f"baseline must be 'scratch' or a variant in the runs "
                         f"({', '.join(variants)}); got {baseline!r}")
    scratch = by_seed(baseline)
    key = split if baseline == "scratch" else metric
    out = []
    for variant in variants:
        if variant == baseline:
            continue
        rows = by_seed(variant)
        seeds = sorted(set(rows) & set(scratch))
        if len(seeds) < 2:
            continue
        names = list(rows[seeds[0]])
        table = {n: ([rows[s][n][metric] for s in seeds], [scratch[s][n][key] for s in seeds])
                 for n in names}
        table["mean"] = tuple([float(np.mean([table[n][i][k] for n in names]))
                               for k in range(len(seeds))] for i in (0, 1))
        for name, (inherited, alone) in table.items():
            d = paired_difference(inherited, alone)
            out.append({"variant": variant, "subnet": name, "seeds": seeds,
                        "inherited": float(np.mean(inherited)), "scratch": float(np.mean(alone)),
                        "difference": d["mean"], "ci": d["ci"],
                        "per_seed": [float(i - a) for i, a in zip(inherited, alone)]})
    return out
