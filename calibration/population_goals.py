"""Issue 11's goals measured on the calibrated model: the 2020 census structure, the 2020
total and registered-basis births (``python -m calibration.population_goals``).

Census shares are compared at the census date (2020-11-01 = model time 2019.8125, see
calibration/population_start.py); the total at the end of 2020 with the year-end figure.
"""

from __future__ import annotations

import numpy as np

from calibration import population_start
from model import MODEL_PATH
from model.checks import calibrated_parameters
from model.ensemble import EnsembleModel

CENSUS_SHARES = {"share_0_14": 0.1541, "share_15_59": 0.6431, "share_60_plus": 0.2028,
                 "share_65_plus": 0.142}  # Qingdao 7th census bulletin (2021)
TOTAL_2020 = 10_105_700  # year-end 2020, census basis
BIRTHS_REGISTERED = {2016: 118_400, 2020: 66_500}  # vital_events.csv
BIRTHS_APPROXIMATE = {2015: 63_000, 2017: 93_700 * 12 / 10}  # approximate or partial


def measure(engine: EnsembleModel | None = None) -> dict[str, float]:
    """Model value minus data: share gaps [percentage points], total and births [relative]."""
    engine = engine or EnsembleModel.from_mdl(MODEL_PATH)
    params = calibrated_parameters(engine)
    census = engine.run(params, 1, return_columns=list(CENSUS_SHARES),
                        return_times=[population_start.CENSUS_TIME])
    years = np.arange(2015, 2021, dtype=float)
    yearly = engine.run(params, 1, return_columns=["population", "births_registered_basis"],
                        return_times=years)
    gaps = {name: 100 * (float(census[name][0, 0]) - share)
            for name, share in CENSUS_SHARES.items()}
    gaps["population_2020"] = float(yearly["population"][0, -1]) / TOTAL_2020 - 1
    for year, count in {**BIRTHS_REGISTERED, **BIRTHS_APPROXIMATE}.items():
        simulated = float(yearly["births_registered_basis"][0, int(year) - 2015])
        gaps[f"births_registered_{year}"] = simulated / count - 1
    return gaps


if __name__ == "__main__":
    for name, gap in measure().items():
        unit = " points" if name.startswith("share") else ""
        value = f"{gap:+.3f}{unit}" if unit else f"{gap:+.2%}"
        print(f"{name:28s} {value}")
