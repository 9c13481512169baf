"""Subscripted parameters in scenario files and subscripted outputs in results.

A small subscripted parameter is added to the catalogue here (as the catalogue builds it from
a subscripted model: dimensions and an ArrayValue default) so that the cases stay readable,
and tests/model/models/subscripts.mdl stands in for the output dimensions; the last test runs
qingdao.mdl's own population by age and sex through a batch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from model.array_value import ArrayValue
from model.ensemble import EnsembleModel
from model.parameters import ParameterInfo, parameter_catalogue
from qdsim import scenario as scenario_module
from qdsim import simulation as runner_module
from qdsim.ensemble_runs import run_inputs as engine_inputs
from qdsim.errors import ScenarioError
from qdsim.outputs import long_table, read_results, write_netcdf
from qdsim.scenario import load_scenario

SUBSCRIPTED_MODEL = Path(__file__).parents[1] / "model" / "models" / "subscripts.mdl"
AGES, SEXES = ("a0", "a1", "a2"), ("male", "female")
DEFAULT = ArrayValue.from_array(np.arange(6.0).reshape(3, 2) / 10, ("age", "sex"),
                                (AGES, SEXES))


@pytest.fixture
def subscripted_catalogue(monkeypatch):
    catalogue = dict(parameter_catalogue())
    catalogue["age_weight"] = ParameterInfo(
        "age_weight", "age weight", "dmnl", DEFAULT, 0.0, 1.0, "A test weight by age, sex.",
        False, ("age", "sex"))
    monkeypatch.setattr(scenario_module, "parameter_catalogue", lambda: catalogue)
    return catalogue


def scenario_file(directory: Path, value: str) -> Path:
    path = directory / "arrays.yaml"
    path.write_text("name: arrays\ntitle: {zh: 数组, en: Arrays}\ndescription: Arrays.\n"
                    "parameters:\n"
                    f"  age_weight: {value}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("value", "expected"), [
    ("[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]", [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]),
    ("{a1: {female: 0.9}}", [[0.0, 0.1], [0.2, 0.9], [0.4, 0.5]]),
    ("{'a2, male': 0.7, a0: {male: 0.05, female: 0.15}}",
     [[0.05, 0.15], [0.2, 0.3], [0.7, 0.5]]),
])
def test_a_subscripted_parameter_is_set_whole_or_by_element(tmp_path, subscripted_catalogue,
                                                            value, expected):
    scenario = load_scenario(scenario_file(tmp_path, value))
    result = scenario.parameters["age_weight"]
    assert isinstance(result, ArrayValue)
    np.testing.assert_allclose(result.array(), expected, rtol=0, atol=1e-15)
    assert result.dimensions == ("age", "sex")
    assert len(scenario.sha256()) == 64  # the value hashes as JSON


@pytest.mark.parametrize(("value", "message"), [
    ("{a3: {male: 0.1}}", "key 'age_weight': unknown element 'a3' of age (a0, a1, a2)"),
    ("{a0: {mal: 0.1}}", "unknown element 'mal' of sex (male, female)"),
    ("[[0.1, 0.2], [0.3, 0.4]]", "expected a list of 3 values over age (a0, a1, a2), got 2"),
    ("{'a0, male, x': 0.1}", "names 3 elements; the parameter has 2 dimensions"),
    ("0.5", "takes a list or a mapping of elements"),
    ("{a0: {male: 1.5}}", "age_weight"),  # outside [0, 1]
])
def test_a_bad_subscript_is_one_error_line_with_file_line_and_key(
        tmp_path, subscripted_catalogue, value, message):
    path = scenario_file(tmp_path, value)
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_scenario(path)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}:5: key 'age_weight':")


def test_an_array_value_reaches_the_engine_as_an_array():
    engine = EnsembleModel.from_mdl(SUBSCRIPTED_MODEL)
    share = ArrayValue.from_array([0.6, 0.4], ("sex",), (("male", "female"),))
    inputs = engine_inputs({"sex_share": share}, engine.step_times())
    np.testing.assert_array_equal(inputs["sex_share"], [0.6, 0.4])
    through = engine.run(inputs, 2, return_columns=["births"], return_times=[1.0])
    direct = engine.run({"sex_share": np.array([0.6, 0.4])}, 2, return_columns=["births"],
                        return_times=[1.0])
    np.testing.assert_array_equal(through["births"], direct["births"])
    assert share.data_array().dims == ("sex",)


def test_subscripted_outputs_are_named_dimensions_after_year_in_netcdf_and_csv(
        tmp_path, monkeypatch):
    engine = EnsembleModel.from_mdl(SUBSCRIPTED_MODEL)
    years = np.arange(0.0, 3.0)
    result = engine.run({}, 2, return_columns=["population", "total_population"],
                        return_times=years)
    monkeypatch.setattr(runner_module, "output_dimensions", lambda variables: (
        {"population": ("age", "sex")},
        {"age": engine.coordinates["age"], "sex": engine.coordinates["sex"]}))
    monkeypatch.setattr(runner_module, "variable_attributes", lambda variables: {
        name: {"units": "person", "long_name": name} for name in variables})
    scenario = load_scenario(Path(__file__).parents[2] / "scenarios" / "baseline.yaml")
    dataset = runner_module.label_results(
        {name: values[None] for name, values in result.items()}, [scenario], years,
        engine="ensemble", time_step=0.25, extra_dims=("sample",),
        variables=["population", "total_population"])
    assert dataset["population"].dims == ("scenario", "sample", "year", "age", "sex")
    assert list(dataset["sex"].values) == ["male", "female"]
    assert dataset["population"].sel(age="a0", sex="female", year=0).values[0, 0] == 11.0
    write_netcdf(dataset, tmp_path / "results.nc")
    again = read_results(tmp_path / "results.nc")
    np.testing.assert_array_equal(again["population"].values, dataset["population"].values)
    table = long_table(dataset)
    assert list(table.columns) == ["scenario", "sample", "variable", "year", "age", "sex",
                                   "value", "unit"]
    cohort = table[(table["variable"] == "population") & (table["age"] == "a0")
                   & (table["sex"] == "female") & (table["year"] == 0)]
    assert list(cohort["value"]) == [11.0, 11.0]
    totals = table[table["variable"] == "total_population"]
    assert totals["age"].isna().all() and len(totals) == 2 * len(years)


def test_the_catalogue_gives_a_subscripted_constant_its_dimensions_and_array_default():
    catalogue = parameter_catalogue(SUBSCRIPTED_MODEL)
    info = catalogue["initial_population"]
    assert info.dimensions == ("age", "sex")
    assert not info.time_varying
    np.testing.assert_array_equal(info.default.array()[0], [10.0, 11.0])
    assert info.default["a5,female"] == 21.0
    assert format(catalogue["sex_share"].default, "g") == "[0.51, 0.49]"
    assert catalogue["fertility"].dimensions == () and catalogue["fertility"].default == 0.3


def test_draws_of_a_subscripted_parameter_are_refused_in_one_error():
    from qdsim.errors import EngineError

    share = ArrayValue.from_array([0.6, 0.4], ("sex",), (("male", "female"),))
    with pytest.raises(EngineError, match="'sex_share' is subscripted; uncertain draws"):
        engine_inputs({"sex_share": share}, np.arange(3.0), draws={"sex_share": np.ones(4)})


@pytest.mark.slow
def test_a_batch_writes_population_by_age_and_sex_to_zarr_when_asked(tmp_path):
    """The model's own subscripted output through `qdsim batch` into the Zarr store and back:
    named age and sex dimensions after year, cohorts summing to the population."""
    baseline = Path(__file__).parents[2] / "scenarios" / "baseline.yaml"
    result = CliRunner().invoke(app, ["batch", str(baseline), "--samples", "3", "--variables",
                                      "population_by_age,population", "--out",
                                      str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    data = read_results(tmp_path / "b" / "batch.zarr")
    cohorts = data["population_by_age"]
    assert cohorts.dims == ("scenario", "sample", "year", "age", "sex")
    assert cohorts.sizes["age"] == 101 and sorted(data["sex"].values) == ["female", "male"]
    # the cohorts are the population's only stock: their sum is the total (up to summation order)
    np.testing.assert_allclose(cohorts.sum(["age", "sex"]), data["population"], rtol=1e-12)
    default = CliRunner().invoke(app, ["batch", str(baseline), "--samples", "2", "--out",
                                       str(tmp_path / "d")])
    assert default.exit_code == 0, default.output
    assert "population_by_age" not in read_results(tmp_path / "d" / "batch.zarr")
