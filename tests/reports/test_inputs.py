"""Reading result files: combining along scenario, padding samples, refusing bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from qdsim.errors import ResultsError
from qdsim.outputs import read_results, write_netcdf
from reports.indicators import KEY_INDICATORS, choose_indicators
from reports.inputs import read_report_inputs


def test_single_runs_combine_along_scenario_with_one_sample(single_results):
    inputs = read_report_inputs(single_results)
    assert inputs.scenarios == ["baseline", "plan", "low_growth"]
    assert inputs.dataset["population"].dims == ("scenario", "sample", "year")
    assert inputs.sample_counts == {"baseline": 1, "plan": 1, "low_growth": 1}
    assert not inputs.any_samples
    original = read_results(single_results[1])["population"].sel(scenario="plan")
    np.testing.assert_array_equal(inputs.valid_samples("plan")["population"].isel(sample=0),
                                  original)


def test_batch_and_single_run_mix_with_padding_marked_invalid(batch_file, single_results):
    inputs = read_report_inputs([batch_file, single_results[2]])
    assert inputs.sample_counts == {"baseline": 120, "plan": 120, "low_growth": 1}
    assert inputs.has_samples("plan") and not inputs.has_samples("low_growth")
    padded = inputs.dataset["population"].sel(scenario="low_growth").isel(sample=slice(1, None))
    assert bool(padded.isnull().all())
    assert inputs.valid_samples("low_growth").sizes["sample"] == 1
    assert "sampled_tfp_growth_rate" in inputs.dataset


def test_results_of_another_model_are_refused_naming_the_file(single_results, tmp_path):
    other = read_results(single_results[1])
    other.attrs["model_sha256"] = "0" * 64
    path = tmp_path / "other.nc"
    write_netcdf(other, path)
    with pytest.raises(ResultsError, match="another model version") as error:
        read_report_inputs([single_results[0], path])
    assert str(path) in str(error.value)


def test_missing_corrupt_and_repeated_files_are_refused(single_results, tmp_path):
    with pytest.raises(ResultsError, match="not found"):
        read_report_inputs([tmp_path / "absent.nc"])
    corrupt = tmp_path / "corrupt.nc"
    corrupt.write_bytes(b"\x89HDF\r\n garbage")
    with pytest.raises(ResultsError, match=str(corrupt)):
        read_report_inputs([corrupt])
    with pytest.raises(ResultsError, match="already read"):
        read_report_inputs([single_results[0], single_results[0]])


def test_unfinished_batch_store_is_refused(batch_file, tmp_path):
    store = tmp_path / "batch.zarr"
    dataset = read_results(batch_file)
    dataset.attrs["complete"] = 0
    dataset.to_zarr(store, zarr_format=2)
    with pytest.raises(ResultsError, match="not complete|unfinished"):
        read_report_inputs([store])


def test_unknown_indicator_lists_the_known_ones(single_results):
    inputs = read_report_inputs(single_results)
    with pytest.raises(ResultsError) as error:
        choose_indicators(inputs.dataset, ["population", "popluation"])
    message = str(error.value)
    assert "'popluation'" in message and "gdp_per_capita_usd" in message
    assert "\n" not in message


def test_default_indicators_are_the_key_ones_and_tables_add_more(single_results):
    inputs = read_report_inputs(single_results)
    charted, tabulated = choose_indicators(inputs.dataset, None)
    assert charted == list(KEY_INDICATORS)
    assert tabulated[:len(charted)] == charted and "gdp_nominal" in tabulated


def test_results_with_fewer_variables_still_report(batch_file, tmp_path):
    dataset = read_results(batch_file)[["population", "gdp_per_capita_usd"]]
    path = tmp_path / "few.nc"
    write_netcdf(dataset, path)
    inputs = read_report_inputs([path])
    assert choose_indicators(inputs.dataset, None)[0] == ["population", "gdp_per_capita_usd"]
    assert isinstance(inputs.dataset, xr.Dataset)
