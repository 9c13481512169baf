"""Rolling-origin backtest: naive forecasts by hand, bad origins refused."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from calibration.backtest import naive_forecast
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
