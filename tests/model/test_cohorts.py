"""Issue 11: population by single year of age and sex. Cohorts move up exactly one age a
year (a birth pulse travels intact), people are conserved every year to 1e-9, the cohort
sums are the census groups, and the calibrated model meets the 2020 census structure, the
2020 total and the registered-basis births."""

from __future__ import annotations

import numpy as np
import pytest

from calibration import population_goals, population_start
from model import MODEL_PATH, checks
from model.ensemble import EnsembleModel

YEARS = np.arange(2015, 2036, dtype=float)


@pytest.fixture(scope="module")
def engine():
    return EnsembleModel.from_mdl(MODEL_PATH)


def run(engine, params, columns, n=1, times=YEARS):
    return engine.run(params, n, return_columns=list(columns), return_times=times)


def test_a_birth_pulse_travels_intact_without_deaths_or_migration(engine):
    assert checks.check_aging_chain(engine) == []


def test_a_birth_pulse_with_deaths_stays_one_cohort_and_no_age_goes_negative(engine):
    # Births in 2016 only, no migration: the 2016 cohort is at age k-1 at the end of
    # 2015 + k, the ages below it stay empty, and it only loses its own deaths.
    constants = engine.constants
    steps = engine.step_times()
    fertility = np.where(steps < 2016, constants["total_fertility_rate"], 0.0)[None, :]
    params = {"total_fertility_rate": fertility, "base_net_migration_rate": 0.0,
              "base_out_migration_rate": 0.0,
              "initial_population": 1e-3}  # (almost) nobody at the start
    result = run(engine, params, ["population_by_age", "births", "deaths"])
    cohorts, births = result["population_by_age"][0], result["births"][0]
    assert (cohorts >= 0).all()
    for k in range(1, len(YEARS)):
        here = cohorts[k].sum(axis=1)
        assert here.sum() - here[k - 1] <= 1e-3
        assert here[k - 1] < births[1]
    # the cohort's losses are its deaths (nothing else happens to it)
    total = cohorts.sum(axis=(1, 2))
    np.testing.assert_allclose(np.diff(total)[1:], -result["deaths"][0][2:], rtol=1e-9)


@pytest.mark.parametrize("label", ["default", "calibrated", "high migration and fertility"])
def test_people_are_conserved_every_year_to_1e_9(engine, label):
    params = {"default": {}, "calibrated": checks.calibrated_parameters(engine),
              "high migration and fertility": {"base_net_migration_rate": 0.03,
                                               "total_fertility_rate": 2.5,
                                               "base_out_migration_rate": 0.05}}[label]
    r = {k: v[0] for k, v in run(engine, params, [
        "population", "births", "deaths", "in_migration", "out_migration",
        "net_migration", "population_by_age", "population_0_14", "population_15_59",
        "population_60_64", "population_65_plus"]).items()}
    scale = 1e-9 * r["population"].max()
    balance = (r["births"] - r["deaths"] + r["in_migration"] - r["out_migration"])[1:]
    np.testing.assert_allclose(np.diff(r["population"]), balance, rtol=0, atol=scale)
    np.testing.assert_allclose(r["net_migration"], r["in_migration"] - r["out_migration"],
                               rtol=0, atol=scale)
    groups = sum(r[f"population_{g}"] for g in ("0_14", "15_59", "60_64", "65_plus"))
    np.testing.assert_allclose(groups, r["population"], rtol=1e-12)
    np.testing.assert_allclose(r["population_by_age"].sum(axis=(1, 2)), r["population"],
                               rtol=1e-12)


def test_net_migration_turns_negative_when_the_city_loses_its_pull(engine):
    steps = engine.step_times()
    investment = np.where(steps < 2016, engine.constants["investment_share"], 0.0)[None, :]
    r = run(engine, {"investment_share": investment},
            ["net_migration", "in_migration", "out_migration"])
    assert r["net_migration"][0, -1] < 0 < r["in_migration"][0, -1]
    assert r["out_migration"][0, -1] > r["out_migration"][0, 1]


def test_the_start_reproduces_the_census_table_it_was_reverse_survived_from(engine):
    # ages 5-99 at the census are the end-2015 cohorts 0-94 run forward (the fixed point)
    params = checks.calibrated_parameters(engine)
    model = run(engine, params, ["population_by_age"],
                times=[population_start.CENSUS_TIME])["population_by_age"][0, 0]
    census = population_start.census_2020()
    # 2%: the start is the fixed point rescaled to the observed end-2015 total (944.6万),
    # while the in-migrants of 2016-2020 are not rescaled with it
    np.testing.assert_allclose(model[5:100] / model[5:100].sum(),
                               census[5:100] / census[5:100].sum(), rtol=0.02)


def test_schedules_are_shares_that_sum_to_one(engine):
    constants = engine.constants
    for name in ("fertility_schedule", "migration_propensity", "in_migrant_schedule",
                 "initial_population_share"):
        values = np.asarray(constants[name])
        assert (values >= 0).all(), name
        assert values.sum() == pytest.approx(1, abs=1e-6), name
    assert np.asarray(constants["fertility_schedule"])[:15].sum() == 0
    assert np.asarray(constants["fertility_schedule"])[50:].sum() == 0


def test_calibrated_model_meets_the_census_structure_total_and_births(engine):
    gaps = population_goals.measure(engine)
    for name in population_goals.CENSUS_SHARES:
        assert abs(gaps[name]) <= 0.3, (name, gaps[name])  # percentage points
    assert abs(gaps["population_2020"]) <= 0.005
    for year in population_goals.BIRTHS_REGISTERED:
        assert abs(gaps[f"births_registered_{year}"]) <= 0.05
