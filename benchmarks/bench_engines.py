"""Speed of the two engines side by side: PySD one run at a time vs the numpy ensemble.

Both engines run the same random parameter sets (every constant of the model drawn
uniformly within its Limits, seeded) and return the same columns once a year. Prints
runs per second for PySD and for ensembles of each size, the ratio ensemble / PySD, and
the peak memory of each ensemble run (numpy allocations traced by tracemalloc, outside
the timed runs; split into the returned arrays and the working set, which the engine
bounds by integrating at most ``chunk_size`` runs per thread at a time) and of the whole
process (maximum resident set size).

A second part does the same on a subscripted model: the model plus a one-year cohort
ageing chain of 101 ages x 2 sexes (``benchmarks/cohort_model.py``), returning the
scalar columns and the chain's totals, 2015-2035.

How to run (from the repository root, with the package installed: ``pip install -e .``)::

    python benchmarks/bench_engines.py
    python benchmarks/bench_engines.py --pysd-runs 20 --sizes 1000 100000 --repeats 5
    python benchmarks/bench_engines.py --cohort-sizes 1000 20000 --cohort-pysd-runs 3

PySD writes its translation next to the model file, so the model is copied into a
temporary folder first. This is a script, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
from cohort_model import write_cohort_model  # benchmarks/ is on sys.path when run

from model.ensemble import EnsembleModel

MODEL_PATH = Path(__file__).resolve().parents[1] / "model" / "qingdao.mdl"
COLUMNS = ["population", "urbanization_rate", "gdp_per_capita_usd", "gdp_real_growth",
           "unemployment_rate", "co2_emissions", "floor_area_per_capita"]
CONTROL_NAMES = ("initial_time", "final_time", "time_step", "saveper")


def load_pysd(directory: Path):
    """PySD model translated from a copy of the model file in ``directory``."""
    import pysd

    copy = directory / MODEL_PATH.name
    shutil.copy(MODEL_PATH, copy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pysd.read_vensim(str(copy))


def draw_parameters(pysd_model, size: int, seed: int) -> dict[str, np.ndarray]:
    """Each constant drawn uniformly within its Limits [model units], ``size`` draws."""
    documentation = pysd_model.doc
    constants = documentation[(documentation["Type"] == "Constant")
                              & ~documentation["Py Name"].isin(CONTROL_NAMES)]
    generator = np.random.default_rng(seed)
    return {name: generator.uniform(low, high, size)
            for name, (low, high) in zip(constants["Py Name"], constants["Limits"],
                                         strict=True)}


COHORT_COLUMNS = ["cohort_total", "cohort_by_sex", "cohort_population_65_plus"]


def time_pysd(pysd_model, draws: dict[str, np.ndarray], runs: int, years,
              columns=tuple(COLUMNS)) -> float:
    """Runs per second of PySD, one parameter set at a time."""
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index in range(runs):
            # gdp_real is asked for with gdp_real_growth: PySD's DELAY FIXED of gdp_real
            # is right only when gdp_real is cached (see model/ensemble.py).
            pysd_model.run(params={name: float(values[index]) for name, values in draws.items()},
                           return_columns=[*columns, "gdp_real"],
                           return_timestamps=list(years), progress=False)
    return runs / (time.perf_counter() - started)


def time_ensemble(engine: EnsembleModel, draws, size: int, years, repeats: int,
                  columns=tuple(COLUMNS)):
    """Best runs per second over ``repeats`` and peak traced memory [bytes] of one run."""
    params = {name: values[:size] for name, values in draws.items()}
    columns = list(columns)
    engine.run(params, size, return_columns=columns, return_times=years)  # compile, warm up
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        engine.run(params, size, return_columns=columns, return_times=years)
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    engine.run(params, size, return_columns=columns, return_times=years)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return size / best, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pysd-runs", type=int, default=50)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--cohort-pysd-runs", type=int, default=3)
    parser.add_argument("--cohort-sizes", type=int, nargs="*", default=[1_000, 20_000])
    arguments = parser.parse_args()

    engine = EnsembleModel.from_mdl(MODEL_PATH)
    years = np.arange(engine.constants["initial_time"], engine.constants["final_time"] + 1)
    with tempfile.TemporaryDirectory() as directory:
        pysd_model = load_pysd(Path(directory))
        draws = draw_parameters(pysd_model, max(arguments.sizes + [arguments.pysd_runs]),
                                arguments.seed)
        pysd_speed = time_pysd(pysd_model, draws, arguments.pysd_runs, years)
    steps = len(engine.step_times()) - 1
    print(f"model: {MODEL_PATH.name}, {steps} steps of {engine.constants['time_step']} year, "
          f"{len(draws)} constants drawn, {len(COLUMNS)} columns x {len(years)} years")
    print(f"engine threads: {engine.workers}, chunk: {engine.chunk_size} runs")
    print(f"PySD, {arguments.pysd_runs} runs one at a time: {pysd_speed:,.1f} runs/s "
          f"({1000 / pysd_speed:.1f} ms a run)")
    for size in arguments.sizes:
        speed, peak = time_ensemble(engine, draws, size, years, arguments.repeats)
        result = size * len(COLUMNS) * len(years) * 8  # the returned arrays themselves
        print(f"ensemble n={size:>7,}: {speed:>10,.0f} runs/s  x{speed / pysd_speed:>7,.0f} "
              f"PySD  peak {peak / 2**20:6.1f} MiB = result {result / 2**20:6.1f} MiB "
              f"+ working set {(peak - result) / 2**20:5.1f} MiB")
    if arguments.cohort_sizes:
        benchmark_cohorts(arguments, draws, years)
    maximum_resident = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"process maximum resident set: {maximum_resident:,.0f} MiB")


def benchmark_cohorts(arguments, draws, years) -> None:
    """The same comparison on the model with a 101 x 2 cohort chain."""
    import pysd

    columns = [*COLUMNS, *COHORT_COLUMNS]
    with tempfile.TemporaryDirectory() as directory:
        path = write_cohort_model(Path(directory))
        engine = EnsembleModel.from_mdl(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pysd_model = pysd.read_vensim(str(path))
        pysd_speed = time_pysd(pysd_model, draws, arguments.cohort_pysd_runs, years, columns)
    print(f"cohort model: {path.name} (+101 ages x 2 sexes), {len(columns)} columns, "
          f"chunk: {engine.chunk_size} runs")
    print(f"PySD, {arguments.cohort_pysd_runs} runs one at a time: {pysd_speed:,.2f} runs/s "
          f"({1000 / pysd_speed:,.0f} ms a run)")
    for size in arguments.cohort_sizes:
        speed, peak = time_ensemble(engine, draws, size, years, arguments.repeats, columns)
        print(f"ensemble n={size:>7,}: {speed:>10,.0f} runs/s  x{speed / pysd_speed:>7,.0f} "
              f"PySD  peak {peak / 2**20:6.1f} MiB")


if __name__ == "__main__":
    main()
