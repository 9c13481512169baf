"""Runs of the ensemble engine, and the one converter of scenario values into run inputs.

The ensemble engine (``model.ensemble``) integrates ``n`` parameter sets at once.
:func:`run_inputs` turns scenario constants and year→value paths into inputs on a time
grid (paths are interpolated linearly, holding the end values, exactly as PySD does), for
one parameter set shared by all members or one set per member, and applies per-run draws:
``replace`` sets the value, ``shift`` adds to every point, ``scale`` multiplies every
point; a mode ending in ``_after_observed`` acts only after 2020
(``qdsim.uncertainty.draw_mode``), ramping in over 2020-2021; ``annual_shift_from_<year>``
adds one value per year from that year on (an ``ar1`` shock path), the value of year t
over [t-1, t). PySD runs (``qdsim.simulation``) use the same converter on the paths' own
years; :func:`annual_points` writes a shock path as points PySD interpolates to the same
steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from model import MODEL_PATH
from model.array_value import ArrayValue
from model.ensemble import EnsembleError, EnsembleModel
from qdsim.errors import EngineError
from qdsim.scenario import ParameterValue
from qdsim.uncertainty import AFTER_OBSERVED, ANNUAL_SHIFT_FROM, LAST_OBSERVED_YEAR

#: Width of the jump between two years' shocks in :func:`annual_points` [year]; far below
#: the finest time step (1/128), so no step time falls inside it.
JUMP_WIDTH = 1e-6


@lru_cache(maxsize=1)
def ensemble_model() -> EnsembleModel:
    """The ensemble engine compiled from ``model/qingdao.mdl`` (cached)."""
    try:
        return EnsembleModel.from_mdl(MODEL_PATH)
    except EnsembleError as error:
        raise EngineError(str(error)) from error


def path_on_grid(value: ParameterValue, times: np.ndarray) -> np.ndarray | float:
    """A constant as it is; a path interpolated linearly on ``times`` [year], ends held."""
    if isinstance(value, ArrayValue):
        raise EngineError("a subscripted constant has no path over years")
    if not isinstance(value, tuple):
        return float(value)
    years, values = zip(*value, strict=True)
    on_grid: np.ndarray = np.interp(times, np.asarray(years, dtype=float),
                                    np.asarray(values, dtype=float))
    return on_grid


def annual_steps(values: np.ndarray, first_year: int, times: np.ndarray) -> np.ndarray:
    """Yearly values (runs, years) from ``first_year`` as steps on ``times`` [year]: the
    value of year t over [t-1, t), 0 before and after; shape (runs, steps)."""
    index = np.floor(times + 1e-9).astype(int) + 1 - first_year
    inside = (index >= 0) & (index < values.shape[1])
    steps = np.zeros((values.shape[0], times.size))
    steps[:, inside] = values[:, index[inside]]
    return steps


def annual_points(values: Sequence[float], first_year: int) -> tuple[tuple[float, float], ...]:
    """One run's yearly values from ``first_year`` as a path of (year, value) points whose
    linear interpolation equals :func:`annual_steps` at every step time [year, value]."""
    points = [(first_year - 1 - JUMP_WIDTH, 0.0)]
    for offset, value in enumerate(values):
        year = first_year + offset
        points += [(float(year - 1), float(value)), (year - JUMP_WIDTH, float(value))]
    points.append((float(first_year + len(values) - 1), 0.0))
    return tuple(points)


def run_inputs(parameters: Mapping[str, ParameterValue] | Sequence[Mapping[str, ParameterValue]],
               times: np.ndarray, draws: Mapping[str, np.ndarray] | None = None,
               modes: Mapping[str, str] | None = None) -> dict[str, np.ndarray | float]:
    """Inputs on the time grid ``times`` [year] for :meth:`EnsembleModel.run`.

    ``parameters``: one mapping shared by every member, or a sequence of k mappings, one
    per member (a parameter missing from some takes the model's value). ``draws`` maps
    parameters to arrays of shape (n,) and ``modes`` says how each acts on the scenario's
    value (``replace`` by default). A constant stays a float (k values: shape (k,)); a
    path becomes shape (1, steps), or (k, steps) / (n, steps) once it differs by member.
    """
    sets = [parameters] if isinstance(parameters, Mapping) else list(parameters)
    inputs: dict[str, np.ndarray | float] = {}
    if len(sets) == 1:
        for name, value in sets[0].items():
            if isinstance(value, ArrayValue):  # a subscripted constant: the same for every run
                inputs[name] = value.array()
                continue
            on_grid = path_on_grid(value, times)
            inputs[name] = on_grid[None, :] if isinstance(on_grid, np.ndarray) else on_grid
    else:
        constants = ensemble_model().constants
        for name in sorted(set().union(*sets)):
            if any(isinstance(p.get(name), ArrayValue) for p in sets):
                raise EngineError(f"parameter '{name}' is subscripted; one value set per run"
                                  " is not supported for subscripted parameters")
            values = [path_on_grid(p[name], times) if name in p
                      else float(constants[name]) for p in sets]
            if all(isinstance(v, float) for v in values):
                inputs[name] = np.asarray(values)
            else:
                inputs[name] = np.vstack([np.broadcast_to(v, times.shape) for v in values])
    for name, draw in (draws or {}).items():
        if any(isinstance(p.get(name), ArrayValue) for p in sets) or np.ndim(
                ensemble_model().constants.get(name, 0.0)) > 0:
            raise EngineError(f"parameter '{name}' is subscripted; uncertain draws of "
                              "subscripted parameters are not supported")
        draw = np.asarray(draw, dtype=float)
        mode = (modes or {}).get(name, "replace")
        if mode.startswith(ANNUAL_SHIFT_FROM):
            shocked = np.asarray(inputs.get(name, ensemble_model().constants[name]), dtype=float)
            shocked = shocked[:, None] if shocked.ndim == 1 else shocked
            first_year = int(mode.removeprefix(ANNUAL_SHIFT_FROM))
            inputs[name] = shocked + annual_steps(draw, first_year, times)
            continue
        after_observed = mode.endswith(AFTER_OBSERVED)
        mode = mode.removesuffix(AFTER_OBSERVED)
        if mode == "replace" and not after_observed:
            inputs[name] = draw
            continue
        base = inputs.get(name, ensemble_model().constants[name])
        base = np.asarray(base, dtype=float)
        if after_observed:  # (n, steps): the scenario's value up to 2020, the draw after
            base = np.broadcast_to(base if base.ndim == 2 else base[None, None],
                                   (1, times.size))
            weight = np.clip(times - LAST_OBSERVED_YEAR, 0.0, 1.0)[None, :]
        column = draw[:, None] if base.ndim == 2 else draw
        changed = {"replace": np.broadcast_to(column, np.broadcast_shapes(base.shape,
                                                                          column.shape)),
                   "shift": base + column, "scale": base * column}[mode]
        inputs[name] = base + weight * (changed - base) if after_observed else changed
    return inputs


def simulate(parameters: Mapping[str, ParameterValue] | Sequence[Mapping[str, ParameterValue]],
             n: int, variables: Sequence[str],
             years: np.ndarray, *, draws: Mapping[str, np.ndarray] | None = None,
             modes: Mapping[str, str] | None = None, time_step: float | None = None
             ) -> dict[str, np.ndarray]:
    """Run ``n`` members: each variable as an array (n, len(years)) [model units].

    ``parameters`` as for :func:`run_inputs` (one shared set, or n sets)."""
    engine = ensemble_model()
    final_time = float(years[-1])
    times = engine.step_times(time_step, final_time)
    try:
        return engine.run(run_inputs(parameters, times, draws, modes), n,
                          return_columns=list(variables), return_times=np.asarray(years, float),
                          time_step=time_step, final_time=final_time)
    except EnsembleError as error:
        raise EngineError(str(error)) from error


def output_dimensions(variables: Sequence[str]) -> tuple[dict[str, tuple[str, ...]],
                                                         dict[str, tuple[str, ...]]]:
    """Dimensions of each subscripted output variable and the elements of each dimension
    (from the ensemble engine's reading of the model file); scalars are left out."""
    engine = ensemble_model()
    dimensions = {name: engine.dimensions[name] for name in variables
                  if name in engine.dimensions}
    coordinates = {dimension: engine.coordinates[dimension]
                   for names in dimensions.values() for dimension in names}
    return dimensions, coordinates


def stacked(column: Iterable[Any]) -> np.ndarray:
    """A PySD result column (numbers, or one labelled array per time) as floats of shape
    (time, *dimensions)."""
    return np.stack([np.asarray(getattr(item, "values", item), dtype=np.float64)
                     for item in column])
