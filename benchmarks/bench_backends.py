"""The ensemble engine's two paths side by side, with PySD: runs per second of the numpy
path (``backend="numpy"``, the engine as it was), the compiled path (``backend="numba"``,
``model/ensemble_numba.py``) and PySD, at several ensemble sizes, on today's model and on
the cohort benchmark model (``benchmarks/cohort_model.py``, 101 ages x 2 sexes).

It also measures the compiled path's start-up (compiling with an empty cache folder, and
loading numba's cache in a new process) and what limits its speed: the share of a run
spent in exp and pow (calls per step in the generated loop times their cost, measured in
a compiled loop) against the measured time per run and step.

How to run (repository root, package installed; nothing here asserts a speed)::

    python benchmarks/bench_backends.py
    python benchmarks/bench_backends.py --sizes 42 1000 --cohort-sizes 42 --repeats 1

Measured on the 2-core machine shared with other jobs (load average 4.7-5.0), 2026-12-02,
``nice python benchmarks/bench_backends.py --sizes 1 42 1000 --cohort-sizes --pysd-runs 1
--repeats 2`` on qingdao.mdl with its 101 x 2 cohorts (time step 1/16 year, 2015-2035,
every scalar constant drawn within its Limits, the subscripted ones at their defaults, 7
columns once a year; runs/s, best of the repeats):

    model           n   numpy path   compiled   compiled/numpy   compiled/PySD
    qingdao.mdl     1            4        131            29.2x          2,638x
    qingdao.mdl    42          162        729             4.5x         14,721x
    qingdao.mdl 1,000          405        865             2.1x         17,463x

PySD 0.05 runs/s. One thread, n = 1,000: 727 runs/s, 4,299 ns a run and step, of which exp
and pow take 3% (the rest: the cohort arrays, about 3,400 cell operations a step).
Start-up: 43 s with an empty cache folder, 1.7 s in a new process. The cohort model of
``benchmarks/cohort_model.py`` (written for the scalar model before issue 11) no longer
builds on today's qingdao.mdl ("cohort width" defined twice): skip it with
``--cohort-sizes`` and no sizes; qingdao.mdl is now the cohort model. See README.md, "Speed".
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from bench_engines import (  # benchmarks/ is on sys.path when run
    COHORT_COLUMNS,
    COLUMNS,
    MODEL_PATH,
    draw_parameters,
    load_pysd,
    time_pysd,
)
from cohort_model import write_cohort_model

from model.ensemble import EnsembleModel
from model.ensemble_codegen import plan_code
from model.ensemble_numba import NUMBA_AVAILABLE
from model.ensemble_numba_code import KernelCode


def runs_per_second(engine: EnsembleModel, draws, size: int, years, repeats: int,
                    columns) -> tuple[float, str]:
    """Best runs per second over ``repeats`` (after one warm-up run) and the path used."""
    params = {name: values[:size] for name, values in draws.items()}
    engine.run(params, size, return_columns=list(columns), return_times=years)
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        engine.run(params, size, return_columns=list(columns), return_times=years)
        best = min(best, time.perf_counter() - started)
    return size / best, engine.last_backend or "?"


def start_up(model_path: Path, columns, years) -> tuple[float, float]:
    """Seconds to the first result of the compiled path: with an empty cache folder
    (parsing and compiling) and then in a new process with that folder (loading)."""
    script = (
        "import time, numpy as np; started = time.perf_counter()\n"
        "from model.ensemble import EnsembleModel\n"
        f"engine = EnsembleModel.from_mdl({str(model_path)!r}, backend='numba')\n"
        f"engine.run({{}}, 1, return_columns={list(columns)!r}, "
        f"return_times=np.array({list(map(float, years))!r}))\n"
        "assert engine.last_backend == 'numba'\n"
        "print(time.perf_counter() - started)\n")
    seconds = []
    with tempfile.TemporaryDirectory() as folder:
        environment = dict(os.environ, QDSIM_CACHE=folder)
        for _ in range(2):
            output = subprocess.run([sys.executable, "-c", script], env=environment,
                                    capture_output=True, text=True, check=True,
                                    timeout=900).stdout
            seconds.append(float(output.split()[-1]))
    return seconds[0], seconds[1]


def transcendental_share(engine: EnsembleModel, columns, seconds_per_run: float) -> str:
    """exp and pow calls per step of the compiled loop, their measured cost, and their
    share of a run's time on one thread."""
    from numba import njit

    plan = plan_code(engine.specification, list(columns), frozenset())
    code = KernelCode(engine.specification, plan.tables)
    code.rewrite(plan.initial)  # the loop's ranks and shapes follow from it
    loop = code.rewrite(plan.loop)
    exps = len(re.findall(r"np\.exp\(", loop))
    powers = loop.count("**") + len(re.findall(r"np\.power\(", loop))

    @njit(error_model="numpy")
    def exp_loop(values):
        total = 0.0
        for value in values:
            total += np.exp(value)
        return total

    @njit(error_model="numpy")
    def power_loop(values, exponents):
        total = 0.0
        for index in range(values.shape[0]):
            total += values[index] ** exponents[index]
        return total

    values = np.random.default_rng(1).uniform(0.5, 1.5, 100_000)
    exponents = np.random.default_rng(2).uniform(-1.0, 1.0, 100_000)
    exp_loop(values), power_loop(values, exponents)
    costs = []
    for function, arguments in ((exp_loop, (values,)), (power_loop, (values, exponents))):
        best = np.inf
        for _ in range(5):
            started = time.perf_counter()
            function(*arguments)
            best = min(best, time.perf_counter() - started)
        costs.append(best / values.size)
    steps = len(engine.step_times()) - 1
    spent = steps * (exps * costs[0] + powers * costs[1])
    return (f"{exps} exp ({costs[0] * 1e9:.1f} ns) + {powers} pow ({costs[1] * 1e9:.1f} ns) "
            f"a step: {spent * 1e6:.0f} us of {seconds_per_run * 1e6:.0f} us a run on one "
            f"thread ({spent / seconds_per_run:.0%}), {seconds_per_run / steps * 1e9:.0f} ns "
            "a run and step")


def compare(label: str, model_path: Path, pysd_model, draws, columns, years, sizes,
            repeats: int, pysd_runs: int) -> None:
    pysd_speed = time_pysd(pysd_model, draws, pysd_runs, years, columns)
    engines = {backend: EnsembleModel.from_mdl(model_path, backend=backend)
               for backend in ("numpy", "numba")}
    steps = len(engines["numpy"].step_times()) - 1
    print(f"\n{label}: {steps} steps of {engines['numpy'].constants['time_step']} year, "
          f"{len(columns)} columns x {len(years)} years; PySD {pysd_speed:,.2f} runs/s "
          f"({pysd_runs} runs one at a time)")
    print(f"{'n':>8} | {'numpy path':>12} | {'compiled':>12} | {'compiled/numpy':>14} | "
          f"{'compiled/PySD':>13} | path run")
    for size in sizes:
        numpy_speed, _ = runs_per_second(engines["numpy"], draws, size, years,
                                         repeats if size < 50_000 else 1, columns)
        compiled_speed, path = runs_per_second(engines["numba"], draws, size, years,
                                               repeats if size < 50_000 else 1, columns)
        print(f"{size:>8,} | {numpy_speed:>12,.0f} | {compiled_speed:>12,.0f} | "
              f"{compiled_speed / numpy_speed:>13.1f}x | {compiled_speed / pysd_speed:>12,.0f}x"
              f" | {path}")
    if engines["numba"].last_backend == "numba":
        single = EnsembleModel.from_mdl(model_path, backend="numba", workers=1)
        single_size = min(2000, len(next(iter(draws.values()))))
        speed, _ = runs_per_second(single, draws, single_size, years, repeats, columns)
        print(f"one thread, n={single_size:,}: {speed:,.0f} runs/s; "
              + transcendental_share(single, columns, 1 / speed))
        cold, warm = start_up(model_path, columns, years)
        print(f"start-up to the first compiled result: {cold:.1f} s with an empty cache "
              f"folder (parse + compile), {warm:.1f} s in a new process with numba's cache")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 42, 1_000, 100_000])
    parser.add_argument("--cohort-sizes", type=int, nargs="*", default=[42, 1_000, 20_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pysd-runs", type=int, default=20)
    parser.add_argument("--cohort-pysd-runs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2024)
    arguments = parser.parse_args()
    if not NUMBA_AVAILABLE:
        raise SystemExit("numba is not installed: pip install numba")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    years = np.arange(2015.0, 2036.0)
    largest = max(arguments.sizes + arguments.cohort_sizes)
    with tempfile.TemporaryDirectory() as directory, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pysd

        pysd_model = load_pysd(Path(directory))
        draws = draw_parameters(pysd_model, largest, arguments.seed)
        # Subscripted constants (the cohort schedules) keep their default values.
        scalars = {name for name, value in EnsembleModel.from_mdl(
            MODEL_PATH, backend="numpy").constants.items() if np.ndim(value) == 0}
        draws = {name: values for name, values in draws.items() if name in scalars}
        compare("qingdao.mdl", MODEL_PATH, pysd_model, draws, COLUMNS, years, arguments.sizes,
                arguments.repeats, arguments.pysd_runs)
        if arguments.cohort_sizes:
            cohort_path = write_cohort_model(Path(directory))
            cohort_pysd = pysd.read_vensim(str(cohort_path))
            compare("cohort model (+101 ages x 2 sexes)", cohort_path, cohort_pysd, draws,
                    [*COLUMNS, *COHORT_COLUMNS], years, arguments.cohort_sizes,
                    arguments.repeats, arguments.cohort_pysd_runs)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
