"""Single runs use the posterior's central values: each shipped scenario's deterministic
run sits between the quartiles of its own ensemble (issue 12)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qdsim.batch import batch_in_memory
from qdsim.scenario import load_scenarios
from qdsim.simulation import run_scenarios

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
HEADLINES = (("population", 2025), ("gdp_per_capita_usd", 2035), ("gdp_nominal", 2035))


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_deterministic_headlines_sit_between_the_ensemble_quartiles(path):
    scenario = load_scenarios([path])
    single = run_scenarios(scenario)
    ensemble = batch_in_memory(scenario, samples=400, seed=1,
                               variables=[v for v, _ in HEADLINES])
    for variable, year in HEADLINES:
        value = float(single[variable].sel(year=year).values.ravel()[0])
        draws = ensemble[variable].sel(year=year).values.ravel()
        low, high = np.quantile(draws, [0.25, 0.75])
        assert low <= value <= high, (variable, year, low, value, high)
