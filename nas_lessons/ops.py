"""Candidate operations of the cell search spaces, for signals (rank 1) and images (rank 2).

Two families, each built exactly as in its paper's reference code:

* NAS-Bench-201 (Dong & Yang, ICLR 2020, Sec. 2.1): `none`, `skip_connect`, `nor_conv_1x1`,
  `nor_conv_3x3` (ReLU-Conv-BN), `avg_pool_3x3`.
* DARTS (Liu, Simonyan & Yang, ICLR 2019, Sec. 3.1): `max_pool_3x3`, `avg_pool_3x3`,
  `skip_connect`, `sep_conv_3x3/5x5` (a depthwise-separable block applied *twice*),
  `dil_conv_3x3/5x5` (dilation 2), `none`.
* plus `nor_conv_5x5`, the 5x5 ReLU-Conv-BN of the classic `OperationType` enum.

Every op maps `(N, C_in, *spatial)` to `(N, C_out, *spatial / stride)`. `affine=False` turns
off the BN scale/shift, as DARTS does during search so that the architecture weights alone
scale each op's output.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["OPS", "NB201_OPS", "DARTS_OPS", "make_op", "Zero", "FactorizedReduce",
           "ReLUConvBN", "SepConv", "DilConv", "Pool", "nd", "check_rank"]


def check_rank(rank: int) -> int:
    """`rank` if it is a spatial rank the package supports (1: signals, 2: images)."""
    if rank not in (1, 2):
        raise ValueError(f"spatial rank must be 1 (signals) or 2 (images), got {rank!r}")
    return rank


def nd(layer: str, rank: int) -> type[nn.Module]:
    """The torch layer class for a spatial rank: `nd("Conv", 1)` is `nn.Conv1d`,
    `nd("BatchNorm", 2)` is `nn.BatchNorm2d`, likewise AvgPool, MaxPool, AdaptiveAvgPool."""
    return getattr(nn, f"{layer}{check_rank(rank)}d")


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv (no bias) -> BN: the conv block of NAS-Bench-201 and DARTS."""

    def __init__(self, C_in: int, C_out: int, kernel: int, stride: int, padding: int, *,
                 dilation: int = 1, affine: bool = True, rank: int = 2) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nd("Conv", rank)(C_in, C_out, kernel, stride, padding, dilation, bias=False),
            nd("BatchNorm", rank)(C_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """ReLU -> depthwise dilated conv -> pointwise conv -> BN (DARTS `dil_conv_kxk`)."""

    def __init__(self, C_in: int, C_out: int, kernel: int, stride: int, padding: int,
                 dilation: int, *, affine: bool = True, rank: int = 2) -> None:
        conv = nd("Conv", rank)
        super().__init__(
            nn.ReLU(inplace=False),
            conv(C_in, C_in, kernel, stride, padding, dilation, groups=C_in, bias=False),
            conv(C_in, C_out, 1, bias=False),
            nd("BatchNorm", rank)(C_out, affine=affine),
        )


class SepConv(nn.Sequential):
    """Two stacked DilConv(dilation=1) blocks, the first carrying the stride (DARTS)."""

    def __init__(self, C_in: int, C_out: int, kernel: int, stride: int, padding: int, *,
                 affine: bool = True, rank: int = 2) -> None:
        super().__init__(
            DilConv(C_in, C_in, kernel, stride, padding, 1, affine=affine, rank=rank),
            DilConv(C_in, C_out, kernel, 1, padding, 1, affine=affine, rank=rank),
        )


class Zero(nn.Module):
    """The `none` op: outputs zeros of the right shape (so it is stride-aware)."""

    def __init__(self, C_in: int, C_out: int, stride: int, *, rank: int = 2) -> None:
        super().__init__()
        self.C_out, self.stride, self.rank = C_out, stride, check_rank(rank)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[(..., *[slice(None, None, self.stride)] * self.rank)]
        if x.shape[1] == self.C_out:
            return x.mul(0.0)
        return x.new_zeros((x.shape[0], self.C_out, *x.shape[2:]))

    def extra_repr(self) -> str:
        return f"C_out={self.C_out}, stride={self.stride}"


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing information: ReLU, then two 1x1 stride-2 convs,
    the second shifted by one position, concatenated, then BN (Zoph et al., NASNet, 2018;
    DARTS' and NAS-Bench-201's code). With stride 1 it is a plain 1x1 conv + BN that changes
    the channel count, without the ReLU, as in NAS-Bench-201's `FactorizedReduce`."""

    def __init__(self, C_in: int, C_out: int, stride: int = 2, *, affine: bool = True,
                 rank: int = 2) -> None:
        super().__init__()
        conv = nd("Conv", rank)
        self.stride, self.rank = stride, rank
        self.relu = nn.ReLU(inplace=False)
        if stride == 2:
            half = [C_out // 2, C_out - C_out // 2]
            self.convs = nn.ModuleList(conv(C_in, c, 1, stride=2, bias=False) for c in half)
        elif stride == 1:
            self.convs = nn.ModuleList([conv(C_in, C_out, 1, bias=False)])
        else:
            raise ValueError(f"FactorizedReduce supports stride 1 or 2, got {stride}")
        self.bn = nd("BatchNorm", rank)(C_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            return self.bn(self.convs[0](x))
        x = self.relu(x)
        shifted = F.pad(x, (0, 1) * self.rank)[(..., *[slice(1, None)] * self.rank)]
        return self.bn(torch.cat([self.convs[0](x), self.convs[1](shifted)], dim=1))


class Pool(nn.Module):
    """3x3 average or max pooling (padding 1; average excludes the padding). If the channel
    count changes, a ReLU-Conv1x1-BN first adapts it, as in NAS-Bench-201."""

    def __init__(self, C_in: int, C_out: int, stride: int, mode: str, *, affine: bool = True,
                 rank: int = 2) -> None:
        super().__init__()
        self.preprocess = (None if C_in == C_out
                           else ReLUConvBN(C_in, C_out, 1, 1, 0, affine=affine, rank=rank))
        if mode == "avg":
            self.pool = nd("AvgPool", rank)(3, stride=stride, padding=1, count_include_pad=False)
        elif mode == "max":
            self.pool = nd("MaxPool", rank)(3, stride=stride, padding=1)
        else:
            raise ValueError(f"unknown pooling mode {mode!r}; allowed: avg, max")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x if self.preprocess is None else self.preprocess(x))


def _skip(C_in: int, C_out: int, stride: int, affine: bool, rank: int) -> nn.Module:
    if stride == 1 and C_in == C_out:
        return nn.Identity()
    return FactorizedReduce(C_in, C_out, stride, affine=affine, rank=rank)


def _conv(kernel: int) -> OpFactory:
    """ReLU-Conv-BN with a `kernel` x `kernel` kernel and same padding."""
    return lambda ci, co, s, a, r: ReLUConvBN(ci, co, kernel, s, kernel // 2, affine=a, rank=r)


OpFactory = Callable[[int, int, int, bool, int], nn.Module]

#: name -> factory(C_in, C_out, stride, affine, rank)
OPS: dict[str, OpFactory] = {
    "none": lambda ci, co, s, a, r: Zero(ci, co, s, rank=r),
    "skip_connect": _skip,
    "avg_pool_3x3": lambda ci, co, s, a, r: Pool(ci, co, s, "avg", affine=a, rank=r),
    "max_pool_3x3": lambda ci, co, s, a, r: Pool(ci, co, s, "max", affine=a, rank=r),
    "nor_conv_1x1": _conv(1),
    "nor_conv_3x3": _conv(3),
    "nor_conv_5x5": _conv(5),
    "sep_conv_3x3": lambda ci, co, s, a, r: SepConv(ci, co, 3, s, 1, affine=a, rank=r),
    "sep_conv_5x5": lambda ci, co, s, a, r: SepConv(ci, co, 5, s, 2, affine=a, rank=r),
    "dil_conv_3x3": lambda ci, co, s, a, r: DilConv(ci, co, 3, s, 2, 2, affine=a, rank=r),
    "dil_conv_5x5": lambda ci, co, s, a, r: DilConv(ci, co, 5, s, 4, 2, affine=a, rank=r),
}

#: NAS-Bench-201's op list, in its canonical order (index = one-hot position).
NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: DARTS' candidate ops, in the order of its `genotypes.PRIMITIVES`.
DARTS_OPS = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3",
             "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5")


def make_op(name: str, C_in: int, C_out: int | None = None, stride: int = 1, *,
            affine: bool = True, rank: int = 2) -> nn.Module:
    """Build operation `name`; clear errors for unknown names, strides and ranks."""
    if name not in OPS:
        raise ValueError(f"unknown op {name!r}; allowed: {', '.join(OPS)}")
    if stride not in (1, 2):
        raise ValueError(f"stride must be 1 or 2, got {stride!r}")
    check_rank(rank)
    if not isinstance(C_in, int) or C_in < 1:
        raise ValueError(f"C_in must be a positive int, got {C_in!r}")
    C_out = C_in if C_out is None else C_out
    return OPS[name](C_in, C_out, stride, affine, rank)
