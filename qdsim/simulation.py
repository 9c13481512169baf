"""The one way to run scenarios: :func:`simulate_scenarios`, with either engine.

``engine="pysd"`` runs each scenario once through PySD, the reference engine;
``engine="ensemble"`` runs them through the numpy ensemble engine
(``qdsim.ensemble_runs``), once each or, given one sampling design per scenario, once per
draw. Both return an ``xarray.Dataset`` with dims (scenario, year) or (scenario, sample,
year); each variable carries ``units`` and ``long_name`` from the model file, and the
global attributes record the model file's hash, each scenario's hash, the engine, the
time step and the package version.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import xarray as xr

from model import MODEL_PATH
from model.errors import ModelError
from model.pysd_engine import control_values, file_sha256, run_pysd
from qdsim import __version__
from qdsim.ensemble_runs import output_dimensions, run_inputs, simulate, stacked
from qdsim.errors import EngineError
from qdsim.sampling import Design
from qdsim.scenario import ParameterValue, Scenario
from qdsim.subscripted import ArrayValue
from qdsim.variables import OUTPUT_VARIABLES, variable_attributes

log = logging.getLogger(__name__)

#: Engines behind :func:`simulate_scenarios`.
ENGINES = ("pysd", "ensemble")

def model_years(final_year: int | None = None) -> np.ndarray:
    """Saved years: every end of year from the model's start to ``final_year`` [year]."""
    controls = control_values()
    start = int(controls["initial_time"])
    final = int(controls["final_time"]) if final_year is None else int(final_year)
    if final <= start:
        raise EngineError(f"final year {final} must be after the start year {start}")
    return np.arange(start, final + 1, dtype=float)


def pysd_inputs(parameters: Mapping[str, ParameterValue]) -> dict[str, float | pd.Series]:
    """Scenario parameters as PySD takes them: constants, or Series over the paths' years
    (PySD interpolates between them as the ensemble engine does)."""
    years = sorted({year for value in parameters.values() if isinstance(value, tuple)
                    for year, _ in value})
    arrays = {name: value.data_array() for name, value in parameters.items()
              if isinstance(value, ArrayValue)}  # subscripted constants, labelled
    inputs = run_inputs({name: value for name, value in parameters.items()
                         if name not in arrays}, np.asarray(years, dtype=float))
    return {**{name: pd.Series(value[0], index=years, dtype=float)
               if isinstance(value, np.ndarray) else float(value)
               for name, value in inputs.items()}, **arrays}


def _scenario_coordinates(scenarios: Sequence[Scenario]) -> dict[str, tuple[str, list[str]]]:
    return {
        "scenario": ("scenario", [s.name for s in scenarios]),
        "title_zh": ("scenario", [s.title_zh for s in scenarios]),
        "title_en": ("scenario", [s.title_en for s in scenarios]),
        "scenario_sha256": ("scenario", [s.sha256() for s in scenarios]),
        "scenario_parameters": (
            "scenario",
            [json.dumps({k: (list(map(list, v)) if isinstance(v, tuple) else v)
                         for k, v in s.parameters.items()}) for s in scenarios],
        ),
        "scenario_origins": ("scenario", [json.dumps(dict(s.origins)) for s in scenarios]),
        "scenario_calibration": ("scenario", [json.dumps(dict(s.calibration), default=str)
                                              for s in scenarios]),
    }


def label_results(values: dict[str, np.ndarray], scenarios: Sequence[Scenario],
                  years: np.ndarray, *, engine: str, time_step: float,
                  extra_dims: tuple[str, ...] = (),
                  variables: Sequence[str] = OUTPUT_VARIABLES) -> xr.Dataset:
    """Wrap arrays of shape (scenario, *extra, year) into the labelled result Dataset."""
    attributes = variable_attributes(variables)
    model_hash = file_sha256(MODEL_PATH)
    for scenario in scenarios:
        calibrated_with = scenario.calibration.get("model_sha256")
        if calibrated_with and calibrated_with != model_hash:
            log.warning("scenario %s inherits a calibration made with another version of the"
                        " model file; rerun 'qdsim calibrate'", scenario.name)
    dims = ("scenario", *extra_dims, "year")
    subscripts, elements = output_dimensions(variables)  # after year: age, sex, ...
    data_vars = {
        name: xr.Variable((*dims, *subscripts.get(name, ())), values[name]
                          if hasattr(values[name], "dask") else
                          np.asarray(values[name], dtype=float), attrs=attributes[name])
        for name in variables
    }
    coords = {**_scenario_coordinates(scenarios), "year": ("year", years.astype(int)),
              **{dimension: (dimension, list(items)) for dimension, items in elements.items()}}
    dataset = xr.Dataset(data_vars, coords=coords)
    dataset.attrs.update(
        {
            "title": "qdsim projection for Qingdao",
            "model_file": MODEL_PATH.name,
            "model_sha256": model_hash,
            "qdsim_version": __version__,
            "engine": engine,
            "time_step": float(time_step),
            "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "conventions": "stocks at the end of year t; flows are totals over (t-1, t];"
                           " real values at 2020 prices",
        }
    )
    return dataset


def simulate_scenarios(scenarios: Sequence[Scenario], *, engine: str = "pysd",
                       designs: Sequence[Design] | None = None,
                       variables: Sequence[str] = OUTPUT_VARIABLES,
                       final_year: int | None = None, time_step: float | None = None
                       ) -> xr.Dataset:
    """Run ``scenarios`` through ``engine`` ("pysd", the reference, or "ensemble").

    Without ``designs``: one run per scenario with its central values, dims (scenario,
    year). With ``designs`` (one :class:`qdsim.sampling.Design` per scenario, the same
    number of draws each; ensemble only): one run per draw, dims (scenario, sample, year).
    """
    if engine not in ENGINES:
        raise EngineError(f"unknown engine '{engine}'; allowed: {', '.join(ENGINES)}")
    if designs is not None and (engine != "ensemble" or len(designs) != len(scenarios)):
        raise EngineError("sampled runs need the ensemble engine and one design per scenario")
    if not scenarios:
        raise EngineError("no scenario to run")
    years = model_years(final_year)
    step = control_values()["time_step"] if time_step is None else float(time_step)
    collected: dict[str, list[np.ndarray]] = {name: [] for name in variables}
    for index, scenario in enumerate(scenarios):
        log.info("running scenario %s", scenario.name)
        chosen = None if designs is None else designs[index]
        runs = _run_one(scenario, engine, chosen, variables, years, step, time_step)
        for name in variables:
            collected[name].append(runs[name])
    dataset = label_results({name: np.stack(runs) for name, runs in collected.items()},
                            scenarios, years, engine=engine, time_step=step,
                            extra_dims=() if designs is None else ("sample",),
                            variables=variables)
    if designs is None:
        return dataset
    return dataset.assign_coords(sample=np.arange(designs[0].runs))


def _run_one(scenario: Scenario, engine: str, chosen: Design | None, variables: Sequence[str],
             years: np.ndarray, step: float, time_step: float | None
             ) -> dict[str, np.ndarray]:
    """Each variable of one scenario [model units]: shape (years,), or (draws, years) with
    a design."""
    if engine == "ensemble":
        runs = simulate(dict(scenario.parameters), 1 if chosen is None else chosen.runs,
                        list(variables), years, draws=None if chosen is None else chosen.draws,
                        modes=None if chosen is None else chosen.modes, time_step=time_step)
        return runs if chosen is not None else {name: runs[name][0] for name in variables}
    try:
        frame = run_pysd(pysd_inputs(scenario.parameters), list(variables), years,
                         time_step=step, final_time=float(years[-1]))
    except ModelError as error:
        raise EngineError(f"scenario '{scenario.name}': {error}") from error
    runs = {name: stacked(frame[name]) for name in variables}
    for name, values in runs.items():
        if not np.isfinite(values).all():
            raise EngineError(f"scenario '{scenario.name}': the model gave NaN or infinite"
                              f" values of '{name}'; its values leave the model's valid domain")
    return runs


def run_scenarios(scenarios: Sequence[Scenario], *, time_step: float | None = None,
                  final_year: int | None = None) -> xr.Dataset:
    """Run each scenario once with its central values through PySD (the reference engine)."""
    return simulate_scenarios(scenarios, engine="pysd", time_step=time_step,
                              final_year=final_year)
