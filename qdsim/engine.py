"""Scenario values and sampled draws as inputs of the ensemble engine.

The ensemble engine (``model.ensemble``) integrates ``n`` parameter sets at once. This
module turns a scenario's constants and year→value paths into its inputs (paths are
interpolated onto the integration times, holding the end values, exactly as PySD does)
and applies per-run draws: ``replace`` sets the value, ``shift`` adds to every point,
``scale`` multiplies every point.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from model import MODEL_PATH
from model.array_value import ArrayValue
from model.ensemble import EnsembleError, EnsembleModel
from qdsim.errors import EngineError
from qdsim.scenario import ParameterValue


@lru_cache(maxsize=1)
def ensemble_model() -> EnsembleModel:
    """The ensemble engine compiled from ``model/qingdao.mdl`` (cached)."""
    try:
        return EnsembleModel.from_mdl(MODEL_PATH)
    except EnsembleError as error:
        raise EngineError(str(error)) from error


def path_on_grid(value: ParameterValue, times: np.ndarray) -> np.ndarray | float:
    """A constant as it is; a path interpolated linearly on ``times`` [year], ends held."""
    if not isinstance(value, tuple):
        return float(value)
    years, values = zip(*value, strict=True)
    return np.interp(times, np.asarray(years, dtype=float), np.asarray(values, dtype=float))


def engine_inputs(parameters: Mapping[str, ParameterValue], times: np.ndarray,
                  draws: Mapping[str, np.ndarray] | None = None,
                  modes: Mapping[str, str] | None = None) -> dict[str, np.ndarray | float]:
    """Inputs for :meth:`EnsembleModel.run`.

    ``draws`` maps parameters to arrays of shape (n,) and ``modes`` says how each acts on
    the scenario's value (``replace`` by default). Paths become arrays of shape
    (1, steps) or, once a draw shifts or scales them, (n, steps).
    """
    inputs: dict[str, np.ndarray | float] = {}
    for name, value in parameters.items():
        if isinstance(value, ArrayValue):  # a subscripted constant: the same for every run
            inputs[name] = value.array()
            continue
        on_grid = path_on_grid(value, times)
        inputs[name] = on_grid[None, :] if isinstance(on_grid, np.ndarray) else on_grid
    for name, draw in (draws or {}).items():
        if isinstance(parameters.get(name), ArrayValue) or np.ndim(
                ensemble_model().constants.get(name, 0.0)) > 0:
            raise EngineError(f"parameter '{name}' is subscripted; uncertain draws of "
                              "subscripted parameters are not supported")
        draw = np.asarray(draw, dtype=float)
        mode = (modes or {}).get(name, "replace")
        if mode == "replace":
            inputs[name] = draw
            continue
        base = inputs.get(name, ensemble_model().constants[name])
        base = np.asarray(base, dtype=float)
        column = draw[:, None] if base.ndim == 2 else draw
        inputs[name] = base + column if mode == "shift" else base * column
    return inputs


def simulate(parameters: Mapping[str, ParameterValue], n: int, variables: list[str],
             years: np.ndarray, *, draws: Mapping[str, np.ndarray] | None = None,
             modes: Mapping[str, str] | None = None, time_step: float | None = None
             ) -> dict[str, np.ndarray]:
    """Run ``n`` members: each variable as an array (n, len(years)) [model units]."""
    engine = ensemble_model()
    final_time = float(years[-1])
    times = engine.step_times(time_step, final_time)
    try:
        return engine.run(engine_inputs(parameters, times, draws, modes), n,
                          return_columns=list(variables), return_times=np.asarray(years, float),
                          time_step=time_step, final_time=final_time)
    except EnsembleError as error:
        raise EngineError(str(error)) from error
