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
import warnings
from collections.abc import Callable

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.stats import kendalltau, spearmanr

from .fidelity import Run, _cost, _sample

__all__ = ["FAMILIES", "fit_curve", "extrapolate", "extrapolation_error",
           "early_stopping_search"]


def _pow3(t, c, a, alpha):
    return c - a * np.power(t, -alpha)


def _exp3(t, c, a, b):
    return c - np.exp(-a * t + b)


def _powerlaw(t, a, b):
    return a * np.power(t, b)


#: name -> (f(t, *params), initial guess, (lower, upper) bounds), accuracy as a fraction
FAMILIES: dict[str, tuple[Callable, list[float], tuple[list[float], list[float]]]] = {
    "pow3": (_pow3, [0.9, 0.5, 1.0], ([0.0, -10.0, 0.0], [1.5, 10.0, 10.0])),
    "exp3": (_exp3, [0.9, 0.5, 0.0], ([0.0, 0.0, -10.0], [1.5, 10.0, 10.0])),
    "powerlaw": (_powerlaw, [0.5, 0.3], ([0.0, -2.0], [2.0, 2.0])),
}


def fit_curve(values, *, family: str) -> np.ndarray:
    """Least-squares parameters of `family` for the curve `values` (% per epoch, epochs
    1..len). Falls back to the initial guess' shape through the last value if the fit fails."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; allowed: {', '.join(FAMILIES)}")
    y = np.asarray(values, dtype=float) / 100.0
    if len(y) < 2:
        raise ValueError(f"need at least 2 epochs to fit a curve, got {len(y)}")
    f, p0, bounds = FAMILIES[family]
    t = np.arange(1, len(y) + 1, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        try:
            params, _ = curve_fit(f, t, y, p0=p0, bounds=bounds, maxfev=2000)
        except RuntimeError:  # no convergence: keep the curve flat at its last value
            return np.array([np.nan])
    return params


def extrapolate(values, *, family: str, epoch: int) -> float:
    """The accuracy (%) at `epoch` that `family`, fitted to `values`, predicts (clipped to
    [0, 100]); the last observed value where the fit failed."""
    params = fit_curve(values, family=family)
    if np.isnan(params).any():
        return float(values[-1])
    f = FAMILIES[family][0]
    return float(np.clip(100.0 * f(float(epoch), *params), 0.0, 100.0))


def extrapolation_error(bench, *, family: str, ks, n_cells: int = 300, seed: int = 0) -> dict:
    """For each k in `ks`: fit `family` to the first k epochs of `n_cells` random cells and
    compare the predicted with the real final validation accuracy — mean absolute error (pp)
    and Spearman / Kendall of prediction vs truth — beside the plain baseline "the accuracy
    after k epochs" (its rank correlation with the final)."""
    rng = random.Random(seed)
    cells = [_sample(bench, rng) for _ in range(n_cells)]
    final = np.array([bench.query(a)["val_acc"] for a in cells])
    curves = [[bench.query(a, epoch=e)["val_acc"] for e in range(1, bench.epochs + 1)]
              for a in cells]
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
    rng = random.Random(seed)
    run, best = Run(), -np.inf
    while True:
        arch = _sample(bench, rng)
        cost = _cost(bench, arch, 0, k)
        if run.spent + cost > budget_seconds:
            return run
        curve = [bench.query(arch, epoch=e)["val_acc"] for e in range(1, k + 1)]
        run.record(arch, k, curve[-1], cost)
        if extrapolate(curve, family=family, epoch=bench.epochs) < best:
            continue
        cost = _cost(bench, arch, k, bench.epochs)
        if run.spent + cost > budget_seconds:
            return run
        final = bench.query(arch)["val_acc"]
        run.record(arch, bench.epochs, final, cost)
        best = max(best, final)
