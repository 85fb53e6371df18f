"""Learning-curve extrapolation: predict the final accuracy from the first k epochs.

Domhan, Springenberg & Hutter (IJCAI 2015) fit parametric families to a partial learning
curve and stop runs whose predicted final value cannot beat the best seen so far. Here three
of their families (Table 1 there), fitted by least squares to accuracy as a fraction:

* `pow3`:     y(t) = c - a * t^(-alpha)           (saturating power law)
* `exp3`:     y(t) = c - exp(-a * t + b)          (saturating exponential)
* `powerlaw`: y(t) = a * t^b                      (a plain power law; no plateau)

`extrapolate` gives the prediction; `extrapolation_error` scores it against the benchmark's
real final values for every k; `early_stopping_search` is random search that stops a cell
after k epochs when its predicted final accuracy is below the incumbent's.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
from scipy.stats import kendalltau, spearmanr

from .fidelity import Run, _check_budget, _cost, _sample, _score, _Table

__all__ = ["FAMILIES", "fit_curve", "extrapolate", "extrapolation_error",
           "early_stopping_search"]


def _pow3(t, c, a, alpha):
    return c - a * np.power(t, -alpha)


def _exp3(t, c, a, b):
    return c - np.exp(-a * t + b)


def _powerlaw(t, a, b):
    return a * np.power(t, b)


# Each family is linear in all parameters but one, theta: for a fixed theta the others follow
# by linear least squares, so theta is found by a search over the residual (variable
# projection; Golub & Pereyra 1973) — here two rounds of a vectorised grid, fast and free of
# starting-point failures. phi(t, thetas) gives the non-constant basis function per theta.
#: name -> `(f(t, *params), bounds of theta, phi, with intercept?, params(theta, c0, c1))`
FAMILIES: dict[str, tuple[Callable, tuple[float, float], Callable, bool, Callable]] = {
    "pow3": (_pow3, (1e-3, 10.0),  # c - a t^-alpha = c0 + c1 * phi with phi = t^-alpha
             lambda t, th: np.power(t[None, :], -th[:, None]), True,
             lambda th, c0, c1: (c0, -c1, th)),
    "exp3": (_exp3, (1e-3, 10.0),  # c - e^b e^(-a t) with phi = e^(-a t)
             lambda t, th: np.exp(-th[:, None] * t[None, :]), True,
             lambda th, c0, c1: (c0, th, np.log(max(-c1, 1e-12)))),
    "powerlaw": (_powerlaw, (-2.0, 2.0),  # a t^b = c1 * phi with phi = t^b, no intercept
                 lambda t, th: np.power(t[None, :], th[:, None]), False,
                 lambda th, c0, c1: (c1, th)),
}


def _least_squares(phi: np.ndarray, y: np.ndarray, intercept: bool):
    """For each row of `phi`: the least-squares (c0, c1) of y ~ c0 + c1 * phi (c0 = 0 without
    intercept) and the residual sum of squares, in closed form."""
    if intercept:
        pc, yc = phi - phi.mean(1, keepdims=True), y - y.mean()
        var = (pc * pc).sum(1) + 1e-18
        c1 = (pc @ yc) / var
        c0 = y.mean() - c1 * phi.mean(1)
        sse = (yc @ yc) - c1 * (pc @ yc)
    else:
        c1 = (phi @ y) / ((phi * phi).sum(1) + 1e-18)
        c0 = np.zeros_like(c1)
        sse = (y @ y) - c1 * (phi @ y)
    return c0, c1, sse


def fit_curve(values, *, family: str) -> tuple[float, ...]:
    """Least-squares parameters of `family` for the curve `values` (% per epoch, epochs
    1..len), fitted to accuracy as a fraction."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; allowed: {', '.join(FAMILIES)}")
    y = np.asarray(values, dtype=float) / 100.0
    if len(y) < 2:
        raise ValueError(f"need at least 2 epochs to fit a curve, got {len(y)}")
    _, (lo, hi), phi, intercept, params = FAMILIES[family]
    t = np.arange(1, len(y) + 1, dtype=float)
    for _ in range(3):  # coarse grid, then twice a fine grid around its best point
        grid = np.linspace(lo, hi, 41)
        c0, c1, sse = _least_squares(phi(t, grid), y, intercept)
        k = int(np.argmin(sse))
        lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    return params(grid[k], c0[k], c1[k])


def extrapolate(values, *, family: str, epoch: int) -> float:
    """The accuracy (%) at `epoch` that `family`, fitted to `values`, predicts, clipped to
    [0, 100]."""
    f = FAMILIES[family][0] if family in FAMILIES else None
    params = fit_curve(values, family=family)
    return float(np.clip(100.0 * f(float(epoch), *params), 0.0, 100.0))


def extrapolation_error(bench, *, family: str, ks, n_cells: int = 300, seed: int = 0) -> dict:
    """For each k in `ks`: fit `family` to the first k epochs of `n_cells` random cells and
    compare the predicted with the real final validation accuracy — mean absolute error (pp)
    and Spearman / Kendall of prediction vs truth — beside the plain baseline "the accuracy
    after k epochs" (its rank correlation with the final)."""
    rng = random.Random(seed)
    cells = [_sample(bench, rng) for _ in range(n_cells)]
    val = _Table.of(bench).val
    curves = [val[bench.space.index(a)] for a in cells]
    final = np.array([c[-1] for c in curves])
    out = {"ks": list(ks), "mae": [], "spearman": [], "kendall": [], "spearman_at_k": []}
    for k in ks:
        pred = np.array([extrapolate(c[:k], family=family, epoch=bench.epochs) for c in curves])
        at_k = np.array([c[k - 1] for c in curves])
        out["mae"].append(float(np.abs(pred - final).mean()))
        out["spearman"].append(float(spearmanr(pred, final)[0]))
        out["kendall"].append(float(kendalltau(pred, final)[0]))
        out["spearman_at_k"].append(float(spearmanr(at_k, final)[0]))
    return out


def early_stopping_search(bench, *, budget_seconds: float, k: int, family: str = "pow3",
                          seed: int = 0) -> Run:
    """Random search in which every cell first trains k epochs; if `family` extrapolated to
    the last epoch predicts less than the incumbent's final accuracy, the cell is stopped
    (Domhan et al.'s rule with a point prediction), else it trains to the end (resuming)."""
    if not 2 <= k < bench.epochs:
        raise ValueError(f"k must be in 2..{bench.epochs - 1}, got {k!r}")
    _check_budget(budget_seconds)
    rng = random.Random(seed)
    run, best = Run(), -np.inf
    while True:
        arch = _sample(bench, rng)
        cost = _cost(bench, arch, 0, k)
        if run.spent + cost > budget_seconds:
            return run
        curve = _Table.of(bench).val[bench.space.index(arch), :k]
        run.record(arch, k, curve[-1], cost)
        if extrapolate(curve, family=family, epoch=bench.epochs) < best:
            continue
        cost = _cost(bench, arch, k, bench.epochs)
        if run.spent + cost > budget_seconds:
            return run
        final = _score(bench, arch, bench.epochs)
        run.record(arch, bench.epochs, final, cost)
        best = max(best, final)
