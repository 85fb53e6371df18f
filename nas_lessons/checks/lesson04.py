"""Checks of exercise 04 (`solutions/04_performance_estimation.ipynb`)."""

from __future__ import annotations

from collections.abc import Callable

from .core import check_lab, run_cases


def _bench_curves():
    from ..benchmark import Benchmark
    from ..estimation.fidelity import _Table

    bench = Benchmark.load()
    table = _Table.of(bench)
    return bench, table


def check_successive_halving(fn: Callable) -> None:
    """Exercise 4.1: `fn(archs, rungs, eta, curve, cost)` runs successive halving over the
    given archs and returns (incumbent, seconds spent); `curve(arch)` is the list of
    validation accuracies after each epoch, `cost(arch, start, stop)` the seconds to train
    from epoch `start` to `stop`."""
    import random

    from ..benchmark import Benchmark
    from ..estimation.fidelity import _Table, halve, rungs

    bench = Benchmark.load()
    table, space = _Table.of(bench), bench.space
    jitter: dict[int, float] = {}  # distinct scores: no answer depends on breaking ties

    def curve(arch):
        i = space.index(arch)
        return [float(v) + jitter[i] for v in table.val[i]]

    def cost(arch, start, stop):
        secs = table.secs[space.index(arch)]
        return float(secs[stop - 1] - (secs[start - 1] if start > 0 else 0.0))

    cases = []
    for n, min_epochs, eta, seed in [(9, 1, 3, 0), (27, 1, 3, 1), (8, 2, 2, 2), (5, 10, 3, 3),
                                     (2, 1, 3, 4)]:
        rng = random.Random(seed)
        archs = [space.sample(rng) for _ in range(n)]
        for a in archs:
            jitter.setdefault(space.index(a), 1e-6 * len(jitter))
        ladder = rungs(bench.epochs, min_epochs, eta)
        ref = halve(archs, ladder=ladder, eta=eta, score=lambda a, e: curve(a)[e - 1],
                    cost=cost)
        want = (ref.incumbent[-1], ref.spent)
        cases.append((f"{n} archs, rungs {ladder}, eta {eta}",
                      lambda a=archs, r=ladder, e=eta: fn(list(a), list(r), e, curve, cost),
                      lambda got, w=want: (tuple(got[0]) == w[0]
                                           and abs(float(got[1]) - w[1]) < 1e-6),
                      f"expected incumbent {space.format(want[0])} and {want[1]:.3f} s: keep "
                      "max(1, k // eta) of the k at each rung, rank by the score at that "
                      "rung, and charge only the epochs a network adds"))
    run_cases("Exercise 4.1", cases)


def check_synflow(fn: Callable) -> None:
    """Exercise 4.2: `fn(model, input_shape)` = synflow (Tanaka et al. 2020; Abdelfattah et
    al. 2021) of `model`; the model passed in must be left unchanged."""
    import torch
    from torch import nn

    from ..estimation.proxies import synflow
    from ..models import NB201Network

    def nets():
        torch.manual_seed(0)
        return {
            "a linear chain": (nn.Sequential(nn.Linear(3, 5, bias=False), nn.ReLU(),
                                             nn.Linear(5, 2)), (3,)),
            "conv + BatchNorm + linear (BN must be switched off)": (nn.Sequential(
                nn.Conv1d(1, 4, 3), nn.BatchNorm1d(4), nn.ReLU(), nn.Flatten(),
                nn.Linear(4 * 6, 3)), (1, 8)),
            "a NAS-Bench-201 network": (NB201Network(
                "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|"
                "nor_conv_3x3~2|", C=4, N=1, num_classes=5, in_channels=1, rank=1,
                reduction="cheap"), (1, 16)),
            "2-D images": (nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3),
                                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                         nn.Linear(3, 4)), (2, 5, 5)),
        }

    cases = []
    for desc, (model, shape) in nets().items():
        want = synflow(model, torch.zeros(2, *shape), torch.zeros(2, dtype=torch.long))
        cases.append((desc, lambda m=model, s=shape: float(fn(m, s)),
                      # 1e-5: a float32 version on any CPU (its rounding depends on the
                      # summation order), far below what any of the wrong variants changes
                      lambda got, w=want: abs(got - w) <= 1e-5 * abs(w),
                      f"expected {want:.6g}: |theta| for every state-dict entry, BatchNorm "
                      "as the identity, float64, an all-ones input, sum of |theta * dR/dtheta| "
                      "over conv and linear weights"))
    model, shape = nets()["conv + BatchNorm + linear (BN must be switched off)"]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(4, *shape)
    out_before = model.eval()(x)

    def unchanged():
        fn(model, shape)
        same = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
        return same and model[0].weight.dtype == torch.float32 and torch.equal(model(x),
                                                                               out_before)

    cases.append(("the model passed in is left unchanged (weights, signs, dtype, BatchNorm)",
                  unchanged, lambda got: got is True,
                  "work on copy.deepcopy(model); never change the caller's model"))
    run_cases("Exercise 4.2", cases)


def check_naswot(fn: Callable) -> None:
    """Exercise 4.3: `fn(model, x)` = log|det K| with K_ij = N_A - Hamming(c_i, c_j) over the
    binary codes c of the inputs of every nn.ReLU (Mellor et al., ICML 2021, Eq. 2)."""
    import math

    import torch
    from torch import nn

    from ..estimation.proxies import naswot
    from ..models import NB201Network

    y = torch.zeros(1, dtype=torch.long)
    torch.manual_seed(0)
    net = NB201Network("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|"
                       "none~1|nor_conv_3x3~2|", C=4, N=1, num_classes=5, in_channels=1,
                       rank=1, reduction="cheap").eval()
    two = nn.Sequential(nn.Linear(3, 24), nn.ReLU(), nn.Linear(24, 24), nn.ReLU(),
                        nn.Linear(24, 2))
    xs = {"three codes (1,0), (0,1), (1,1): K = [[2,0,1],[0,2,1],[1,1,2]], log det = log 4":
          (nn.Sequential(nn.ReLU(), nn.Linear(2, 2)),
           torch.tensor([[1.0, -1.0], [-2.0, 3.0], [0.5, 0.5]])),
          "two ReLU layers: their codes add up": (two, torch.randn(6, 3)),
          "a NAS-Bench-201 network, 16 signals": (net, torch.randn(16, 1, 16))}
    cases = []
    for desc, (model, x) in xs.items():
        want = naswot(model, x, y.expand(len(x)))
        assert math.isfinite(want) and (not desc.startswith("three")
                                        or math.isclose(want, math.log(4)))
        cases.append((desc, lambda m=model, x=x: float(fn(m, x)),
                      lambda got, w=want: abs(got - w) <= 1e-6 * max(1.0, abs(w)),
                      f"expected {want:.6g}: K += c c^T + (1 - c)(1 - c)^T for every ReLU's "
                      "input codes c (> 0), then the log of |det K|"))
    run_cases("Exercise 4.3", cases)


def check_early_ranking(prediction, answer) -> None:
    """Exercise 4.4 (lab): Spearman's rho between validation accuracy after 2 epochs and after
    the last, among the better half of the 7,005 networks (seed 0)."""
    import numpy as np
    from scipy.stats import spearmanr

    from ..benchmark import Benchmark

    bench = Benchmark.load()
    space = bench.space
    rows = np.array([space.index(a) for a in space.unique_archs()])
    final = bench.array("val_acc")[rows]
    better = final >= np.median(final)
    measured = float(spearmanr(bench.array("val_acc", epoch=2)[rows][better],
                               final[better])[0])
    check_lab("4.4", prediction=prediction, answer=answer, measured=measured, tolerance=0.005,
              what="Spearman rho after 2 epochs, better half")
