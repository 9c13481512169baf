"""The model file's sectors: each obeys its own equations' known answers, population is
conserved, stocks stay non-negative, and the time step is fine enough.

The model runs once in PySD (it loads and gives every output); the known answers are checked
through the ensemble engine (numpy path, one run), which equals PySD to 1e-9 on every
variable (``tests/model/test_ensemble.py``): a PySD run of the cohort model takes 15-30 s,
the engine's well under a second, and the answers are the model's, not an engine's.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from model import MODEL_PATH
from model.ensemble import EnsembleModel
from model.parameters import parameter_catalogue
from model.pysd_engine import model_documentation, run_pysd
from qdsim.variables import BATCH_DEFAULT_VARIABLES as SCALAR_OUTPUTS

YEARS = np.arange(2015, 2036, dtype=float)
DT = 0.25
STEPS_PER_YEAR = 4


@cache
def engine() -> EnsembleModel:
    return EnsembleModel.from_mdl(MODEL_PATH)


def run(columns, params=None, time_step=DT) -> pd.DataFrame:
    """One run of the model [model units], a row per year of YEARS; a ``pandas.Series``
    parameter is a path [year -> value] interpolated linearly with its end values held, as
    PySD reads it."""
    model = engine()
    grid = model.step_times(time_step)
    values = {name: (np.interp(grid, value.index.to_numpy(dtype=float), value.to_numpy(dtype=float))
                     if isinstance(value, pd.Series) else value)
              for name, value in (params or {}).items()}
    result = model.run(values, 1, return_columns=list(columns), return_times=YEARS,
                       time_step=time_step)
    return pd.DataFrame({column: result[column][0] for column in columns}, index=YEARS)


def stock_names() -> list[str]:
    """Every INTEG stock except the accumulator of a signed flow (net migration)."""
    documentation = model_documentation()
    integ = documentation[(documentation["Type"] == "Stateful")
                          & (documentation["Subtype"] == "Integ")]
    # the cohort cells (population_by_age) are checked by model.checks through the ensemble
    # engine; PySD returns them as arrays, here their census-group sums stand for them
    return [name for name in integ["Py Name"] if name != "cumulative_net_migration"
            and name != "population_by_age"
            and not name.startswith("cumulative_") or name in ANNUAL_ACCUMULATORS]


# Accumulators of non-negative flows (the other cumulative_* stocks are logs of indices).
ANNUAL_ACCUMULATORS = ("cumulative_births", "cumulative_deaths", "cumulative_gdp_real",
                       "cumulative_gdp_nominal", "cumulative_investment",
                       "cumulative_new_urban_jobs", "cumulative_energy", "cumulative_co2",
                       "cumulative_housing_completions", "cumulative_public_housing_units",
                       "cumulative_in_migration", "cumulative_out_migration")


def euler_decay(initial: float, rate: float, years: np.ndarray) -> np.ndarray:
    """Exact Euler solution of dx/dt = -rate * x at the end of each year."""
    steps = (years - years[0]) * STEPS_PER_YEAR
    return initial * (1 - DT * rate) ** steps


def test_model_loads_and_runs_every_output_in_pysd():
    # population by age: tests/model/test_ensemble.py parity
    frame = run_pysd({}, list(SCALAR_OUTPUTS), YEARS, time_step=DT)
    assert list(frame.index) == list(YEARS)
    assert np.isfinite(frame.to_numpy()).all()


def test_every_variable_has_units_and_a_description():
    documentation = model_documentation()
    for record in documentation.to_dict(orient="records"):
        if record["Py Name"] == "time":  # PySD adds Time itself, without units
            continue
        assert str(record["Units"]).strip() not in ("", "None", "nan"), record["Py Name"]
        assert len(str(record["Comment"]).strip()) > 10, record["Py Name"]


def test_every_parameter_has_a_finite_allowed_range_holding_its_default():
    for info in parameter_catalogue().values():
        assert np.isfinite(info.minimum) and np.isfinite(info.maximum), info.name
        default = np.asarray(info.default.array() if hasattr(info.default, "array")
                             else info.default)
        assert (info.minimum <= default).all() and (default <= info.maximum).all(), info.name


def test_baseline_2020_is_plausible_before_calibration():
    # Issue 2: population within 3% of 1010.57万 and nominal GDP within 5% of 12400.56亿元.
    frame = run(["population", "gdp_nominal"])
    assert frame.loc[2020, "population"] == pytest.approx(10_105_700, rel=0.03)
    assert frame.loc[2020, "gdp_nominal"] == pytest.approx(1.240056e12, rel=0.05)


def test_2015_values_are_the_data():
    frame = run(["population", "gdp_nominal", "urbanization_rate"])
    assert frame.loc[2015, "population"] == pytest.approx(9_446_000, rel=1e-12)
    assert frame.loc[2015, "gdp_nominal"] == pytest.approx(8.65857e11, rel=1e-12)
    assert frame.loc[2015, "urbanization_rate"] == pytest.approx(0.711, rel=1e-12)


def test_population_is_conserved_every_year():
    frame = run(["population", "births", "deaths", "net_migration"])
    change = frame["population"].diff().iloc[1:]
    balance = (frame["births"] - frame["deaths"] + frame["net_migration"]).iloc[1:]
    # 1e-9 of the population: the 202 cohort cells are summed in a different order each way
    np.testing.assert_allclose(change, balance, rtol=0, atol=1e-9 * frame["population"].max())


def test_age_groups_sum_to_population():
    groups = ["population_0_14", "population_15_59", "population_60_64", "population_65_plus"]
    frame = run(["population", *groups])
    np.testing.assert_allclose(frame[groups].sum(axis=1), frame["population"], rtol=1e-12)


def test_population_sector_without_births_or_migration_only_ages_and_dies():
    # Each cohort moves up one age in the first step of the year, then dies at the rate of
    # its new age (mortality decline off): 0-14 at the end of 2016 is the end-2015 ages
    # 0-13, each times (1 - dt m) for the year's four steps; the 14-year-olds have left.
    from model import MODEL_PATH
    from model.ensemble import EnsembleModel

    constants = EnsembleModel.from_mdl(MODEL_PATH).constants
    shares = np.asarray(constants["initial_population_share"])
    start = constants["initial_population"] * shares / shares.sum()
    rates = np.asarray(constants["mortality_schedule"])
    params = {"total_fertility_rate": 0.0, "base_net_migration_rate": 0.0,
              "base_out_migration_rate": 0.0, "mortality_decline_rate": 0.0}
    frame = run(["births", "net_migration", "population_0_14"], params)
    assert (frame["births"].iloc[1:] == 0).all()
    assert (frame["net_migration"] == 0).all()
    expected = (start[0:14] * (1 - DT * rates[1:15]) ** STEPS_PER_YEAR).sum()
    np.testing.assert_allclose(frame.loc[2016, "population_0_14"], expected, rtol=1e-12)


def test_urbanization_sector_closes_the_gap_to_its_ceiling():
    frame = run(["urbanization_rate"], {"urbanization_speed": 0.2, "urbanization_ceiling": 0.9})
    expected = 0.9 - (0.9 - 0.711) * (1 - DT * 0.2) ** ((YEARS - 2015) * STEPS_PER_YEAR)
    np.testing.assert_allclose(frame["urbanization_rate"], expected, rtol=1e-12)
    assert (frame["urbanization_rate"] < 0.9).all()


def test_economy_sector_capital_depreciates_without_investment():
    # Investment stops after the first step (the start needs a positive share: the 2015
    # capital stock is set from it); from then on capital only depreciates.
    stop = pd.Series([0.42, 0.0, 0.0], index=[2015.0, 2015.0 + DT, 2035.0])
    frame = run(["capital_stock", "investment"], {"investment_share": stop,
                                                  "depreciation_rate": 0.1})
    yearly = frame["capital_stock"].loc[2016:].to_numpy()
    np.testing.assert_allclose(yearly[1:] / yearly[:-1], (1 - DT * 0.1) ** STEPS_PER_YEAR,
                               rtol=1e-12)
    assert (frame["investment"].loc[2017:] == 0).all()


def test_output_shock_lowers_2020_only():
    shocked = run(["gdp_real_flow"], {"output_shock_2020": 0.05})
    calm = run(["gdp_real_flow"], {"output_shock_2020": 0.0})
    ratio = shocked["gdp_real_flow"] / calm["gdp_real_flow"]
    assert ratio.loc[2015:2018].eq(1).all()
    assert ratio.loc[2019] == pytest.approx(0.95, rel=1e-12)  # the flow during 2020
    assert ratio.loc[2020] > 0.95  # after 2020 only the lost investment remains


def test_economy_sector_cobb_douglas_identity_and_deflator():
    columns = ["gdp_real_flow", "total_factor_productivity", "capital_stock", "employment",
               "gdp_deflator"]
    frame = run(columns, {"output_shock_2020": 0.0, "tfp_growth_rate": 0.02})
    start = frame.loc[2015]
    produced = (start["gdp_real_flow"] * frame["total_factor_productivity"]
                * (frame["capital_stock"] / start["capital_stock"]) ** 0.5
                * (frame["employment"] / start["employment"]) ** 0.5)
    np.testing.assert_allclose(frame["gdp_real_flow"], produced, rtol=1e-12)
    # Growth-rate stocks are integrated as logs: exact for a constant rate.
    np.testing.assert_allclose(frame["total_factor_productivity"],
                               np.exp(0.02 * (YEARS - 2015)), rtol=1e-12)
    # 0.9% a year to 2020, the post-2020 driver (default 1.67%) from 2021.
    np.testing.assert_allclose(frame["gdp_deflator"],
                               0.9567 * np.exp(0.009 * np.minimum(YEARS - 2015, 5)
                                               + 0.0167 * np.maximum(YEARS - 2020, 0)),
                               rtol=1e-12)
    # 2015 rate: the 2015 total at 2020 prices moved on half a year of 2016 growth.
    assert start["gdp_real_flow"] == pytest.approx(8.65857e11 / 0.9567 * 1.079 ** 0.5,
                                                   rel=1e-12)


def test_employment_sector_identities():
    frame = run(["employment", "jobs", "labour_force", "unemployment_rate"])
    np.testing.assert_allclose(frame["unemployment_rate"],
                               1 - frame["employment"] / frame["labour_force"], rtol=1e-12)
    assert (frame["employment"] <= frame["jobs"] * (1 + 1e-12)).all()
    assert (frame["employment"] <= frame["labour_force"] * 0.98 * (1 + 1e-12)).all()
    assert frame.loc[2015, "unemployment_rate"] == pytest.approx(0.032, rel=1e-12)


def test_output_by_sector_sums_to_gdp_and_services_gain_share_with_income():
    frame = run(["primary_value_added_flow", "secondary_value_added_flow",
                 "tertiary_value_added_flow", "gdp_real_flow", "tertiary_share",
                 "primary_share", "income_index"])
    np.testing.assert_allclose(frame[["primary_value_added_flow", "secondary_value_added_flow",
                                      "tertiary_value_added_flow"]].sum(axis=1),
                               frame["gdp_real_flow"], rtol=1e-12)
    assert frame.loc[2015, "tertiary_share"] == pytest.approx(0.554, rel=1e-12)
    rising = frame["income_index"].diff().dropna() > 0
    assert (frame["tertiary_share"].diff().dropna()[rising] > 0).all()
    assert (frame["primary_share"].diff().dropna()[rising] < 0).all()


ENERGY_COLUMNS = ["energy_flow", "industry_energy_flow", "services_energy_flow",
                  "residential_energy_flow", "agriculture_energy_flow", "coal_flow", "oil_flow",
                  "gas_flow", "electricity_flow", "co2_flow", "grid_emission_factor",
                  "industry_energy_intensity", "services_energy_intensity",
                  "coal_demand_flow", "energy_consumption"]


def test_energy_by_sector_and_fuel_add_up_and_co2_comes_from_fuels():
    frame = run(ENERGY_COLUMNS)
    sectors = frame[["industry_energy_flow", "services_energy_flow", "residential_energy_flow",
                     "agriculture_energy_flow"]].sum(axis=1)
    np.testing.assert_allclose(frame["energy_flow"], sectors * 1.0249, rtol=1e-12)
    fuels = frame[["coal_flow", "oil_flow", "gas_flow", "electricity_flow"]].sum(axis=1)
    np.testing.assert_allclose(fuels, frame["energy_flow"], rtol=1e-12)
    co2 = (frame["coal_flow"] * 2.77 + frame["oil_flow"] * 2.15 + frame["gas_flow"] * 1.644
           + frame["electricity_flow"] / 0.0001229 / 1000 * frame["grid_emission_factor"])
    np.testing.assert_allclose(frame["co2_flow"], co2, rtol=1e-12)
    assert frame.loc[2015, "energy_consumption"] == pytest.approx(2.837e7, rel=1e-12)


def test_efficiency_improves_only_as_capital_is_replaced_or_retrofitted():
    # Investment stops in 2016 (a zero share from the start would leave the balanced 2015
    # capital stock at zero): from then on no vintage enters and intensities stay put.
    stops = pd.Series({2015.0: 0.42, 2015.9: 0.42, 2016.0: 0.0, 2035.0: 0.0})
    frozen = run(ENERGY_COLUMNS, {"investment_share": stops, "retrofit_rate": 0.0})
    for column in ("industry_energy_intensity", "services_energy_intensity"):
        np.testing.assert_allclose(frozen.loc[2016:, column], frozen.loc[2016, column],
                                   rtol=1e-12)
    moving = run(ENERGY_COLUMNS, {"investment_share": 0.42, "retrofit_rate": 0.0})
    assert (moving["industry_energy_intensity"].diff().dropna() < 0).all()
    stricter = run(ENERGY_COLUMNS, {"investment_share": 0.42, "retrofit_rate": 0.0,
                                    "efficiency_standard": 0.2})
    assert (stricter["industry_energy_intensity"].iloc[1:]
            < moving["industry_energy_intensity"].iloc[1:]).all()


def test_coal_cap_binds_and_gas_takes_the_coal_it_displaces():
    free = run(ENERGY_COLUMNS)
    cap = 0.5 * free["coal_demand_flow"].min()
    capped = run(ENERGY_COLUMNS, {"coal_cap": cap})
    np.testing.assert_allclose(capped["coal_flow"], cap, rtol=1e-12)
    np.testing.assert_allclose(capped["coal_flow"] + capped["gas_flow"],
                               free["coal_flow"] + free["gas_flow"], rtol=1e-9)
    assert (capped["co2_flow"] < free["co2_flow"]).all()


def test_housing_sector_floor_area_balance_and_public_programme():
    frame = run(["housing_floor_area", "housing_completions", "cumulative_housing_completions",
                 "public_housing_units_completed"], {"public_housing_programme": 30000})
    # Public programme started in steady state: completions equal starts every year.
    np.testing.assert_allclose(frame["public_housing_units_completed"].iloc[1:], 30000,
                               rtol=1e-12)
    demolished = frame["cumulative_housing_completions"] - (
        frame["housing_floor_area"] - frame["housing_floor_area"].iloc[0])
    assert (np.diff(demolished.to_numpy()) > 0).all()


def test_tight_land_supply_raises_prices_and_deters_migration():
    base = run(["affordability_index", "net_migration"])
    tight = run(["affordability_index", "net_migration"], {"housing_land_supply_index": 0.5})
    assert tight.loc[2030, "affordability_index"] > base.loc[2030, "affordability_index"]
    assert tight.loc[2030, "net_migration"] < base.loc[2030, "net_migration"]


@pytest.mark.parametrize("params", [
    {"base_net_migration_rate": 0.0},
    {"investment_share": 0.05},
    {"total_fertility_rate": 0.0},
    {"base_net_migration_rate": -0.05, "migration_sensitivity_to_jobs": 30.0,
     "base_out_migration_rate": 0.05},
    {"total_fertility_rate": 0.0, "base_net_migration_rate": -0.05, "investment_share": 0.05,
     "housing_land_supply_index": 0.0, "public_housing_programme": 0.0,
     "demolition_rate": 0.05, "depreciation_rate": 0.2},
], ids=["zero-migration", "zero-investment", "zero-fertility", "max-emigration", "all-extreme"])
def test_no_stock_goes_negative_at_extreme_inputs(params):
    frame = run(stock_names(), params)
    assert np.isfinite(frame.to_numpy()).all()
    assert (frame.to_numpy() >= 0).all(), frame.min()[frame.min() < 0]


def test_halving_the_time_step_changes_2035_results_by_under_one_percent():
    # The model's own step (1/16) against half of it: a growth rate of 2035 moved by 2.4%
    # (of itself) between 1/4 and 1/8 once capital deepening was derived from the start.
    coarse = run(SCALAR_OUTPUTS, time_step=0.0625)
    fine = run(SCALAR_OUTPUTS, time_step=0.03125)
    relative = ((fine.loc[2035] - coarse.loc[2035]).abs() / coarse.loc[2035].abs()).dropna()
    assert (relative < 0.01).all(), relative[relative >= 0.01]


def test_every_parameter_has_its_source_written_down(repo_root):
    sources = (repo_root / "model" / "PARAMETERS.md").read_text(encoding="utf-8")
    undocumented = [name for name in parameter_catalogue()
                    if name not in sources and name.rsplit("_", 2)[0] not in sources]
    assert not undocumented
