"""Hardware cost of a network: parameters and FLOPs (lesson 02); latency comes in lesson 06.

FLOPs are counted by PyTorch's own `torch.utils.flop_counter.FlopCounterMode`, which counts
a multiply-add as 2 FLOPs for convolutions and matrix products (papers often report MACs,
i.e. half of this; NAS-Bench-201 reports "FLOPs" that are MACs of conv and linear layers).
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["count_params", "count_flops", "measure_latency", "op_costs"]


def count_params(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters; BN running statistics are buffers, not counted."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@contextmanager
def _probe(model: nn.Module, input_shape: tuple[int, ...], batch_size: int, random: bool):
    """Check `input_shape`, put `model` in eval mode, and yield an input batch on the model's
    device (zeros, or standard normal when `random`); the training mode is restored."""
    if not input_shape or any(not isinstance(d, int) or d < 1 for d in input_shape):
        raise ValueError(f"input_shape must be a tuple of positive ints without the batch "
                         f"axis, e.g. (1, 40) or (3, 32, 32); got {input_shape!r}")
    was_training = model.training
    model.eval()
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else "cpu"
        make = torch.randn if random else torch.zeros
        yield make(batch_size, *input_shape, device=device)
    finally:
        model.train(was_training)


def count_flops(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 1) -> int:
    """Forward FLOPs for one batch of `input_shape` (without the batch axis), in eval mode."""
    with _probe(model, input_shape, batch_size, random=False) as x:
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model(x)
    return int(counter.get_total_flops())


def measure_latency(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 1,
                    threads: int = 1, min_run_time: float = 0.1, warmup: int = 3
                    ) -> dict[str, float]:
    """Measured forward latency on this machine, in milliseconds (eval mode, no grad).

    Uses `torch.utils.benchmark.Timer.blocked_autorange`, which warms up, picks a number of
    runs per block and repeats blocks for at least `min_run_time` seconds; returns the
    median and the interquartile range of the per-call times.
    """
    from torch.utils import benchmark

    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    with _probe(model, input_shape, batch_size, random=True) as x:
        with torch.no_grad():
            for _ in range(warmup):
                model(x)
        timer = benchmark.Timer("with torch.no_grad(): model(x)",
                                globals={"model": model, "x": x, "torch": torch},
                                num_threads=threads)
        m = timer.blocked_autorange(min_run_time=min_run_time)
    return {"median_ms": m.median * 1e3, "iqr_ms": m.iqr * 1e3, "runs": len(m.times)}


def op_costs(names, C: int, input_shape: tuple[int, ...], stride: int = 1,
             affine: bool = True) -> list[dict]:
    """Output shape, parameters and forward FLOPs of each op applied to a (C, *spatial)
    input (batch 1) — the per-operation view of a search space's cost."""
    from .ops import make_op

    rank = len(input_shape)
    rows = []
    for name in names:
        op = make_op(name, C, C, stride, affine, rank)
        op.eval()
        with torch.no_grad():
            out = op(torch.zeros(1, C, *input_shape))
        rows.append({"op": name, "out_shape": tuple(out.shape[1:]),
                     "params": count_params(op),
                     "flops": count_flops(op, (C, *input_shape))})
    return rows
