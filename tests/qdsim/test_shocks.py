"""Year-to-year AR(1) shocks (issue 12, item 5): drawn paths have the stated sd and
autocorrelation, are zero up to 2020 in every draw, both engines agree on a shocked draw,
bands widen, bad specifications are refused in one line, and the shipped sizes are those
of the historical record."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from calibration.shock_sizes import shock_sizes
from qdsim.ensemble_runs import annual_points, annual_steps, path_on_grid, simulate
from qdsim.errors import ScenarioError
from qdsim.sampling import design, design_columns
from qdsim.scenario import load_scenario
from qdsim.simulation import model_years, simulate_scenarios

SHOCKS = ("tfp_growth_shock", "inflation_shock", "migration_rate_shock")
#: The ensemble engine's measured parity with PySD (tests/model/test_ensemble.py).
RELATIVE_TOLERANCE = 1e-9


def _pooled_ar1(paths: np.ndarray) -> tuple[float, float]:
    """rho and innovation sd from every pair of consecutive years of every draw, the
    first year's value being its own innovation (the path starts from 0)."""
    previous = np.concatenate([np.zeros(len(paths)), paths[:, :-1].ravel()])
    current = np.concatenate([paths[:, 0], paths[:, 1:].ravel()])
    rho = float(paths[:, :-1].ravel() @ paths[:, 1:].ravel()
                / (paths[:, :-1].ravel() @ paths[:, :-1].ravel()))
    return rho, float(np.std(current - rho * previous))


def test_drawn_paths_have_the_stated_sd_and_autocorrelation(baseline):
    chosen = design(baseline, 4000, seed=11)
    for name in SHOCKS:
        spec = baseline.uncertain[name]
        paths = chosen.draws[name]
        assert paths.shape == (4000, spec["to"] - spec["from"] + 1)
        rho, sd = _pooled_ar1(paths)
        # 4000 draws x 14 pairs: the standard error of rho is about
        # sqrt(1 - rho^2) / sqrt(56000) <= 0.0042, of the sd about 0.3%; the tolerances are
        # 5 standard errors (the 4-sd clipping changes either by far less).
        assert rho == pytest.approx(spec["rho"], abs=0.021), name
        assert sd == pytest.approx(spec["sd"], rel=0.015), name
        # Across draws, year k's sd grows to the stationary one as sd^2 (1 - rho^2k) /
        # (1 - rho^2); with 4000 draws each year's sd has a standard error of 1.1%.
        steps = np.arange(1, paths.shape[1] + 1)
        expected = spec["sd"] * np.sqrt((1 - spec["rho"] ** (2 * steps)) / (1 - spec["rho"] ** 2))
        np.testing.assert_allclose(paths.std(axis=0), expected, rtol=0.05, err_msg=name)
        assert abs(paths.mean()) < 4 * spec["sd"] / np.sqrt(4000), name
        assert chosen.modes[name] == f"annual_shift_from_{spec['from']}"


def test_one_design_dimension_per_shock_year(baseline):
    columns = [column for _, column in design_columns(baseline)]
    assert "tfp_growth_shock[2021]" in columns and "tfp_growth_shock[2035]" in columns
    assert "tfp_growth_shock[2020]" not in columns
    again = design(baseline, 50, seed=11)
    other = design(baseline, 50, seed=12)
    np.testing.assert_array_equal(again.draws["inflation_shock"],
                                  design(baseline, 50, seed=11).draws["inflation_shock"])
    assert not np.allclose(again.draws["inflation_shock"], other.draws["inflation_shock"])


def test_shocks_are_zero_up_to_2020_and_the_past_stays_as_observed(baseline):
    chosen = design(baseline, 200, seed=3)
    shocks = {name: chosen.draws[name] for name in SHOCKS}
    modes = {name: chosen.modes[name] for name in SHOCKS}
    times = np.arange(2015, 2036, 1 / 16)
    steps = annual_steps(shocks["tfp_growth_shock"], 2021, times)
    assert np.all(steps[:, times < 2020] == 0)
    assert np.all(steps[:, (times >= 2020) & (times < 2021)]
                  == shocks["tfp_growth_shock"][:, :1])
    years = model_years()
    variables = ["population", "gdp_nominal", "gdp_real_growth", "urbanization_rate"]
    shocked = simulate(dict(baseline.parameters), 200, variables, years, draws=shocks,
                       modes=modes)
    central = simulate(dict(baseline.parameters), 1, variables, years)
    observed = years <= 2020
    for name in variables:
        # Every draw has the same past, to the last bit ...
        np.testing.assert_array_equal(shocked[name][:, observed],
                                      np.broadcast_to(shocked[name][:1, observed],
                                                      (200, observed.sum())), err_msg=name)
        # ... and it is the central run's: 1e-13 relative because numpy sums the cohort
        # arrays (SUM over age and sex) in an order that depends on the number of runs, and
        # a growth rate (a ratio of levels less 1) carries that last bit ~15 times larger.
        np.testing.assert_allclose(shocked[name][0, observed], central[name][0, observed],
                                   rtol=1e-13, atol=0, err_msg=name)
        if name != "urbanization_rate":  # the urban share does not respond to them
            assert np.ptp(shocked[name][:, years == 2021]) > 0, name


def test_annual_points_interpolate_to_the_same_steps():
    values = np.array([[0.01, -0.02, 0.005]])
    points = annual_points(values[0], 2021)
    times = np.arange(2015, 2030, 1 / 128)
    np.testing.assert_array_equal(path_on_grid(points, times),
                                  annual_steps(values, 2021, times)[0])


def test_both_engines_agree_on_a_shocked_draw(baseline):
    chosen = design(baseline, 4, seed=5)
    draw = {name: chosen.draws[name][2] for name in SHOCKS}
    parameters = {**baseline.parameters,
                  **{name: annual_points(values, baseline.uncertain[name]["from"])
                     for name, values in draw.items()}}
    shocked = dataclasses.replace(baseline, parameters=MappingProxyType(parameters))
    variables = ["population", "gdp_nominal", "gdp_per_capita_usd", "gdp_real_growth",
                 "urbanization_rate", "unemployment_rate"]
    reference = simulate_scenarios([shocked], engine="pysd", variables=variables)
    years = model_years()
    ensemble = simulate(dict(baseline.parameters), 1, variables, years,
                        draws={name: values[None, :] for name, values in draw.items()},
                        modes={name: chosen.modes[name] for name in SHOCKS})
    unshocked = simulate(dict(baseline.parameters), 1, variables, years)
    for name in variables:
        expected = reference[name].to_numpy()[0]
        np.testing.assert_allclose(ensemble[name][0], expected, rtol=RELATIVE_TOLERANCE,
                                   atol=RELATIVE_TOLERANCE * np.max(np.abs(expected)),
                                   err_msg=name)
    assert abs(ensemble["gdp_nominal"][0, -1] / unshocked["gdp_nominal"][0, -1] - 1) > 1e-3


def test_shocks_widen_the_bands_after_2020_only(baseline):
    samples = 400
    chosen = design(baseline, samples, seed=2)
    years = model_years()
    variables = ["gdp_real_growth", "population", "gdp_nominal"]
    with_shocks = simulate(dict(baseline.parameters), samples, variables, years,
                           draws=chosen.draws, modes=chosen.modes)
    without = simulate(dict(baseline.parameters), samples, variables, years,
                       draws={k: v for k, v in chosen.draws.items() if k not in SHOCKS},
                       modes=chosen.modes)

    def width(values: np.ndarray, year: int) -> float:
        column = values[:, list(years).index(year)]
        return float(np.quantile(column, 0.9) - np.quantile(column, 0.1))

    for name in variables:
        assert width(with_shocks[name], 2020) == width(without[name], 2020), name
    # The same draws of everything else: the shocks are independent of them, so variances
    # add. Measured with these draws: the 10-90% width of 2025 growth 2.2 times as wide,
    # 2035 population 1.19 times, 2035 nominal GDP 1.34 times; the bounds leave room for
    # other draws while failing if a shock is dropped or shrunk several-fold.
    assert width(with_shocks["gdp_real_growth"], 2025) > 1.5 * width(
        without["gdp_real_growth"], 2025)
    assert width(with_shocks["population"], 2035) > 1.08 * width(without["population"], 2035)
    assert width(with_shocks["gdp_nominal"], 2035) > 1.15 * width(without["gdp_nominal"], 2035)


def test_shipped_shock_sizes_are_those_of_the_record(baseline):
    sizes = shock_sizes()
    for name in SHOCKS:
        spec = baseline.uncertain[name]
        assert spec["from"] == 2021
        assert spec["sd"] == pytest.approx(sizes[name].sd, abs=5e-5), name
        assert spec["rho"] == pytest.approx(sizes[name].rho, abs=5e-3), name


GOOD = """\
name: shocked
title: {{zh: 冲击, en: Shocks}}
description: A test scenario.
uncertain:
  {key}: {spec}
"""


@pytest.mark.parametrize(("key", "spec", "fragment"), [
    ("tfp_growth_shock", "{distribution: ar1, sd: 0.01, rho: 1.0}", "'rho' must lie strictly"),
    ("tfp_growth_shock", "{distribution: ar1, sd: -0.01, rho: 0.3}", "'sd' must be positive"),
    ("tfp_growth_shock", "{distribution: ar1, sd: 0.01}", "ar1 needs 'rho'"),
    ("tfp_growth_shock", "{distribution: ar1, sd: 0.01, rho: 0.3, from: 2020}",
     "'from' must be after the last observed year 2020"),
    ("tfp_growth_shock", "{distribution: ar1, sd: 0.01, rho: 0.3, from: 2021.5}",
     "'from' must be a whole year"),
    ("tfp_growth_shock", "{distribution: ar1, sd: 0.01, rho: 0.3, from: 2025, to: 2022}",
     "'to' must be from 'from' (2025)"),
    ("tfp_growth_shock", "{distribution: ar1, sd: 0.01, rho: 0.3, apply: scale}",
     "only 'apply: shift'"),
    ("tfp_growth_shock", "{distribution: ar1, sd: 0.01, rho: 0.3, low: 0.001}",
     "'low' must be below 0"),
    ("tfp_growth_shock", "{distribution: ar1, sd: 0.05, rho: 0.3}", "outside the allowed range"),
    ("initial_capital_output_ratio", "{distribution: ar1, sd: 0.1, rho: 0.3}",
     "takes no path"),
    ("tfp_growth_shock", "{distribution: ar1, sd: 0.01, rho: 0.3, lag: 2}",
     "field 'lag' not allowed for ar1"),
])
def test_bad_shock_specifications_are_one_line_with_file_line_and_key(tmp_path, key, spec,
                                                                      fragment):
    path = tmp_path / "shocked.yaml"
    path.write_text(GOOD.format(key=key, spec=spec), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    error = caught.value
    assert error.path == str(Path(path).resolve())
    assert error.line == 5
    assert error.key == key
    assert fragment in error.message
    assert "\n" not in str(error)


def test_cli_refuses_a_bad_shock_in_one_line_with_exit_code_2(tmp_path):
    from typer.testing import CliRunner

    from cli import app

    path = tmp_path / "shocked.yaml"
    path.write_text(GOOD.format(key="inflation_shock",
                                spec="{distribution: ar1, sd: 0.02, rho: -1.5}"),
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "shocked.yaml:5" in lines[0] and "inflation_shock" in lines[0] and "rho" in lines[0]


def test_each_shock_moves_its_own_quantity_by_its_size(baseline):
    """Known answers for one shock of 0.01 in 2023 only: net migration per resident rises
    by 0.01 that year; the deflator (a log stock) rises by 0.01 over the year, which annual
    totals show half in 2023 and half in 2024; TFP likewise, with capital then following
    output (so GDP growth over the two years rises by a little more than 0.01)."""
    years = model_years()
    path = np.zeros((1, 15))
    path[0, 2] = 0.01
    at = {year: list(years).index(year) for year in (2022, 2023, 2024)}

    def difference(name: str, variables: list[str]) -> tuple[dict, dict]:
        shocked = simulate(dict(baseline.parameters), 1, variables, years,
                           draws={name: path}, modes={name: "annual_shift_from_2021"})
        plain = simulate(dict(baseline.parameters), 1, variables, years)
        return ({k: v[0] for k, v in shocked.items()}, {k: v[0] for k, v in plain.items()})

    shocked, plain = difference("migration_rate_shock", ["population"])
    growth = {k: v[1:] / v[:-1] for k, v in (("s", shocked["population"]),
                                            ("p", plain["population"]))}
    change = growth["s"] - growth["p"]  # index i is the growth into year i + 1
    assert change[at[2022] - 1] == 0.0
    # exp(0.01) - 1 = 0.01005; attractiveness reacts within the year (-2% of it).
    assert change[at[2023] - 1] == pytest.approx(0.01, rel=0.03)

    shocked, plain = difference("inflation_shock", ["gdp_nominal", "gdp_real"])
    deflator = {k: v["gdp_nominal"] / v["gdp_real"] for k, v in (("s", shocked), ("p", plain))}
    change = deflator["s"][1:] / deflator["s"][:-1] - deflator["p"][1:] / deflator["p"][:-1]
    assert change[at[2022] - 1] == 0.0
    assert 0.4 * 0.01 < change[at[2023] - 1] < 0.6 * 0.01
    # Over both years the deflator is exp(0.01) higher: (1.01005) within the compounding.
    assert change[at[2023] - 1] + change[at[2024] - 1] == pytest.approx(0.01005, rel=0.03)

    shocked, plain = difference("tfp_growth_shock", ["gdp_real_growth"])
    change = shocked["gdp_real_growth"] - plain["gdp_real_growth"]
    assert change[at[2022]] == 0.0
    assert 0.4 * 0.01 < change[at[2023]] < 0.6 * 0.01
    # Capital follows the higher output (investment is a share of it): a little over 0.01.
    assert 0.01 < change[at[2023]] + change[at[2024]] < 1.3 * 0.01
