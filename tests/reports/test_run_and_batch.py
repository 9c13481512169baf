"""A report over `qdsim run` results and a batch of the same scenario: the band from the
batch, the central line from the run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qdsim.errors import ResultsError
from qdsim.outputs import read_results, write_netcdf
from reports.chart_data import series_chart
from reports.indicators import describe
from reports.inputs import read_report_inputs


def test_run_and_batch_of_one_scenario_combine(single_results, batch_file, tmp_path):
    from reports.build import build_report

    baseline_run = single_results[0]  # the batch holds baseline and plan
    inputs = read_report_inputs([baseline_run, batch_file])
    assert inputs.scenarios == ["baseline", "plan"]
    assert inputs.sample_counts == {"baseline": 120, "plan": 120}
    run = read_results(baseline_run).sel(scenario="baseline")
    np.testing.assert_array_equal(inputs.central_run("baseline")["population"], run["population"])
    assert inputs.central_run("plan") is None
    chart = series_chart(inputs, describe(inputs.dataset, "population", "en"), [], "en")
    np.testing.assert_allclose(chart.central(0), run["population"].to_numpy() * 1e-4)
    np.testing.assert_array_equal(chart.central(1), chart.band(0.5, 1))  # no run: median

    out = tmp_path / "report"
    build_report([baseline_run, batch_file], out, lang="en", workers=1)
    table = pd.read_csv(out / "tables" / "baseline.csv", encoding="utf-8-sig")
    rows = table[table["variable"] == "population"].set_index("statistic")
    assert list(rows.index) == ["central run", "median", "5%", "95%"]
    assert rows.loc["central run", "2035"] == round(float(run["population"].sel(year=2035))
                                                    * 1e-4, 1)
    summary = pd.read_csv(out / "tables" / "summary.csv", encoding="utf-8-sig")
    assert set(summary["scenario"]) == {"baseline", "plan"}
    assert (summary["samples"] == 120).all()


def test_other_repetitions_are_refused(single_results, batch_file, tmp_path):
    with pytest.raises(ResultsError, match="already read"):
        read_report_inputs([single_results[0], single_results[0]])
    with pytest.raises(ResultsError, match="already read"):
        read_report_inputs([batch_file, batch_file])
    changed = read_results(single_results[0])
    changed = changed.assign_coords(scenario_sha256=("scenario", ["0" * 64]))
    write_netcdf(changed, tmp_path / "baseline.nc")
    with pytest.raises(ResultsError, match="differs from the one in the batch"):
        read_report_inputs([tmp_path / "baseline.nc", batch_file])
