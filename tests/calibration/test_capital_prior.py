"""The perpetual-inventory prior of the 2015 capital-output ratio."""

from __future__ import annotations

import csv

import pytest

from calibration.capital_prior import (
    ECONOMY_DATA,
    capital_output_prior,
    shandong_capital_output_ratio,
)
from calibration.estimator import load_free_parameters


def _published_ratios() -> dict[tuple[float, int], float]:
    """K/Y rows of capital_stock_pim.csv: (depreciation, year) -> ratio."""
    prefix = "shandong_capital_output_ratio_pim_delta_"
    with (ECONOMY_DATA / "capital_stock_pim.csv").open(encoding="utf-8") as handle:
        return {(float(row["indicator"][len(prefix):]), int(row["year"])): float(row["value"])
                for row in csv.DictReader(handle) if row["indicator"].startswith(prefix)}


def test_the_pim_reproduces_the_data_files_ratios():
    published = _published_ratios()
    assert len(published) >= 12
    for (depreciation, year), ratio in published.items():
        # The file gives two decimals.
        assert shandong_capital_output_ratio(depreciation, year) == pytest.approx(ratio, abs=0.006)


def test_the_calibration_prior_is_the_pim_result():
    mean, sd = capital_output_prior()
    assert mean == pytest.approx(2.851 / 0.931, abs=0.01)
    prior = {p.name: p for p in load_free_parameters()}["initial_capital_output_ratio"]
    assert prior.prior_mean == pytest.approx(mean, abs=0.005)
    assert prior.prior_sd == pytest.approx(sd, abs=0.005)
