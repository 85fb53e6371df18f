"""Checks of exercise 00 (`solutions/00_welcome.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import check_lab, run_cases


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


def check_conv_flops(fn: Callable) -> None:
    """Exercise 0.2: `fn(c_in, c_out, kernel, stride, padding, length, groups)` = the forward
    FLOPs of one example through `nn.Conv1d(c_in, c_out, kernel, stride, padding,
    groups=groups)` on a signal of `length`, counted as PyTorch's `FlopCounterMode` counts
    them: 2 per multiply-add (the bias is not counted)."""
    from torch import nn

    from ..hardware import count_flops

    cases = []
    for c_in, c_out, k, s, p, length, g in [(1, 32, 5, 2, 2, 40, 1), (32, 32, 3, 2, 1, 20, 1),
                                            (8, 16, 3, 1, 0, 10, 1), (8, 8, 3, 1, 1, 20, 8),
                                            (4, 4, 7, 3, 0, 30, 2)]:
        want = count_flops(nn.Conv1d(c_in, c_out, k, s, p, groups=g), (c_in, length))
        cases.append((f"Conv1d({c_in}, {c_out}, {k}, stride={s}, padding={p}, groups={g}) on "
                      f"length {length}", lambda a=(c_in, c_out, k, s, p, length, g): fn(*a),
                      lambda got, w=want: got == w,
                      f"expected {want}: each of the output positions of each output channel "
                      "is a dot product over (c_in / groups) x kernel inputs; count 2 FLOPs per "
                      "multiply-add, and mind the output length with stride and padding"))
    run_cases("Exercise 0.2", cases)


def check_shuffle_positions(fn: Callable) -> None:
    """Exercise 0.3: `fn(x, perm)` = `x` `(examples, channels, *positions)` with its positions —
    all spatial axes flattened — reordered by `perm`, the same for every example and
    channel, shape kept, `x` itself unchanged."""
    import torch

    cases = []
    gen = torch.Generator().manual_seed(0)
    for desc, shape in [("signals (5, 1, 40)", (5, 1, 40)), ("two channels (3, 2, 10)", (3, 2, 10)),
                        ("images (4, 1, 8, 8)", (4, 1, 8, 8))]:
        x = torch.randn(shape, generator=gen)
        n = x[0, 0].numel()
        perm = torch.randperm(n, generator=gen)
        want = x.reshape(*shape[:2], n)[..., perm].reshape(shape)

        def run(x=x, perm=perm):
            original = x.clone()
            out = fn(x, perm)
            return out, torch.equal(x, original)

        cases.append((desc, run, lambda got, w=want: got[0].shape == w.shape
                      and torch.equal(got[0], w) and got[1],
                      "output[..., j] = input[..., perm[j]] over the flattened positions, for "
                      "every example and channel; return a new tensor of the input's shape"))
    run_cases("Exercise 0.3", cases)


def check_shuffle_lab(prediction, answer, *, epochs: int = 10, seed: int = 0) -> None:
    """Exercise 0.4 (lab): how many points of test accuracy the lesson's CNN loses on MNIST-1D
    when the positions are shuffled (`epochs` epochs, Adam lr 1e-2, batch 128, `seed`)."""
    from ..data import load_dataset, permute_positions
    from ..models import make_baseline
    from ..training import train
    from ..utils import seed_everything

    data = load_dataset("mnist1d", seed=seed)
    acc = []
    for d in (data, permute_positions(data, seed=seed)):
        seed_everything(seed)
        model = make_baseline("cnn", d.input_shape, d.num_classes)
        acc.append(train(model, d, epochs=epochs, lr=1e-2, optimizer="adam", weight_decay=0.0,
                         batch_size=128, seed=seed, progress=False).test_acc)
    check_lab("0.4", prediction=prediction, answer=answer, measured=acc[0] - acc[1],
              tolerance=0.01, what="the CNN's loss from shuffling (pp)")
