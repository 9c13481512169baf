"""Convergence diagnostics: known answers for R-hat, tau and the refusal rule."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.diagnostics import (
    ConvergenceError,
    chain_diagnostics,
    require_convergence,
    split_r_hat,
    thinning_interval,
)


def test_independent_chains_have_r_hat_near_one_and_full_sample_size():
    chain = np.random.default_rng(0).standard_normal((4000, 16, 2))
    assert split_r_hat(chain) == pytest.approx([1.0, 1.0], abs=0.01)
    diagnostics = chain_diagnostics(chain, ["a", "b"])
    assert diagnostics["converged"]
    for entry in diagnostics["parameters"].values():
        assert entry["autocorrelation_time"] == pytest.approx(1.0, abs=0.2)
        assert entry["effective_sample_size"] == pytest.approx(64000, rel=0.2)


def test_walkers_stuck_in_different_places_fail():
    rng = np.random.default_rng(1)
    chain = rng.standard_normal((1000, 8, 1)) + np.arange(8)[None, :, None]
    assert split_r_hat(chain)[0] > 1.5
    with pytest.raises(ConvergenceError, match="R-hat"):
        require_convergence(chain_diagnostics(chain, ["a"]))


def test_an_ar1_chain_has_the_known_autocorrelation_time():
    # AR(1) with coefficient phi: tau = (1 + phi) / (1 - phi) = 19 for phi = 0.9.
    rng = np.random.default_rng(2)
    chain = np.zeros((20000, 8, 1))
    for t in range(1, chain.shape[0]):
        chain[t] = 0.9 * chain[t - 1] + rng.standard_normal((8, 1))
    diagnostics = chain_diagnostics(chain, ["a"])
    assert diagnostics["parameters"]["a"]["autocorrelation_time"] == pytest.approx(19, rel=0.2)


def test_thinning_keeps_draws_half_an_autocorrelation_time_apart():
    # tau = 19 for the AR(1) chain with phi = 0.9 (as above): every 9th step is stored, and
    # the stored draws, about half a tau apart, still carry most of the chain's information.
    rng = np.random.default_rng(3)
    chain = np.zeros((20000, 8, 2))
    for t in range(1, chain.shape[0]):
        chain[t] = 0.9 * chain[t - 1] + rng.standard_normal((8, 2))
    chain[:, :, 1] = rng.standard_normal((20000, 8))  # a parameter with tau near 1
    diagnostics = chain_diagnostics(chain, ["slow", "fast"])
    assert thinning_interval(diagnostics) == int(
        diagnostics["parameters"]["slow"]["autocorrelation_time"] // 2)
    assert 8 <= thinning_interval(diagnostics) <= 10
    independent = chain_diagnostics(rng.standard_normal((1000, 8, 1)), ["a"])
    assert thinning_interval(independent) == 1
