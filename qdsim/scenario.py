"""Scenario files: load, resolve ``extends``, validate every key, freeze.

A scenario file is YAML (read with the safe loader)::

    name: baseline                 # safe file name: letters, digits, _ - .
    title: {zh: 基准情景, en: Baseline}
    description: the story in a few sentences
    extends: other_scenario        # optional: a name or .yaml path relative to this file
                                   # (else to the project's scenarios/ folder)
    parameters:                    # optional: model constants, in the model's units
      tfp_growth_rate: 0.027       # a constant
      cny_per_usd: {2015: 6.2284, 2020: 6.8974}   # a year→value path, linear in between
      investment_share: {scale: 0.9, start: 2020, full: 2025}  # change of the inherited
                                   # value: 'shift' adds, 'scale' multiplies; inherited up to
                                   # 'start', full change from 'full', linear in between
    uncertain: {...}               # optional, see qdsim.uncertainty
    calibration: {...}             # optional record written by `qdsim calibrate`

Every parameter is checked against the model's own list (unit, allowed range); errors
name the file, the line and the key. A loaded :class:`Scenario` is immutable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import yaml

from model.array_value import ArrayValue
from model.parameters import ParameterInfo, parameter_catalogue
from qdsim.errors import ScenarioError, suggest
from qdsim.subscripted import parse_array_value
from qdsim.uncertainty import check_applied_support, parse_uncertain
from qdsim.validation import (
    SAFE_NAME,
    child_node,
    is_finite_number,
    is_safe_name,
    key_lines,
    load_yaml,
)

#: A parameter value: a constant, a path of (year [year], value) points, or a subscripted
#: constant (:class:`model.array_value.ArrayValue`).
ParameterValue = float | tuple[tuple[float, float], ...] | ArrayValue

TOP_LEVEL_KEYS = ("name", "title", "description", "extends", "parameters", "uncertain",
                  "calibration")
#: What results record about the calibration a scenario inherits.
CALIBRATION_PROVENANCE = ("date_utc", "data_file", "data_sha256", "window", "chi_square",
                          "model_sha256", "seed")
SHIPPED_SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
#: Most files in one ``extends`` chain.
MAX_EXTENDS = 32
#: Path years and the years of a relative change lie in this span [year].
YEAR_SPAN = (1950, 2100)
__all__ = ["SAFE_NAME", "Scenario", "load_scenario", "load_scenarios", "suggest"]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the merged parameter set after resolving ``extends``."""

    name: str
    title_zh: str
    title_en: str
    description: str
    path: Path
    chain: tuple[Path, ...]
    parameters: Mapping[str, ParameterValue]
    origins: Mapping[str, str] = field(repr=False)
    uncertain: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    calibration: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def sha256(self) -> str:
        """Hash of what determines the results: name, parameters and uncertainties."""
        canonical = json.dumps(
            {
                "name": self.name,
                "parameters": {key: _jsonable(value) for key, value in self.parameters.items()},
                "uncertain": {key: dict(value) for key, value in self.uncertain.items()},
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _jsonable(value: ParameterValue) -> Any:
    return [list(point) for point in value] if isinstance(value, tuple) else value


@dataclass(frozen=True)
class _Document:
    path: Path
    data: dict
    lines: dict[str, int]
    node: yaml.MappingNode


def _read_document(path: Path) -> _Document:
    # Every value used is checked to be finite below; the calibration record may hold
    # undefined fit statistics (.nan).
    document = load_yaml(path, ScenarioError, finite_only=False)
    data, node = document.data, document.node
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise ScenarioError(path, "a scenario file must be a mapping of keys to values", line=1)
    return _Document(path, data, _key_lines(node), node)


_key_lines = key_lines
_child_node = child_node


def _is_number(value: Any) -> bool:
    return is_finite_number(value)


def _check_value(path: Path, line: int, key: str, value: Any, info: ParameterInfo) -> float:
    if _is_number(value) is False and isinstance(value, float):
        raise ScenarioError(path, f"value {value} is not a finite number", line=line, key=key)
    if not _is_number(value):
        raise ScenarioError(
            path,
            f"expected a number in {info.unit} or a year→value mapping, got {type(value).__name__}"
            f" {value!r}",
            line=line,
            key=key,
        )
    number = float(value)
    if not info.minimum <= number <= info.maximum:
        raise ScenarioError(
            path,
            f"value {number:g} is outside the allowed range [{info.minimum:g}, {info.maximum:g}]"
            f" {info.unit}",
            line=line,
            key=key,
        )
    return number


@dataclass(frozen=True)
class RelativeChange:
    """A change of the inherited value: ``shift`` (added) or ``scale`` (multiplied).

    The inherited value holds up to year ``start``, the full change applies from year
    ``full`` on, linearly in between; without years the change applies throughout.
    """

    kind: str
    amount: float
    start: float | None
    full: float | None
    line: int


RELATIVE_KEYS = ("shift", "scale", "start", "full")


def _looks_like_year(key: str) -> bool:
    return key.strip().lstrip("+-").replace(".", "", 1).isdigit()


def _parse_relative(path: Path, line: int, key: str, value: dict) -> RelativeChange:
    unknown = [str(k) for k in value if k not in RELATIVE_KEYS]
    kinds = [k for k in ("shift", "scale") if k in value]
    if unknown or len(kinds) != 1:
        problem = (f"unknown key '{unknown[0]}'{suggest(unknown[0], RELATIVE_KEYS)} in a"
                   " relative change; allowed: shift or scale, and optional start and full"
                   " years") if unknown else (
            "a relative change takes exactly one of 'shift' or 'scale', and optional"
            " 'start' and 'full' years")
        raise ScenarioError(path, problem, line=line, key=key)
    numbers = {}
    for entry in RELATIVE_KEYS:
        if entry in value:
            if not _is_number(value[entry]):
                raise ScenarioError(path, f"'{entry}' must be a number, got {value[entry]!r}",
                                    line=line, key=key)
            numbers[entry] = float(value[entry])
            if entry in ("start", "full") and not YEAR_SPAN[0] <= numbers[entry] <= YEAR_SPAN[1]:
                raise ScenarioError(path, f"'{entry}' {numbers[entry]:g} is not a year in"
                                    f" {YEAR_SPAN[0]}-{YEAR_SPAN[1]}", line=line, key=key)
    start, full = numbers.get("start"), numbers.get("full")
    if start is None and full is not None:
        start = full - 1
    if full is None and start is not None:
        full = start + 1
    if start is not None and not start < full:
        raise ScenarioError(path, "'start' must be before 'full'", line=line, key=key)
    return RelativeChange(kinds[0], numbers[kinds[0]], start, full, line)


def changed_value(inherited: ParameterValue, kind: str, amount: float,
                  start: float | None = None, full: float | None = None) -> ParameterValue:
    """``inherited`` (a constant or path) changed by ``kind``: ``shift`` adds ``amount``,
    ``scale`` multiplies by it, ``value`` replaces it. With years, the inherited value
    holds up to ``start`` and the full change applies from ``full``, linearly between."""
    def changed(number: float) -> float:
        if kind == "value":
            return float(amount)
        return number + amount if kind == "shift" else number * amount

    if start is None:
        if isinstance(inherited, tuple):
            return tuple((year, changed(v)) for year, v in inherited)
        return changed(float(inherited))
    known = sorted(inherited) if isinstance(inherited, tuple) else []
    years = sorted({year for year, _ in known} | {start, full})

    def base(year: float) -> float:
        if not known:
            return float(inherited)
        return float(np.interp(year, [y for y, _ in known], [v for _, v in known]))

    def weight(year: float) -> float:
        return min(1.0, max(0.0, (year - start) / (full - start)))

    return tuple((year, base(year) + weight(year) * (changed(base(year)) - base(year)))
                 for year in years)


def _apply_relative(path: Path, key: str, change: RelativeChange, inherited: ParameterValue,
                    info: ParameterInfo) -> ParameterValue:
    """The inherited constant or path with ``change`` applied, checked against the range."""
    result = changed_value(inherited, change.kind, change.amount, change.start, change.full)
    values = [v for _, v in result] if isinstance(result, tuple) else [result]
    for number in values:
        _check_value(path, change.line, key, number, info)
    return result


def _parse_parameter(document: _Document, parameters_node: yaml.MappingNode, key: str,
                     value: Any, info: ParameterInfo) -> ParameterValue | RelativeChange:
    path = document.path
    line = _key_lines(parameters_node)[key]
    if info.dimensions:  # a subscripted constant: qdsim/subscripted.py
        return parse_array_value(path, line, key, value, info.default,
                                 lambda number: _check_value(path, line, key, number, info))
    if not isinstance(value, dict):
        return _check_value(path, line, key, value, info)
    if any(isinstance(k, str) and not _looks_like_year(k) for k in value):
        # Words as keys make a relative change (a typo such as 'sacle' is named there).
        if not info.time_varying and ("start" in value or "full" in value):
            raise ScenarioError(path, "a start value takes a single number, not a path over"
                                " years", line=line, key=key)
        return _parse_relative(path, line, key, value)
    if not info.time_varying:
        raise ScenarioError(path, "a start value takes a single number, not a path over years",
                            line=line, key=key)
    if not value:
        raise ScenarioError(path, "a year→value path needs at least one point", line=line,
                            key=key)
    path_node = _child_node(parameters_node, key)
    point_lines = _key_lines(path_node) if isinstance(path_node, yaml.MappingNode) else {}
    points: list[tuple[float, float]] = []
    for year, point_value in value.items():
        point_line = point_lines.get(str(year), line)
        if not _is_number(year) or not YEAR_SPAN[0] <= float(year) <= YEAR_SPAN[1]:
            raise ScenarioError(path, f"path year {year!r} is not a year in"
                                f" {YEAR_SPAN[0]}-{YEAR_SPAN[1]}", line=point_line, key=key)
        if points and float(year) <= points[-1][0]:
            raise ScenarioError(
                path,
                f"path years must increase: {year} follows {points[-1][0]:g}",
                line=point_line,
                key=key,
            )
        points.append((float(year), _check_value(path, point_line, key, point_value, info)))
    return tuple(points)


def _text_field(document: _Document, key: str) -> str:
    value = document.data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(document.path, "expected a non-empty text",
                            line=document.lines.get(key, 1), key=key)
    return value.strip()


def _resolve_parent(document: _Document) -> Path | None:
    parent = document.data.get("extends")
    if parent is None:
        return None
    line = document.lines.get("extends")
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(document.path, "expected the name or path of another scenario",
                            line=line, key="extends")
    candidate = Path(parent)
    if candidate.suffix not in (".yaml", ".yml"):
        candidate = candidate.with_name(candidate.name + ".yaml")
    resolved = (document.path.parent / candidate).resolve()
    if not resolved.is_file() and not candidate.is_absolute():
        # A scenario copied out of the project still finds the project's own scenarios.
        shipped = (SHIPPED_SCENARIOS / candidate).resolve()
        resolved = shipped if shipped.is_file() else resolved
    if not resolved.is_file():
        raise ScenarioError(document.path, f"extends '{parent}': file {resolved} not found",
                            line=line, key="extends")
    return resolved


def _validate_top_level(document: _Document) -> None:
    for key in document.data:
        if key not in TOP_LEVEL_KEYS:
            raise ScenarioError(
                document.path,
                f"unknown key; allowed: {', '.join(TOP_LEVEL_KEYS)}"
                f"{suggest(str(key), TOP_LEVEL_KEYS)}",
                line=document.lines.get(str(key)),
                key=str(key),
            )


def _parse_parameters(document: _Document, catalogue: Mapping[str, ParameterInfo]
                      ) -> dict[str, tuple[ParameterValue | RelativeChange, str]]:
    raw = document.data.get("parameters")
    if raw is None:
        return {}
    node = _child_node(document.node, "parameters")
    if not isinstance(raw, dict) or not isinstance(node, yaml.MappingNode):
        raise ScenarioError(document.path, "expected a mapping of parameter names to values",
                            line=document.lines.get("parameters"), key="parameters")
    lines = _key_lines(node)
    parsed: dict[str, tuple[ParameterValue | RelativeChange, str]] = {}
    for key, value in raw.items():
        name = str(key)
        if name not in catalogue:
            raise ScenarioError(
                document.path,
                f"unknown parameter{suggest(name, tuple(catalogue))};"
                " 'qdsim params' lists them all",
                line=lines.get(name),
                key=name,
            )
        parsed[name] = (
            _parse_parameter(document, node, name, value, catalogue[name]),
            f"{document.path.name}:{lines.get(name)}",
        )
    return parsed


def load_scenario(path: Path | str) -> Scenario:
    """Load, validate and freeze the scenario in ``path`` (with its ``extends`` chain)."""
    catalogue = parameter_catalogue()
    chain: list[_Document] = []
    current: Path | None = Path(path).resolve() if Path(path).exists() else Path(path)
    seen: list[Path] = []
    while current is not None:
        if current in seen:
            cycle = " -> ".join(p.name for p in [*seen, current])
            raise ScenarioError(chain[-1].path, f"cycle in extends: {cycle}",
                                line=chain[-1].lines.get("extends"), key="extends")
        seen.append(current)
        if len(seen) > MAX_EXTENDS:
            raise ScenarioError(chain[-1].path, f"more than {MAX_EXTENDS} files in the"
                                " extends chain", key="extends")
        document = _read_document(current)
        _validate_top_level(document)
        chain.append(document)
        current = _resolve_parent(document)

    merged: dict[str, ParameterValue] = {}
    origins: dict[str, str] = {}
    uncertain: dict[str, Mapping[str, Any]] = {}
    uncertain_lines: dict[str, tuple[Path, int | None]] = {}
    description: str | None = None
    for document in reversed(chain):  # root first, then each child overrides
        parsed = _parse_parameters(document, catalogue)
        for name, (value, origin) in parsed.items():
            if isinstance(value, RelativeChange):
                value = _apply_relative(document.path, name, value,
                                        merged.get(name, catalogue[name].default),
                                        catalogue[name])
            merged[name] = value
            origins[name] = origin
        block = _child_node(document.node, "uncertain")
        lines = _key_lines(block)
        for name, spec in parse_uncertain(document.path, document.data.get("uncertain"), block,
                                          document.lines.get("uncertain"), catalogue).items():
            uncertain[name] = spec
            uncertain_lines[name] = (document.path, lines.get(name))
        description = _description(document, description, parsed)
    for name, spec in uncertain.items():
        where, line = uncertain_lines[name]
        check_applied_support(where, line, name, spec,
                              merged.get(name, catalogue[name].default), catalogue[name])

    leaf = chain[0]
    name = leaf.data.get("name")
    if not is_safe_name(name):
        raise ScenarioError(
            leaf.path,
            f"name {name!r} is not a safe file name (letters, digits, '_', '-', '.';"
            " no '/' or '..'; at most 64 characters)",
            line=leaf.lines.get("name", 1),
            key="name",
        )
    title = leaf.data.get("title", {"zh": name, "en": name} if len(chain) > 1 else None)
    if not isinstance(title, dict) or not all(
        isinstance(title.get(lang), str) and title.get(lang).strip() for lang in ("zh", "en")
    ):
        raise ScenarioError(leaf.path, "expected a mapping with non-empty 'zh' and 'en' texts",
                            line=leaf.lines.get("title", 1), key="title")
    calibration = next((document.data["calibration"] for document in chain
                        if isinstance(document.data.get("calibration"), dict)), {})
    provenance = {key: calibration[key] for key in CALIBRATION_PROVENANCE if key in calibration}
    if provenance:
        source = next(d.path for d in chain if isinstance(d.data.get("calibration"), dict))
        provenance["file"] = source.name
        check_posterior_hash(source, calibration)
    return Scenario(
        name=name,
        title_zh=title["zh"].strip(),
        title_en=title["en"].strip(),
        description=description,
        path=leaf.path,
        chain=tuple(document.path for document in chain),
        parameters=MappingProxyType(dict(sorted(merged.items()))),
        origins=MappingProxyType(origins),
        uncertain=MappingProxyType(uncertain),
        calibration=MappingProxyType(provenance),
    )


def _description(document: _Document, inherited: str | None, parsed: Mapping) -> str:
    """The file's description; for a file that extends another and gives none, the
    parent's description followed by the parameters this file changes."""
    if "description" in document.data or inherited is None:
        return _text_field(document, "description")
    name = document.data.get("name", document.path.stem)
    changes = ", ".join(f"{key} = {json.dumps(document.data['parameters'][key], default=str)}"
                        for key in parsed) or "no parameter changed"
    return f"{inherited} What-if '{name}': {changes}."


def check_posterior_hash(source: Path, calibration: Mapping[str, Any]) -> None:
    """A calibrated scenario file and its posterior sample are one unit: when the file
    records the sample's SHA-256, the sample beside it must have that hash."""
    recorded, name = calibration.get("posterior_sha256"), calibration.get("posterior_file")
    if not recorded or not isinstance(name, str) or not is_safe_name(name):
        return
    sample = source.parent / name
    if sample.is_file() and hashlib.sha256(sample.read_bytes()).hexdigest() != recorded:
        raise ScenarioError(source, f"the posterior sample {name} does not match this file"
                            " (an interrupted 'qdsim calibrate'?); rerun 'qdsim calibrate'",
                            key="calibration")


def load_scenarios(paths: list[Path | str]) -> list[Scenario]:
    """Load several scenarios; their names must be distinct (they name output files)."""
    scenarios = [load_scenario(path) for path in paths]
    seen: dict[str, Path] = {}
    for scenario in scenarios:
        if scenario.name in seen:
            raise ScenarioError(scenario.path, f"name '{scenario.name}' is also used by"
                                f" {seen[scenario.name]}", key="name")
        seen[scenario.name] = scenario.path
    return scenarios
