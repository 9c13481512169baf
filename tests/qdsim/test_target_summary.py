"""The one summary over samples (P(met), first year met, P(never)) and the terminal table,
against hand-computed answers on synthetic samples."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import xarray as xr

from qdsim.target_summary import summarize_verdicts
from qdsim.targets import Target, evaluate
from qdsim.terminal_tables import _width, probability_table, verdict_table

YEARS = np.arange(2030, 2036)


def samples(rows: list[list[float]]) -> xr.Dataset:
    values = np.asarray(rows, dtype=float)[np.newaxis]
    return xr.Dataset({"x": (("scenario", "sample", "year"), values)},
                      coords={"scenario": ["s"], "sample": np.arange(values.shape[1]),
                              "year": YEARS})


def target(**fields) -> Target:
    base = dict(id="t", name_zh="测试", name_en="test", plan_line=1, variable="x",
                statistic="value", comparator=">=", value=10.0, unit="person",
                qualifier="exact", binding="none", year=2033)
    base.update(fields)
    return Target(**base)


PEAK = target(id="peak", statistic="peak_year", year=None, value=2035, comparator="<",
              unit="year")


def test_draws_that_never_peak_have_no_first_year_and_count_as_never():
    rows = [[1, 2, 3, 2, 1, 0],   # peaks 2032
            [1, 2, 3, 4, 5, 4],   # peaks 2034
            [1, 2, 3, 4, 5, 6],   # still rising in 2035: no peak within the run
            [1, 2, 3, 4, 5, 7]]   # still rising
    verdicts = evaluate(samples(rows), [PEAK])
    assert list(verdicts["met"]) == [True, True, False, False]
    assert verdicts["first_year_met"].iloc[:2].tolist() == [2032, 2034]
    assert verdicts["first_year_met"].iloc[2:].isna().all()
    summary = summarize_verdicts(verdicts, [PEAK]).iloc[0]
    assert summary["probability_met"] == 0.5
    assert summary["probability_never"] == 0.5
    assert summary["first_year_met"] == 2033.0  # median of 2032 and 2034, not 2035
    assert summary["first_year_p90"] == pytest.approx(2032 + 0.9 * 2)


def test_first_year_quantiles_are_among_the_draws_that_reach_the_target():
    rows = [[0, 0, 0, 10, 10, 10],  # reaches 10 in 2033
            [0, 0, 0, 0, 0, 12],    # reaches it in 2035 (after the target year)
            [0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0]]
    verdicts = evaluate(samples(rows), [target()])
    summary = summarize_verdicts(verdicts, [target()]).iloc[0]
    assert summary["samples"] == 4
    assert summary["probability_met"] == 0.25
    assert summary["probability_never"] == 0.5
    assert summary["first_year_met"] == 2034.0
    assert summary["gap"] == pytest.approx(np.median([10, 0, 0, 0]) - 10)
    table = probability_table(summarize_verdicts(verdicts, [target()]), [target()])
    assert "of draws meeting it" in table.splitlines()[0]
    assert "25.0%" in table and "50.0%" in table and "2033/2034/2035" in table


def test_unset_target_has_no_probability():
    unset = target(value=None)
    summary = summarize_verdicts(evaluate(samples([[0] * 6, [20] * 6]), [unset]), [unset])
    assert np.isnan(summary["probability_met"].iloc[0])
    assert np.isnan(summary["probability_never"].iloc[0])


def _characters(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isspace() and ch != "-")


def test_tables_fit_a_given_width_and_keep_every_word():
    long_name = target(name_en="Gross domestic product per head reaches forty thousand USD")
    rows = [[0, 5, 10, 15, 20, 25]] * 2
    verdicts = evaluate(samples(rows).isel(sample=0), [long_name, PEAK])
    full = verdict_table(verdicts, [long_name, PEAK])
    assert max(len(line) for line in full.splitlines()) > 80
    fitted = verdict_table(verdicts, [long_name, PEAK], width=80)
    assert max(len(line) for line in fitted.splitlines()) <= 80
    assert _characters(fitted) == _characters(full)  # wrapped, nothing lost
    chinese = verdict_table(verdicts, [long_name, PEAK], lang="zh", width=80)
    assert max(_width(line) for line in chinese.splitlines()) <= 80
