"""What it would take: the assumption that just meets a target, and who explains a gap.

``solve`` finds the value of one parameter (a constant, or a uniform shift or scaling of
a year→value path) at which a target's statistic equals its value: a grid over the
allowed range in one ensemble call brackets the crossing, then Brent's method pins it
down. ``frontier`` does it for one parameter at each point of a grid of others.
``attribute`` splits the difference of a target's statistic between two scenarios among
the parameters in which they differ: one at a time, and by Shapley values (the average
contribution over all orders of switching them), which add up to the whole difference.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from model.array_value import ArrayValue
from model.parameters import parameter_catalogue
from qdsim.ensemble_runs import simulate
from qdsim.errors import QdsimError, suggest
from qdsim.messages import message
from qdsim.scenario import ParameterValue, Scenario, changed_value
from qdsim.simulation import model_years
from qdsim.targets import COMPARATORS, Target, first_year_met, statistic_values
from qdsim.uncertainty import LAST_OBSERVED_YEAR

#: Outputs that show what a solved parameter means in the city's own terms.
RELATED_OUTPUT = {
    "base_net_migration_rate": "net_migration",
    "household_registration_openness": "net_migration",
    "migration_response_to_registration_openness": "net_migration",
    "migration_sensitivity_to_jobs": "net_migration",
    "total_fertility_rate": "births",
    "tfp_growth_rate": "gdp_real_growth",
    "investment_share": "gdp_real_growth",
    "public_housing_programme": "public_housing_units_completed",
    "new_capital_efficiency_advantage": "energy_intensity",
    "efficiency_standard": "energy_intensity",
    "electrification_rate": "electricity_consumption",
    "coal_cap": "coal_consumption",
    "grid_decarbonization_speed": "co2_intensity",
}


class SolveError(QdsimError):
    """A what-if question cannot be asked as posed."""


def _statistic(runs: Mapping[str, np.ndarray], years: np.ndarray, target: Target) -> np.ndarray:
    return statistic_values(runs[target.variable], years, target)


def run_with(parameters: Sequence[Mapping[str, ParameterValue]], variables: Sequence[str],
             years: np.ndarray) -> dict[str, np.ndarray]:
    """One ensemble call in which run k uses ``parameters[k]`` (constants or paths)."""
    return simulate(parameters, len(parameters), variables, years)


#: A varied assumption changes from this year on; 2016-2020 stay as calibrated [year].
CHANGE_FROM = LAST_OBSERVED_YEAR + 1
#: The year whose value of a solved assumption is reported (``Solution.value_2025``) [year].
VALUE_YEAR = 2025


@dataclass(frozen=True)
class Variation:
    """How a parameter is varied from ``CHANGE_FROM`` on: ``value`` (replaced by the
    amount), ``shift`` (amount added) or ``scale`` (multiplied). Start values, fixed at
    the start of the run, can only be replaced as a whole."""

    name: str
    mode: str
    low: float
    high: float
    base: ParameterValue
    time_varying: bool = True

    def apply(self, amount: float) -> ParameterValue:
        if not self.time_varying:
            return float(amount)
        return changed_value(self.base, self.mode, amount, CHANGE_FROM - 1, CHANGE_FROM)


def variation(scenario: Scenario, name: str, mode: str | None = None) -> Variation:
    """The search range of ``name`` in ``scenario`` that keeps every value allowed."""
    catalogue = parameter_catalogue()
    if name not in catalogue:
        raise SolveError(f"--vary '{name}': unknown parameter{suggest(name, tuple(catalogue))}")
    info = catalogue[name]
    base = scenario.parameters.get(name, info.default)
    is_path = isinstance(base, tuple)
    mode = mode or ("shift" if is_path else "value")
    if mode not in ("value", "shift", "scale"):
        raise SolveError(f"--mode '{mode}': allowed values are value, shift and scale")
    if not info.time_varying and mode != "value":
        raise SolveError(f"'{name}' is a start value; it can only be varied by value")
    if isinstance(base, tuple):
        points = [v for year, v in base if year >= CHANGE_FROM - 1] or [base[-1][1]]
    elif isinstance(base, ArrayValue):
        raise SolveError(f"'{name}' is subscripted; solve varies one number at a time")
    else:
        points = [float(base)]
    if mode == "value":
        return Variation(name, mode, info.minimum, info.maximum, base, info.time_varying)
    if mode == "shift":
        return Variation(name, mode, info.minimum - min(points), info.maximum - max(points),
                         base)
    if min(points) < 0:
        raise SolveError(f"'{name}' takes negative values; vary it by shift")
    top = max(points)
    return Variation(name, mode, 0.0, info.maximum / top if top > 0 else 1.0, base)


@dataclass(frozen=True)
class Solution:
    """The amount of a variation that just meets a target (None when no value does)."""

    target: str
    parameter: str
    mode: str
    amount: float | None
    value_2025: float | None
    search_range: tuple[float, float]
    best_projected: float
    best_amount: float
    crossings: int
    notes: list[str] = field(default_factory=list)
    #: The notes as message ids and values (``qdsim.messages``), to render in any language.
    note_messages: list[dict] = field(default_factory=list)


def _notes(*messages: tuple[str, dict]) -> dict:
    """``notes`` (English) and ``note_messages`` of a Solution."""
    return {"notes": [message(key, "en", **values) for key, values in messages],
            "note_messages": [{"id": key, "values": values} for key, values in messages]}


def _gap_function(scenario: Scenario, target: Target, chosen: Variation, years: np.ndarray):
    def gaps(amounts: np.ndarray) -> np.ndarray:
        sets = [{**scenario.parameters, chosen.name: chosen.apply(a)} for a in amounts]
        runs = run_with(sets, [target.variable], years)
        return _statistic(runs, years, target) - target.value
    return gaps


def solve(scenario: Scenario, target: Target, name: str, mode: str | None = None,
          grid: int = 81, extra: Mapping[str, ParameterValue] | None = None) -> Solution:
    """The amount of ``name`` (value, shift or scale) at which ``target`` is just met."""
    if target.value is None:
        raise SolveError(f"target '{target.id}' has no value; set it with --set-target")
    if target.statistic == "peak_year":
        raise SolveError(f"target '{target.id}' is a peak year, which changes in whole years;"
                         " solve for a level target instead")
    if extra:
        scenario = _with(scenario, extra)
    chosen = variation(scenario, name, mode)
    years = model_years()
    gaps = _gap_function(scenario, target, chosen, years)
    amounts = np.linspace(chosen.low, chosen.high, grid)
    values = gaps(amounts)
    finite = np.isfinite(values)
    sign = np.sign(values)
    crossings = np.flatnonzero(finite[:-1] & finite[1:] & (sign[:-1] * sign[1:] < 0))
    exact = np.flatnonzero(finite & (values == 0))
    wants_high = COMPARATORS[target.comparator](1.0, 0.0)
    best = int(np.nanargmax(values) if wants_high else np.nanargmin(values))
    notes: list[tuple[str, dict]] = []
    if crossings.size == 0 and exact.size == 0:
        return Solution(target.id, name, chosen.mode, None, None, (chosen.low, chosen.high),
                        float(values[best] + target.value), float(amounts[best]), 0,
                        **_notes(("note_no_value", {})))
    if exact.size:
        amount = float(amounts[exact[0]])
    else:
        left = crossings[0]
        amount = brentq(lambda a: float(gaps(np.array([a]))[0]), amounts[left],
                        amounts[left + 1], xtol=1e-14, rtol=1e-13, maxiter=200)
    if crossings.size > 1:
        notes.append(("note_crossings", {"count": int(crossings.size)}))
    applied = chosen.apply(amount)
    if isinstance(applied, tuple):
        path_years, path_values = zip(*applied, strict=True)
        value_2025 = float(np.interp(VALUE_YEAR, path_years, path_values))
    elif isinstance(applied, ArrayValue):  # refused by variation(); narrows the type
        raise SolveError(f"--vary '{name}': a subscripted parameter cannot be varied")
    else:
        value_2025 = float(applied)
    return Solution(target.id, name, chosen.mode, float(amount), value_2025,
                    (chosen.low, chosen.high), float(values[best] + target.value),
                    float(amounts[best]), int(max(crossings.size, exact.size)),
                    **_notes(*notes))


def _with(scenario: Scenario, extra: Mapping[str, ParameterValue]) -> Scenario:
    from dataclasses import replace
    from types import MappingProxyType

    return replace(scenario, parameters=MappingProxyType({**scenario.parameters, **extra}))


def frontier(scenario: Scenario, target: Target, names: Sequence[str], points: int = 9,
             mode: str | None = None) -> pd.DataFrame:
    """Combinations that just meet ``target``: grid over ``names[1:]``, solve ``names[0]``.

    Columns are named ``"<parameter> (<mode>)"``; ``attrs["varied"]`` lists the
    (parameter, mode) of each column in order."""
    if len(names) < 2:
        raise SolveError("a frontier needs at least two --vary parameters")
    others = [variation(scenario, name) for name in names[1:]]
    grids = [np.linspace(v.low + (v.high - v.low) * 0.05, v.high - (v.high - v.low) * 0.05,
                         points) for v in others]
    rows = []
    for combination in itertools.product(*grids):
        extra = {v.name: v.apply(a) for v, a in zip(others, combination, strict=True)}
        solution = solve(scenario, target, names[0], mode, extra=extra)
        row = {f"{v.name} ({v.mode})": a for v, a in zip(others, combination, strict=True)}
        row[f"{names[0]} ({solution.mode})"] = solution.amount
        rows.append(row)
        varied = [(v.name, v.mode) for v in others] + [(names[0], solution.mode)]
    frame = pd.DataFrame(rows)
    frame.attrs["varied"] = varied
    return frame


def related_averages(scenario: Scenario, name: str, amount: float, mode: str | None
                     ) -> dict[str, str | float] | None:
    """Mean of the related output over 2016-2020 and 2021-2025 in the solved run."""
    output = RELATED_OUTPUT.get(name)
    if output is None:
        return None
    chosen = variation(scenario, name, mode)
    years = model_years()
    runs = run_with([{**scenario.parameters, name: chosen.apply(amount)}], [output], years)
    series = runs[output][0]
    history = series[(years >= 2016) & (years <= 2020)].mean()
    plan = series[(years >= 2021) & (years <= 2025)].mean()
    return {"variable": output, "mean_2016_2020": float(history),
            "mean_2021_2025": float(plan)}


def attribute(scenario: Scenario, reference: Scenario, target: Target,
              max_exact: int = 12, orderings: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Split the target statistic's difference (scenario − reference) among parameters.

    Columns: parameter, one_at_a_time, shapley. Shapley values are exact over all
    subsets when at most ``max_exact`` parameters differ, else averaged over random
    orderings (seeded); either way they add up to the whole difference.
    """
    catalogue = parameter_catalogue()
    differing = sorted(
        name for name in set(scenario.parameters) | set(reference.parameters)
        if scenario.parameters.get(name, catalogue[name].default)
        != reference.parameters.get(name, catalogue[name].default))
    years = model_years()
    if not differing:
        raise SolveError(f"{scenario.name} and {reference.name} set the same values")
    count = len(differing)

    def parameter_set(members: Sequence[int]) -> dict[str, ParameterValue]:
        chosen = dict(reference.parameters)
        for index in members:
            name = differing[index]
            chosen[name] = scenario.parameters.get(name, catalogue[name].default)
        return chosen

    if count <= max_exact:
        subsets = [tuple(i for i in range(count) if mask >> i & 1) for mask in range(2**count)]
        runs = run_with([parameter_set(s) for s in subsets], [target.variable], years)
        value = dict(zip(subsets, _statistic(runs, years, target), strict=True))
        shapley = np.zeros(count)
        for subset, result in value.items():
            for index in range(count):
                if index in subset:
                    continue
                weight = (math.factorial(len(subset)) * math.factorial(count - len(subset) - 1)
                          / math.factorial(count))
                joined = tuple(sorted((*subset, index)))
                shapley[index] += weight * (value[joined] - result)
        empty, full = value[()], value[tuple(range(count))]
        single = np.array([value[(i,)] - empty for i in range(count)])
    else:
        rng = np.random.default_rng(seed)
        orders = [rng.permutation(count) for _ in range(orderings)]
        prefixes = [tuple(sorted(order[:k])) for order in orders for k in range(count + 1)]
        unique = sorted(set(prefixes) | {(i,) for i in range(count)})
        runs = run_with([parameter_set(s) for s in unique], [target.variable], years)
        value = dict(zip(unique, _statistic(runs, years, target), strict=True))
        shapley = np.zeros(count)
        for order in orders:
            for k, index in enumerate(order):
                before = tuple(sorted(order[:k]))
                shapley[index] += value[tuple(sorted((*before, index)))] - value[before]
        shapley /= orderings
        empty, full = value[()], value[tuple(range(count))]
        single = np.array([value[(i,)] - empty for i in range(count)])
    frame = pd.DataFrame({"parameter": differing, "one_at_a_time": single, "shapley": shapley})
    frame.attrs.update({"reference_value": float(empty), "scenario_value": float(full),
                        "difference": float(full - empty)})
    return frame


def first_year(scenario: Scenario, target: Target) -> float:
    """First year the target holds on the scenario's central run (NaN if never)."""
    years = model_years()
    runs = run_with([dict(scenario.parameters)], [target.variable], years)
    return float(first_year_met(runs[target.variable], years, target)[0])
