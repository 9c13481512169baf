"""Fit statistics against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.fit_statistics import fit_statistics


def test_hand_computed_example():
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    simulated = np.array([1.5, 2.5, 2.5, 4.5])
    stats = fit_statistics(simulated, actual)
    # errors 0.5, 0.5, -0.5, 0.5 -> MSE 0.25, RMSE 0.5
    assert stats.mse == pytest.approx(0.25)
    assert stats.rmse == pytest.approx(0.5)
    # MAPE = mean(0.5/1, 0.5/2, 0.5/3, 0.5/4) = 0.5 * (1 + 1/2 + 1/3 + 1/4) / 4
    assert stats.mape == pytest.approx(0.5 * (25 / 12) / 4)
    # R² = 1 - SSE/SST = 1 - 1.0/5.0
    assert stats.r_squared == pytest.approx(0.8)
    # bias: means 2.75 vs 2.5 -> 0.0625 -> U^M = 0.25
    assert stats.theil_bias == pytest.approx(0.0625 / 0.25)
    # sd_S = sqrt(mean((S - 2.75)^2)) = sqrt(1.1875), sd_A = sqrt(1.25)
    sd_s, sd_a = np.sqrt(1.1875), np.sqrt(1.25)
    assert stats.theil_variance == pytest.approx((sd_s - sd_a) ** 2 / 0.25)
    correlation = np.corrcoef(simulated, actual)[0, 1]
    assert stats.theil_covariance == pytest.approx(2 * (1 - correlation) * sd_s * sd_a / 0.25)
    assert stats.theil_bias + stats.theil_variance + stats.theil_covariance == pytest.approx(1)


def test_pure_bias_and_pure_scale():
    actual = np.array([10.0, 20.0, 30.0])
    shifted = fit_statistics(actual + 2, actual)
    assert shifted.theil_bias == pytest.approx(1) and shifted.theil_covariance == pytest.approx(0)
    centred = fit_statistics(20 + 1.5 * (actual - 20), actual)
    assert centred.theil_variance == pytest.approx(1)
    assert centred.theil_bias == pytest.approx(0, abs=1e-12)


def test_perfect_fit_and_bad_shapes():
    perfect = fit_statistics(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    assert perfect.mse == 0 and perfect.mape == 0 and perfect.r_squared == 1
    with pytest.raises(ValueError):
        fit_statistics(np.array([1.0]), np.array([1.0, 2.0]))
