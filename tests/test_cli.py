"""The command line through typer's CliRunner: outputs, tables and one-line errors."""

from __future__ import annotations

import shutil

import numpy as np
import xarray as xr
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def test_run_writes_netcdf_and_csv_and_prints_targets(scenario_dir, tmp_path):
    out = tmp_path / "results"
    result = runner.invoke(app, ["run", str(scenario_dir / "baseline.yaml"),
                                 str(scenario_dir / "plan.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "population_2025" in result.output and "gdp_per_capita_usd_2035" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["baseline.csv", "baseline.nc", "plan.csv",
                                                     "plan.nc"]
    with xr.open_dataset(out / "baseline.nc", engine="h5netcdf") as data:
        assert data.sizes["scenario"] == 1 and data.sizes["year"] == 21
        assert data["population"].attrs["units"] == "person"
        assert data["gdp_per_capita_usd"].attrs["long_name"]
        assert len(data.attrs["model_sha256"]) == 64
        assert len(str(data["scenario_sha256"].values[0])) == 64
        assert data["population_by_age"].dims == ("scenario", "year", "age", "sex")
        np.testing.assert_allclose(data["population_by_age"].sum(["age", "sex"]),
                                   data["population"], rtol=1e-12)
    header = (out / "baseline.csv").read_text(encoding="utf-8").splitlines()[0]
    # the long table's age and sex columns hold the cells of population by age and sex
    assert header == "scenario,variable,year,value,unit,age,sex"


def test_targets_in_chinese(scenario_dir):
    result = runner.invoke(app, ["targets", str(scenario_dir / "baseline.yaml"), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "常住人口达到1100万" in result.output and "未设定" in result.output


def test_bad_scenario_exits_2_with_one_line_and_writes_nothing(scenario_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntitle: {zh: 坏, en: Bad}\ndescription: d\n"
                   "parameters:\n  tfp_growth_rat: 0.02\n", encoding="utf-8")
    out = tmp_path / "results"
    result = runner.invoke(app, ["run", str(scenario_dir / "baseline.yaml"), str(bad),
                                 "--out", str(out)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert f"{bad}:5: key 'tfp_growth_rat'" in lines[0] and "tfp_growth_rate" in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_rerun_replaces_results_without_leftovers(scenario_dir, tmp_path):
    out = tmp_path / "results"
    for _ in range(2):
        result = runner.invoke(app, ["run", str(scenario_dir / "baseline.yaml"), "--out",
                                     str(out)])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["baseline.csv", "baseline.nc"]


def test_validate_and_missing_file(scenario_dir, tmp_path):
    result = runner.invoke(app, ["validate", *map(str, sorted(scenario_dir.glob("*.yaml")))])
    assert result.exit_code == 0 and result.output.count("ok  ") >= 6
    missing = runner.invoke(app, ["validate", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "file not found" in missing.output


def test_set_target_and_bad_language(scenario_dir):
    result = runner.invoke(app, ["targets", str(scenario_dir / "baseline.yaml"),
                                 "--set-target", "energy_intensity_2021_2025=-0.10"])
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if "energy_intensity_2021_2025" in x)
    # the baseline cuts intensity by about 14.5% in 2021-2025, so a 10% cut is met
    assert "-10.00 %" in line and " met " in line and "not set" not in line
    wrong = runner.invoke(app, ["targets", str(scenario_dir / "baseline.yaml"), "--lang", "fr"])
    assert wrong.exit_code == 2 and "allowed values are en and zh" in wrong.output


def test_params_lists_every_parameter_with_range():
    result = runner.invoke(app, ["params"])
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if x.startswith("tfp_growth_rate "))
    assert "1/year" in line and "[-0.05, 0.1]" in line


def test_extends_works_from_a_copied_folder(scenario_dir, tmp_path):
    for path in scenario_dir.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    result = runner.invoke(app, ["validate", str(tmp_path / "plan.yaml")])
    assert result.exit_code == 0, result.output
