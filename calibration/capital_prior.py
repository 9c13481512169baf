"""The prior of Qingdao's 2015 capital-output ratio from a perpetual-inventory capital stock.

Qingdao's own fixed-asset investment history is too patchy for a perpetual inventory (see
``calibration/data/economy/README.md``, "Gaps"), so the stock is built for Shandong, whose
investment rate is close to (and at most below) Qingdao's:

    K(1952) = 10 x GFCF(1952)                      (Zhang, Wu & Zhang 2004 start rule)
    K(t)    = (1 - delta) K(t-1) + GFCF(t) / P(t)   (constant 1952 prices)

with GFCF and the investment price index P (1952 = 1) from
``shandong_gfcf_and_investment_prices.csv`` (NBS provincial accounts via CHNCapitalStock),
revalued to current prices in 2015 and divided by Shandong's 2015 GDP (sum of its cities,
``capital_stock_pim.csv``). That ratio is on GDP vintage A; dividing by Qingdao's vintage-C
over vintage-A ratio for 2015 (0.931, ``qingdao_gdp_growth_sectors_deflator.csv``) puts it
on the vintage the model uses. The centre uses delta = 9.6% (Zhang et al. 2004); the spread
comes from the literature's range of delta, 6-12% (``capital_stock_pim.csv``), read as an
80% interval.
"""

from __future__ import annotations

import csv
from pathlib import Path

ECONOMY_DATA = Path(__file__).resolve().parent / "data" / "economy"
CENTRAL_DEPRECIATION = 0.096  # Zhang, Wu & Zhang (2004) [1/year]
DEPRECIATION_RANGE = (0.06, 0.12)  # literature range, read as an 80% interval [1/year]
Z_80 = 1.2815515655446004  # standard normal quantile of 0.9 [dimensionless]


def _series(file: str, indicator: str) -> dict[int, float]:
    with (ECONOMY_DATA / file).open(encoding="utf-8", newline="") as handle:
        return {int(row["year"]): float(row["value"]) for row in csv.DictReader(handle)
                if row["indicator"] == indicator and row["year"].isdigit()}


def shandong_capital_output_ratio(depreciation: float, year: int = 2015) -> float:
    """Shandong K/Y in ``year`` at current prices, GDP vintage A [year]."""
    investment = _series("shandong_gfcf_and_investment_prices.csv",
                         "shandong_gross_fixed_capital_formation")
    prices = _series("shandong_gfcf_and_investment_prices.csv",
                     "shandong_investment_price_index_1952base")
    gdp = _series("capital_stock_pim.csv", "shandong_gdp_sum_of_cities")
    first = min(investment)
    stock = 10.0 * investment[first] / prices[first]
    for t in range(first + 1, year + 1):
        stock = (1.0 - depreciation) * stock + investment[t] / prices[t]
    return stock * prices[year] / gdp[year]


def vintage_ratio_2015() -> float:
    """Qingdao 2015 GDP, vintage C over vintage A [dimensionless]."""
    return _series("qingdao_gdp_growth_sectors_deflator.csv",
                   "qingdao_gdp_revision_ratio_C_over_A")[2015]


def capital_output_prior() -> tuple[float, float]:
    """Normal prior (mean, sd) of the 2015 capital-output ratio on vintage C [year]."""
    ratio = vintage_ratio_2015()
    centre = shandong_capital_output_ratio(CENTRAL_DEPRECIATION) / ratio
    high = shandong_capital_output_ratio(DEPRECIATION_RANGE[0]) / ratio
    low = shandong_capital_output_ratio(DEPRECIATION_RANGE[1]) / ratio
    return centre, (high - low) / (2.0 * Z_80)
