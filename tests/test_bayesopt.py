"""Bayesian optimization's pieces: GP posterior, expected improvement, TPE's split and
densities."""

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from nas_lessons import bayesopt


def test_expected_improvement_is_the_integral_it_claims():
    """EI = E[max(f - best - xi, 0)] for f ~ N(mu, sigma^2), checked by numerical
    integration."""
    for mu, sigma, best, xi in [(0.3, 1.0, 0.0, 0.0), (-1.0, 0.5, 0.2, 0.1), (2.0, 0.1, 1.0, 0.0)]:
        def integrand(f, mu=mu, sigma=sigma, best=best, xi=xi):
            return max(f - best - xi, 0) * norm.pdf(f, mu, sigma)

        want = integrate.quad(integrand, mu - 12 * sigma, mu + 12 * sigma,
                              points=[best + xi])[0]
        got = bayesopt.expected_improvement(np.array([mu]), np.array([sigma]), best, xi=xi)
        assert got[0] == pytest.approx(want, rel=1e-6, abs=1e-10)


def test_expected_improvement_edges():
    ei = bayesopt.expected_improvement([1.0, 0.0, 0.5], [0.0, 0.0, 0.0], 0.5)
    assert ei.tolist() == [0.5, 0.0, 0.0]  # certain: the improvement itself, never nan
    assert (bayesopt.expected_improvement(np.linspace(-3, 3, 7), np.ones(7), 0.0) > 0).all()
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        bayesopt.expected_improvement([0.0], [-1.0], 0.0)


def test_tpe_split_takes_the_ceiling_of_the_best():
    good = bayesopt.tpe_split([3, 1, 2, 5, 4, 0, 0, 1, 2, 9], gamma=0.25)
    assert np.flatnonzero(good).tolist() == [3, 4, 9]  # ceil(2.5) = 3 largest
    assert bayesopt.tpe_split([1, 1, 1], gamma=0.5).tolist() == [True, True, False]  # ties
    with pytest.raises(ValueError, match="gamma"):
        bayesopt.tpe_split([1, 2], gamma=1.0)


def test_parzen_densities_integrate_to_one_and_favour_good_points():
    x = np.array([0.0, 0.2, 2.0, 2.1, 2.3, 4.0])
    good = np.array([False, False, True, True, True, False])
    grid = np.linspace(-6, 10, 4001)
    lx, gx = bayesopt.parzen_densities(x, good, grid)
    assert np.trapezoid(lx, grid) == pytest.approx(1, abs=1e-3)
    assert np.trapezoid(gx, grid) == pytest.approx(1, abs=1e-3)
    assert abs(grid[np.argmax(lx / gx)] - 2.1) < 1.5
    one = bayesopt.parzen_densities(x, np.eye(6, dtype=bool)[2], grid)[0]  # a single good point
    assert np.isfinite(one).all() and np.trapezoid(one, grid) == pytest.approx(1, abs=1e-3)
    with pytest.raises(ValueError, match="both groups"):
        bayesopt.parzen_densities(x, np.ones(6, dtype=bool), grid)


def test_gp_posterior_interpolates_and_is_unsure_away_from_data():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    y = np.sin(x)
    mu, sd = bayesopt.gp_posterior(x, y, np.array([-1.0, 0.5, 6.0]))
    assert mu[0] == pytest.approx(np.sin(-1.0), abs=0.05)
    assert sd[2] > 5 * sd[0]
    with pytest.raises(ValueError, match="observations"):
        bayesopt.gp_posterior([0.0], [1.0], [0.0])
