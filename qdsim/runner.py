"""Run validated scenarios through an engine and label the results.

The result is an ``xarray.Dataset`` with dims (scenario, year); each variable carries
``units`` and ``long_name`` from the model file, and the global attributes record the model
file's hash, each scenario's hash, the engine, the time step and the package version.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import xarray as xr

from model import MODEL_PATH
from model.errors import ModelError
from model.pysd_engine import control_values, file_sha256, model_documentation, run_pysd
from qdsim import __version__
from qdsim.errors import EngineError
from qdsim.scenario import ParameterValue, Scenario

log = logging.getLogger(__name__)

#: Output variables, stable snake_case names of model variables (base units).
OUTPUT_VARIABLES = (
    "population", "population_urban", "urbanization_rate", "births", "deaths",
    "net_migration", "population_0_14", "population_15_59", "population_60_64",
    "population_65_plus", "labour_force", "employment", "unemployment_rate", "jobs",
    "new_urban_jobs", "gdp_real", "gdp_nominal", "gdp_real_growth", "gdp_per_capita",
    "gdp_per_capita_usd", "gdp_per_capita_usd_constant_2020", "labour_productivity",
    "capital_stock", "investment",
    "energy_consumption", "energy_intensity", "co2_emissions", "co2_intensity",
    "non_fossil_share", "housing_floor_area", "housing_completions", "floor_area_per_capita",
    "house_price_index", "affordability_index", "public_housing_units_completed",
)


def model_years(final_year: int | None = None) -> np.ndarray:
    """Saved years: every end of year from the model's start to ``final_year`` [year]."""
    controls = control_values()
    start = int(controls["initial_time"])
    final = int(controls["final_time"]) if final_year is None else int(final_year)
    if final <= start:
        raise EngineError(f"final year {final} must be after the start year {start}")
    return np.arange(start, final + 1, dtype=float)


def pysd_inputs(parameters: dict[str, ParameterValue]) -> dict[str, float | pd.Series]:
    """Scenario parameters as PySD takes them: constants, or Series over years."""
    inputs: dict[str, float | pd.Series] = {}
    for name, value in parameters.items():
        if isinstance(value, tuple):
            years, values = zip(*value, strict=True)
            inputs[name] = pd.Series(values, index=list(years), dtype=float)
        else:
            inputs[name] = float(value)
    return inputs


def variable_attributes(variables: Sequence[str] = OUTPUT_VARIABLES) -> dict[str, dict[str, str]]:
    """``units`` and ``long_name`` of output variables, from the model file."""
    documentation = model_documentation(MODEL_PATH).set_index("Py Name")
    attributes = {}
    for name in variables:
        row = documentation.loc[name]
        attributes[name] = {"units": str(row["Units"]), "long_name": str(row["Comment"]).strip()}
    return attributes


def _scenario_coordinates(scenarios: Sequence[Scenario]) -> dict[str, tuple]:
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
    data_vars = {
        name: xr.Variable(dims, values[name] if hasattr(values[name], "dask") else
                          np.asarray(values[name], dtype=float), attrs=attributes[name])
        for name in variables
    }
    coords = {**_scenario_coordinates(scenarios), "year": ("year", years.astype(int))}
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


def run_scenarios(scenarios: Sequence[Scenario], *, time_step: float | None = None,
                  final_year: int | None = None) -> xr.Dataset:
    """Run each scenario once with its central values through PySD (the reference engine)."""
    years = model_years(final_year)
    step = control_values()["time_step"] if time_step is None else float(time_step)
    collected = {name: np.empty((len(scenarios), len(years))) for name in OUTPUT_VARIABLES}
    for index, scenario in enumerate(scenarios):
        log.info("running scenario %s", scenario.name)
        try:
            frame = run_pysd(pysd_inputs(dict(scenario.parameters)), list(OUTPUT_VARIABLES),
                             years, time_step=step, final_time=float(years[-1]))
        except ModelError as error:
            raise EngineError(f"scenario '{scenario.name}': {error}") from error
        for name in OUTPUT_VARIABLES:
            collected[name][index] = frame[name].to_numpy(dtype=float)
    return label_results(collected, scenarios, years, engine="pysd", time_step=step)
