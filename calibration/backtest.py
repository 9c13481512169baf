"""Rolling-origin backtest inside the 2015-2020 data (issue 12).

For each origin T: calibrate on the observations up to T (same priors, sampler and
convergence rule as ``qdsim calibrate``), run the posterior-median parameters and a sample
of posterior draws to 2020, and score the held-out levels of T+1..2020 per series:

- MAPE of the median run against the observations [fraction];
- MAPE of naive extrapolation: the fit window's compound growth rate from its first to its
  last observed level; for shares (urbanization) a least-squares linear trend;
- coverage of the 80% band (10th-90th percentile of the posterior runs): held-out points
  inside it over held-out points.

The census-revised population, GDP and urbanization series have levels for 2015 and
2018-2020 only (``calibration/data/observations.csv``), so the earliest origin with two
fitted levels is 2018; earlier origins leave no trend to extrapolate.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.estimator import Calibrator, FreeParameter
from calibration.observations import CalibrationDataError, load_observations
from qdsim.engine import simulate

log = logging.getLogger(__name__)
SERIES = ("population", "gdp_nominal", "urbanization_rate")
SHARES = frozenset({"urbanization_rate"})
DEFAULT_ORIGINS = (2018, 2019)
LAST_YEAR = 2020


def naive_forecast(years: np.ndarray, values: np.ndarray, target_years: np.ndarray,
                   share: bool) -> np.ndarray:
    """Compound growth from the first to the last point, or a linear trend for shares."""
    if len(years) < 2:
        raise CalibrationDataError(None, "naive extrapolation needs two fitted levels")
    if share:
        slope, intercept = np.polyfit(years, values, 1)
        return intercept + slope * target_years
    growth = (values[-1] / values[0]) ** (1.0 / (years[-1] - years[0]))
    return values[-1] * growth ** (target_years - years[-1])


def backtest(data_file: Path, free_parameters: Sequence[FreeParameter], *,
             origins: Sequence[int] = DEFAULT_ORIGINS, seed: int = 2020, steps: int = 4000,
             draws: int = 500) -> pd.DataFrame:
    """One row per (origin, series): held-out points, model and naive MAPE, 80% coverage."""
    everything = [o for o in load_observations(data_file, (2015, LAST_YEAR))
                  if o.statistic == "value" and o.variable in SERIES]
    years = np.arange(2015, LAST_YEAR + 1, dtype=float)
    rows = []
    for origin in origins:
        if not 2015 < origin < LAST_YEAR:
            raise CalibrationDataError(data_file, f"origin {origin} must lie in 2016-2019",
                                       key="origins")
        calibrator = Calibrator(free_parameters, seed=seed, steps=steps, burn_in=steps // 5)
        calibrator.fit(load_observations(data_file, (2015, origin)))
        log.info("origin %d: chi-square %.3f", origin, calibrator.cost_)
        central = simulate({}, 1, list(SERIES), years,
                           draws={n: np.array([v]) for n, v in calibrator.params_.items()})
        sample = calibrator.posterior_.sample(n=min(draws, len(calibrator.posterior_)),
                                              random_state=seed)
        runs = simulate({}, len(sample), list(SERIES), years,
                        draws={n: sample[n].to_numpy() for n in calibrator.names})
        for series in SERIES:
            fitted = sorted((o.year, o.value) for o in everything
                            if o.variable == series and o.year <= origin)
            held = sorted((o.year, o.value) for o in everything
                          if o.variable == series and o.year > origin)
            if not held:
                continue
            held_years = np.array([y for y, _ in held], dtype=float)
            observed = np.array([v for _, v in held])
            index = np.searchsorted(years, held_years)
            model = central[series][0, index]
            naive = naive_forecast(np.array([y for y, _ in fitted], dtype=float),
                                   np.array([v for _, v in fitted]), held_years,
                                   series in SHARES)
            low, high = np.percentile(runs[series][:, index], [10, 90], axis=0)
            inside = int(np.sum((observed >= low) & (observed <= high)))
            rows.append({"origin": origin, "series": series, "held_out": len(held),
                         "model_mape": float(np.mean(np.abs(model / observed - 1))),
                         "naive_mape": float(np.mean(np.abs(naive / observed - 1))),
                         "inside_80": inside, "coverage_80": inside / len(held)})
    return pd.DataFrame(rows)


def backtest_markdown(table: pd.DataFrame) -> str:
    """The backtest table with the verdicts against the issue's goals."""
    lines = ["| origin | series | held-out years | MAPE model | MAPE naive | better than naive"
             " | inside 80% band |", "|---|---|---:|---:|---:|---|---:|"]
    for row in table.itertuples(index=False):
        lines.append(f"| {row.origin} | {row.series} | {row.held_out} |"
                     f" {100 * row.model_mape:.2f}% | {100 * row.naive_mape:.2f}% |"
                     f" {'yes' if row.model_mape < row.naive_mape else 'no'} |"
                     f" {row.inside_80}/{row.held_out} |")
    total = int(table["held_out"].sum())
    inside = int(table["inside_80"].sum())
    better = int((table["model_mape"] < table["naive_mape"]).sum())
    lines += ["", f"Better than naive in {better} of {len(table)} origin-series pairs; the 80%"
              f" bands hold {inside} of {total} held-out points ({100 * inside / total:.0f}%;"
              " goal 70-90%)."]
    return "\n".join(lines) + "\n"
