"""The numbers behind the page: one what-if's projections, bands and target verdicts.

The central run is one member of the ensemble engine; with uncertainty on, the scenario's
``uncertain:`` block is sampled (seed 1 and 1,000 draws, as ``qdsim targets --samples
1000``) and the engine runs every draw at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer import adapter
from explorer.levers import WhatIf

#: The headline charts, in page order: population, GDP per head in USD, growth,
#: urbanization, employment, CO2 and housing.
CHARTS = ("population", "gdp_per_capita_usd", "gdp_real_growth", "urbanization_rate",
          "employment", "co2_emissions", "floor_area_per_capita")
#: Draws and seed of the uncertainty toggle.
SAMPLES = 1000
SEED = 1
#: Quantiles drawn as fans: 5-95% and 25-75% around the median.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def variables() -> list[str]:
    """Every output the page needs: the charts' and the targets'."""
    names = list(CHARTS)
    for target in adapter.plan_targets():
        if target.variable not in names:
            names.append(target.variable)
    return names


@dataclass(frozen=True)
class Projection:
    """A what-if's results [model units].

    ``central[v]`` has shape (year,); ``bands[v]`` (quantile, year) or None without
    uncertainty; ``statistics[target id]`` is the central statistic and ``p_met[target
    id]`` the share of draws meeting it (None without uncertainty or target value).
    """

    years: np.ndarray
    central: dict[str, np.ndarray]
    bands: dict[str, np.ndarray] | None
    statistics: dict[str, float]
    first_years: dict[str, float]
    p_met: dict[str, float | None]


def project(whatif: WhatIf, uncertainty: bool = False) -> Projection:
    """Run the what-if once (and over ``SAMPLES`` draws when ``uncertainty``)."""
    names = variables()
    central = {k: v[0] for k, v in adapter.run(whatif.parameters, names).items()}
    targets = adapter.plan_targets()
    statistics = {t.id: float(adapter.statistic(central[t.variable], t)) for t in targets}
    first_years = {t.id: float(adapter.first_year(central[t.variable], t)) for t in targets}
    p_met: dict[str, float | None] = {t.id: None for t in targets}
    bands = None
    if uncertainty:
        sampled = whatif.scenario()
        runs = adapter.run(whatif.parameters, names, SAMPLES,
                           adapter.draws(sampled, SAMPLES, SEED))
        bands = {name: np.quantile(runs[name], QUANTILES, axis=0) for name in CHARTS}
        for target in targets:
            if target.value is None:
                continue
            values = adapter.statistic(runs[target.variable], target)
            met = adapter.COMPARATORS[target.comparator](values, target.value)
            p_met[target.id] = float(np.mean(met))
    return Projection(adapter.years(), central, bands, statistics, first_years, p_met)


def verdict(target, projected: float) -> bool | None:
    """Met (True), missed (False) or no value in the plan (None)."""
    if target.value is None or not np.isfinite(projected):
        return None
    return bool(adapter.COMPARATORS[target.comparator](projected, target.value))
