"""Behavioural checks of ``qingdao.mdl`` run through the ensemble engine (issue 10).

Each check returns a list of failure lines (empty when it passes). They are the fast
subset the tests run (tests/model/test_model_checks.py) and that the mutation script
(tools/mutate_model.py) runs against every mutated model: known answers computed by hand
from the model's constants, conservation, identities, the 2015-2020 data, a start without
jumps (issue 14 item 3) and extreme conditions with the direction a domain expert expects.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import yaml

from .ensemble import EnsembleModel

CALIBRATED = Path(__file__).resolve().parents[1] / "calibration" / "calibrated.yaml"
YEARS = np.arange(2015, 2036, dtype=float)
STOCKS = ("population_by_age", "population_0_14", "population_15_59", "population_60_64",
          "population_65_plus", "capital_stock", "capital_per_job", "housing_floor_area",
          "housing_under_construction", "public_housing_under_construction",
          "urbanization_rate", "cumulative_business_efficiency_gain",
          "cumulative_residential_efficiency_gain", "cumulative_industry_fuel_restructuring",
          "industry_energy_intensity",
          "services_energy_intensity", "agriculture_energy_intensity",
          "residential_energy_intensity", "electrification_progress", "coal_retention",
          "fossil_power_emission_factor", "grid_non_fossil_share", "cumulative_energy",
          "cumulative_co2", "coal_flow", "oil_flow", "gas_flow", "electricity_flow")
# 2020 observations (calibration/data/observations.csv) and the tolerance each must meet.
DATA_2020 = {"population": (10_105_700, 0.01), "gdp_nominal": (1.240056e12, 0.01),
             "urbanization_rate": (0.7634, 0.01), "energy_consumption": (31_870_000, 0.03),
             "labour_productivity": (206_000, 0.02),
             "industry_energy_consumption": (14_527_000, 0.02),
             "services_energy_consumption": (9_043_000, 0.02),
             "residential_energy_consumption": (6_801_000, 0.02),
             "agriculture_energy_consumption": (725_000, 0.02),
             "electricity_consumption": (4.766e10, 0.03)}


def calibrated_parameters(engine: EnsembleModel) -> dict[str, float]:
    parameters = yaml.safe_load(CALIBRATED.read_text(encoding="utf-8"))["parameters"]
    return {name: float(value) for name, value in parameters.items() if name in engine.constants}


def _run(engine, params, columns, n=1, times=YEARS):
    return {name: values for name, values in
            engine.run(params, n, return_columns=list(columns), return_times=times).items()}


def check_known_answers(engine: EnsembleModel) -> list[str]:
    """2015 flows computed by hand from the default constants [person, CNY, tce, m2]."""
    c = engine.constants
    failures = []
    columns = ["births", "deaths", "net_migration", "gdp_real", "investment",
               "energy_consumption", "housing_completions", "population_15_59", "employment"]
    r = {k: v[0, 0] for k, v in _run(engine, {}, columns).items()}
    pop = c["initial_population"]
    shares = np.asarray(c["initial_population_share"])
    start = pop * shares / shares.sum()  # (age, sex: female, male)
    # the first step ages every cohort; its flows act on the cohorts after ageing
    structure = np.concatenate([np.zeros((1, 2)), start[:-2], start[-2:].sum(0, keepdims=True)])
    groups = {"0_14": (0, 15), "15_59": (15, 60), "60_64": (60, 65), "65_plus": (65, 101)}
    group = {g: start[a:b].sum() for g, (a, b) in groups.items()}
    path_2015 = np.interp(2015.0, *engine.specification.tables["fertility_path"])
    births = (c["total_fertility_rate"] * path_2015
              * (structure[:, 0] * np.asarray(c["fertility_schedule"])).sum())
    deaths = (structure * np.asarray(c["mortality_schedule"])).sum()
    gdp_rate = c["gdp_nominal_2015"] / c["initial_gdp_deflator"] * (
        1 + c["reference_growth_2016"]) ** 0.5
    expected = {
        "births": births, "deaths": deaths,
        "net_migration": pop * c["base_net_migration_rate"],
        "gdp_real": c["gdp_nominal_2015"] / c["initial_gdp_deflator"],
        "investment": c["investment_share"] * gdp_rate,
        "energy_consumption": c["energy_consumption_2015"],
        "housing_completions": c["initial_housing_completions"]
        + c["public_housing_programme"] * c["public_housing_unit_floor_area"],
        "population_15_59": group["15_59"],
    }
    for name, value in expected.items():
        if not np.isclose(r[name], value, rtol=1e-9):
            failures.append(f"2015 {name} {r[name]:.6g}, by hand {value:.6g}")
    speed, ceiling = c["urbanization_speed"], c["urbanization_ceiling"]
    urban = _run(engine, {}, ["urbanization_rate", "population_urban", "population"])
    steps = (YEARS - YEARS[0]) / c["time_step"]
    expected_rate = ceiling - (ceiling - c["initial_urbanization_rate"]) * (
        1 - c["time_step"] * speed) ** steps
    if not np.allclose(urban["urbanization_rate"][0], expected_rate, rtol=1e-12):
        failures.append("urbanization does not close the gap to its ceiling at its speed")
    if not np.allclose(urban["population_urban"][0],
                       urban["population"][0] * urban["urbanization_rate"][0], rtol=1e-12):
        failures.append("urban population is not population x urbanization rate")
    labour = (group["15_59"] * c["participation_rate_15_59"]
              + group["60_64"] * c["participation_rate_60_64"]
              + group["65_plus"] * c["participation_rate_65_plus"])
    if not np.isclose(r["employment"], labour * (1 - c["initial_unemployment_rate"]), rtol=1e-9):
        failures.append("2015 employment is not the labour force less 2015 unemployment")
    return failures


def check_identities(engine: EnsembleModel) -> list[str]:
    """Conservation of people and accounting identities, at default and calibrated values."""
    c = engine.constants
    failures = []
    columns = ["population", "births", "deaths", "net_migration", "population_0_14",
               "population_15_59", "population_60_64", "population_65_plus",
               "unemployment_rate", "employment", "labour_force", "co2_flow", "energy_flow",
               "coal_flow", "oil_flow", "gas_flow", "electricity_flow", "grid_emission_factor",
               "floor_area_per_capita", "housing_floor_area",
               "gdp_per_capita", "gdp_nominal", "population_previous_year",
               "gdp_per_capita_usd", "cny_per_usd", "energy_intensity", "energy_consumption",
               "gdp_real", "co2_intensity", "co2_emissions", "labour_productivity",
               "gdp_real_growth", "gdp_real_previous_year", "affordability_index",
               "house_price_index", "income_index"]
    for label, params in (("default", {}), ("calibrated", calibrated_parameters(engine))):
        r = {k: v[0] for k, v in _run(engine, params, columns).items()}
        change = np.diff(r["population"])
        balance = (r["births"] - r["deaths"] + r["net_migration"])[1:]
        if not np.allclose(change, balance, rtol=1e-9, atol=1e-3):
            failures.append(f"{label}: population change is not births - deaths + migration")
        if not np.allclose(r["population_previous_year"][1:], r["population"][:-1],
                           rtol=1e-12):
            failures.append(f"{label}: population of the previous year is not last year's")
        groups = sum(r[f"population_{g}"] for g in ("0_14", "15_59", "60_64", "65_plus"))
        if not np.allclose(groups, r["population"], rtol=1e-12):
            failures.append(f"{label}: age groups do not sum to population")
        identities = {
            "unemployment": (r["unemployment_rate"], 1 - r["employment"] / r["labour_force"]),
            "co2": (r["co2_flow"], r["coal_flow"] * c["coal_emission_factor"]
                    + r["oil_flow"] * c["oil_emission_factor"]
                    + r["gas_flow"] * c["gas_emission_factor"]
                    + r["electricity_flow"] / c["electricity_calorific_value"]
                    / c["kwh_per_mwh"] * r["grid_emission_factor"]),
            "fuels": (r["coal_flow"] + r["oil_flow"] + r["gas_flow"] + r["electricity_flow"],
                      r["energy_flow"]),
            "floor area per head": (r["floor_area_per_capita"],
                                    r["housing_floor_area"] / r["population"]),
            "gdp per head": (r["gdp_per_capita"], r["gdp_nominal"] / (
                (r["population"] + r["population_previous_year"]) / 2)),
            "gdp per head in USD": (r["gdp_per_capita_usd"],
                                    r["gdp_per_capita"] / r["cny_per_usd"]),
            "energy intensity": (r["energy_intensity"], r["energy_consumption"] / r["gdp_real"]),
            "co2 intensity": (r["co2_intensity"], r["co2_emissions"] / r["gdp_real"]),
            "labour productivity": (r["labour_productivity"], r["gdp_real"] / r["employment"]),
            "real growth": (r["gdp_real_growth"],
                            r["gdp_real"] / r["gdp_real_previous_year"] - 1),
            "previous year's GDP": (r["gdp_real_previous_year"][1:], r["gdp_real"][:-1]),
            "affordability": (r["affordability_index"],
                              r["house_price_index"] / r["income_index"]),
        }
        for name, (left, right) in identities.items():
            if not np.allclose(left, right, rtol=1e-12):
                failures.append(f"{label}: identity of {name} does not hold")
    return failures


def check_data(engine: EnsembleModel) -> list[str]:
    """The calibrated model against 2015-2020 observations (incl. energy by sector,
    electricity and the plan's -18% energy and -27% CO2 intensity changes)."""
    failures = []
    columns = [*DATA_2020, "gdp_real_growth", "births_registered_basis", "unemployment_rate",
               "new_urban_jobs", "population", "energy_intensity", "co2_intensity"]
    r = {k: v[0] for k, v in _run(engine, calibrated_parameters(engine), columns).items()}
    index = {int(year): i for i, year in enumerate(YEARS)}
    for name, (observed, tolerance) in DATA_2020.items():
        value = r[name][index[2020]]
        if abs(value / observed - 1) > tolerance:
            failures.append(f"2020 {name} {value:.6g} vs observed {observed:.6g}")
    for year, observed in ((2018, 9_814_000), (2019, 9_923_000)):
        if abs(r["population"][index[year]] / observed - 1) > 0.01:
            failures.append(f"{year} population off the data by over 1%")
    growth = r["gdp_real_growth"]
    for year, observed in ((2016, 0.079), (2019, 0.065), (2020, 0.037)):
        if abs(growth[index[year]] - observed) > 0.005:
            failures.append(f"{year} real growth {growth[index[year]]:.4f} vs {observed}")
    for year, observed in ((2016, 118_400), (2020, 66_500)):  # registered basis, issue 11
        if abs(r["births_registered_basis"][index[year]] / observed - 1) > 0.05:
            failures.append(f"{year} registered births off the data by over 5%")
    for year in (2016, 2017):
        if abs(r["unemployment_rate"][index[year]] - 0.0315) > 0.01:
            failures.append(f"{year} unemployment more than 1 point off the registered rate")
    for name, observed in (("energy_intensity", -0.18), ("co2_intensity", -0.27)):
        change = r[name][index[2020]] / r[name][index[2015]] - 1
        if abs(change - observed) > 0.01:
            failures.append(f"{name} change 2016-2020 {change:+.3f} vs {observed}")
    if abs(r["electricity_consumption"][index[2015]] / 3.423e10 - 1) > 0.03:
        failures.append("2015 electricity off the data by over 3%")
    jobs = r["new_urban_jobs"][index[2016]:index[2020] + 1].sum()
    if abs(jobs / 956_000 - 1) > 0.05:
        failures.append(f"new urban jobs 2016-2020 {jobs:.0f} vs 956,000")
    return failures


def check_start_without_jumps(engine: EnsembleModel) -> list[str]:
    """Issue 14.3: each flow moves from 2015 to 2016 about as it moves from 2016 to 2017;
    over the first step jobs grow exactly with the labour force (the balanced start)."""
    failures = []
    dt = float(engine.constants["time_step"])
    first_step = _run(engine, calibrated_parameters(engine),
                      ["labour_force", "labour_force_change_from_population", "jobs"],
                      times=np.array([YEARS[0], YEARS[0] + dt]))
    labour, change, jobs = (first_step[name][0] for name in
                            ("labour_force", "labour_force_change_from_population", "jobs"))
    housing = _run(engine, calibrated_parameters(engine),
                   ["housing_starts_flow", "market_housing_completions_flow",
                    "grid_non_fossil_share"],
                   times=np.array([YEARS[0]]))
    if not np.isclose(housing["housing_starts_flow"][0, 0],
                      housing["market_housing_completions_flow"][0, 0], rtol=1e-9):
        failures.append("2015 housing starts differ from completions (the pipeline jumps)")
    if not np.isclose(housing["grid_non_fossil_share"][0, 0],
                      engine.constants["initial_grid_non_fossil_share"], rtol=1e-12):
        failures.append("the grid's non-fossil share does not start at its 2015 value")
    # The cohorts age once a year (in the first step of each year), so the labour force
    # jumps then; its computed change spreads that ageing over the year. Over the first
    # step jobs grow at the labour force's computed rate (1e-5 as before: two Euler steps
    # of capital and capital per job against one rate), and over the first year the labour
    # force moves by its computed annual change (1%: deaths, migration and participation
    # of the year's cohorts differ from the end-2015 rates).
    if not np.isclose(jobs[1] / jobs[0], 1 + dt * change[0] / labour[0], rtol=1e-5):
        failures.append("jobs and the labour force do not grow alike over the first step")
    yearly = _run(engine, calibrated_parameters(engine), ["labour_force"], times=YEARS[:2])
    labour_year = yearly["labour_force"][0]
    if not np.isclose(labour_year[1] - labour_year[0], change[0], rtol=0.01):
        failures.append("the labour force does not change by its computed change")
    columns = ["unemployment_rate", "new_urban_jobs", "employment", "births", "deaths",
               "net_migration", "investment", "energy_consumption", "housing_completions"]
    r = {k: v[0] for k, v in _run(engine, calibrated_parameters(engine), columns).items()}
    first = r["unemployment_rate"][1] - r["unemployment_rate"][0]
    second = r["unemployment_rate"][2] - r["unemployment_rate"][1]
    if abs(first) > 0.005 or abs(first) > 2 * abs(second) + 0.001:
        failures.append(f"unemployment jumps {first:+.4f} in 2016 (then {second:+.4f})")
    employment = np.diff(r["employment"])
    if abs(employment[0]) > 2 * abs(employment[1]) + 0.002 * r["employment"][0]:
        failures.append(f"employment jumps {employment[0]:+.0f} in 2016 "
                        f"(then {employment[1]:+.0f})")
    for name in columns[1:]:
        # births: the two-child policy of 2016-01-01 nearly doubled them (data, not a jump
        # of the start: registered 63,000 in 2015, 118,400 in 2016, vital_events.csv)
        if name in ("employment", "births"):
            continue
        values = r[name]
        first = values[1] / values[0] - 1
        second = values[2] / values[1] - 1
        if abs(first) > 2 * abs(second) + 0.02:
            failures.append(f"{name} jumps {first:+.1%} in 2016 (then {second:+.1%})")
    return failures


#: Normal priors (mean, sd) of the parameters the derived 2015 capital deepening depends on
#: (calibration/free_parameters.yaml); the check spans mean +- 2 sd of each.
DEEPENING_PRIORS = {"initial_capital_output_ratio": (3.06, 0.33),
                    "investment_share": (0.55, 0.04), "depreciation_rate": (0.096, 0.0234)}
DEEPENING_RANGE = (-0.05, 0.25)  # [1/year] capital per job may shrink a little, not collapse


def check_derived_deepening_rate(engine: EnsembleModel) -> list[str]:
    """The 2015 capital deepening derived for the balanced start (s Y0 / K0 - delta - labour
    force growth) is its formula, within DEEPENING_RANGE at every corner of the growth priors
    (mean +- 2 sd) and positive at the calibrated values [1/year]."""
    corners = np.array(list(itertools.product(
        *[(mean - 2 * sd, mean, mean + 2 * sd) for mean, sd in DEEPENING_PRIORS.values()])))
    params = {name: corners[:, i] for i, name in enumerate(DEEPENING_PRIORS)}
    columns = ["capital_deepening_rate", "investment", "capital_stock",
               "labour_force_growth_2015", "gdp_real_flow"]
    r = _run(engine, params, columns, n=len(corners), times=np.array([YEARS[0]]))
    rate = r["capital_deepening_rate"][:, 0]
    expected = (r["investment"][:, 0] / r["capital_stock"][:, 0] - params["depreciation_rate"]
                - r["labour_force_growth_2015"][:, 0])
    failures = []
    if not np.allclose(rate, expected, rtol=1e-9, atol=1e-12):
        failures.append("the 2015 capital deepening is not s Y0 / K0 - delta - labour growth")
    low, high = DEEPENING_RANGE
    for corner, value in zip(corners, rate, strict=True):
        if not low <= value <= high:
            failures.append(f"capital deepening {value:.3f}/yr outside {low}-{high} at "
                            + ", ".join(f"{n} {v:.3g}" for n, v in
                                        zip(DEEPENING_PRIORS, corner, strict=True)))
    calibrated = _run(engine, calibrated_parameters(engine), ["capital_deepening_rate"],
                      times=np.array([YEARS[0]]))["capital_deepening_rate"][0, 0]
    if not 0 < calibrated <= high:
        failures.append(f"calibrated capital deepening {calibrated:.3f}/yr not in (0, {high}]")
    return failures


def check_aging_chain(engine: EnsembleModel) -> list[str]:
    """Without migration or deaths every cohort moves up exactly one age a year (100+
    keeps its members), and births of 2016 alone travel intact through the ages [person]."""
    c = engine.constants
    steps = engine.step_times()
    fertility = np.where(steps < 2016, c["total_fertility_rate"], 0.0)[None, :]
    params = {"total_fertility_rate": fertility, "base_net_migration_rate": 0.0,
              "base_out_migration_rate": 0.0,
              "mortality_schedule": np.zeros((1, *np.shape(c["mortality_schedule"])))}
    r = _run(engine, params, ["population_by_age", "births"])
    cohorts, births = r["population_by_age"][0], r["births"][0]
    shares = np.asarray(c["initial_population_share"])
    start = c["initial_population"] * shares / shares.sum()
    last = start.shape[0] - 1
    failures = []
    for k in range(1, len(YEARS)):
        expected = np.zeros_like(start)
        expected[k:last] = start[:last - k]
        expected[last] = start[last - k:].sum(axis=0)
        expected[k - 1] = births[1] * np.asarray(c["sex_share_at_birth"])
        if not np.allclose(cohorts[k], expected, rtol=1e-12, atol=1e-9):
            failures.append(f"cohorts do not move up one age a year by {int(YEARS[k])}")
            break
    if not births[1] > 0:
        failures.append("no births in 2016 for the birth pulse")
    return failures


def check_growth_indices(engine: EnsembleModel) -> list[str]:
    """Indices driven by a constant rate are exact exponentials (log stocks) [dmnl]."""
    c = engine.constants
    elapsed = YEARS - YEARS[0]
    after_2020 = np.maximum(YEARS - 2020, 0)
    exponents = {"total_factor_productivity": c["tfp_growth_rate"] * elapsed,
                 # the 2016-2020 rate to 2020, the post-2020 driver from 2021
                 "gdp_deflator": c["gdp_deflator_inflation"] * (elapsed - after_2020)
                 + c["gdp_deflator_inflation_after_2020"] * after_2020,
                 "current_investment_share": -c["investment_share_decline_rate"] * elapsed,
                 "mortality_multiplier": -c["mortality_decline_rate"] * elapsed}
    r = {k: v[0] for k, v in _run(engine, {}, [*exponents, "national_reference_income",
                                               "cumulative_industry_fuel_restructuring"]).items()}
    failures = []
    for name, exponent in exponents.items():
        expected = r[name][0] * np.exp(exponent)
        if not np.allclose(r[name], expected, rtol=1e-9):
            failures.append(f"{name} is not its start value times exp(rate x years)")
    # Industry fuel restructuring: its rate over the years of enforcement only.
    enforced = np.clip(YEARS - c["industry_fuel_restructuring_start"], 0,
                       c["industry_fuel_restructuring_duration"])
    if not np.allclose(r["cumulative_industry_fuel_restructuring"],
                       c["industry_fuel_restructuring_rate"] * enforced, rtol=1e-9, atol=1e-12):
        failures.append("industry fuel restructuring is not its rate over the enforced years")
    # National income grows at one rate per projection period (2016-20, 2021-30, 2031-35).
    years = (np.clip(YEARS, 2015, 2020) - 2015, np.clip(YEARS, 2020, 2030) - 2020,
             np.clip(YEARS, 2030, 2035) - 2030)
    rates = (c["national_income_growth_2016_2020"], c["national_income_growth_2021_2030"],
             c["national_income_growth_2031_2035"])
    expected = np.exp(sum(rate * span for rate, span in zip(rates, years, strict=True)))
    if not np.allclose(r["national_reference_income"], expected, rtol=1e-9):
        failures.append("national reference income does not grow at its period rates")
    starts = {"gdp_deflator": c["initial_gdp_deflator"], "total_factor_productivity": 1.0,
              "current_investment_share": c["investment_share"],
              "national_reference_income": 1.0, "mortality_multiplier": 1.0}
    for name, value in starts.items():
        if not np.isclose(r[name][0], value, rtol=1e-12):
            failures.append(f"{name} does not start at its initial value")
    # Without investment (from 2016) no new capital vintage enters: business energy intensity falls
    # only by retrofits, an exact exponential of retrofit rate x saving.
    steps = engine.step_times()
    stops = np.where(steps < 2016, c["investment_share"], 0.0)[None, :]
    frozen = {k: v[0, 1:] for k, v in _run(engine, {"investment_share": stops},
                                             ["industry_energy_intensity",
                                              "services_energy_intensity"]).items()}
    rate = c["retrofit_rate"] * c["retrofit_saving"]
    for name, values in frozen.items():
        if not np.allclose(values, values[0] * np.exp(-rate * (YEARS[1:] - YEARS[1])),
                           rtol=1e-9):
            failures.append(f"{name} without investment is not exp(-retrofit rate x saving)")
    return failures


# Each flow that is a stock times a rate or over a time, as (flow, stock, constant, how).
RATE_FLOWS = (
    ("depreciation_flow", "capital_stock", "depreciation_rate", "times"),
    ("job_destruction_flow", "jobs", "job_destruction_rate", "times"),
    ("demolition_flow", "housing_floor_area", "demolition_rate", "times"),
    ("market_housing_completions_flow", "housing_under_construction", "construction_time",
     "over"),
    ("public_housing_completions_flow", "public_housing_under_construction",
     "public_housing_construction_time", "over"),
    # the share declines from its given value (an index checked in check_growth_indices)
    ("investment_flow", "gdp_real_flow", "current_investment_share", "times"),
)
# Each stock with the flows that fill (+) and drain (-) it.
STOCK_FLOWS = {
    "capital_stock": (("investment_flow", 1), ("depreciation_flow", -1)),
    "housing_floor_area": (("market_housing_completions_flow", 1),
                           ("public_housing_floor_completions_flow", 1),
                           ("demolition_flow", -1)),
    "housing_under_construction": (("housing_starts_flow", 1),
                                   ("market_housing_completions_flow", -1)),
    "public_housing_under_construction": (("public_housing_starts_flow", 1),
                                          ("public_housing_completions_flow", -1)),
    "population_by_age": (("birth_inflow", 1), ("ageing_in", 1), ("ageing_out", -1),
                          ("deaths_by_age", -1), ("in_migration_by_age", 1),
                          ("out_migration_by_age", -1)),
}


# Annual energy totals by fuel and sector with the flow each sums [tce].
FUEL_TOTALS = {"coal_consumption": "coal_flow", "oil_consumption": "oil_flow",
               "gas_consumption": "gas_flow",
               "electricity_consumption_tce": "electricity_flow",
               "industry_energy_consumption": "industry_energy_flow",
               "services_energy_consumption": "services_energy_flow",
               "residential_energy_consumption": "residential_energy_flow",
               "agriculture_energy_consumption": "agriculture_energy_flow"}


def check_flow_identities(engine: EnsembleModel) -> list[str]:
    """Flows equal stock x rate or stock / time; each stock moves by its flows x dt; the
    energy and carbon chain multiplies out; annual totals sum the year's flow."""
    c = engine.constants
    dt = float(c["time_step"])
    params: dict[str, float | np.ndarray] = dict(calibrated_parameters(engine))
    steps = engine.step_times()
    # The public programme doubles during 2017, so its pipeline has to move.
    programme = c["public_housing_programme"]
    params["public_housing_programme"] = np.where(steps < 2016.5, programme, 2 * programme)[None]
    times = steps[: int(round(2 / dt)) + 1]
    columns = {name for row in RATE_FLOWS for name in row[:2]}
    columns |= {row[2] for row in RATE_FLOWS if row[2] not in c}
    columns |= set(STOCK_FLOWS) | {flow for flows in STOCK_FLOWS.values() for flow, _ in flows}
    columns |= {"energy_flow", "industry_energy_flow", "services_energy_flow",
                "residential_energy_flow", "agriculture_energy_flow", "industry_energy_demand",
                "secondary_value_added_flow", "industry_energy_intensity",
                "public_housing_starts_flow", "public_housing_under_construction",
                "grid_non_fossil_share", "public_housing_units_completed",
                "public_housing_floor_completions_flow", "public_housing_completions_flow",
                "energy_consumption", "co2_emissions", "co2_flow", *FUEL_TOTALS,
                *FUEL_TOTALS.values()}
    r = {k: v[0] for k, v in _run(engine, params, sorted(columns), times=times).items()}
    failures = []
    for flow, stock, constant, how in RATE_FLOWS:
        value = r[constant] if constant in r else params.get(constant, c[constant])
        expected = r[stock] * value if how == "times" else r[stock] / value
        if not np.allclose(r[flow], expected, rtol=1e-12):
            failures.append(f"{flow} is not {stock} {how} {constant}")
    for stock, flows in STOCK_FLOWS.items():
        net = sum(sign * r[flow] for flow, sign in flows)
        if not np.allclose(np.diff(r[stock], axis=0), dt * net[:-1], rtol=1e-9,
                           atol=1e-9 * np.abs(r[stock]).max()):
            failures.append(f"{stock} does not move by its flows")
    sectors = ("industry", "services", "residential", "agriculture")
    products = {
        "energy_flow": sum(r[f"{sector}_energy_flow"] for sector in sectors)
        * (1 + params.get("unallocated_energy_ratio", c["unallocated_energy_ratio"])),
        "industry_energy_demand": r["secondary_value_added_flow"] * r["industry_energy_intensity"],
        "public_housing_floor_completions_flow": r["public_housing_completions_flow"]
        * c["public_housing_unit_floor_area"],
    }
    for name, expected in products.items():
        if not np.allclose(r[name], expected, rtol=1e-12):
            failures.append(f"{name} does not multiply out")
    gap = c["maximum_grid_non_fossil_share"] - r["grid_non_fossil_share"]
    speed = params.get("grid_decarbonization_speed", c["grid_decarbonization_speed"])
    if not np.allclose(np.diff(r["grid_non_fossil_share"]), dt * speed * gap[:-1], rtol=1e-9):
        failures.append("the grid's non-fossil share does not close its gap at its speed")
    year = int(round(1 / dt))
    # The public programme starts in steady state: each year completes what it starts.
    if not np.allclose(r["public_housing_units_completed"][[0, year]],
                       programme * c["accounting_year"], rtol=1e-9):
        failures.append("public housing completions differ from the steady programme")
    # Energy totals of 2015 are the end-2015 rate times the 2015 energy over that rate.
    ratio = c["energy_consumption_2015"] / r["energy_flow"][0]
    for total, flow in FUEL_TOTALS.items():
        if not np.isclose(r[total][0], r[flow][0] * ratio, rtol=1e-9):
            failures.append(f"{total} of 2015 is not placed on the 2015 energy total")
    for total, flow in (("energy_consumption", "energy_flow"), ("co2_emissions", "co2_flow"),
                        ("public_housing_units_completed", "public_housing_completions_flow"),
                        *FUEL_TOTALS.items()):
        expected = dt * r[flow][year:2 * year].sum()
        if not np.isclose(r[total][2 * year], expected, rtol=1e-9):
            failures.append(f"{total} of 2017 is not the sum of its flow over 2017")
    return failures


SECTORS = ("industry", "services", "residential", "agriculture")
VALUE_ADDED = {"industry": "secondary", "services": "tertiary", "agriculture": "primary"}


def check_energy_chain(engine: EnsembleModel) -> list[str]:
    """Output by sector, energy by sector and fuel, and CO2, each computed by hand from the
    constants and the run's drivers (GDP, investment, capital, population, income) over the
    first two years at calibrated values [CNY/year, tce/year, tCO2/year]."""
    c = dict(engine.constants)
    params = calibrated_parameters(engine)
    c.update(params)
    dt = float(c["time_step"])
    times = engine.step_times()[: int(round(2 / dt)) + 1]
    drivers = ["gdp_real_flow", "income_index", "investment_flow", "capital_stock",
               "population", "housing_floor_area", "market_housing_completions_flow",
               "public_housing_floor_completions_flow", "energy_flow", "coal_flow", "oil_flow",
               "gas_flow", "electricity_flow", "co2_flow", "non_fossil_share",
               "grid_emission_factor", "primary_share", "tertiary_share",
               "primary_value_added", "secondary_value_added", "tertiary_value_added",
               "gdp_real", "energy_consumption"]
    drivers += [f"{sector}_energy_flow" for sector in SECTORS]
    r = {k: v[0] for k, v in _run(engine, params, drivers, times=times).items()}
    failures = []
    income = np.maximum(1.0, r["income_index"])
    shares = {
        "primary": c["initial_primary_share"] * income ** -c["primary_share_income_elasticity"],
        "tertiary": c["maximum_tertiary_share"] - (c["maximum_tertiary_share"]
                                                   - c["initial_tertiary_share"])
        * income ** -c["tertiary_share_income_elasticity"]}
    shares["secondary"] = 1 - shares["primary"] - shares["tertiary"]
    for name in ("primary", "tertiary"):
        if not np.allclose(r[f"{name}_share"], shares[name], rtol=1e-12):
            failures.append(f"the {name} share does not follow income per head")
    year = int(round(1 / dt))
    total = r["primary_value_added"] + r["secondary_value_added"] + r["tertiary_value_added"]
    if not np.allclose(total[[0, year, 2 * year]], r["gdp_real"][[0, year, 2 * year]],
                       rtol=1e-9):
        failures.append("value added of the three sectors does not sum to real GDP")
    # Efficiency: each intensity starts at its 2015 share of sector energy per unit of
    # activity and falls by the integral (Euler sum) of its gain.
    rate0 = c["energy_consumption_2015"] / c["accounting_year"] * (
        1 + c["reference_energy_growth_2016"] / 2) / (1 + c["unallocated_energy_ratio"])
    start_shares = {sector: c[f"initial_{sector}_energy_share"] for sector in VALUE_ADDED}
    start_shares["residential"] = 1 - sum(start_shares.values())
    new_vintage = c["new_capital_efficiency_advantage"] + c["efficiency_standard"]
    retrofit = c["retrofit_rate"] * c["retrofit_saving"]
    business = r["investment_flow"] / r["capital_stock"] * new_vintage + retrofit
    residential = ((r["market_housing_completions_flow"]
                    + r["public_housing_floor_completions_flow"]) / r["housing_floor_area"]
                   + c["appliance_replacement_rate"]) * new_vintage + retrofit
    progress = np.zeros_like(times)
    retention = np.ones_like(times)
    power_factor = np.full_like(times, c["initial_fossil_power_emission_factor"])
    grid_share = np.full_like(times, c["initial_grid_non_fossil_share"])
    for i in range(1, len(times)):
        progress[i] = progress[i - 1] + dt * c["electrification_rate"] * (1 - progress[i - 1])
        retention[i] = retention[i - 1] - dt * c["coal_phase_out_rate"] * (
            retention[i - 1] - c["minimum_coal_retention"])
        power_factor[i] = power_factor[i - 1] - dt * c["fossil_power_factor_decline_rate"] * (
            power_factor[i - 1] - c["best_fossil_power_emission_factor"])
        grid_share[i] = grid_share[i - 1] + dt * c["grid_decarbonization_speed"] * (
            c["maximum_grid_non_fossil_share"] - grid_share[i - 1])
    fuel: dict[str, np.ndarray] = {}
    electricity: dict[str, np.ndarray] = {}
    coal = np.zeros_like(times)
    oil = np.zeros_like(times)
    for sector in SECTORS:
        if sector == "residential":
            gain = np.concatenate(([0.0], np.cumsum(dt * residential[:-1])))
            demand = (r["population"] * rate0 * start_shares[sector] / r["population"][0]
                      * np.exp(-gain) * r["income_index"] ** c["residential_income_elasticity"])
        else:
            gain = np.concatenate(([0.0], np.cumsum(dt * business[:-1])))
            flow = r["gdp_real_flow"] * shares[VALUE_ADDED[sector]]
            demand = flow * rate0 * start_shares[sector] / flow[0] * np.exp(-gain)
        share = c[f"{sector}_electricity_share_2015"]
        electricity[sector] = demand * (share + progress * (1 - share)
                                        * c["electric_end_use_ratio"])
        fuel[sector] = demand * (1 - share) * (1 - progress)
        if sector == "industry":
            enforced = np.clip(times - c["industry_fuel_restructuring_start"], 0,
                               c["industry_fuel_restructuring_duration"])
            fuel[sector] *= np.exp(-c["industry_fuel_restructuring_rate"] * enforced)
        if not np.allclose(r[f"{sector}_energy_flow"], electricity[sector] + fuel[sector],
                           rtol=1e-9):
            failures.append(f"{sector} energy use does not follow activity x intensity")
        coal = coal + fuel[sector] * c[f"{sector}_coal_fraction_2015"]
        oil = oil + fuel[sector] * c[f"{sector}_oil_fraction"]
    scale = 1 + c["unallocated_energy_ratio"]
    coal = np.minimum(coal * retention * scale, c["coal_cap"])
    oil = oil * scale
    expected = {"coal_flow": coal, "oil_flow": oil,
                "gas_flow": sum(fuel.values()) * scale - oil - coal,
                "electricity_flow": sum(electricity.values()) * scale,
                "grid_emission_factor": power_factor * (1 - grid_share)}
    expected["energy_flow"] = expected["electricity_flow"] + sum(fuel.values()) * scale
    expected["non_fossil_share"] = (expected["electricity_flow"] * grid_share
                                    / expected["energy_flow"])
    expected["co2_flow"] = (coal * c["coal_emission_factor"] + oil * c["oil_emission_factor"]
                            + expected["gas_flow"] * c["gas_emission_factor"]
                            + expected["electricity_flow"] / c["electricity_calorific_value"]
                            / c["kwh_per_mwh"] * expected["grid_emission_factor"])
    for name, values in expected.items():
        if not np.allclose(r[name], values, rtol=1e-9):
            failures.append(f"{name} differs from its hand computation")
    if not np.isclose(r["energy_consumption"][0], c["energy_consumption_2015"], rtol=1e-12):
        failures.append("2015 energy use is not the 2015 total")
    return failures


def _stock_failures(result, label: str) -> list[str]:
    failures = []
    for name, values in result.items():
        if not np.isfinite(values).all():
            failures.append(f"{label}: {name} not finite")
        elif name in STOCKS and (values < 0).any():
            failures.append(f"{label}: {name} negative")
    return failures


def extreme_scenarios(engine: EnsembleModel) -> dict[str, dict]:
    """Named extreme combinations (Sterman ch. 21), each a set of parameter values."""
    steps = engine.step_times()
    investment_stops = np.where(steps < 2016, engine.constants["investment_share"], 0.0)
    return {
        "zero investment from 2016": {"investment_share": investment_stops[None, :]},
        "zero fertility": {"total_fertility_rate": 0.0},
        "90% output shock in 2020": {"output_shock_2020": 0.9},
        "maximum emigration": {"base_net_migration_rate": -0.05,
                               "base_out_migration_rate": 0.05},
        "all at once": {"investment_share": investment_stops[None, :],
                        "total_fertility_rate": 0.0, "output_shock_2020": 0.9,
                        "base_net_migration_rate": -0.05,
                        "base_out_migration_rate": 0.05, "depreciation_rate": 0.2,
                        "housing_land_supply_index": 0.0, "demolition_rate": 0.05},
        "no coal, fastest electrification": {"coal_cap": 0.0, "electrification_rate": 0.3,
                                             "efficiency_standard": 0.4, "retrofit_rate": 0.1,
                                             "grid_decarbonization_speed": 0.3},
    }


EXTREME_COLUMNS = (*STOCKS, "population", "gdp_per_capita", "net_migration", "births",
                   "gdp_real", "unemployment_rate", "affordability_index", "co2_emissions",
                   "energy_consumption")


def check_extreme_conditions(engine: EnsembleModel) -> list[str]:
    """Finite, non-negative, and moving the way a domain expert expects."""
    failures = []
    base = {k: v[0] for k, v in _run(engine, {}, EXTREME_COLUMNS).items()}
    runs = {}
    for label, params in extreme_scenarios(engine).items():
        result = {k: v[0] for k, v in _run(engine, params, EXTREME_COLUMNS).items()}
        failures += _stock_failures(result, label)
        runs[label] = result
    # A collapsing economy: GDP per head falls and people leave on balance.
    collapse = runs["zero investment from 2016"]
    if not collapse["gdp_per_capita"][-1] < 0.8 * base["gdp_per_capita"][-1]:
        failures.append("zero investment does not lower 2035 GDP per head by a fifth")
    if not collapse["net_migration"][-1] < 0:
        failures.append("zero investment does not turn net migration negative by 2035")
    # No births: births stop, the 0-14 group shrinks every year, fewer people in 2035.
    unborn = runs["zero fertility"]
    # (to 2030, while cohorts born before 2016 remain; after, in-migrant children only)
    shrinking = np.diff(unborn["population_0_14"][YEARS <= 2030])
    if (unborn["births"][1:] != 0).any() or not (shrinking < 0).all():
        failures.append("zero fertility still gives births or a growing 0-14 group")
    # A 90% output shock: 2020 output about a tenth of the path, fewer migrants in 2021.
    shock = runs["90% output shock in 2020"]
    if not shock["gdp_real"][5] < 0.2 * base["gdp_real"][5]:
        failures.append("a 90% shock does not cut 2020 output to under a fifth")
    if not shock["net_migration"][6] < base["net_migration"][6]:
        failures.append("a 90% shock does not lower 2021 net migration")
    # Maximum emigration: the population falls every year.
    leaving = runs["maximum emigration"]
    if not (np.diff(leaving["population"]) < 0).all():
        failures.append("maximum emigration does not shrink the population every year")
    if not (np.diff(runs["all at once"]["population"]) < 0).all():
        failures.append("everything at its worst does not shrink the population every year")
    # Every energy lever at its strongest: no coal, less energy and CO2 than the baseline.
    green = runs["no coal, fastest electrification"]
    if (green["coal_flow"] != 0).any():
        failures.append("a zero coal cap still burns coal")
    if not (green["energy_consumption"][1:] < base["energy_consumption"][1:]).all():
        failures.append("the strongest efficiency levers do not lower energy use")
    if not (green["co2_emissions"][1:] < base["co2_emissions"][1:]).all():
        failures.append("the strongest energy levers do not lower CO2")
    return failures


def check_each_parameter_at_its_limits(engine: EnsembleModel, catalogue) -> list[str]:
    """Each parameter alone at each end of its range: finite and no negative stock.
    Subscripted constants (the cohort schedules and start shares, whose cells sum to 1)
    are not set whole to an end of a cell's range, which is no valid input."""
    names = [name for name in catalogue if name in engine.constants
             and np.ndim(engine.constants[name]) == 0]
    n = 2 * len(names)
    params = {name: np.full(n, engine.constants[name]) for name in names}
    for i, name in enumerate(names):
        params[name][2 * i] = catalogue[name].minimum
        params[name][2 * i + 1] = catalogue[name].maximum
    result = _run(engine, params, EXTREME_COLUMNS, n=n)
    failures = []
    for i, name in enumerate(names):
        for j, end in ((2 * i, "minimum"), (2 * i + 1, "maximum")):
            failures += _stock_failures({k: v[j] for k, v in result.items()},
                                        f"{name} at its {end}")
    return failures


FAST_CHECKS = (check_known_answers, check_aging_chain, check_growth_indices, check_identities,
               check_flow_identities, check_energy_chain,
               check_data, check_start_without_jumps, check_derived_deepening_rate,
               check_extreme_conditions)
