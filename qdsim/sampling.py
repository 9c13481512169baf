"""From a scenario's ``uncertain:`` block to per-run draws for the ensemble engine.

Each independently sampled parameter takes one dimension of a Latin hypercube or scrambled
Sobol design; all parameters drawn from a calibration posterior share one more dimension,
which picks whole rows of the posterior sample, so their correlations are kept. An ``ar1``
shock takes one dimension per year of its path (each year's innovation). The design
depends only on the seed and the set of uncertain parameters, so scenarios with the same
uncertainties get the same draws (common random numbers for comparisons).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from model.parameters import parameter_catalogue
from qdsim.errors import ScenarioError
from qdsim.posterior import cached_posterior
from qdsim.scenario import Scenario
from qdsim.uncertainty import (
    ANNUAL_SHIFT_FROM,
    ar1_paths,
    draw_mode,
    shock_years,
    transform,
    unit_samples,
)


@dataclass(frozen=True)
class Design:
    """Draws for ``samples`` runs of one scenario.

    ``draws[name]`` has shape (samples,): the value that ``modes[name]`` applies (a
    replacement value, a shift or a factor [parameter unit or dimensionless]), or for an
    ``ar1`` shock shape (samples, years): the path added from the year its mode names
    (``annual_shift_from_2021``); ``sampled[name]`` is what the run used, for the results
    file: the drawn value, for posterior parameters the posterior draw itself, for a shock
    the mean of its path; ``runs`` is the number of draws.
    """

    draws: dict[str, np.ndarray]
    modes: dict[str, str]
    sampled: dict[str, np.ndarray]
    runs: int = 0


#: The factor that stands for all parameters drawn jointly from a calibration posterior.
POSTERIOR_FACTOR = "calibration_posterior"


def factor_names(scenario: Scenario) -> list[str]:
    """The factors: independent uncertain parameters (sorted), then ``POSTERIOR_FACTOR``
    when some parameters are drawn from a posterior."""
    independent = sorted(n for n, s in scenario.uncertain.items()
                         if s["distribution"] != "posterior")
    joint = any(s["distribution"] == "posterior" for s in scenario.uncertain.values())
    return independent + ([POSTERIOR_FACTOR] if joint else [])


def design_columns(scenario: Scenario) -> list[tuple[str, str]]:
    """Dimensions of the design as (factor, column) pairs in :func:`factor_names` order:
    one column per factor, one per year (``name[2021]`` ...) for an ``ar1`` shock."""
    columns: list[tuple[str, str]] = []
    for name in factor_names(scenario):
        spec = scenario.uncertain.get(name)
        if spec is not None and spec["distribution"] == "ar1":
            columns += [(name, f"{name}[{year}]") for year in shock_years(spec)]
        else:
            columns.append((name, name))
    return columns


def draws_from_unit(scenario: Scenario, unit: np.ndarray) -> Design:
    """The draws of ``scenario``'s uncertain parameters at unit points (runs, columns),
    one column per :func:`design_columns` entry (batches and Sobol analyses alike)."""
    catalogue = parameter_catalogue()
    factors = [factor for factor, _ in design_columns(scenario)]
    posterior = sorted(n for n, s in scenario.uncertain.items()
                       if s["distribution"] == "posterior")
    draws: dict[str, np.ndarray] = {}
    modes: dict[str, str] = {}
    sampled: dict[str, np.ndarray] = {}
    for column, name in enumerate(factors):
        if name == POSTERIOR_FACTOR or name in draws:
            continue
        spec = scenario.uncertain[name]
        if spec["distribution"] == "ar1":
            width = len(shock_years(spec))
            draws[name] = ar1_paths(spec, unit[:, column:column + width])
            modes[name] = f"{ANNUAL_SHIFT_FROM}{spec['from']}"
            sampled[name] = draws[name].mean(axis=1)
            continue
        if spec["apply"] == "replace" and isinstance(scenario.parameters.get(name), tuple):
            raise ScenarioError(scenario.path, "the scenario gives a path for this parameter;"
                                " an uncertain draw must 'shift' or 'scale' it",
                                key=name)
        draws[name] = transform(spec, unit[:, column], catalogue[name])
        modes[name] = draw_mode(spec, catalogue[name])
        sampled[name] = draws[name]
    files = {scenario.uncertain[name]["file"] for name in posterior}
    if len(files) > 1:
        raise ScenarioError(scenario.path, "posterior parameters must come from one sample"
                            f" file, found {len(files)}", key="uncertain")
    if posterior:
        table, estimate = cached_posterior(files.pop())
        rows = np.minimum((unit[:, -1] * len(table)).astype(int), len(table) - 1)
        for name in posterior:
            values = table[name].to_numpy()[rows]
            draws[name] = values - estimate[name]
            modes[name] = "shift"
            sampled[name] = values
    return Design(draws, modes, sampled, len(unit))


def design(scenario: Scenario, samples: int, seed: int, method: str = "lhs") -> Design:
    """The draws of ``scenario``'s uncertain parameters for ``samples`` runs."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*balance properties.*")
        unit = unit_samples(len(design_columns(scenario)), samples, seed, method)
    return draws_from_unit(scenario, unit)
