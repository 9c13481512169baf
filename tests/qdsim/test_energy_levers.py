"""Energy-policy levers move the CO2 peak: the green-transition scenario peaks no later
than the baseline, and a coal cap moves the peak year."""

from __future__ import annotations

import numpy as np
import pytest

from qdsim.scenario import load_scenario
from qdsim.simulation import run_scenarios

# A grid 3.5 times as fast as assumed: CO2 then peaks around 2032 under the calibration of
# the second energy pass (sector shares fitted to real sector growth keep industry larger than
# nominal shares did; the 2019-2020 industry fuel cut is not extended), late enough for the
# coal cap below to bring the peak forward (to about 2026); at 2.25 times CO2 no longer
# peaks before 2035, and at 3 times (peak 2033) the cap does not move it.
GRID_FASTER = "  grid_decarbonization_speed: {scale: 3.5, start: 2020, full: 2022}\n"
COAL_CAP = "  coal_cap: {2019.75: 1.0e+9, 2020: 5.71e+6, 2030: 2.86e+6}\n"


def _scenario(directory, name: str, parent, lines: str):
    path = directory / f"{name}.yaml"
    path.write_text(f"name: {name}\ntitle: {{zh: 测试, en: test}}\ndescription: test\n"
                    f"extends: {parent}\nparameters:\n{lines}", encoding="utf-8")
    return load_scenario(path)


def peak_years(dataset) -> dict[str, int]:
    co2 = dataset["co2_emissions"].transpose("scenario", "year").to_numpy()
    years = dataset["year"].to_numpy()
    return {str(name): int(years[np.argmax(row)])
            for name, row in zip(dataset["scenario"].to_numpy(), co2, strict=True)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, scenario_dir, baseline):
    directory = tmp_path_factory.mktemp("levers")
    green = load_scenario(scenario_dir / "green_transition.yaml")
    grid = _scenario(directory, "grid", scenario_dir / "baseline.yaml", GRID_FASTER)
    grid_cap = _scenario(directory, "grid_cap", scenario_dir / "baseline.yaml",
                         GRID_FASTER + COAL_CAP)
    return run_scenarios([baseline, green, grid, grid_cap])


def test_green_transition_peaks_no_later_than_the_baseline(runs):
    peaks = peak_years(runs)
    assert peaks["green_transition"] <= peaks["baseline"]
    co2 = runs["co2_emissions"].sel(year=2035)
    assert float(co2.sel(scenario="green_transition")) < float(co2.sel(scenario="baseline"))


def test_a_coal_cap_moves_the_peak_year(runs):
    peaks = peak_years(runs)
    assert peaks["grid_cap"] < peaks["grid"]
    coal = runs["coal_consumption"].sel(year=2031)  # the cap holds from model time 2030
    assert float(coal.sel(scenario="grid_cap")) == pytest.approx(2.86e6, rel=1e-9)


def test_levers_leave_2016_2020_untouched(runs):
    history = runs["co2_emissions"].sel(year=slice(2015, 2020)).transpose("scenario", "year")
    np.testing.assert_allclose(history.to_numpy(), history.to_numpy()[:1].repeat(4, axis=0),
                               rtol=1e-12)
