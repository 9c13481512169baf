"""Batches: known answers, seeded sampling, resuming after kill -9, and Dask parity."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from calibration.output import read_posterior
from cli import app
from qdsim.batch import batch_in_memory, run_batch
from qdsim.ensemble_runs import simulate
from qdsim.errors import QdsimError
from qdsim.outputs import read_results
from qdsim.sampling import design
from qdsim.simulation import model_years
from qdsim.uncertainty import SHIPPED_POSTERIOR

VARIABLES = ["population", "gdp_per_capita_usd"]


def test_design_is_seeded_and_respects_distributions(baseline):
    first = design(baseline, 500, seed=5)
    again = design(baseline, 500, seed=5)
    other = design(baseline, 500, seed=6)
    for name in first.draws:
        np.testing.assert_array_equal(first.draws[name], again.draws[name])
    assert not np.array_equal(first.draws["cny_per_usd"], other.draws["cny_per_usd"])
    sensitivity = first.draws["migration_sensitivity_to_jobs"]
    assert sensitivity.min() >= 2 and sensitivity.max() <= 10
    # Latin hypercube: exactly one draw in each of the 500 equal-probability strata.
    strata = np.floor((sensitivity - 2) / 8 * 500).astype(int)
    assert sorted(strata) == list(range(500))
    assert first.modes["cny_per_usd"] == "shift_after_observed"  # 2015-2020 stay observed


def test_posterior_parameters_are_drawn_as_whole_rows(baseline):
    chosen = design(baseline, 300, seed=2)
    table, estimate = read_posterior(SHIPPED_POSTERIOR)
    names = ["tfp_growth_rate", "total_fertility_rate", "base_net_migration_rate"]
    drawn = np.column_stack([chosen.sampled[name] for name in names])
    rows = {tuple(row) for row in table[names].to_numpy()}
    assert all(tuple(row) in rows for row in drawn)
    np.testing.assert_allclose(chosen.draws["tfp_growth_rate"],
                               chosen.sampled["tfp_growth_rate"] - estimate["tfp_growth_rate"])


def test_batch_equals_direct_runs_with_the_same_draws(baseline, plan, tmp_path):
    store = run_batch([baseline, plan], tmp_path, samples=50, seed=3, chunk_size=20,
                      variables=VARIABLES)
    results = read_results(store)
    years = model_years()
    for index, scenario in enumerate([baseline, plan]):
        chosen = design(scenario, 50, seed=3)
        direct = simulate(dict(scenario.parameters), 50, VARIABLES, years,
                          draws=chosen.draws, modes=chosen.modes)
        for name in VARIABLES:
            np.testing.assert_array_equal(results[name].isel(scenario=index).values,
                                          direct[name])
        np.testing.assert_array_equal(
            results["sampled_cny_per_usd"].isel(scenario=index).values,
            chosen.sampled["cny_per_usd"])
    assert results["population"].attrs["units"] == "person"
    assert results.attrs["seed"] == 3


def test_central_run_of_ensemble_equals_pysd_reference(plan, plan_in_pysd):
    years = model_years()
    reference = plan_in_pysd
    ensemble = simulate(dict(plan.parameters), 1, VARIABLES, years)
    for name in VARIABLES:
        np.testing.assert_allclose(ensemble[name][0], reference[name].values[0], rtol=1e-9)


def test_resume_recomputes_only_missing_chunks(baseline, tmp_path):
    reference = run_batch([baseline], tmp_path / "reference", samples=60, seed=4,
                          chunk_size=20, variables=VARIABLES)
    store = run_batch([baseline], tmp_path / "resumed", samples=60, seed=4, chunk_size=20,
                      variables=VARIABLES)
    # Simulate an interruption: one chunk's marker gone and its region overwritten.
    (store / ".qdsim_progress" / "0-1").unlink()
    xr.Dataset({"population": (("scenario", "sample", "year"), np.full((1, 20, 21), -1.0))}
               ).to_zarr(store, region={"scenario": slice(0, 1), "sample": slice(20, 40),
                                         "year": slice(None)}, zarr_format=2)
    calls = []
    run_batch([baseline], tmp_path / "resumed", samples=60, seed=4, chunk_size=20,
              variables=VARIABLES, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (2, 3) and calls[-1] == (3, 3)
    expected, resumed = read_results(reference), read_results(store)
    for name in VARIABLES:
        np.testing.assert_array_equal(expected[name].values, resumed[name].values)


def test_a_different_batch_in_the_same_folder_is_refused(baseline, tmp_path):
    run_batch([baseline], tmp_path, samples=10, seed=1, chunk_size=10, variables=VARIABLES)
    with pytest.raises(QdsimError, match="holds a different batch"):
        run_batch([baseline], tmp_path, samples=10, seed=2, chunk_size=10,
                  variables=VARIABLES)


def test_in_memory_batch_matches_the_stored_batch(baseline, tmp_path):
    stored = read_results(run_batch([baseline], tmp_path, samples=30, seed=9, chunk_size=7,
                                    variables=VARIABLES))
    memory = batch_in_memory([baseline], samples=30, seed=9, variables=VARIABLES)
    np.testing.assert_array_equal(stored["population"].values, memory["population"].values)


def test_cli_batch_errors_are_one_line(scenario_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["batch", str(scenario_dir / "baseline.yaml"), "--samples",
                                 "10", "--out", str(tmp_path), "--variables", "populaton"])
    assert result.exit_code == 2 and "unknown output variables: populaton" in result.output
    result = runner.invoke(app, ["batch", str(scenario_dir / "baseline.yaml"), "--samples",
                                 "10", "--out", str(tmp_path), "--method", "grid"])
    assert result.exit_code == 2 and "allowed values are lhs and sobol" in result.output


def test_targets_with_samples_gives_probabilities(scenario_dir):
    result = CliRunner().invoke(app, ["targets", str(scenario_dir / "baseline.yaml"),
                                      "--samples", "200"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "urbanization_2025" in x)
    assert "100.0%" in line


@pytest.mark.slow
def test_kill_9_mid_batch_then_rerun_loses_and_duplicates_nothing(scenario_dir, tmp_path):
    arguments = [sys.executable, "-m", "cli", "batch", str(scenario_dir / "baseline.yaml"),
                 str(scenario_dir / "plan.yaml"), "--samples", "3000", "--chunk-size", "100",
                 "--seed", "8", "--variables", ",".join(VARIABLES)]
    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen([*arguments, "--out", str(interrupted)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=scenario_dir.parent)
    progress = interrupted / "batch.zarr" / ".qdsim_progress"
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if progress.is_dir() and len(os.listdir(progress)) >= 3:
            break
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)  # raises if the batch had already ended
    process.wait()
    finished_before = len(os.listdir(progress))
    # The kill interrupted the batch: it died of SIGKILL with chunks still to do.
    assert process.returncode == -signal.SIGKILL
    assert 3 <= finished_before < 60
    subprocess.run([*arguments, "--out", str(interrupted)], check=True,
                   capture_output=True, cwd=scenario_dir.parent)
    subprocess.run([*arguments, "--out", str(tmp_path / "whole")], check=True,
                   capture_output=True, cwd=scenario_dir.parent)
    assert len(os.listdir(progress)) == 60
    resumed, whole = read_results(interrupted / "batch.zarr"), read_results(
        tmp_path / "whole" / "batch.zarr")
    for name in VARIABLES:
        np.testing.assert_array_equal(resumed[name].values, whole[name].values)
    assert not np.isnan(resumed["population"].values).any()


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results(baseline, plan, tmp_path):
    from distributed import Client, LocalCluster

    here = run_batch([baseline, plan], tmp_path / "here", samples=400, seed=12,
                     chunk_size=100, variables=VARIABLES)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        there = run_batch([baseline, plan], tmp_path / "there", samples=400, seed=12,
                          chunk_size=100, variables=VARIABLES, client=client)
    for name in VARIABLES:
        np.testing.assert_array_equal(read_results(here)[name].values,
                                      read_results(there)[name].values)
