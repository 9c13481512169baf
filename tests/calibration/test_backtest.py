"""Rolling-origin backtest: naive forecasts by hand, bad origins refused."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from calibration import DEFAULT_OBSERVATIONS
from calibration.backtest import naive_forecast, prior_median, prior_sample, split_by_information
from calibration.estimator import FreeParameter, load_free_parameters
from calibration.observations import load_observations
from cli import app


def test_naive_levels_continue_the_compound_growth_of_the_fit_window():
    # 100 -> 121 over 2015-2017 is 10% a year: 2018 = 133.1, 2019 = 146.41.
    forecast = naive_forecast(np.array([2015.0, 2017.0]), np.array([100.0, 121.0]),
                              np.array([2018.0, 2019.0]), share=False)
    np.testing.assert_allclose(forecast, [133.1, 146.41])


def test_naive_shares_continue_the_least_squares_line():
    forecast = naive_forecast(np.array([2015.0, 2018.0]), np.array([0.70, 0.73]),
                              np.array([2020.0]), share=True)
    assert forecast[0] == pytest.approx(0.75)


def test_cli_backtest_refuses_origins_outside_the_data(tmp_path):
    # 2017: the census-revised levels are 2015 and 2018-2020, one level up to 2017.
    for origins in ("2020", "abc", "2017"):
        result = CliRunner().invoke(app, ["backtest", "--origins", origins, "--out",
                                          str(tmp_path)])
        assert result.exit_code == 2, result.output
        assert len([line for line in result.output.splitlines() if line.strip()]) == 1
    assert list(tmp_path.iterdir()) == []


def test_parameters_a_window_cannot_see_are_found_and_drawn_from_their_prior():
    free = load_free_parameters()
    # The 2020 output shock moves only 2020 values: invisible up to 2018, seen up to 2020.
    _, unseen_2018 = split_by_information(free, load_observations(DEFAULT_OBSERVATIONS,
                                                                  (2015, 2018)))
    _, unseen_2020 = split_by_information(free, load_observations(DEFAULT_OBSERVATIONS,
                                                                  (2015, 2020)))
    assert "output_shock_2020" in [p.name for p in unseen_2018]
    assert unseen_2020 == []
    rng = np.random.default_rng(1)
    normal = FreeParameter("x", 0.0, 0.08, 0.02, 0.02)
    draws = prior_sample(normal, 20000, rng)
    assert draws.min() >= 0.0 and draws.max() <= 0.08
    # Truncated at 0 (one sd below the mean): the median moves up to 0.0240 (scipy truncnorm).
    assert np.median(draws) == pytest.approx(0.0240, abs=0.0005)
    flat = prior_sample(FreeParameter("y", 1.0, 3.0), 20000, rng)
    assert flat.mean() == pytest.approx(2.0, abs=0.02)
    assert prior_median(normal) == 0.02 and prior_median(FreeParameter("y", 1.0, 3.0)) == 2.0


def test_forecast_shocks_start_after_the_origin_and_are_sized_from_the_record_up_to_it():
    from calibration.backtest import UNKNOWN_AT_ORIGIN, shock_draws
    from calibration.shock_sizes import shock_sizes

    draws, modes = shock_draws(2018, 20000, np.random.default_rng(4))
    sizes = shock_sizes(2018)
    assert set(draws) == set(sizes) == {"tfp_growth_shock", "inflation_shock",
                                         "migration_rate_shock"}
    for name, paths in draws.items():
        assert paths.shape == (20000, 2)  # 2019 and 2020
        assert modes[name] == "annual_shift_from_2019"
        # First year: the innovation alone (standard error of an sd from 20000 draws 0.5%).
        assert paths[:, 0].std() == pytest.approx(sizes[name].sd, rel=0.03)
    # Growth up to 2018 only: 2019's 6.5% is not in the 2018 origin's shock size.
    assert sizes["tfp_growth_shock"].years[-1] == 2018
    # The COVID-19 output shock is sized from 2020's growth: 0 for a forecaster before it.
    assert UNKNOWN_AT_ORIGIN == {"output_shock_2020": 0.0}


def test_markdown_states_the_verdicts_and_the_chance_of_full_coverage():
    import pandas as pd

    from calibration.backtest import backtest_markdown

    table = pd.DataFrame([
        {"origin": 2018, "series": "population", "held_out": 2, "model_mape": 0.004,
         "naive_mape": 0.003, "inside_80": 2, "coverage_80": 1.0, "band_width_80": 0.021,
         "converged": True, "max_r_hat": 1.01, "min_ess": 900.0},
        {"origin": 2019, "series": "population", "held_out": 1, "model_mape": 0.002,
         "naive_mape": 0.006, "inside_80": 1, "coverage_80": 1.0, "band_width_80": 0.012,
         "converged": False, "max_r_hat": 1.07, "min_ess": 300.0}])
    text = backtest_markdown(table)
    assert "| 2018 | population | 2 | 0.40% | 0.30% | no | 2/2 | 2.10% |" in text
    assert "| 2019 | population | 1 | 0.20% | 0.60% | yes | 1/1 | 1.20% |" in text
    assert "Origin 2019: posterior NOT converged (largest split R-hat 1.070" in text
    assert "Better than naive in 1 of 2 origin-series pairs" in text
    assert "probability 0.8^3 = 0.51" in text
