"""Observed values 2010-2020 drawn as points on the charts.

There is one observations file: the calibration's ``calibration/data/observations.csv``.
The charts show its single-year rows (``statistic`` value), except the urbanization
rates of 2015-2019, which are on the pre-census basis (``PRE_CENSUS_BASIS``). The figures
the calibration does not fit are added from ``reports/observations.csv`` (columns
variable, year, value, unit, source): GDP 2010, the unemployment rate 2012, GDP per head
(yuan and USD) and energy intensity 2020. Both hold rows copied from
``shared/data/qingdao_history_to_2020.csv``, converted to model variable names and model
units, one consistent series per variable, each row naming its vintage:

- population: the year-end series revised after the 7th census (2015, 2018, 2019) and the
  2020 year-end 1010.57万; the pre-census estimates are another basis and are left out;
- GDP at current prices: vintage C (after the 4th economic census) only;
- real GDP growth: the official rates 2016, 2019 and 2020 (2018's 7.5% was a preliminary
  estimate, and 2011-2012 come from the original bulletins);
- urbanization: the 7th-census basis, 2020 only (earlier rates are on the pre-census basis);
- GDP per head (yuan and USD) 2020 as derived in the source file from vintage C and the
  revised population;
- the registered urban unemployment rate, a narrower definition than the model's;
- energy consumption 2019-2020 and energy intensity 2020 (0.27 tce per 10k yuan; earlier
  intensities are at 2010 prices and are left out).

No observation after 2020 is used.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from calibration import DEFAULT_OBSERVATIONS
from calibration.observations import load_observations as load_calibration_observations
from qdsim.uncertainty import LAST_OBSERVED_YEAR

#: Observations shown on charts that the calibration does not fit.
OBSERVATIONS_FILE = Path(__file__).with_name("observations.csv")
COLUMNS = ("variable", "year", "value", "unit", "source")
FIRST_OBSERVED_YEAR = 2010
#: Calibration rows on the pre-census basis, which the charts leave out.
PRE_CENSUS_BASIS = ("urbanization_2015", "urbanization_2018", "urbanization_2019")


@lru_cache(maxsize=1)
def load_observations() -> pd.DataFrame:
    """All observations: variable, year [year], value [model unit], unit, source."""
    fitted = [o for o in load_calibration_observations(
        DEFAULT_OBSERVATIONS, (FIRST_OBSERVED_YEAR, LAST_OBSERVED_YEAR))
        if o.statistic == "value" and o.id not in PRE_CENSUS_BASIS]
    calibration = pd.DataFrame(
        [(o.variable, o.year, o.value, o.unit, f"{o.definition}: {o.source}") for o in fitted],
        columns=list(COLUMNS))
    extra = pd.read_csv(OBSERVATIONS_FILE, encoding="utf-8")[list(COLUMNS)]
    frame = pd.concat([calibration, extra], ignore_index=True)
    frame = frame[frame["year"] <= LAST_OBSERVED_YEAR]
    order = {name: index for index, name in enumerate(dict.fromkeys(frame["variable"]))}
    return frame.sort_values(["variable", "year"], key=lambda column: column.map(order)
                             if column.name == "variable" else column).reset_index(drop=True)


def observations_for(variable: str, unit: str | None = None) -> pd.DataFrame:
    """Observations of one model variable; none when their unit differs from ``unit``."""
    frame = load_observations()
    rows = frame[frame["variable"] == variable]
    if unit is not None:
        rows = rows[rows["unit"] == unit]
    return rows.sort_values("year").reset_index(drop=True)
