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
    for origins in ("2020", "abc"):
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
