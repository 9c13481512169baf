"""The 40,000 USD verdict over inflation × exchange rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qdsim.scenario import load_scenarios
from reports.nominal_map import verdict_map, write_verdict_map

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def table():
    scenario = load_scenarios([BASELINE])[0]
    return verdict_map(scenario, inflation=(0.0, 0.02, 0.04), rates=(6.0, 6.9, 7.8),
                       samples=60, seed=3)


def test_the_exchange_rate_only_converts_so_dollar_values_scale_as_its_inverse(table):
    for _, cells in table.groupby("inflation_after_2020"):
        product = cells["median"] * cells["cny_per_usd_2035"]
        np.testing.assert_allclose(product, product.iloc[0], rtol=1e-9)


def test_probability_rises_with_inflation_and_falls_with_a_weaker_yuan(table):
    grid = table.pivot(index="cny_per_usd_2035", columns="inflation_after_2020",
                       values="probability_met").to_numpy()
    assert np.all(np.diff(grid, axis=1) >= 0) and np.all(np.diff(grid, axis=0) <= 0)
    assert grid[0, -1] > grid[-1, 0]


def test_files_are_written(tmp_path):
    scenario = load_scenarios([BASELINE])[0]
    written = write_verdict_map(scenario, tmp_path, inflation=(0.0, 0.02), rates=(6.5, 7.0),
                                samples=20)
    assert [p.suffix for p in written] == [".csv", ".png"]
    assert all(p.stat().st_size > 0 for p in written)
