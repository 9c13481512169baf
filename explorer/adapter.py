"""The explorer's one door into the rest of qdsim.

Every call the explorer makes into the project's engine, scenario, sampling, targets,
units, observations and label code goes through this module, so that a rename of those
entry points is followed here and nowhere else in ``explorer/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import numpy as np
import yaml

from model.parameters import ParameterInfo, parameter_catalogue
from qdsim.ensemble_runs import simulate
from qdsim.errors import QdsimError
from qdsim.messages import text as report_text
from qdsim.sampling import design
from qdsim.scenario import SHIPPED_SCENARIOS, ParameterValue, Scenario, changed_value, load_scenario
from qdsim.simulation import model_years
from qdsim.targets import COMPARATORS, DEFAULT_TARGETS, Target, first_year_met, load_targets
from qdsim.targets import statistic_values as target_statistic
from qdsim.units import display
from qdsim.variables import OUTPUT_VARIABLES, output_name, variable_attributes
from reports.observations import observations_for

__all__ = [
    "COMPARATORS", "ParameterInfo", "ParameterValue", "QdsimError", "SHIPPED_SCENARIOS",
    "Scenario", "calibrated_intervals", "catalogue", "change_from", "display_unit", "draws",
    "first_year", "indicator_name", "label", "load", "model_units", "observations",
    "parameter_sections", "plan_targets", "run", "shipped_scenario_paths", "statistic",
    "with_changes", "years",
]

#: The calibration file the shipped scenarios extend; its posterior summary gives the
#: 2016-2020 calibrated intervals shown beside the levers.
CALIBRATION_FILE = SHIPPED_SCENARIOS.parent / "calibration" / "calibrated.yaml"


def label(key: str, lang: str) -> str:
    """A text of the project's catalogue (``qdsim/messages.py``) in ``lang``."""
    return report_text(key, lang)


def indicator_name(variable: str, lang: str) -> str:
    """The display name of an output variable in ``lang`` (the variable if it has none)."""
    return output_name(variable, lang)


def catalogue() -> dict[str, ParameterInfo]:
    """Every settable model parameter with unit and allowed range."""
    return parameter_catalogue()


def load(path: Path | str) -> Scenario:
    """A validated scenario (``extends`` resolved); raises ``QdsimError`` when invalid."""
    return load_scenario(path)


def shipped_scenario_paths() -> list[Path]:
    """The scenario files shipped in ``scenarios/``, sorted by name."""
    return sorted(SHIPPED_SCENARIOS.glob("*.yaml"))


def change_from(base: ParameterValue, amount: float, year: int) -> ParameterValue:
    """``base`` held to ``year - 1`` and replaced by ``amount`` from ``year`` on."""
    return changed_value(base, "value", amount, year - 1, year)


@lru_cache(maxsize=1)
def _years() -> tuple[float, ...]:
    return tuple(model_years())


def years() -> np.ndarray:
    """Every saved year of a run [year]."""
    return np.asarray(_years())


def run(parameters: Mapping[str, ParameterValue], variables: Sequence[str],
        samples: int = 1, draws_and_modes: tuple[dict, dict] | None = None
        ) -> dict[str, np.ndarray]:
    """Each variable as (samples, year) [model unit] from the ensemble engine."""
    draws, modes = draws_and_modes or (None, None)
    return simulate(parameters, samples, list(variables), years(), draws=draws, modes=modes)


def draws(scenario: Scenario, samples: int, seed: int) -> tuple[dict, dict]:
    """(draws, modes) of ``scenario``'s ``uncertain:`` block for ``samples`` runs."""
    chosen = design(scenario, samples, seed)
    return chosen.draws, chosen.modes


def with_changes(scenario: Scenario, parameters: Mapping[str, ParameterValue],
                 fixed: Sequence[str]) -> Scenario:
    """``scenario`` with ``parameters`` and without the uncertainties of ``fixed``."""
    from dataclasses import replace

    uncertain = {k: v for k, v in scenario.uncertain.items() if k not in fixed}
    return replace(scenario, parameters=MappingProxyType(dict(parameters)),
                   uncertain=MappingProxyType(uncertain))


@lru_cache(maxsize=1)
def plan_targets() -> tuple[Target, ...]:
    """The plan's targets (``scenarios/targets/plan_targets.yaml``)."""
    return tuple(load_targets(DEFAULT_TARGETS))


def statistic(series: np.ndarray, target: Target) -> np.ndarray:
    """The target's statistic of ``series`` (shape (..., year)) [target unit]."""
    return target_statistic(series, years(), target)


def first_year(series: np.ndarray, target: Target) -> np.ndarray:
    """First year the target holds (NaN if never or not a level target) [year]."""
    return first_year_met(series, years(), target)


def display_unit(unit: str, lang: str) -> tuple[str, float]:
    """(label, factor) turning a model unit into the planners' display unit."""
    return display(unit, lang)


@lru_cache(maxsize=64)
def observations(variable: str, unit: str) -> tuple[tuple[int, float], ...]:
    """Observed (year, value [unit]) of ``variable`` in 2015-2020."""
    frame = observations_for(variable, unit)
    frame = frame[frame["year"] >= 2015]
    return tuple(zip(frame["year"].astype(int), frame["value"].astype(float), strict=True))


@lru_cache(maxsize=1)
def _calibration_document() -> dict:
    try:
        data = yaml.safe_load(CALIBRATION_FILE.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def calibrated_intervals() -> dict[str, tuple[float, float, float]]:
    """parameter -> (estimate, posterior 5%, posterior 95%) of the 2016-2020 calibration."""
    document = _calibration_document()
    estimates = document.get("parameters") or {}
    summary = (document.get("calibration") or {}).get("posterior_summary") or {}
    intervals = {}
    for name, quantiles in summary.items():
        if name in estimates and {"q05", "q95"} <= set(quantiles):
            intervals[name] = (float(estimates[name]), float(quantiles["q05"]),
                               float(quantiles["q95"]))
    return intervals


@lru_cache(maxsize=1)
def model_units() -> dict[str, str]:
    """Output variable -> model unit, from the model file."""
    return {name: attrs["units"] for name, attrs in variable_attributes(OUTPUT_VARIABLES).items()}


def parameter_sections() -> dict[str, str]:
    """parameter -> sector heading of ``model/PARAMETERS.md`` whose table lists it."""
    from model import MODEL_PATH

    document = MODEL_PATH.with_name("PARAMETERS.md")
    sections: dict[str, str] = {}
    heading = ""
    for line in document.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            heading = line[3:].split("(")[0].strip()
        elif line.startswith("| ") and heading:
            first = line.split("|")[1]
            for name in first.replace(",", " ").replace("/", " ").split():
                sections.setdefault(name.strip("`"), heading)
    return sections
