"""Sizes of the year-to-year shocks from Qingdao's record up to 2020 (issue 12, item 5).

Each shock is an AR(1) process x_t = rho * x_(t-1) + e_t with innovations e_t ~ N(0, sd),
fitted to the deviations of a historical series from its trend or mean:

- growth (``tfp_growth_shock``): Qingdao's real GDP growth 2002-2019 as first published
  (CSMAR CRE_Gdpct to 2016, statistics-bureau figures 2017-2019), deviations from a linear
  trend (growth fell from about 17% to 6.5%; the model carries the trend). 2020 is left out:
  the model's ``output_shock_2020`` takes the COVID-19 year. A TFP growth shock of x over
  a year raises the TFP level by x, so the sum of the shocks over years is the sum of the
  growth deviations.
- inflation (``inflation_shock``): Qingdao's implied GDP deflator change 2000, 2002-2017
  and 2020 (2001, 2018 and 2019 are missing; vintage-A nominal GDP over real growth),
  deviations from its mean (the mean is the scenario's ``gdp_deflator_inflation_after_2020``).
- migration (``migration_rate_shock``): the net migration rate of the registered (户籍)
  population, its growth less its natural growth rate, 2000-2004 and 2007-2013 (the years
  with both series and no anomaly: 1998 is missing, 2005 is an anomaly, the natural rate
  ends in 2013), deviations from its mean. It is the only annual migration series before
  2021; resident migration is not published by year on the census basis.

What the sizing preserves: the level of GDP, the deflator and population after several
years moves by the sum of the shocks, so the spread of levels at a horizon (what the
targets judge) is that of the record's AR(1). Year by year, annual totals of GDP average
the level over the year, so the model's growth of annual totals deviates by about
(x_(t-1) + x_t) / 2: smoother than the record (sd about sqrt((1 + rho) / 2) times, lag-1
autocorrelation about (1 + rho) / 2). Population is a year-end stock: its growth deviates
by x_t itself.

The autocorrelation is estimated from pairs of consecutive years inside runs without gaps
(``rho = sum(x_t x_(t-1)) / sum(x_(t-1)^2)``), the innovation sd from the residuals
``x_t - rho x_(t-1)`` with one degree of freedom for rho. Run ``python -m
calibration.shock_sizes`` to print them; ``scenarios/baseline.yaml`` quotes these numbers
and a test checks that it does.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ECONOMY = Path(__file__).resolve().parent / "data" / "economy"
GDP_FILE = ECONOMY / "qingdao_gdp_growth_sectors_deflator.csv"
POPULATION_FILE = ECONOMY / "qingdao_population_series.csv"
GROWTH_YEARS = range(2002, 2020)
INFLATION_YEARS = (2000, *range(2002, 2018), 2020)
MIGRATION_YEARS = (*range(2000, 2005), *range(2007, 2014))
#: The CSMAR table, the series first published; the 2013 news figure (10.0%) is a duplicate.
CSMAR = "CSMAR China Regional Economy database"


@dataclass(frozen=True)
class ShockSize:
    """AR(1) fit of one series' deviations: ``sd`` of the innovation and ``rho``
    [fraction per year], ``marginal_sd`` = sd / sqrt(1 - rho^2), ``years`` used and
    ``pairs`` of consecutive years behind rho."""

    name: str
    sd: float
    rho: float
    marginal_sd: float
    years: tuple[int, ...]
    pairs: int


def _rows(path: Path, indicator: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["indicator"] == indicator]


def _series(path: Path, indicator: str, prefer_source: str | None = None) -> dict[int, float]:
    """year -> value [file unit]; a year given twice keeps the row from ``prefer_source``."""
    values: dict[int, float] = {}
    for row in _rows(path, indicator):
        year = int(row["year"])
        if year in values and (prefer_source is None or prefer_source not in row["source"]):
            continue
        values[year] = float(row["value"])
    return values


def ar1_fit(name: str, deviations: dict[int, float]) -> ShockSize:
    """rho and innovation sd of ``deviations`` (year -> value) from consecutive years."""
    pairs = [(deviations[year - 1], value) for year, value in sorted(deviations.items())
             if year - 1 in deviations]
    previous, current = (np.array(side) for side in zip(*pairs, strict=True))
    rho = float(previous @ current / (previous @ previous))
    residuals = current - rho * previous
    sd = float(math.sqrt(residuals @ residuals / (len(pairs) - 1)))
    return ShockSize(name, sd, rho, sd / math.sqrt(1 - rho ** 2),
                     tuple(sorted(deviations)), len(pairs))


def growth_shock(last_year: int = 2020) -> ShockSize:
    """Real GDP growth 2002-2019 (up to ``last_year``) less its linear trend
    [fraction per year]."""
    growth = _series(GDP_FILE, "qingdao_gdp_real_growth", CSMAR)
    years = np.array([year for year in GROWTH_YEARS if year <= last_year], dtype=float)
    values = np.array([growth[int(year)] / 100 for year in years])
    trend = np.polyval(np.polyfit(years, values, 1), years)
    return ar1_fit("tfp_growth_shock", dict(zip(map(int, years), values - trend,
                                                strict=True)))


def inflation_shock(last_year: int = 2020) -> ShockSize:
    """Implied GDP deflator change 2000, 2002-2017 and 2020 (up to ``last_year``) less its
    mean [fraction per year]."""
    deflator = _series(GDP_FILE, "qingdao_gdp_deflator_change_implied")
    values = {year: deflator[year] / 100 for year in INFLATION_YEARS if year <= last_year}
    mean = float(np.mean(list(values.values())))
    return ar1_fit("inflation_shock", {year: v - mean for year, v in values.items()})


def migration_shock(last_year: int = 2020) -> ShockSize:
    """Registered net migration rate (growth less natural growth) 2000-2004 and 2007-2013
    (up to ``last_year``) less its mean [fraction per year]."""
    population = _series(POPULATION_FILE, "qingdao_registered_population_yearend")
    natural = _series(POPULATION_FILE, "qingdao_natural_growth_rate_registered")
    rates = {year: population[year] / population[year - 1] - 1 - natural[year] / 1000
             for year in MIGRATION_YEARS if year <= last_year}
    mean = float(np.mean(list(rates.values())))
    return ar1_fit("migration_rate_shock", {year: v - mean for year, v in rates.items()})


def shock_sizes(last_year: int = 2020) -> dict[str, ShockSize]:
    """The three shocks from the record up to ``last_year`` (a backtest's origin), keyed by
    the model parameter each perturbs."""
    return {size.name: size for size in (growth_shock(last_year), inflation_shock(last_year),
                                         migration_shock(last_year))}


if __name__ == "__main__":
    for size in shock_sizes().values():
        print(f"{size.name}: sd {size.sd:.5f} rho {size.rho:.3f} marginal sd"
              f" {size.marginal_sd:.5f} ({size.pairs} pairs, {size.years[0]}-{size.years[-1]})")
