"""Calibration end to end: synthetic truth is recovered; bad data leaves files intact."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from calibration import DEFAULT_OBSERVATIONS
from calibration.estimator import Calibrator, FreeParameter, load_free_parameters
from calibration.observations import CalibrationDataError, Observation, load_observations
from cli import app
from qdsim.ensemble_runs import simulate
from qdsim.targets import summarize

TRUTH = {"tfp_growth_rate": 0.021, "base_net_migration_rate": 0.009,
         "new_capital_efficiency_advantage": 0.15}
FREE = [FreeParameter("tfp_growth_rate", 0.0, 0.05),
        FreeParameter("base_net_migration_rate", 0.0, 0.02),
        FreeParameter("new_capital_efficiency_advantage", 0.0, 0.6)]


def synthetic_observations(seed: int) -> list[Observation]:
    """The shipped observation design, with values simulated at TRUTH plus noise of sd."""
    template = load_observations(DEFAULT_OBSERVATIONS)
    years = np.arange(2015, 2021, dtype=float)
    runs = simulate({}, 1, sorted({o.variable for o in template}), years,
                    draws={k: np.array([v]) for k, v in TRUTH.items()})
    rng = np.random.default_rng(seed)
    synthetic = []
    for o in template:
        exact = summarize(runs[o.variable], years, o.statistic, year=o.year,
                          period=o.period)[0]
        synthetic.append(Observation(o.id, o.variable, o.statistic, o.year, o.period,
                                     float(exact + o.sd * rng.standard_normal()), o.unit, o.sd,
                                     o.definition, o.source))
    return synthetic


def test_synthetic_truth_lies_inside_the_posterior_intervals():
    calibrator = Calibrator(FREE, seed=7, population_size=8, max_generations=60, walkers=8,
                            steps=2000, burn_in=400, thin=2)
    calibrator.fit(synthetic_observations(seed=11))
    for name, true_value in TRUTH.items():
        low, high = calibrator.posterior_[name].quantile([0.005, 0.995])
        assert low <= true_value <= high, (name, low, true_value, high)
        # The estimate is close too: within 3 posterior sd of the truth.
        assert abs(calibrator.params_[name] - true_value) < 3 * calibrator.posterior_[name].std()
    assert calibrator.cost_ < 60  # chi-square with 23 noisy observations, 3 parameters
    assert calibrator.diagnostics_["converged"]
    # Single runs use the posterior medians.
    for name in TRUTH:
        assert calibrator.params_[name] == pytest.approx(calibrator.posterior_[name].median())


def test_exact_data_are_fitted_exactly():
    template = synthetic_observations(seed=0)
    exact = [Observation(o.id, o.variable, o.statistic, o.year, o.period, o.value, o.unit,
                         o.sd, o.definition, o.source) for o in template]
    years = np.arange(2015, 2021, dtype=float)
    runs = simulate({}, 1, sorted({o.variable for o in exact}), years,
                    draws={k: np.array([v]) for k, v in TRUTH.items()})
    exact = [Observation(o.id, o.variable, o.statistic, o.year, o.period,
                         float(summarize(runs[o.variable], years, o.statistic, year=o.year,
                                         period=o.period)[0]), o.unit, o.sd, o.definition,
                         o.source) for o in exact]
    calibrator = Calibrator(FREE, seed=3, population_size=8, max_generations=60, walkers=16,
                            steps=60, burn_in=20, thin=1, check_convergence=False)
    calibrator.fit(exact)
    for name, true_value in TRUTH.items():
        assert calibrator.map_[name] == pytest.approx(true_value, rel=1e-5)
    assert calibrator.map_cost_ < 1e-8


def test_normal_priors_enter_the_objective_and_pull_the_map(tmp_path):
    free = tmp_path / "free.yaml"
    free.write_text("tfp_growth_rate: {bounds: [0.0, 0.05], normal: [0.02, 0.001]}\n"
                    "base_net_migration_rate: [0.0, 0.02]\n", encoding="utf-8")
    parameters = load_free_parameters(free)
    assert (parameters[0].prior_mean, parameters[0].prior_sd) == (0.02, 0.001)
    assert not parameters[1].has_prior
    calibrator = Calibrator(parameters, seed=1)
    calibrator.observations_ = synthetic_observations(seed=11)
    point = np.array([[0.023, 0.009]])
    # Objective = chi-square + ((0.023 - 0.02) / 0.001)^2 = chi-square + 9.
    assert calibrator.objective(point)[0] == pytest.approx(calibrator.cost(point)[0] + 9.0)


def test_free_parameters_file_refuses_a_bad_prior(tmp_path):
    free = tmp_path / "free.yaml"
    free.write_text("tfp_growth_rate: {bounds: [0.0, 0.05], normal: [0.02, -1]}\n",
                    encoding="utf-8")
    with pytest.raises(CalibrationDataError, match="normal"):
        load_free_parameters(free)


def test_cli_calibrate_refuses_an_unconverged_posterior_and_keeps_previous_file(tmp_path):
    out = tmp_path / "calibrated.yaml"
    out.write_text("previous\n", encoding="utf-8")
    free = tmp_path / "free.yaml"
    free.write_text("base_net_migration_rate: [0.0, 0.02]\n", encoding="utf-8")
    # 100 steps, 20 burn-in: 80 kept steps are under 20 autocorrelation times.
    result = CliRunner().invoke(app, ["calibrate", "--free", str(free), "--steps", "100",
                                      "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "not converged" in lines[0]
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calibrated.yaml", "free.yaml"]


def test_cli_calibrate_bad_data_exits_2_and_keeps_previous_file(tmp_path):
    out = tmp_path / "calibrated.yaml"
    out.write_text("previous\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,variable\n", encoding="utf-8")
    runner = CliRunner()
    for arguments in (["--data", str(bad)], ["--window", "1990:1995"], ["--window", "x"]):
        result = runner.invoke(app, ["calibrate", *arguments, "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert len([line for line in result.output.splitlines() if line.strip()]) == 1
        assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "calibrated.yaml"]
