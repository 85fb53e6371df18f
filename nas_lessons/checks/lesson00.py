"""Checks of exercise 00 (`solutions/00_welcome.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import run_cases


def check_count_params(fn: Callable) -> None:
    """Exercise 0.1: `fn(model)` returns the number of trainable parameters."""
    import torch
    from torch import nn

    from ..hardware import count_params

    def frozen():
        m = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
        m[0].weight.requires_grad_(False)
        return m

    models = {
        "Linear(10, 5): weights and bias": lambda: nn.Linear(10, 5),
        "Conv1d(1, 8, 3) + BatchNorm1d(8) (BN buffers are not parameters)":
            lambda: nn.Sequential(nn.Conv1d(1, 8, 3), nn.BatchNorm1d(8)),
        "a frozen weight does not count": frozen,
        "a model without parameters": lambda: nn.ReLU(),
    }
    cases = []
    for desc, make in models.items():
        torch.manual_seed(0)
        m = make()
        want = count_params(m)
        cases.append((desc, lambda m=m: fn(m), lambda got, w=want: got == w,
                      f"expected {want}; sum p.numel() over model.parameters() that "
                      "require grad"))
    run_cases("Exercise 0.1", cases)
