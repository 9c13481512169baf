"""Batch speed and memory, measured side by side in one run.

Run from the repository root:  python benchmarks/bench_batch.py [--million]

1. ``qdsim batch scenarios/*.yaml --samples 1000`` end to end (a fresh process, including
   start-up, model parsing and writing the Zarr store): wall time.
2. The same batch through the library in this process, and the same draws through the
   in-memory path: the ratio shows what start-up and disk writing cost.
3. With ``--million``: 1,000,000 runs of the baseline to disk in chunks of 20,000, in a
   child process whose peak resident memory is read from ``getrusage`` (the goal is
   under 2 GB).
"""

from __future__ import annotations

import glob
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(glob.glob(str(ROOT / "scenarios" / "*.yaml")))


def end_to_end(samples: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cli", "batch", *SCENARIOS, "--samples",
                        str(samples), "--out", folder], check=True, cwd=ROOT,
                       capture_output=True)
        return time.perf_counter() - started


def in_process(samples: int) -> tuple[float, float]:
    from qdsim.batch import batch_in_memory, run_batch
    from qdsim.scenario import load_scenarios

    scenarios = load_scenarios(SCENARIOS)
    batch_in_memory(scenarios[:1], samples=10, seed=1, variables=["population"])  # warm up
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        run_batch(scenarios, Path(folder), samples=samples, seed=1)
        stored = time.perf_counter() - started
    started = time.perf_counter()
    from qdsim.variables import OUTPUT_VARIABLES

    batch_in_memory(scenarios, samples=samples, seed=1, variables=list(OUTPUT_VARIABLES))
    return stored, time.perf_counter() - started


MILLION = """
import resource, sys, tempfile, time
from pathlib import Path
from qdsim.batch import run_batch
from qdsim.scenario import load_scenario
scenario = load_scenario(sys.argv[1])
with tempfile.TemporaryDirectory() as folder:
    started = time.perf_counter()
    run_batch([scenario], Path(folder), samples=1_000_000, seed=1, chunk_size=20_000,
              variables=["population", "gdp_per_capita_usd", "gdp_real", "co2_emissions",
                         "urbanization_rate", "employment", "new_urban_jobs",
                         "labour_productivity", "public_housing_units_completed",
                         "energy_intensity"])
    elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{elapsed:.1f} {peak:.0f}")
"""


def million() -> tuple[float, float]:
    output = subprocess.run([sys.executable, "-c", MILLION, str(ROOT / "scenarios" /
                                                                 "baseline.yaml")],
                            check=True, cwd=ROOT, capture_output=True, text=True).stdout
    elapsed, peak = output.split()
    return float(elapsed), float(peak)


def main() -> None:
    samples = 1000
    wall = end_to_end(samples)
    stored, memory = in_process(samples)
    runs = len(SCENARIOS) * samples
    print(f"qdsim batch, {len(SCENARIOS)} scenarios x {samples} samples, end to end:"
          f" {wall:.1f} s (goal < 15 s)")
    print(f"  in process to Zarr: {stored:.2f} s ({runs / stored:,.0f} runs/s, all outputs)")
    print(f"  in memory:          {memory:.2f} s ({runs / memory:,.0f} runs/s);"
          f" start-up and writing cost {wall / memory:.1f}x the engine time")
    if "--million" in sys.argv:
        elapsed, peak = million()
        print(f"1,000,000 runs of the baseline to disk (10 outputs): {elapsed:.1f} s,"
              f" peak memory {peak:,.0f} MB (goal < 2,048 MB)")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {own:,.0f} MB")


if __name__ == "__main__":
    main()
