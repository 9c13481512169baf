"""Time of the full report for 7 scenarios × 1,000 samples (goal: under 30 s on 2 cores).

The batch is synthetic but realistic: every scenario file is run once through the model
(PySD; not timed), and each run is spread into ``--samples`` samples with lognormal noise
growing after 2020 (``reports.testing.synthetic_batch``, seeded), plus two sampled
parameters, then written as one NetCDF file, the shape ``qdsim batch`` produces.

The timed part is the command a user types, in a fresh process, start-up included::

    qdsim report batch.nc --out DIR [--lang zh]

How to run (from the repository root, with the package installed: ``pip install -e .``)::

    python benchmarks/bench_report.py
    python benchmarks/bench_report.py --samples 1000 --lang zh --repeats 3

Prints each run's wall time, the best and the median, with the number of CPUs and the load
average (other work on the machine slows the figure). This is a script, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_batch(folder: Path, samples: int, seed: int) -> Path:
    """Run every scenario once and write the synthetic batch; returns the file's path."""
    from qdsim.outputs import write_netcdf
    from qdsim.scenario import load_scenarios
    from qdsim.simulation import run_scenarios
    from reports.testing import synthetic_batch

    scenarios = load_scenarios(sorted((ROOT / "scenarios").glob("*.yaml")))
    single = run_scenarios(scenarios)
    path = folder / "batch.nc"
    write_netcdf(synthetic_batch(single, samples, seed=seed), path)
    return path


def qdsim_command() -> list[str]:
    """The installed ``qdsim`` script beside this Python, or the module as a fallback."""
    script = Path(sys.executable).with_name("qdsim")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "cli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000, help="samples per scenario")
    parser.add_argument("--lang", choices=("en", "zh"), default="en")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20210101)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        batch = make_batch(folder, arguments.samples, arguments.seed)
        import xarray as xr

        with xr.open_dataset(batch, engine="h5netcdf") as opened:
            sizes = dict(opened.sizes)
        print(f"batch: {sizes['scenario']} scenarios × {sizes['sample']:,} samples ×"
              f" {sizes['year']} years, {batch.stat().st_size / 2**20:.0f} MiB"
              f" (made in {time.perf_counter() - started:.1f} s, not timed)")
        print(f"CPUs available: {len(os.sched_getaffinity(0))},"
              f" load average before: {os.getloadavg()[0]:.2f}")
        times = []
        for repeat in range(arguments.repeats):
            out = folder / f"report{repeat}"
            started = time.perf_counter()
            subprocess.run([*qdsim_command(), "report", str(batch), "--out", str(out),
                            "--lang", arguments.lang], check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - started)
            files = sum(1 for p in out.rglob("*") if p.is_file())
            print(f"run {repeat + 1}: qdsim report ({arguments.lang}) {times[-1]:.1f} s,"
                  f" {files} files, report.html {(out / 'report.html').stat().st_size / 2**20:.1f}"
                  " MiB")
        print(f"best {min(times):.1f} s, median {statistics.median(times):.1f} s"
              f" (goal: under 30 s); load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
