"""The validation layer: bounded YAML, finite numbers, whole supports, names, options,
locks, full disks, and what `validate` and `batch` agree on (issues 14 and 15)."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from cli import app
from qdsim.errors import InputError, QdsimError, ScenarioError
from qdsim.scenario import load_scenario
from qdsim.validation import exclusive_lock, load_yaml

runner = CliRunner()


def invoke(*arguments: str):
    return runner.invoke(app, [str(a) for a in arguments])


def assert_refused(result, *fragments: str) -> str:
    """Exit 2, no traceback, one line on stderr holding every fragment."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def scenario(tmp_path: Path, body: str, name: str = "case") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\nextends: baseline\n{body}", encoding="utf-8")
    return path


# Files and YAML --------------------------------------------------------------------------

def test_billion_laughs_is_refused_fast(tmp_path):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(levels) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="expands to more than"):
        load_yaml(path)
    bomb = scenario(tmp_path, "calibration:\n  " + "\n  ".join(levels) + "\n")
    assert_refused(invoke("validate", bomb), "expands to more than")


@pytest.mark.parametrize(("text", "fragment", "line"), [
    ("a: 1\nb: 2\na: 3\n", "duplicate key 'a' (also on line 1)", 3),
    ("a: &x [*x]\n", "refers to itself", None),
    ("a: " + "[" * 40 + "]" * 40 + "\n", "nested deeper than", None),
    ("a: .nan\n", "'.nan' is not a finite number", 1),
    ("a: -.inf\n", "not a finite number", 1),
    ("a: 1" + "0" * 30 + "\n", "too large", 1),
])
def test_yaml_problems_are_named_with_their_line(tmp_path, text, fragment, line):
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    assert fragment in caught.value.message
    if line is not None:
        assert caught.value.line == line


@pytest.mark.parametrize(("content", "fragment"), [
    (b"name: x\x00\n", "NUL byte"),
    ("name: caf\xe9\n".encode("latin-1"), "not UTF-8 text (byte 0xe9"),
    (bytes(range(256)), "NUL byte"),
])
def test_binary_and_non_utf8_files_are_one_line(tmp_path, content, fragment):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    assert_refused(invoke("validate", path), str(path), fragment)
    assert_refused(invoke("targets", tmp_path / "none.yaml", "--targets", path))
    assert_refused(invoke("run", path, "--out", tmp_path / "out"), fragment)
    assert not (tmp_path / "out").exists()


def test_a_bom_is_accepted_and_a_folder_is_refused(tmp_path, scenario_dir):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + (scenario_dir / "low_growth.yaml").read_bytes())
    assert invoke("validate", path).exit_code == 0
    assert_refused(invoke("validate", tmp_path), "not a regular file")


def test_name_with_a_final_newline_is_refused(tmp_path):
    path = tmp_path / "n.yaml"
    path.write_text('name: "x\\n"\nextends: baseline\n', encoding="utf-8")
    assert_refused(invoke("validate", path), "not a safe file name")


@pytest.mark.parametrize(("body", "fragment"), [
    ("parameters:\n  cny_per_usd: {2015: 6.2, .nan: 7}\n", "is not a year"),
    ("parameters:\n  cny_per_usd: {2015: 6.2, 2030: .inf}\n", "not a finite number"),
    ("parameters:\n  cny_per_usd: {2015: 6.2, 2015: 7}\n", "duplicate key '2015'"),
    ("parameters:\n  tfp_growth_rate: 0.01\n  tfp_growth_rate: 0.02\n", "duplicate key"),
    ("uncertain:\n  tfp_growth_rate: {distribution: choice, values: [.nan]}\n",
     "must be a finite number, got nan"),
    ("uncertain:\n  tfp_growth_rate: {distribution: normal, mean: .nan, sd: 0.01}\n",
     "'mean' must be a finite number"),
    ("uncertain:\n  tfp_growth_rate: {distribution: uniform, low: 0, high: .inf}\n",
     "'high' must be a finite number"),
    ("uncertain:\n  tfp_growth_rate: {distribution: uniform, low: 5, high: 6, apply: shift}\n",
     "outside the allowed range"),
    ("uncertain:\n  tfp_growth_rate: {distribution: normal, mean: 0, sd: 0.01, apply: shift}\n",
     "needs finite 'low' and 'high'"),
    ("uncertain:\n  tfp_growth_rate: {distribution: normal, mean: 9, sd: 0.001, low: 0,"
     " high: 0.05}\n", "almost) no probability"),
    ("uncertain:\n  tfp_growth_rate: {distribution: [1]}\n", "unknown"),
])
def test_values_must_be_finite_and_supports_inside_the_range(tmp_path, body, fragment):
    assert_refused(invoke("validate", scenario(tmp_path, body)), "case.yaml", fragment)


def test_validate_checks_what_batch_checks(tmp_path):
    """Issue 14 item 6: a uniform replacing a path is refused by validate, with its line."""
    path = scenario(tmp_path, "parameters:\n  household_registration_openness: {2015: 0.3,"
                    " 2030: 0.6}\nuncertain:\n  household_registration_openness:"
                    " {distribution: uniform, low: 0.2, high: 0.8}\n")
    line = assert_refused(invoke("validate", path), "case.yaml:6", "must 'shift' or 'scale'")
    assert line == assert_refused(invoke("batch", path, "--samples", "4", "--out",
                                         tmp_path / "b"))
    assert not (tmp_path / "b").exists()


def test_typo_in_a_relative_change_names_the_allowed_keys(tmp_path):
    path = scenario(tmp_path, "parameters:\n  investment_share: {sacle: 1.1}\n")
    assert_refused(invoke("validate", path), "unknown key 'sacle' (did you mean 'scale'?)",
                   "allowed: shift or scale")


def test_three_line_what_if_is_accepted(tmp_path, scenario_dir):
    """Issue 14 item 16: name, extends, one parameter."""
    path = tmp_path / "faster.yaml"
    path.write_text("name: faster\nextends: plan\nparameters:\n  tfp_growth_rate: 0.03\n",
                    encoding="utf-8")
    loaded = load_scenario(path)
    parent = load_scenario(scenario_dir / "plan.yaml")
    assert loaded.title_en == loaded.title_zh == "faster"
    assert loaded.description.startswith(parent.description)
    assert loaded.description.endswith("What-if 'faster': tfp_growth_rate = 0.03.")
    assert loaded.parameters["tfp_growth_rate"] == 0.03
    root = tmp_path / "root.yaml"
    root.write_text("name: root\ntitle: {zh: 根, en: root}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="expected a non-empty text"):
        load_scenario(root)  # a file extending nothing still needs its own description


def test_posterior_sample_replaced_without_its_scenario_file_is_refused(tmp_path,
                                                                        repo_root):
    calibrated = (repo_root / "calibration" / "calibrated.yaml").read_text(encoding="utf-8")
    target = tmp_path / "calibrated.yaml"
    # The shipped file records its sample's hash (qdsim calibrate writes it): another
    # hash in its place stands for a scenario file older or newer than the sample.
    assert re.search(r"\n  posterior_sha256: [0-9a-f]{64}\n", calibrated)
    changed = re.sub(r"\n  posterior_sha256: [0-9a-f]{64}\n",
                     "\n  posterior_sha256: " + "ab" * 32 + "\n", calibrated)
    target.write_text(changed, encoding="utf-8")
    (tmp_path / "calibrated_posterior.nc").write_bytes(
        (repo_root / "calibration" / "calibrated_posterior.nc").read_bytes())
    with pytest.raises(ScenarioError, match="does not match this file"):
        load_scenario(target)


# Options ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("options", "fragment"), [
    (["--time-step", "2"], "--time-step 2: allowed"),
    (["--time-step", "1e-7"], "--time-step 1e-07: allowed"),
    (["--time-step", "0"], "--time-step 0"),
    (["--time-step", "-0.25"], "--time-step -0.25"),
    (["--time-step", "nan"], "--time-step nan"),
    (["--time-step", "0.3"], "a divisor of the save period"),
    (["--seed", "-1"], "--seed -1"),
    (["--samples", "0"], "--samples 0"),
    (["--samples", "100000000000000000000"], "--samples"),
    (["--chunk-size", "0"], "--chunk-size 0"),
    (["--workers", "-1"], "--workers -1"),
    (["--scheduler", "notaurl"], "--scheduler 'notaurl'"),
    (["--scheduler", "tcp://host:99999"], "port 1-65535"),
    (["--samples", "x"], "Invalid value for '--samples'"),
    (["--nonsense"], "No such option"),
])
def test_batch_options_are_checked_before_anything_is_written(tmp_path, scenario_dir,
                                                             options, fragment):
    arguments = ["batch", scenario_dir / "baseline.yaml", "--out", tmp_path / "b"]
    if "--samples" not in options:
        arguments += ["--samples", "4"]
    assert_refused(invoke(*arguments, *options), fragment)
    assert not (tmp_path / "b").exists()


def test_other_options_are_checked(tmp_path, scenario_dir):
    baseline = scenario_dir / "baseline.yaml"
    assert_refused(invoke("run", baseline, "--out", tmp_path / "r", "--time-step", "2"),
                   "--time-step 2")
    assert_refused(invoke("targets", baseline, "--samples", "-5"), "--samples -5")
    assert_refused(invoke("solve", baseline, "--target", "population_2025", "--vary",
                          "tfp_growth_rate", "--vary", "investment_share", "--points", "-3"),
                   "--points -3")
    assert_refused(invoke("sensitivity", baseline, "--target", "population_2025",
                          "--samples", "3"), "power of 2")
    afile = tmp_path / "file"
    afile.write_text("x", encoding="utf-8")
    assert_refused(invoke("run", baseline, "--out", afile), "exists and is not a folder")
    assert_refused(invoke("batch", baseline, "--samples", "4", "--out", afile / "sub"),
                   "is not a folder")
    assert not (tmp_path / "r").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_out_is_refused(tmp_path, scenario_dir):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert_refused(invoke("run", scenario_dir / "baseline.yaml", "--out", locked / "r"),
                   "no permission")


def test_set_target_accepts_the_table_unit_and_refuses_out_of_range(scenario_dir):
    """Issue 14 item 7: the table shows percent; -20.5 as a fraction is -2050%."""
    baseline = scenario_dir / "baseline.yaml"
    assert_refused(invoke("targets", baseline, "--set-target",
                          "co2_intensity_2021_2025=-20.5"),
                   "outside the allowed range [-1, 1] fraction", "-0.205", "-20.5%")
    result = invoke("targets", baseline, "--set-target", "co2_intensity_2021_2025=-20.5%")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "co2_intensity_2021_2025" in x)
    assert "<= -20.50 %" in line
    assert_refused(invoke("targets", baseline, "--set-target", "population_2025=-5"),
                   "outside the allowed range")


def test_a_second_writer_on_the_same_out_is_refused(tmp_path, scenario_dir):
    out = tmp_path / "results"
    with exclusive_lock(out):
        assert_refused(invoke("run", scenario_dir / "baseline.yaml", "--out", out),
                       "another qdsim command is writing there")
    assert list(out.iterdir()) == []
    with exclusive_lock(out), pytest.raises(QdsimError, match="another qdsim command"):
        with exclusive_lock(out):
            pass


def test_full_disk_is_one_line_and_keeps_earlier_files(tmp_path, scenario_dir, monkeypatch):
    out = tmp_path / "results"
    baseline = scenario_dir / "baseline.yaml"
    assert invoke("run", baseline, "--out", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full(*_arguments, **_keywords):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("qdsim.outputs._write_bytes", full)
    assert_refused(invoke("run", baseline, "--out", out), "the disk is full",
                   "earlier files are left as they were")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# Uncertainty leaves the observed years observed (issue 14 item 2) -------------------------

def test_exchange_rate_draws_leave_2015_to_2020_as_observed(plan):
    from qdsim.batch import batch_in_memory

    results = batch_in_memory([plan], samples=64, seed=3, variables=["gdp_per_capita_usd"])
    usd = results["gdp_per_capita_usd"].sel(scenario="plan")
    drawn = results.attrs  # the draws themselves: cny_per_usd is shifted by up to ±0.7
    assert drawn["samples"] == 64
    spread = usd.max("sample") - usd.min("sample")
    # posterior draws still move 2016-2020 (calibration uncertainty), never 2015
    assert float(spread.sel(year=2015)) == 0.0
    assert float(spread.sel(year=2035)) > 1000.0


def test_sobol_total_index_of_the_exchange_rate_is_zero_in_2015(tmp_path, scenario_dir):
    path = tmp_path / "fx.yaml"
    path.write_text(
        "name: fx\nextends: plan\nuncertain:\n"
        "  cny_per_usd: {distribution: triangular, low: -0.7, mode: 0, high: 0.7,"
        " apply: shift}\n", encoding="utf-8")
    from qdsim.sensitivity import target_sensitivity
    from qdsim.targets import load_targets

    target = next(t for t in load_targets() if t.id == "gdp_per_capita_usd_2035")
    result = target_sensitivity(load_scenario(path), target, 64, seed=1)
    total = result["ST_by_year"].sel(factor="cny_per_usd")
    assert float(total.sel(year=2015)) == 0.0
    assert float(total.sel(year=2020)) == 0.0
    assert float(total.sel(year=2030)) > 0.05


def test_cli_sensitivity_reports_zero_for_2015(tmp_path, scenario_dir):
    out = tmp_path / "s.json"
    result = invoke("sensitivity", scenario_dir / "plan.yaml", "--target",
                    "gdp_per_capita_usd_2035", "--samples", "16", "--out", out)
    assert result.exit_code == 0, result.output
    import json

    saved = json.loads(out.read_text(encoding="utf-8"))
    column = saved["factors"].index("cny_per_usd")
    assert saved["ST_by_year"][saved["years"].index(2015)][column] == 0.0


# Results files and stores ----------------------------------------------------------------

def _small_run(tmp_path: Path, scenario_dir: Path) -> Path:
    out = tmp_path / "run"
    assert invoke("run", scenario_dir / "baseline.yaml", "--out", out).exit_code == 0
    return out / "baseline.nc"


def test_report_refuses_a_scenario_name_that_is_a_path(tmp_path, scenario_dir):
    source = _small_run(tmp_path, scenario_dir)
    with xr.open_dataset(source, engine="h5netcdf") as opened:
        data = opened.load()
    evil_folder = tmp_path / "evil"
    for name in ("../../../escaped", str(tmp_path / "absolute"), "x\n"):
        evil = data.assign_coords(scenario=[name])
        evil_folder.mkdir(exist_ok=True)
        evil.to_netcdf(evil_folder / "evil.nc", engine="h5netcdf")
        assert_refused(invoke("report", evil_folder / "evil.nc", "--out",
                              evil_folder / "rep"), "not a safe file name")
    assert sorted(p.name for p in evil_folder.iterdir()) == ["evil.nc"]
    assert not (tmp_path / "absolute.csv").exists()


def test_results_with_nan_are_refused(tmp_path, scenario_dir):
    source = _small_run(tmp_path, scenario_dir)
    with xr.open_dataset(source, engine="h5netcdf") as opened:
        data = opened.load()
    data["population"][0, 3] = np.nan
    damaged = tmp_path / "damaged.nc"
    data.to_netcdf(damaged, engine="h5netcdf")
    assert_refused(invoke("report", damaged, "--out", tmp_path / "rep"),
                   "'population' holds NaN")


def test_new_store_ignores_the_progress_of_a_deleted_one(tmp_path, baseline):
    """Issue 15 defect 1: rm -rf S/batch.zarr, rerun with another seed: no NaN."""
    import shutil

    from qdsim.batch import run_batch
    from qdsim.outputs import read_results

    variables = ["population", "gdp_real"]
    run_batch([baseline], tmp_path / "S", samples=40, seed=1, chunk_size=10,
              variables=variables)
    with pytest.raises(QdsimError, match="holds a different batch"):
        run_batch([baseline], tmp_path / "S", samples=40, seed=2, chunk_size=10,
                  variables=variables)
    shutil.rmtree(tmp_path / "S" / "batch.zarr")
    store = run_batch([baseline], tmp_path / "S", samples=40, seed=2, chunk_size=10,
                      variables=variables)
    fresh = run_batch([baseline], tmp_path / "T", samples=40, seed=2, chunk_size=10,
                      variables=variables)
    np.testing.assert_array_equal(read_results(store)["population"].values,
                                  read_results(fresh)["population"].values)
    assert np.isfinite(read_results(store)["population"].values).all()
    manifest = read_results(store).attrs["qdsim_manifest"]
    for key in ("model_sha256", "scenarios", "seed", "samples", "method", "variables"):
        assert f'"{key}"' in manifest


def test_a_store_with_chunks_deleted_is_refused_then_repaired_by_resume(tmp_path, baseline):
    import shutil

    from qdsim.batch import run_batch

    variables = ["population", "gdp_real"]
    store = run_batch([baseline], tmp_path / "S", samples=30, seed=1, chunk_size=10,
                      variables=variables)
    whole = xr.open_zarr(store)["population"].values.copy()
    chunk = store / "population" / "0.1.0"
    assert chunk.is_file()
    chunk.unlink()
    assert_refused(invoke("report", store, "--out", tmp_path / "rep"), "chunks missing")
    assert not (tmp_path / "rep").exists()
    run_batch([baseline], tmp_path / "S", samples=30, seed=1, chunk_size=10,
              variables=variables)
    np.testing.assert_array_equal(xr.open_zarr(store)["population"].values, whole)
    shutil.rmtree(store / "gdp_real")
    assert_refused(invoke("report", store, "--out", tmp_path / "rep"), str(store))
    assert not (tmp_path / "rep").exists()


def test_analysis_json_with_infinity_is_refused(tmp_path):
    from qdsim.errors import ResultsError
    from reports.analysis_inputs import read_analysis

    for text, fragment in (('{"qdsim_analysis": "solve", "x": Infinity}', "Infinity"),
                           ('{"qdsim_analysis": "solve", "x": 1e999}', "1e999"),
                           ("[" * 100_000 + "]" * 100_000, "nested too deeply")):
        path = tmp_path / "a.json"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ResultsError, match=fragment):
            read_analysis(path)


def test_the_lock_clears_what_a_killed_command_left(tmp_path):
    left = [tmp_path / ".baseline.nc.a1b2c3d4.tmp", tmp_path / ".batch.zarr.k2_x9q0z"]
    left[0].write_bytes(b"half")
    (left[1] / "population").mkdir(parents=True)
    kept = [tmp_path / "baseline.nc", tmp_path / ".hidden.tmp", tmp_path / "notes.a1b2c3d4.tmp"]
    for path in kept:
        path.write_text("x")
    with exclusive_lock(tmp_path):
        pass
    assert not any(path.exists() for path in left)
    assert all(path.exists() for path in kept)
