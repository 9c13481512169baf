"""Convergence diagnostics: known answers for R-hat, tau and the refusal rule."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.diagnostics import (
    ConvergenceError,
    chain_diagnostics,
    require_convergence,
    split_r_hat,
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
