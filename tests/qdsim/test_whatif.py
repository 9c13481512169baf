"""What it would take: planted solutions, Sobol known answers, attributions that add up,
and the plan check's arithmetic."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from qdsim.plan_check import check_plan
from qdsim.sensitivity import sobol_indices, target_sensitivity
from qdsim.simulation import model_years
from qdsim.targets import load_targets, statistic_values
from qdsim.whatif import CHANGE_FROM, attribute, run_with, solve, variation

TARGETS = {t.id: t for t in load_targets()}


@pytest.mark.parametrize(("target_id", "name", "planted"), [
    ("population_2025", "base_net_migration_rate", 0.0123),
    ("gdp_per_capita_usd_2035", "tfp_growth_rate", 0.0234),
    ("urbanization_2025", "urbanization_speed", 0.151),
])
def test_solver_recovers_a_planted_value(baseline, target_id, name, planted):
    chosen = variation(baseline, name)
    years = model_years()
    target = TARGETS[target_id]
    runs = run_with([{**baseline.parameters, name: chosen.apply(planted)}], [target.variable],
                    years)
    exact = float(statistic_values(runs[target.variable], years, target)[0])
    solution = solve(baseline, replace(target, value=exact), name)
    assert solution.amount == pytest.approx(planted, abs=1e-6)


def test_variation_leaves_2016_2020_as_calibrated(baseline):
    changed = variation(baseline, "base_net_migration_rate").apply(0.02)
    assert dict(changed)[CHANGE_FROM - 1] == baseline.parameters["base_net_migration_rate"]
    assert dict(changed)[CHANGE_FROM] == 0.02


def test_unreachable_target_says_so(plan):
    solution = solve(plan, replace(TARGETS["population_2025"], value=5e7),
                     "household_registration_openness")
    assert solution.amount is None
    assert "no value in the allowed range" in solution.notes[0]


def test_ishigami_indices_match_known_values_within_their_intervals():
    # Ishigami (a=7, b=0.1): S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437
    # (Saltelli et al. 2008, Global Sensitivity Analysis: The Primer, §4.9).
    def ishigami(unit):
        x = -np.pi + 2 * np.pi * unit
        return (np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2
                + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0]))

    result = sobol_indices(["x1", "x2", "x3"], ishigami, 4096, seed=3)
    known_first = np.array([0.3139, 0.4424, 0.0])
    known_total = np.array([0.5576, 0.4424, 0.2437])
    assert np.all(np.abs(result["S1"] - known_first) <= result["S1_conf"])
    assert np.all(np.abs(result["ST"] - known_total) <= result["ST_conf"])


def test_scenario_sensitivity_shapes_and_sanity(baseline):
    result = target_sensitivity(baseline, TARGETS["population_2025"], 256, seed=2)
    assert "calibration_posterior" in result["factor"].values
    assert result["ST_by_year"].shape == (len(model_years()), result.sizes["factor"])
    # The exchange rate cannot move the population.
    assert abs(float(result["ST"].sel(factor="cny_per_usd"))) < 1e-9
    # Migration carries 2025 population uncertainty: the year-to-year migration shock and
    # the 2015-2020 posterior (which holds the migration rate) are the two largest factors,
    # each more than twice any other (measured 0.46 and 0.44; next, the jobs response 0.17).
    ranked = result["ST"].to_series().sort_values(ascending=False)
    assert set(ranked.index[:2]) == {"migration_rate_shock", "calibration_posterior"}
    assert ranked.iloc[1] > 2 * ranked.iloc[2]


def test_attributions_sum_to_the_whole_gap(plan, baseline):
    for target_id in ("population_2025", "gdp_per_capita_usd_2035"):
        frame = attribute(plan, baseline, TARGETS[target_id])
        assert frame["shapley"].sum() == pytest.approx(frame.attrs["difference"], rel=1e-9)
        assert set(frame["parameter"]) == {"household_registration_openness",
                                           "public_housing_programme", "tfp_growth_rate",
                                           "total_fertility_rate", "coal_cap",
                                           "electrification_rate", "efficiency_standard",
                                           "grid_decarbonization_speed", "retrofit_rate"}


def test_sampled_shapley_also_sums_exactly(plan, baseline):
    frame = attribute(plan, baseline, TARGETS["population_2025"], max_exact=2,
                      orderings=50, seed=1)
    assert frame["shapley"].sum() == pytest.approx(frame.attrs["difference"], rel=1e-9)


def test_plan_check_arithmetic(plan):
    checks = {c.name.split(" ")[0] + ("_growth" if "growth" in c.name else ""): c
              for c in check_plan(plan, TARGETS)}
    # 12400.56亿元 × 1.07^5 / 25万元 = 695.7万 employed in 2025.
    assert checks["employment"].implied == pytest.approx(1.240056e12 * 1.07**5 / 250_000)
    assert checks["employment"].verdict == "contradiction"
    # Net change from 602.0万 (12400.56亿 / 20.6万) to 695.7万.
    jobs = checks["gross"]
    assert jobs.comparison == pytest.approx(1.240056e12 * (1.07**5 / 250_000 - 1 / 206_000))
    assert checks["urbanization"].verdict == "tension"


def test_cli_analyses_and_errors(scenario_dir, tmp_path):
    runner = CliRunner()
    baseline_file = str(scenario_dir / "baseline.yaml")
    result = runner.invoke(app, ["solve", baseline_file, "--target", "population_2025",
                                 "--vary", "base_net_migration_rate", "--out",
                                 str(tmp_path / "solve.json")])
    assert result.exit_code == 0, result.output
    assert "times the 2016-2020 average" in result.output
    assert (tmp_path / "solve.json").is_file()
    wrong = runner.invoke(app, ["solve", baseline_file, "--target", "population_2052",
                                "--vary", "base_net_migration_rate"])
    assert wrong.exit_code == 2 and "did you mean 'population_2025'" in wrong.output
    wrong = runner.invoke(app, ["solve", baseline_file, "--target", "population_2025",
                                "--vary", "fertility"])
    assert wrong.exit_code == 2 and "unknown parameter" in wrong.output
    wrong = runner.invoke(app, ["sensitivity", baseline_file, "--target", "population_2025",
                                "--samples", "1000"])
    assert wrong.exit_code == 2 and "power of 2" in wrong.output
    result = runner.invoke(app, ["check-plan", str(scenario_dir / "plan.yaml")])
    assert result.exit_code == 0 and "[contradiction]" in result.output


@pytest.mark.slow
def test_sobol_with_every_baseline_factor_and_4096_base_samples_runs(baseline):
    extra = {"migration_response_to_registration_openness":
             {"distribution": "uniform", "low": 0.5, "high": 2.0, "apply": "replace"},
             "job_destruction_rate":
             {"distribution": "uniform", "low": 0.015, "high": 0.04, "apply": "replace"},
             # added to the baseline's own factors (the posterior block, the exchange rate,
             # post-2020 inflation, the migration, income, mortality and energy assumptions).
             "demolition_rate":
             {"distribution": "uniform", "low": 0.005, "high": 0.02, "apply": "replace"}}
    wider = replace(baseline, uncertain={**baseline.uncertain, **extra})
    result = target_sensitivity(wider, TARGETS["population_2025"], 4096, seed=4)
    # The posterior draws count as one factor; every other uncertain entry is a factor.
    factors = 1 + sum(spec["distribution"] != "posterior" for spec in wider.uncertain.values())
    assert factors >= 10 and result.sizes["factor"] == factors
    assert result.attrs["runs"] == 4096 * (factors + 2)
