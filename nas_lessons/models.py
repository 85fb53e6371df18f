"""Networks built from cells: NAS-Bench-201's TinyNetwork and DARTS' evaluation network.

* `NB201Network` follows NAS-Bench-201 (Dong & Yang, ICLR 2020, Fig. 1): a 3x3 conv stem,
  three stages of N cells with C, 2C, 4C channels separated by reduction blocks, BN-ReLU,
  global average pooling and a linear classifier. `reduction='resnet'` uses the paper's
  residual block (two ReLU-Conv-BN 3x3 convs, stride 2, plus a 2x2 avg-pool + 1x1 conv
  shortcut); `reduction='cheap'` uses only the shortcut path (avg-pool + 1x1 conv + BN), which
  keeps the reductions from dominating a tiny network's cost (our mnist1d-201 benchmark).
  With C=16, N=5, 3 input channels and 10 classes the parameter counts equal the published
  ones, e.g. 0.073306 M for cells without convolutions and 1.531546 M for the all-3x3-conv
  cell (NAS-Bench-201 CIFAR-10 cost table, min/max over the space).
* `DARTSNetwork` follows DARTS (Liu et al., ICLR 2019, Sec. 2 and A.2): stem of 3C channels,
  `layers` cells with reductions at 1/3 and 2/3 depth, each cell preprocessing its two inputs
  (ReLU-Conv1x1-BN, or FactorizedReduce after a reduction) and concatenating its nodes.

Both take `rank=1` (signals, e.g. MNIST-1D) or `rank=2` (images).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .ops import OPS, FactorizedReduce, ReLUConvBN, Zero, make_op, nd
from .spaces import ArchLike, DARTSSpace, Genotype, NB201Space

__all__ = ["NB201Cell", "NB201Network", "nb201_skeleton", "REDUCTIONS", "ResNetReduction",
           "CheapReduction", "DARTSCell", "DARTSNetwork", "darts_skeleton", "cell_inputs",
           "make_baseline", "BASELINES", "make_cnn"]


def _positive_ints(**values: int) -> None:
    for name, v in values.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")


class NB201Cell(nn.Module):
    """A NAS-Bench-201 cell: node j = sum of op(node i) over its incoming edges i < j.
    `none` edges are not computed (adding zeros changes nothing); a node whose inputs are
    all `none` is zero."""

    def __init__(self, arch: ArchLike, C: int, *, rank: int = 2, affine: bool = True) -> None:
        super().__init__()
        space = NB201Space()
        self.arch = space.to_arch(arch)
        self.edges = space.EDGES
        self.ops = nn.ModuleList(make_op(op, C, C, 1, affine=affine, rank=rank)
                                 for op in self.arch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in range(1, 4):
            terms = [op(nodes[i]) for (t, i), op in zip(self.edges, self.ops)
                     if t == j and not isinstance(op, Zero)]
            nodes.append(sum(terms[1:], terms[0]) if terms else torch.zeros_like(x))
        return nodes[-1]


class ResNetReduction(nn.Module):
    """NAS-Bench-201's reduction: residual block, stride 2, 2x2 avg-pool + 1x1 shortcut."""

    def __init__(self, C_in: int, C_out: int, *, rank: int = 2) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(C_in, C_out, 3, 2, 1, rank=rank)
        self.conv_b = ReLUConvBN(C_out, C_out, 3, 1, 1, rank=rank)
        self.shortcut = nn.Sequential(nd("AvgPool", rank)(2, 2),
                                      nd("Conv", rank)(C_in, C_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class CheapReduction(nn.Sequential):
    """A cheap reduction: 2x avg-pool, 1x1 conv, BN."""

    def __init__(self, C_in: int, C_out: int, *, rank: int = 2) -> None:
        super().__init__(nd("AvgPool", rank)(2, 2), nd("Conv", rank)(C_in, C_out, 1, bias=False),
                         nd("BatchNorm", rank)(C_out))


REDUCTIONS = {"resnet": ResNetReduction, "cheap": CheapReduction}


def nb201_skeleton(make_cell: Callable[[int], nn.Module], *, C: int, N: int, in_channels: int,
                   rank: int, reduction: str) -> tuple[nn.Module, list[nn.Module], int]:
    """NAS-Bench-201's macro network without its head: a 3x3 conv stem of C channels, then
    three stages of N cells (`make_cell(channels)`) with C, 2C, 4C channels, separated by
    `reduction` blocks. Returns the stem, the layers in order and the last channel count;
    the search network (`darts.NB201SearchNetwork`) and `NB201Network` share it."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; allowed: {', '.join(REDUCTIONS)}")
    _positive_ints(C=C, N=N, in_channels=in_channels)
    stem = nn.Sequential(nd("Conv", rank)(in_channels, C, 3, padding=1, bias=False),
                         nd("BatchNorm", rank)(C))
    layers: list[nn.Module] = []
    c_prev = C
    for stage, c in enumerate((C, 2 * C, 4 * C)):
        if stage > 0:
            layers.append(REDUCTIONS[reduction](c_prev, c, rank=rank))
        layers += [make_cell(c) for _ in range(N)]
        c_prev = c
    return stem, layers, c_prev


class NB201Network(nn.Module):
    """NAS-Bench-201's macro skeleton around one cell, for 1-D or 2-D inputs."""

    def __init__(self, arch: ArchLike, *, C: int = 16, N: int = 5, num_classes: int = 10,
                 in_channels: int = 3, rank: int = 2, reduction: str = "resnet") -> None:
        super().__init__()
        _positive_ints(num_classes=num_classes)
        self.arch = NB201Space().to_arch(arch)
        self.stem, layers, c_last = nb201_skeleton(
            lambda c: NB201Cell(self.arch, c, rank=rank), C=C, N=N, in_channels=in_channels,
            rank=rank, reduction=reduction)
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nd("BatchNorm", rank)(c_last), nn.ReLU(inplace=False))
        self.pool = nd("AdaptiveAvgPool", rank)(1)
        self.classifier = nn.Linear(c_last, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.lastact(self.cells(self.stem(x)))
        return self.classifier(self.pool(x).flatten(1))


def cell_inputs(C_pp: int, C_p: int, C: int, *, reduction_prev: bool, affine: bool,
                rank: int) -> tuple[nn.Module, nn.Module]:
    """The preprocessing of a DARTS cell's two inputs to C channels: the cell two back
    through a FactorizedReduce if the previous cell halved the resolution, else through a
    ReLU-Conv1x1-BN; the previous cell through a ReLU-Conv1x1-BN (DARTS' `Cell.__init__`)."""
    pre0 = (FactorizedReduce(C_pp, C, 2, affine=affine, rank=rank) if reduction_prev
            else ReLUConvBN(C_pp, C, 1, 1, 0, affine=affine, rank=rank))
    return pre0, ReLUConvBN(C_p, C, 1, 1, 0, affine=affine, rank=rank)


class DARTSCell(nn.Module):
    """A discrete DARTS cell: two preprocessed inputs, `len(cell)//2` nodes, each the sum
    of two ops on two earlier states; output = channel concat of the `concat` nodes."""

    def __init__(self, cell, concat, C_pp: int, C_p: int, C: int, *, reduction: bool,
                 reduction_prev: bool, rank: int = 2) -> None:
        super().__init__()
        self.reduction = reduction
        self.pre0, self.pre1 = cell_inputs(C_pp, C_p, C, reduction_prev=reduction_prev,
                                           affine=True, rank=rank)
        self.inputs = [j for _, j in cell]
        self.ops = nn.ModuleList(make_op(op, C, C, 2 if reduction and j < 2 else 1, rank=rank)
                                 for op, j in cell)
        self.concat = list(concat)
        self.multiplier = len(self.concat)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for k in range(len(self.ops) // 2):
            a, b = 2 * k, 2 * k + 1
            states.append(self.ops[a](states[self.inputs[a]])
                          + self.ops[b](states[self.inputs[b]]))
        return torch.cat([states[i] for i in self.concat], dim=1)


def darts_skeleton(make_cell: Callable[..., nn.Module], *, C: int, layers: int,
                   in_channels: int, rank: int, stem_multiplier: int
                   ) -> tuple[nn.Module, nn.ModuleList, int]:
    """DARTS' macro network: a conv stem of stem_multiplier * C channels, then `layers` cells
    with the channels doubled at the two reductions (1/3 and 2/3 of the depth). `make_cell(
    C_pp, C_p, C, reduction=..., reduction_prev=...)` builds a cell with a `multiplier`
    attribute. Returns the stem, the cells and the channel count of the last cell's output."""
    if not isinstance(layers, int) or layers < 3:
        raise ValueError(f"layers must be an int >= 3 (two reductions), got {layers!r}")
    _positive_ints(C=C, in_channels=in_channels, stem_multiplier=stem_multiplier)
    c = stem_multiplier * C
    stem = nn.Sequential(nd("Conv", rank)(in_channels, c, 3, padding=1, bias=False),
                         nd("BatchNorm", rank)(c))
    c_pp, c_p, c_cur = c, c, C
    cells = nn.ModuleList()
    reduction_prev = False
    for i in range(layers):
        reduction = i in (layers // 3, 2 * layers // 3)
        if reduction:
            c_cur *= 2
        cell = make_cell(c_pp, c_p, c_cur, reduction=reduction, reduction_prev=reduction_prev)
        cells.append(cell)
        reduction_prev = reduction
        c_pp, c_p = c_p, cell.multiplier * c_cur
    return stem, cells, c_p


class DARTSNetwork(nn.Module):
    """DARTS' evaluation network (NetworkCIFAR without the auxiliary head)."""

    def __init__(self, genotype: Genotype, *, C: int = 16, layers: int = 8,
                 num_classes: int = 10, in_channels: int = 3, rank: int = 2,
                 stem_multiplier: int = 3) -> None:
        super().__init__()
        if not isinstance(genotype, Genotype):
            raise TypeError("genotype must be a nas_lessons.spaces.Genotype, got "
                            f"{type(genotype).__name__}")
        for name in ("normal", "reduce"):
            cell = getattr(genotype, name)
            DARTSSpace(len(cell) // 2, OPS).validate(cell)
            concat = getattr(genotype, f"{name}_concat")
            if not concat or any(not 0 <= i < len(cell) // 2 + 2 for i in concat):
                raise ValueError(f"{name}_concat {concat} must list node ids in "
                                 f"0..{len(cell) // 2 + 1}")
        self.genotype = genotype

        def make_cell(c_pp, c_p, c, *, reduction, reduction_prev):
            cell, concat = ((genotype.reduce, genotype.reduce_concat) if reduction
                            else (genotype.normal, genotype.normal_concat))
            return DARTSCell(cell, concat, c_pp, c_p, c, reduction=reduction,
                             reduction_prev=reduction_prev, rank=rank)

        self.stem, self.cells, c_p = darts_skeleton(make_cell, C=C, layers=layers,
                                                    in_channels=in_channels, rank=rank,
                                                    stem_multiplier=stem_multiplier)
        self.pool = nd("AdaptiveAvgPool", rank)(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(self.pool(s1).flatten(1))


BASELINES = ("linear", "mlp", "cnn")


def _cnn_rank(input_shape: tuple[int, ...], who: str) -> int:
    rank = len(input_shape) - 1
    if rank not in (1, 2):
        raise ValueError(f"{who} needs (C, L) or (C, H, W) inputs, got {input_shape}")
    return rank


def make_baseline(name: str, input_shape: tuple[int, ...], num_classes: int, *,
                  hidden: int = 100, channels: int = 32) -> nn.Module:
    """The hand-designed reference models of MNIST-1D (Greydanus & Kobak, 2024, Table 1):
    a linear classifier, a 2-hidden-layer ReLU MLP, and a small CNN (three strided conv layers
    with ReLU, pooled to 4 positions per axis, then a linear layer). They work on (C, L)
    signals and (C, H, W) images alike."""
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; allowed: {', '.join(BASELINES)}")
    n_in = 1
    for d in input_shape:
        n_in *= d
    if name == "linear":
        return nn.Sequential(nn.Flatten(), nn.Linear(n_in, num_classes))
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(n_in, hidden), nn.ReLU(),
                             nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))
    rank = _cnn_rank(input_shape, "the cnn baseline")
    conv = nd("Conv", rank)
    return nn.Sequential(
        conv(input_shape[0], channels, 5, stride=2, padding=2), nn.ReLU(),
        conv(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
        conv(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
        nd("AdaptiveAvgPool", rank)(4), nn.Flatten(), nn.Linear(channels * 4**rank, num_classes))


def make_cnn(input_shape: tuple[int, ...], num_classes: int, *, channels: int = 32,
             kernel: int = 5, depth: int = 3) -> nn.Module:
    """A plain CNN family for small searches: `depth` ReLU conv layers of `channels` filters
    and size `kernel` (the first three with stride 2), pooled to 4 positions per axis, then
    a linear classifier."""
    rank = _cnn_rank(input_shape, "make_cnn")
    _positive_ints(channels=channels, kernel=kernel, depth=depth)
    if kernel % 2 == 0:
        raise ValueError(f"kernel must be odd (same padding), got {kernel}")
    conv = nd("Conv", rank)
    layers: list[nn.Module] = []
    c_in = input_shape[0]
    for i in range(depth):
        layers += [conv(c_in, channels, kernel, stride=2 if i < 3 else 1, padding=kernel // 2),
                   nn.ReLU()]
        c_in = channels
    return nn.Sequential(*layers, nd("AdaptiveAvgPool", rank)(4), nn.Flatten(),
                         nn.Linear(channels * 4**rank, num_classes))
