"""The two model-based ideas behind Bayesian optimization, on one continuous hyperparameter.

Bayesian optimization (Shahriari et al., "Taking the human out of the loop", Proc. IEEE 2016)
fits a model of the objective to the trials so far and chooses the next trial where an
*acquisition function* of that model is largest.

* **GP + expected improvement.** A Gaussian process surrogate (Rasmussen & Williams, 2006)
  gives a posterior mean mu(x) and standard deviation sigma(x); expected improvement over the
  best value so far f* (Jones, Schonlau & Welch, J. Global Optim. 1998, Eq. 15, written here
  for maximization) is
  ``EI(x) = (mu - f* - xi) Phi(z) + sigma phi(z)``, ``z = (mu - f* - xi) / sigma``,
  and 0 where sigma = 0.
* **TPE.** The tree-structured Parzen estimator (Bergstra, Bardenet, Bengio & Kegl, NeurIPS
  2011, Sec. 4) models p(x | y) instead: the best fraction gamma of the trials gives a density
  l(x), the rest g(x), and EI is monotone in l(x) / g(x) (Sec. 4.1), so TPE samples candidates
  from l and keeps the one with the largest ratio. Optuna's `TPESampler` is the production
  version (its own Parzen estimator, gamma(n) = min(ceil(0.1 n), 25) good trials by default);
  `parzen_densities` uses scipy's Gaussian KDE so that the picture shows the idea, not
  Optuna's exact bandwidths.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = ["gp_posterior", "expected_improvement", "tpe_split", "parzen_densities"]


def gp_posterior(x_obs, y_obs, x_grid, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and standard deviation on `x_grid` of a GP fitted to (x_obs, y_obs):
    sklearn's `GaussianProcessRegressor` with a constant x Matern-5/2 kernel plus white noise
    (hyperparameters by maximum marginal likelihood), targets normalized."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    x_obs = np.asarray(x_obs, dtype=float).reshape(-1, 1)
    y_obs = np.asarray(y_obs, dtype=float)
    if len(x_obs) != len(y_obs) or len(y_obs) < 2:
        raise ValueError(f"need >= 2 observations with one y per x, got {len(x_obs)} x and "
                         f"{len(y_obs)} y")
    kernel = ConstantKernel(1.0) * Matern(length_scale=1.0, nu=2.5) + WhiteKernel(1e-3)
    gp = GaussianProcessRegressor(kernel, normalize_y=True, random_state=seed,
                                  n_restarts_optimizer=2)
    with warnings.catch_warnings():  # a noise level at its bound: nearly noiseless data
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(x_obs, y_obs)
    mu, sd = gp.predict(np.asarray(x_grid, dtype=float).reshape(-1, 1), return_std=True)
    return mu, sd


def expected_improvement(mu, sigma, best: float, *, xi: float = 0.0) -> np.ndarray:
    """Expected improvement over `best` for *maximization* (Jones et al. 1998, Eq. 15):
    (mu - best - xi) Phi(z) + sigma phi(z) with z = (mu - best - xi) / sigma; where sigma is
    0 the improvement is certain: max(mu - best - xi, 0)."""
    from scipy.stats import norm

    mu, sigma = np.broadcast_arrays(np.asarray(mu, dtype=float), np.asarray(sigma, dtype=float))
    if np.any(sigma < 0):
        raise ValueError("sigma must be >= 0 (a standard deviation)")
    gain = mu - best - xi
    out = np.maximum(gain, 0.0).astype(float)
    pos = sigma > 0
    z = gain[pos] / sigma[pos]
    out[pos] = gain[pos] * norm.cdf(z) + sigma[pos] * norm.pdf(z)
    return out


def tpe_split(values, *, gamma: float) -> np.ndarray:
    """Boolean mask of TPE's "good" trials: the ceil(gamma * n) largest values (ties broken
    by trial order), the rest are "bad" (Bergstra et al. 2011, Sec. 4)."""
    v = np.asarray(values, dtype=float)
    if not 0 < gamma < 1:
        raise ValueError(f"gamma must be in (0, 1), got {gamma}")
    if v.ndim != 1 or len(v) < 2:
        raise ValueError(f"need a 1-D sequence of >= 2 values, got shape {v.shape}")
    n_good = min(len(v) - 1, math.ceil(gamma * len(v)))
    good = np.zeros(len(v), dtype=bool)
    good[np.argsort(-v, kind="stable")[:n_good]] = True
    return good


def parzen_densities(x_obs, good, x_grid, *, bandwidth: float | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """l(x) and g(x) on `x_grid`: Gaussian kernel density estimates of the good and the bad
    trials' x (scipy's `gaussian_kde`; `bandwidth` is its `bw_method`, Scott's rule if None).
    A group of one point gets the other group's kernel width."""
    from scipy.stats import gaussian_kde

    x = np.asarray(x_obs, dtype=float)
    good = np.asarray(good, dtype=bool)
    grid = np.asarray(x_grid, dtype=float)
    if good.all() or not good.any():
        raise ValueError("both groups need at least one trial")
    spread = float(np.std(x)) or 1.0

    def density(points):
        if len(points) == 1 or np.ptp(points) == 0:
            h = spread * len(x) ** (-1 / 5)
            return np.exp(-0.5 * ((grid[:, None] - points[None]) / h) ** 2).mean(1) / (
                h * math.sqrt(2 * math.pi))
        return gaussian_kde(points, bw_method=bandwidth)(grid)

    return density(x[good]), density(x[~good])
