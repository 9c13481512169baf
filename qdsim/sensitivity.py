"""Sobol sensitivity of a target to a scenario's uncertain assumptions (SALib).

Each independently sampled parameter of the scenario's ``uncertain:`` block is one factor;
the parameters drawn jointly from the calibration posterior form one more factor,
``calibration_posterior`` (a draw picks a whole posterior row); an ``ar1`` shock is one
factor made of its years' innovations (a SALib group). Factors live on the unit
interval: SALib's Saltelli-Sobol design gives unit points, and each is mapped through the
factor's inverse distribution, exactly as batches draw. First-order (S1) and total (ST)
indices come with bootstrap confidence intervals, for the target's gap and for each
year's value of the target's variable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from qdsim.ensemble_runs import simulate
from qdsim.errors import QdsimError
from qdsim.sampling import design_columns, draws_from_unit, factor_names
from qdsim.scenario import Scenario
from qdsim.simulation import model_years
from qdsim.targets import Target, statistic_values


def sobol_indices(factors: Sequence[str], evaluate: Callable[[np.ndarray], np.ndarray],
                  base_samples: int, seed: int, confidence: float = 0.95,
                  groups: Sequence[str] | None = None) -> dict:
    """S1, ST and their confidence half-widths of ``evaluate`` over unit-interval factors.

    ``evaluate`` maps unit points of shape (runs, factors) to outputs of shape (runs,) or
    (runs, outputs). Returns arrays shaped (factors,) or (outputs, factors); with
    ``groups`` (one name per factor, each group's factors adjacent), one index per group
    in order of first appearance instead.
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    problem = {"num_vars": len(factors), "names": list(factors),
               "bounds": [[0.0, 1.0]] * len(factors)}
    if groups is not None and list(groups) != list(factors):
        problem["groups"] = list(groups)
    count = len(dict.fromkeys(groups if groups is not None else factors))
    points = sample.sample(problem, base_samples, calc_second_order=False, seed=seed)
    outputs = np.asarray(evaluate(points), dtype=float)
    columns = outputs[:, None] if outputs.ndim == 1 else outputs
    keys = ("S1", "S1_conf", "ST", "ST_conf")
    result = {key: np.empty((columns.shape[1], count)) for key in keys}
    for index in range(columns.shape[1]):
        column = columns[:, index]
        if not np.all(np.isfinite(column)):
            for key in keys:
                result[key][index] = np.nan
            continue
        if np.ptp(column) == 0:  # no variance to explain (e.g. an observed year): none
            for key in keys:     # of it is due to any factor
                result[key][index] = 0.0
            continue
        indices = analyze.analyze(problem, column, calc_second_order=False, seed=seed,
                                  conf_level=confidence, num_resamples=200)
        for key in keys:
            result[key][index] = indices[key]
    summary: dict = ({key: value[0] for key, value in result.items()} if outputs.ndim == 1
                     else dict(result))
    summary["runs"] = len(points)
    return summary


def target_sensitivity(scenario: Scenario, target: Target, base_samples: int, seed: int
                       ) -> xr.Dataset:
    """Sobol indices of the target's gap and of its variable in each year."""
    if target.value is None:
        raise QdsimError(f"target '{target.id}' has no value; set it with --set-target")
    factors = factor_names(scenario)
    columns = design_columns(scenario)
    if not factors:
        raise QdsimError(f"{scenario.path}: scenario '{scenario.name}' has no uncertain:"
                         " block to analyse")
    years = model_years()

    def evaluate(unit: np.ndarray) -> np.ndarray:
        chosen = draws_from_unit(scenario, unit)
        runs = simulate(dict(scenario.parameters), len(unit), [target.variable], years,
                        draws=chosen.draws, modes=chosen.modes)
        gap = statistic_values(runs[target.variable], years, target) - target.value
        return np.column_stack([gap, runs[target.variable]])

    indices = sobol_indices([column for _, column in columns], evaluate, base_samples, seed,
                            groups=[factor for factor, _ in columns])
    dataset = xr.Dataset(
        {key: (("factor",), indices[key][0]) for key in ("S1", "S1_conf", "ST", "ST_conf")},
        coords={"factor": factors, "year": years.astype(int)})
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        dataset[f"{key}_by_year"] = (("year", "factor"), indices[key][1:])
    dataset.attrs.update({"qdsim_analysis": "sensitivity", "scenario": scenario.name,
                          "target": target.id, "variable": target.variable,
                          "base_samples": base_samples, "runs": indices["runs"], "seed": seed,
                          "scenario_sha256": scenario.sha256()})
    return dataset
