"""Candidate operations of the cell search spaces, for signals (rank 1) and images (rank 2).

Two families, each built exactly as in its paper's reference code:

* NAS-Bench-201 (Dong & Yang, ICLR 2020, Sec. 2.1): `none`, `skip_connect`, `nor_conv_1x1`,
  `nor_conv_3x3` (ReLU-Conv-BN), `avg_pool_3x3`.
* DARTS (Liu, Simonyan & Yang, ICLR 2019, Sec. 3.1): `max_pool_3x3`, `avg_pool_3x3`,
  `skip_connect`, `sep_conv_3x3/5x5` (a depthwise-separable block applied *twice*),
  `dil_conv_3x3/5x5` (dilation 2), `none`.
* plus the plain ReLU-Conv-BN `conv_1x1/3x3/5x5` of the classic `OperationType` enum.

Every op maps `(N, C_in, *spatial)` to `(N, C_out, *spatial / stride)`. `affine=False` turns
off the BN scale/shift, as DARTS does during search so that the architecture weights alone
scale each op's output.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

__all__ = ["OPS", "NB201_OPS", "DARTS_OPS", "CLASSIC_OPS", "make_op", "Zero",
           "FactorizedReduce", "ReLUConvBN", "SepConv", "DilConv", "Pool", "conv_cls",
           "bn_cls"]


def _check_rank(rank: int) -> int:
    if rank not in (1, 2):
        raise ValueError(f"spatial rank must be 1 (signals) or 2 (images), got {rank!r}")
    return rank


def conv_cls(rank: int) -> type[nn.Module]:
    return (nn.Conv1d, nn.Conv2d)[_check_rank(rank) - 1]


def bn_cls(rank: int) -> type[nn.Module]:
    return (nn.BatchNorm1d, nn.BatchNorm2d)[_check_rank(rank) - 1]


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv (no bias) -> BN: the conv block of NAS-Bench-201 and DARTS."""

    def __init__(self, C_in: int, C_out: int, kernel: int, stride: int, padding: int,
                 dilation: int = 1, affine: bool = True, rank: int = 2) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            conv_cls(rank)(C_in, C_out, kernel, stride, padding, dilation, bias=False),
            bn_cls(rank)(C_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """ReLU -> depthwise dilated conv -> pointwise conv -> BN (DARTS `dil_conv_kxk`)."""

    def __init__(self, C_in: int, C_out: int, kernel: int, stride: int, padding: int,
                 dilation: int, affine: bool = True, rank: int = 2) -> None:
        conv = conv_cls(rank)
        super().__init__(
            nn.ReLU(inplace=False),
            conv(C_in, C_in, kernel, stride, padding, dilation, groups=C_in, bias=False),
            conv(C_in, C_out, 1, bias=False),
            bn_cls(rank)(C_out, affine=affine),
        )


class SepConv(nn.Sequential):
    """Two stacked DilConv(dilation=1) blocks, the first carrying the stride (DARTS)."""

    def __init__(self, C_in: int, C_out: int, kernel: int, stride: int, padding: int,
                 affine: bool = True, rank: int = 2) -> None:
        super().__init__(
            DilConv(C_in, C_in, kernel, stride, padding, 1, affine, rank),
            DilConv(C_in, C_out, kernel, 1, padding, 1, affine, rank),
        )


class Zero(nn.Module):
    """The `none` op: outputs zeros of the right shape (so it is stride-aware)."""

    def __init__(self, C_in: int, C_out: int, stride: int, rank: int = 2) -> None:
        super().__init__()
        self.C_out, self.stride, self.rank = C_out, stride, _check_rank(rank)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[(..., *[slice(None, None, self.stride)] * self.rank)]
        if x.shape[1] == self.C_out:
            return x.mul(0.0)
        return x.new_zeros((x.shape[0], self.C_out, *x.shape[2:]))

    def extra_repr(self) -> str:
        return f"C_out={self.C_out}, stride={self.stride}"


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing information: two 1x1 stride-2 convs, the second
    shifted by one position, concatenated (Zoph et al., NASNet, 2018; DARTS code).
    With stride 1 it is a plain 1x1 conv + BN that changes the channel count."""

    def __init__(self, C_in: int, C_out: int, stride: int = 2, affine: bool = True,
                 rank: int = 2) -> None:
        super().__init__()
        conv = conv_cls(rank)
        self.stride, self.rank = stride, rank
        self.relu = nn.ReLU(inplace=False)
        if stride == 2:
            half = [C_out // 2, C_out - C_out // 2]
            self.convs = nn.ModuleList(conv(C_in, c, 1, stride=2, bias=False) for c in half)
            self.pad = (nn.ConstantPad1d((0, 1), 0.0) if rank == 1
                        else nn.ConstantPad2d((0, 1, 0, 1), 0.0))
        elif stride == 1:
            self.convs = nn.ModuleList([conv(C_in, C_out, 1, bias=False)])
        else:
            raise ValueError(f"FactorizedReduce supports stride 1 or 2, got {stride}")
        self.bn = bn_cls(rank)(C_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        if self.stride == 1:
            return self.bn(self.convs[0](x))
        y = self.pad(x)
        shifted = y[(..., *[slice(1, None)] * self.rank)]
        return self.bn(torch.cat([self.convs[0](x), self.convs[1](shifted)], dim=1))


class Pool(nn.Module):
    """3x3 average or max pooling (padding 1; average excludes the padding). If the channel
    count changes, a ReLU-Conv1x1-BN first adapts it, as in NAS-Bench-201."""

    def __init__(self, C_in: int, C_out: int, stride: int, mode: str, affine: bool = True,
                 rank: int = 2) -> None:
        super().__init__()
        self.preprocess = (None if C_in == C_out
                           else ReLUConvBN(C_in, C_out, 1, 1, 0, 1, affine, rank))
        if mode == "avg":
            pool = (nn.AvgPool1d, nn.AvgPool2d)[rank - 1]
            self.pool = pool(3, stride=stride, padding=1, count_include_pad=False)
        elif mode == "max":
            self.pool = (nn.MaxPool1d, nn.MaxPool2d)[rank - 1](3, stride=stride, padding=1)
        else:
            raise ValueError(f"unknown pooling mode {mode!r}; allowed: avg, max")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x if self.preprocess is None else self.preprocess(x))


def _skip(C_in: int, C_out: int, stride: int, affine: bool, rank: int) -> nn.Module:
    if stride == 1 and C_in == C_out:
        return nn.Identity()
    return FactorizedReduce(C_in, C_out, stride, affine, rank)


OpFactory = Callable[[int, int, int, bool, int], nn.Module]

#: name -> factory(C_in, C_out, stride, affine, rank)
OPS: dict[str, OpFactory] = {
    "none": lambda ci, co, s, a, r: Zero(ci, co, s, r),
    "skip_connect": _skip,
    "avg_pool_3x3": lambda ci, co, s, a, r: Pool(ci, co, s, "avg", a, r),
    "max_pool_3x3": lambda ci, co, s, a, r: Pool(ci, co, s, "max", a, r),
    "nor_conv_1x1": lambda ci, co, s, a, r: ReLUConvBN(ci, co, 1, s, 0, 1, a, r),
    "nor_conv_3x3": lambda ci, co, s, a, r: ReLUConvBN(ci, co, 3, s, 1, 1, a, r),
    "conv_1x1": lambda ci, co, s, a, r: ReLUConvBN(ci, co, 1, s, 0, 1, a, r),
    "conv_3x3": lambda ci, co, s, a, r: ReLUConvBN(ci, co, 3, s, 1, 1, a, r),
    "conv_5x5": lambda ci, co, s, a, r: ReLUConvBN(ci, co, 5, s, 2, 1, a, r),
    "sep_conv_3x3": lambda ci, co, s, a, r: SepConv(ci, co, 3, s, 1, a, r),
    "sep_conv_5x5": lambda ci, co, s, a, r: SepConv(ci, co, 5, s, 2, a, r),
    "dil_conv_3x3": lambda ci, co, s, a, r: DilConv(ci, co, 3, s, 2, 2, a, r),
    "dil_conv_5x5": lambda ci, co, s, a, r: DilConv(ci, co, 5, s, 4, 2, a, r),
}

#: NAS-Bench-201's op list, in its canonical order (index = one-hot position).
NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: DARTS' candidate ops, in the order of its `genotypes.PRIMITIVES`.
DARTS_OPS = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3",
             "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
#: The ops of the classic textbook `OperationType` enum.
CLASSIC_OPS = ("conv_3x3", "conv_5x5", "conv_1x1", "sep_conv_3x3", "dil_conv_3x3",
               "max_pool_3x3", "avg_pool_3x3", "skip_connect", "none")


def make_op(name: str, C_in: int, C_out: int | None = None, stride: int = 1,
            affine: bool = True, rank: int = 2) -> nn.Module:
    """Build operation `name`; clear errors for unknown names, strides and ranks."""
    if name not in OPS:
        raise ValueError(f"unknown op {name!r}; allowed: {', '.join(OPS)}")
    if stride not in (1, 2):
        raise ValueError(f"stride must be 1 or 2, got {stride!r}")
    _check_rank(rank)
    if not isinstance(C_in, int) or C_in < 1:
        raise ValueError(f"C_in must be a positive int, got {C_in!r}")
    C_out = C_in if C_out is None else C_out
    return OPS[name](C_in, C_out, stride, affine, rank)
