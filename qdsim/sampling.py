"""From a scenario's ``uncertain:`` block to per-run draws for the ensemble engine.

Each independently sampled parameter takes one dimension of a Latin hypercube or scrambled
Sobol design; all parameters drawn from a calibration posterior share one more dimension,
which picks whole rows of the posterior sample, so their correlations are kept. The
design depends only on the seed and the set of uncertain parameters, so scenarios with
the same uncertainties get the same draws (common random numbers for comparisons).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from model.parameters import parameter_catalogue
from qdsim.errors import ScenarioError
from qdsim.posterior import cached_posterior
from qdsim.scenario import Scenario
from qdsim.uncertainty import draw_mode, transform, unit_samples


@dataclass(frozen=True)
class Design:
    """Draws for ``samples`` runs of one scenario.

    ``draws[name]`` has shape (samples,): the value that ``modes[name]`` applies (a
    replacement value, a shift or a factor [parameter unit or dimensionless]);
    ``sampled[name]`` is what the run used, for the results file: the drawn value, or for
    posterior parameters the posterior draw itself; ``runs`` is the number of draws.
    """

    draws: dict[str, np.ndarray]
    modes: dict[str, str]
    sampled: dict[str, np.ndarray]
    runs: int = 0


#: The factor that stands for all parameters drawn jointly from a calibration posterior.
POSTERIOR_FACTOR = "calibration_posterior"


def factor_names(scenario: Scenario) -> list[str]:
    """Dimensions of the design: independent uncertain parameters (sorted), then
    ``POSTERIOR_FACTOR`` when some parameters are drawn from a posterior."""
    independent = sorted(n for n, s in scenario.uncertain.items()
                         if s["distribution"] != "posterior")
    joint = any(s["distribution"] == "posterior" for s in scenario.uncertain.values())
    return independent + ([POSTERIOR_FACTOR] if joint else [])


def draws_from_unit(scenario: Scenario, unit: np.ndarray) -> Design:
    """The draws of ``scenario``'s uncertain parameters at unit points (runs, factors),
    one column per :func:`factor_names` entry (batches and Sobol analyses alike)."""
    catalogue = parameter_catalogue()
    factors = factor_names(scenario)
    posterior = sorted(n for n, s in scenario.uncertain.items()
                       if s["distribution"] == "posterior")
    draws: dict[str, np.ndarray] = {}
    modes: dict[str, str] = {}
    sampled: dict[str, np.ndarray] = {}
    for column, name in enumerate(factors):
        if name == POSTERIOR_FACTOR:
            continue
        spec = scenario.uncertain[name]
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
        unit = unit_samples(len(factor_names(scenario)), samples, seed, method)
    return draws_from_unit(scenario, unit)
