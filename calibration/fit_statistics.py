"""Goodness-of-fit statistics for a simulated series against observations.

Theil's inequality statistics decompose the mean squared error into bias (U^M), unequal
variation (U^S) and unequal covariation (U^C), which sum to one (Sterman, J. D. 1984,
"Appropriate summary statistics for evaluating the historical fit of system dynamics
models", Dynamica 10(2): 51-66; the same decomposition as Vensim's payoff report):

    MSE = (mean(S) - mean(A))^2 + (s_S - s_A)^2 + 2 (1 - r) s_S s_A

with population standard deviations s and the correlation r of simulated S and actual A.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class FitStatistics:
    """Fit of one series: errors in the series' unit, shares dimensionless."""

    points: int
    mape: float
    rmse: float
    r_squared: float
    mse: float
    theil_bias: float
    theil_variance: float
    theil_covariance: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def fit_statistics(simulated: np.ndarray, actual: np.ndarray) -> FitStatistics:
    """MAPE [fraction], RMSE [unit], R², MSE and Theil's U^M, U^S, U^C of two series."""
    simulated = np.asarray(simulated, dtype=float)
    actual = np.asarray(actual, dtype=float)
    if simulated.shape != actual.shape or simulated.ndim != 1 or simulated.size == 0:
        raise ValueError("simulated and actual must be 1-d arrays of the same non-zero length")
    error = simulated - actual
    mse = float(np.mean(error**2))
    mape = float(np.mean(np.abs(error / actual)))
    total = float(np.sum((actual - actual.mean()) ** 2))
    r_squared = 1.0 - float(np.sum(error**2)) / total if total > 0 else float("nan")
    sd_simulated, sd_actual = float(simulated.std()), float(actual.std())
    if mse == 0:
        shares = (0.0, 0.0, 0.0)
    else:
        bias = (simulated.mean() - actual.mean()) ** 2
        variance = (sd_simulated - sd_actual) ** 2
        if sd_simulated > 0 and sd_actual > 0:
            correlation = float(np.corrcoef(simulated, actual)[0, 1])
        else:
            correlation = 1.0
        covariance = 2.0 * (1.0 - correlation) * sd_simulated * sd_actual
        shares = (float(bias / mse), float(variance / mse), float(covariance / mse))
    return FitStatistics(
        points=int(simulated.size), mape=mape, rmse=float(np.sqrt(mse)), r_squared=r_squared,
        mse=mse, theil_bias=shares[0], theil_variance=shares[1], theil_covariance=shares[2],
    )
