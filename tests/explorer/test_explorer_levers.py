"""Levers, what-ifs and their export: catalogue, checks, change year, YAML, P(met)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from cli import app as cli_app
from explorer import compute
from explorer.levers import (
    ExplorerInputError,
    build_whatif,
    check_changes,
    check_year,
    export_yaml,
    lever_catalogue,
    scenario_choices,
)
from model.parameters import parameter_catalogue
from qdsim.scenario import load_scenario


def test_levers_are_every_time_varying_parameter_the_scenarios_use(explorer, scenario_dir):
    catalogue = parameter_catalogue()
    used = set()
    for path in scenario_dir.glob("*.yaml"):
        scenario = load_scenario(path)
        used |= set(scenario.parameters) | set(scenario.uncertain)
    expected = {name for name in used if catalogue[name].time_varying}
    assert set(explorer.levers) == expected
    assert "initial_capital_output_ratio" not in explorer.levers  # a start value
    for name, lever in explorer.levers.items():
        assert (lever.minimum, lever.maximum, lever.unit) == (
            catalogue[name].minimum, catalogue[name].maximum, catalogue[name].unit)


def test_levers_are_grouped_by_the_sectors_of_parameters_md(explorer):
    sectors = {name: lever.sector for name, lever in explorer.levers.items()}
    assert sectors["tfp_growth_rate"] == "Economy"
    assert sectors["total_fertility_rate"] == "Population"
    assert sectors["public_housing_programme"] == "Housing"
    assert sectors["efficiency_standard"] == "Energy and CO2"
    order = [lever.sector for lever in explorer.levers.values()]
    assert order == sorted(order, key=order.index)  # each sector in one block


def test_calibrated_interval_is_the_posterior_5_to_95_percent(explorer, repo_root):
    calibration = yaml.safe_load((repo_root / "calibration" / "calibrated.yaml").read_text())
    summary = calibration["calibration"]["posterior_summary"]["tfp_growth_rate"]
    estimate, low, high = explorer.levers["tfp_growth_rate"].calibrated
    assert (estimate, low, high) == (calibration["parameters"]["tfp_growth_rate"],
                                     summary["q05"], summary["q95"])
    assert explorer.levers["cny_per_usd"].calibrated is None  # not calibrated


@pytest.mark.parametrize("raw, message", [
    ({"tfp_growth_rate": "abc"}, "is not a number"),
    ({"tfp_growth_rate": 1e9}, "outside the allowed range [-0.05, 0.1]"),
    ({"tfp_growth_rate": math.nan}, "must be finite"),
    ({"tfp_growth_rate": math.inf}, "must be finite"),
    ({"tfp_growth_rate": True}, "expected a number"),
    ({"tfp_growth_rate": [0.1]}, "expected a number"),
    ({"__class__": 0.1}, "unknown"),
    ({"initial_capital_output_ratio": 3.0}, "unknown"),  # a start value is no lever
    ([("tfp_growth_rate", 0.1)], "expected a mapping"),
])
def test_lever_values_are_checked_against_the_scenario_file_ranges(explorer, raw, message):
    with pytest.raises(ExplorerInputError) as error:
        check_changes(explorer.levers, raw)
    assert message in str(error.value)


@pytest.mark.parametrize("year", [2015, 2036, 2021.5, "soon", None])
def test_change_year_is_checked(year):
    with pytest.raises(ExplorerInputError):
        check_year(year)


@pytest.mark.parametrize("year", [2021, 2026])
def test_a_change_applies_from_the_chosen_year(explorer, baseline, year):
    moved = build_whatif(baseline, explorer.levers, {"tfp_growth_rate": 0.03}, year)
    unmoved = build_whatif(baseline, explorer.levers, {}, year)
    assert moved.parameters["tfp_growth_rate"] == (
        (year - 1, baseline.parameters["tfp_growth_rate"]), (year, 0.03))
    changed = compute.project(moved).central["gdp_real"]
    same = compute.project(unmoved).central["gdp_real"]
    years = compute.project(unmoved).years
    np.testing.assert_array_equal(changed[years <= year - 1], same[years <= year - 1])
    assert np.all(changed[years >= year] > same[years >= year])


def test_a_lever_at_the_scenario_value_is_no_change(explorer, plan):
    # plan's openness path is 0.5 in 2020 and 0.8 from 2022: 0.65 in 2021
    whatif = build_whatif(plan, explorer.levers, {"household_registration_openness": 0.65,
                                                  "tfp_growth_rate": 0.03}, 2021)
    assert list(whatif.changes) == ["tfp_growth_rate"]
    document = yaml.safe_load(export_yaml(whatif))
    assert list(document["parameters"]) == ["tfp_growth_rate"]
    assert document["extends"] == "plan"


def test_export_of_a_scenario_given_on_the_command_line_extends_its_path(tmp_path, explorer):
    own = tmp_path / "mine.yaml"
    own.write_text("name: mine\ntitle: {zh: 我的, en: Mine}\ndescription: a test scenario\n"
                   "extends: low_growth\nparameters:\n  investment_share: 0.4\n",
                   encoding="utf-8")
    scenarios = scenario_choices([own])
    levers = lever_catalogue(scenarios.values())
    whatif = build_whatif(scenarios["mine"], levers, {"investment_share": 0.5}, 2023)
    exported = tmp_path / "elsewhere" / "mine_whatif.yaml"
    exported.parent.mkdir()
    exported.write_text(export_yaml(whatif), encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["validate", str(exported)])
    assert result.exit_code == 0, result.output
    loaded = load_scenario(exported)
    assert loaded.chain[1] == own.resolve()
    assert dict(loaded.parameters) == dict(whatif.parameters)


def test_uncertainty_is_the_scenario_sampling_of_qdsim_targets(explorer, baseline):
    """P(met) of the unchanged baseline equals `qdsim targets --samples 1000` (seed 1)."""
    from qdsim.batch import batch_in_memory
    from qdsim.target_summary import summarize_verdicts
    from qdsim.targets import evaluate, load_targets

    projection = compute.project(build_whatif(baseline, explorer.levers, {}, 2021), True)
    targets = load_targets()
    batch = batch_in_memory([baseline], samples=compute.SAMPLES, seed=compute.SEED,
                            variables=sorted({t.variable for t in targets}))
    summary = summarize_verdicts(evaluate(batch, targets), targets).set_index("target")
    for target in targets:
        expected = summary.loc[target.id, "probability_met"]
        actual = projection.p_met[target.id]
        assert (actual is None and np.isnan(expected)) or actual == pytest.approx(expected)


def test_a_moved_lever_whose_draws_replace_it_is_no_longer_drawn(explorer, baseline):
    whatif = build_whatif(baseline, explorer.levers, {"migration_sensitivity_to_jobs": 12.0},
                          2021)
    assert whatif.fixed == ["migration_sensitivity_to_jobs"]
    assert "migration_sensitivity_to_jobs" not in whatif.scenario().uncertain
    projection = compute.project(whatif, uncertainty=True)
    assert projection.bands["population"].shape == (len(compute.QUANTILES),
                                                    len(projection.years))
