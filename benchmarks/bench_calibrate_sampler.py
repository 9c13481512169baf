"""Posterior sampler settings of ``qdsim calibrate`` side by side: time and convergence.

For each setting (walkers x steps, burn-in) the whole calibration runs once on the shipped
observations (2015-2020) with the shipped free parameters and seed: global search, local
refinement and emcee. Printed per setting: CPU seconds of the process, engine calls and
their CPU time, and the convergence rule's figures (largest split R-hat, largest
autocorrelation time, kept steps over it, smallest effective sample size, verdict). Also
printed first: CPU time of one engine call at several ensemble sizes, which shows why more
walkers are nearly free and more steps are not (each step is two or more sequential calls).

    python benchmarks/bench_calibrate_sampler.py
    python benchmarks/bench_calibrate_sampler.py --settings 42x4000/800 200x2200/500

This is a script, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calibration import DEFAULT_OBSERVATIONS  # noqa: E402
from calibration.estimator import Calibrator, load_free_parameters  # noqa: E402
from calibration.observations import load_observations  # noqa: E402


def call_cost(sizes: list[int], repeats: int = 20) -> None:
    calibrator = Calibrator(load_free_parameters(), check_convergence=False)
    calibrator.observations_ = load_observations(DEFAULT_OBSERVATIONS, (2015, 2020))
    centre = calibrator.bounds.mean(axis=1)
    for size in sizes:
        matrix = np.repeat(centre[None], size, axis=0)
        calibrator.model_values(matrix)
        started = time.process_time()
        for _ in range(repeats):
            calibrator.model_values(matrix)
        milliseconds = 1000 * (time.process_time() - started) / repeats
        print(f"engine call with {size:4d} runs: {milliseconds:6.1f} ms CPU")


def one_setting(walkers: int, steps: int, burn_in: int) -> None:
    calibrator = Calibrator(load_free_parameters(), seed=2020, walkers=walkers, steps=steps,
                            burn_in=burn_in, check_convergence=False)
    calls = {"count": 0, "cpu": 0.0}
    model_values = calibrator.model_values

    def counted(matrix):
        started = time.process_time()
        values = model_values(matrix)
        calls["count"] += 1
        calls["cpu"] += time.process_time() - started
        return values

    calibrator.model_values = counted
    started = time.process_time()
    calibrator.fit(load_observations(DEFAULT_OBSERVATIONS, (2015, 2020)))
    cpu = time.process_time() - started
    entries = calibrator.diagnostics_["parameters"].values()
    r_hat = max(entry["r_hat"] for entry in entries)
    tau = max(entry["autocorrelation_time"] for entry in entries)
    ess = min(entry["effective_sample_size"] for entry in entries)
    kept = calibrator.diagnostics_["steps_after_burn_in"]
    print(f"{calibrator.walkers:4d} walkers x {steps:5d} steps (burn-in {burn_in:4d}):"
          f" {cpu:6.1f} s CPU, {calls['count']:5d} engine calls ({calls['cpu']:6.1f} s);"
          f" R-hat {r_hat:.3f}, tau {tau:5.1f}, kept/tau {kept / tau:5.1f}, ESS {ess:6.0f},"
          f" {'converged' if calibrator.diagnostics_['converged'] else 'NOT converged'}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", default=["42x4000/800", "200x2200/500"],
                        help="WALKERSxSTEPS/BURN_IN (default: the shipped one, and one with"
                             " more walkers and fewer steps)")
    parser.add_argument("--sizes", nargs="+", type=int, default=[21, 100, 200, 400])
    arguments = parser.parse_args()
    call_cost(arguments.sizes)
    for setting in arguments.settings:
        shape, burn_in = setting.split("/")
        walkers, steps = shape.split("x")
        one_setting(int(walkers), int(steps), int(burn_in))


if __name__ == "__main__":
    main()
