"""Levers: the time-varying parameters the scenarios use, and a what-if built from them.

A lever replaces a parameter's value from a chosen year on (2021 by default, as ``qdsim
solve`` does): the scenario's value holds up to the year before, the new value applies
from that year. Every value arriving from a browser is checked here against the same
allowed ranges as scenario files (the model file's ``[min,max]``), so a tampered request
gets a message, never a run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from explorer import adapter

#: A change applies from this year unless the user picks another [year].
DEFAULT_CHANGE_YEAR = 2021
#: Years a change may start from [year]: the first projected year of the model is 2016.
CHANGE_YEARS = tuple(range(2016, 2036))
#: A lever counts as moved when it differs from the scenario's value by more than this
#: share of its allowed range (a slider's own rounding is far coarser).
UNCHANGED_TOLERANCE = 1e-9


class ExplorerInputError(adapter.QdsimError):
    """A request from the browser names something unknown or a value not allowed."""


@dataclass(frozen=True)
class Lever:
    """One time-varying parameter the page offers.

    ``minimum``/``maximum`` [unit] are the allowed range of scenario files;
    ``calibrated`` is (estimate, posterior 5%, posterior 95%) of 2016-2020 or None.
    """

    name: str
    sector: str
    unit: str
    minimum: float
    maximum: float
    description: str
    calibrated: tuple[float, float, float] | None

    @property
    def step(self) -> float:
        """Slider step: about 1/200 of the range, rounded to 1, 2 or 5 times a power of 10."""
        raw = (self.maximum - self.minimum) / 200
        power = 10 ** math.floor(math.log10(raw))
        return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def lever_catalogue(scenarios: Iterable[adapter.Scenario]) -> dict[str, Lever]:
    """The levers for ``scenarios``: every time-varying parameter any of them sets or
    draws, with a finite allowed range; ordered by sector, then name."""
    parameters = adapter.catalogue()
    sections = adapter.parameter_sections()
    intervals = adapter.calibrated_intervals()
    used: set[str] = set()
    for scenario in scenarios:
        used |= set(scenario.parameters) | set(scenario.uncertain)
    levers = []
    for name in used:
        info = parameters[name]
        if not info.time_varying or not (math.isfinite(info.minimum)
                                         and math.isfinite(info.maximum)):
            continue
        levers.append(Lever(name, sections.get(name, "Other"), info.unit, info.minimum,
                            info.maximum, info.description, intervals.get(name)))
    order = list(dict.fromkeys(sections.values()))
    levers.sort(key=lambda lever: (order.index(lever.sector) if lever.sector in order
                                   else len(order), lever.name))
    return {lever.name: lever for lever in levers}


def value_in(scenario: adapter.Scenario, name: str, year: int) -> float:
    """The scenario's value of ``name`` in ``year`` [parameter unit]."""
    value = scenario.parameters.get(name, adapter.catalogue()[name].default)
    if isinstance(value, tuple):
        points_years, points_values = zip(*value, strict=True)
        return float(np.interp(year, points_years, points_values))
    return float(value)


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ExplorerInputError(f"{what}: expected a number, got {type(value).__name__}")
    try:
        number = float(value)
    except ValueError as error:
        raise ExplorerInputError(f"{what}: '{str(value)[:40]}' is not a number") from error
    if not math.isfinite(number):
        raise ExplorerInputError(f"{what}: the value must be finite")
    return number


def check_year(year: object) -> int:
    """The change year as an int, or ``ExplorerInputError``."""
    number = _number(year, "change year")
    if number != int(number) or int(number) not in CHANGE_YEARS:
        raise ExplorerInputError(f"change year {number:g}: allowed are"
                                 f" {CHANGE_YEARS[0]}-{CHANGE_YEARS[-1]}")
    return int(number)


def check_changes(levers: Mapping[str, Lever], raw: Mapping[object, object]
                  ) -> dict[str, float]:
    """Lever values from a request, each a known lever within its allowed range."""
    if not isinstance(raw, Mapping):
        raise ExplorerInputError("lever values: expected a mapping of names to numbers")
    if len(raw) > len(levers):
        raise ExplorerInputError(f"lever values: {len(raw)} given, {len(levers)} levers exist")
    checked = {}
    for name, value in raw.items():
        if not isinstance(name, str) or name not in levers:
            raise ExplorerInputError(f"lever '{str(name)[:60]}': unknown; the page offers"
                                     f" {len(levers)} levers")
        if value is None:  # an emptied input box: the scenario's value
            continue
        lever = levers[name]
        number = _number(value, f"lever '{name}'")
        if not lever.minimum <= number <= lever.maximum:
            raise ExplorerInputError(
                f"lever '{name}': value {number:g} is outside the allowed range"
                f" [{lever.minimum:g}, {lever.maximum:g}] {lever.unit}")
        checked[name] = number
    return checked


@dataclass(frozen=True)
class WhatIf:
    """A scenario with some levers moved from ``year`` on.

    ``changes`` holds only the levers that differ from the scenario's own value in
    ``year``; ``parameters`` is the full parameter set to run.
    """

    base: adapter.Scenario
    year: int
    changes: Mapping[str, float]
    parameters: Mapping[str, adapter.ParameterValue]

    @property
    def fixed(self) -> list[str]:
        """Moved levers whose uncertainty replaces the value: the user's value holds."""
        return [name for name in self.changes
                if self.base.uncertain.get(name, {}).get("apply") == "replace"]

    def scenario(self) -> adapter.Scenario:
        """The what-if as a scenario for sampling (fixed levers are not drawn)."""
        return adapter.with_changes(self.base, self.parameters, self.fixed)


def build_whatif(base: adapter.Scenario, levers: Mapping[str, Lever],
                 values: Mapping[str, float], year: int) -> WhatIf:
    """The what-if of ``values`` (checked lever values) applied to ``base`` from ``year``."""
    parameters = dict(base.parameters)
    changes = {}
    for name, amount in sorted(values.items()):
        lever = levers[name]
        current = value_in(base, name, year)
        if abs(amount - current) <= UNCHANGED_TOLERANCE * (lever.maximum - lever.minimum):
            continue
        inherited = base.parameters.get(name, adapter.catalogue()[name].default)
        parameters[name] = adapter.change_from(inherited, amount, year)
        changes[name] = amount
    return WhatIf(base, year, changes, parameters)


SAFE_STEM = re.compile(r"[^A-Za-z0-9_.-]+")


def _extends(base: adapter.Scenario) -> str:
    shipped = adapter.SHIPPED_SCENARIOS.resolve()
    if base.path.resolve().parent == shipped:
        return base.path.stem
    return str(base.path.resolve())


def export_yaml(whatif: WhatIf, titles: Sequence[str] = ("", "")) -> str:
    """The what-if as a scenario file: ``extends`` its base, sets only the moved levers.

    Each moved lever is written as the year→value path the explorer ran, so that
    ``qdsim run`` of the file reproduces the explorer's numbers.
    """
    name = SAFE_STEM.sub("_", f"{whatif.base.name}_whatif")[:64]
    changed = ", ".join(f"{n} = {v:g} from {whatif.year}" for n, v in whatif.changes.items())
    document = {
        "name": name,
        "title": {"zh": titles[0] or f"{whatif.base.title_zh}（假设分析）",
                  "en": titles[1] or f"{whatif.base.title_en} (what-if)"},
        "description": (f"What-if made in qdsim explore from {whatif.base.name}: "
                        f"{changed or 'no lever moved'}."),
        "extends": _extends(whatif.base),
    }
    if whatif.changes:
        document["parameters"] = {
            key: {int(y) if float(y).is_integer() else float(y): float(v)
                  for y, v in whatif.parameters[key]}
            if isinstance(whatif.parameters[key], tuple) else float(whatif.parameters[key])
            for key in whatif.changes}
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def scenario_choices(extra: Sequence[Path]) -> dict[str, adapter.Scenario]:
    """Shipped scenarios and the files given on the command line, keyed by name."""
    chosen: dict[str, adapter.Scenario] = {}
    for path in [*extra, *adapter.shipped_scenario_paths()]:
        scenario = adapter.load(path)
        chosen.setdefault(scenario.name, scenario)
    return chosen
