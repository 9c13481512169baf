"""Target statistics and verdicts against hand-computed answers on a synthetic Dataset."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from qdsim.errors import TargetError
from qdsim.targets import DEFAULT_TARGETS, Target, apply_overrides, evaluate, load_targets

YEARS = np.arange(2019, 2027)


def dataset(values: dict[str, list[list[float]]]) -> xr.Dataset:
    return xr.Dataset(
        {name: (("scenario", "year"), np.asarray(rows, dtype=float))
         for name, rows in values.items()},
        coords={"scenario": ["low", "high"], "year": YEARS},
    )


def target(**fields) -> Target:
    base = dict(id="t", name_zh="测试", name_en="test", plan_line=1, variable="x",
                statistic="value", comparator=">=", value=10.0, unit="person",
                qualifier="exact", binding="none", year=2025)
    base.update(fields)
    return Target(**base)


X = [[1, 2, 3, 4, 5, 6, 7, 8], [5, 8, 10, 12, 14, 16, 18, 20]]


def test_value_target_and_first_year_met():
    verdicts = evaluate(dataset({"x": X}), [target(value=10.0)]).set_index("scenario")
    assert verdicts.loc["low", "projected"] == 7
    assert verdicts.loc["low", "gap"] == -3
    assert not verdicts.loc["low", "met"]
    assert np.isnan(verdicts.loc["low", "first_year_met"])
    assert verdicts.loc["high", "met"]
    assert verdicts.loc["high", "first_year_met"] == 2021


def test_total_over_a_period_excludes_the_year_before():
    chosen = target(statistic="total", period=(2021, 2025), year=None, value=25.0)
    verdicts = evaluate(dataset({"x": X}), [chosen]).set_index("scenario")
    assert verdicts.loc["low", "projected"] == 3 + 4 + 5 + 6 + 7
    assert verdicts.loc["low", "met"]


def test_mean_growth_is_compound_from_the_year_before_the_period():
    series = [[100 * 1.05 ** k for k in range(8)], [100 * 1.08 ** k for k in range(8)]]
    chosen = target(variable="x", statistic="mean_growth", period=(2021, 2025), year=None,
                    value=0.07, unit="fraction")
    verdicts = evaluate(dataset({"x": series}), [chosen]).set_index("scenario")
    assert verdicts.loc["low", "projected"] == pytest.approx(0.05, rel=1e-12)
    assert verdicts.loc["high", "projected"] == pytest.approx(0.08, rel=1e-12)
    assert list(verdicts["met"]) == [False, True]


def test_change_and_peak_year():
    series = [[10, 12, 14, 13, 12, 11, 10, 9], [1, 2, 3, 4, 5, 6, 7, 8]]
    change = target(statistic="change", period=(2021, 2025), year=None, value=-0.1,
                    comparator="<=", unit="fraction")
    peak = target(id="peak", statistic="peak_year", year=None, value=2026, comparator="<",
                  unit="year")
    verdicts = evaluate(dataset({"x": series}), [change, peak])
    low_change = verdicts.query("scenario == 'low' and target == 't'")["projected"].item()
    assert low_change == pytest.approx(10 / 12 - 1)
    peaks = verdicts.query("target == 'peak'").set_index("scenario")
    assert peaks.loc["low", "projected"] == 2021 and peaks.loc["low", "met"]
    assert peaks.loc["high", "projected"] == 2026 and not peaks.loc["high", "met"]


def test_unset_value_gives_no_verdict_until_the_user_sets_it():
    unset = target(value=None)
    verdicts = evaluate(dataset({"x": X}), [unset])
    assert verdicts["met"].isna().all()
    set_now = apply_overrides([unset], ["t=7"])
    assert list(evaluate(dataset({"x": X}), set_now)["met"]) == [True, True]


def test_bad_overrides():
    with pytest.raises(TargetError, match="known id"):
        apply_overrides([target()], ["nope=1"])
    with pytest.raises(TargetError, match="not a number"):
        apply_overrides([target()], ["t=abc"])


def test_shipped_targets_cover_the_issue_list():
    targets = {t.id: t for t in load_targets(DEFAULT_TARGETS)}
    assert targets["population_2025"].value == 11_000_000
    assert targets["gdp_per_capita_usd_2035"].value == 40_000
    assert targets["gdp_growth_2021_2025"].value == 0.07
    assert targets["labour_productivity_2025"].value == 250_000
    assert targets["urbanization_2025"].value == 0.76
    assert targets["new_urban_jobs_2021_2025"].value == 1_750_000
    assert targets["new_urban_jobs_local_basis_2021_2025"].value == 1_750_000
    assert targets["public_housing_2021_2025"].value == 260_000
    assert targets["co2_peak_before_2035"].statistic == "peak_year"
    assert targets["energy_intensity_2021_2025"].value is None
    assert targets["co2_intensity_2021_2025"].value is None


def test_targets_file_errors_name_the_line(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("- id: a\n  name_zh: 甲\n", encoding="utf-8")
    with pytest.raises(TargetError) as caught:
        load_targets(path)
    assert caught.value.line == 1 and "missing key" in caught.value.message
