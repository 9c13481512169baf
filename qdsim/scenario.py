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

import difflib
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import yaml

from model.parameters import ParameterInfo, parameter_catalogue
from qdsim.errors import ScenarioError
from qdsim.subscripted import parse_array_value

#: A parameter value: a constant, or a path of (year [year], value) points.
ParameterValue = float | tuple[tuple[float, float], ...]

TOP_LEVEL_KEYS = ("name", "title", "description", "extends", "parameters", "uncertain",
                  "calibration")
#: What results record about the calibration a scenario inherits.
CALIBRATION_PROVENANCE = ("date_utc", "data_file", "data_sha256", "window", "chi_square",
                          "model_sha256", "seed")
SHIPPED_SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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
    if not path.is_file():
        raise ScenarioError(path, "file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(path, f"cannot read the file: {error}") from error
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or "malformed YAML"
        raise ScenarioError(path, f"malformed YAML: {problem}", line=line) from error
    except yaml.YAMLError as error:
        raise ScenarioError(path, f"malformed YAML: {error}") from error
    finally:
        loader.dispose()
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise ScenarioError(path, "a scenario file must be a mapping of keys to values", line=1)
    return _Document(path, data, _key_lines(node), node)


def _key_lines(node: yaml.MappingNode) -> dict[str, int]:
    return {str(key.value): key.start_mark.line + 1 for key, _ in node.value}


def _child_node(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, value_node in node.value:
        if str(key_node.value) == key:
            return value_node
    return None


def suggest(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_value(path: Path, line: int, key: str, value: Any, info: ParameterInfo) -> float:
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


def _parse_relative(path: Path, line: int, key: str, value: dict) -> RelativeChange:
    unknown = [k for k in value if k not in RELATIVE_KEYS]
    kinds = [k for k in ("shift", "scale") if k in value]
    if unknown or len(kinds) != 1:
        raise ScenarioError(path, "a relative change takes one of 'shift' or 'scale' and"
                            " optional 'start' and 'full' years", line=line, key=key)
    numbers = {}
    for entry in RELATIVE_KEYS:
        if entry in value:
            if not _is_number(value[entry]):
                raise ScenarioError(path, f"'{entry}' must be a number, got {value[entry]!r}",
                                    line=line, key=key)
            numbers[entry] = float(value[entry])
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
    if any(str(k) in ("shift", "scale") for k in value):
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
        if not _is_number(year):
            raise ScenarioError(path, f"path year {year!r} is not a number", line=point_line,
                                key=key)
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
    from qdsim.uncertainty import parse_uncertain

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
        document = _read_document(current)
        _validate_top_level(document)
        chain.append(document)
        current = _resolve_parent(document)

    merged: dict[str, ParameterValue] = {}
    origins: dict[str, str] = {}
    uncertain: dict[str, Mapping[str, Any]] = {}
    for document in reversed(chain):  # root first, then each child overrides
        for name, (value, origin) in _parse_parameters(document, catalogue).items():
            if isinstance(value, RelativeChange):
                value = _apply_relative(document.path, name, value,
                                        merged.get(name, catalogue[name].default),
                                        catalogue[name])
            merged[name] = value
            origins[name] = origin
        uncertain.update(parse_uncertain(document.path, document.data.get("uncertain"),
                                         _child_node(document.node, "uncertain"),
                                         document.lines.get("uncertain"), catalogue))

    leaf = chain[0]
    name = leaf.data.get("name")
    if not isinstance(name, str) or not SAFE_NAME.match(name) or ".." in name:
        raise ScenarioError(
            leaf.path,
            f"name {name!r} is not a safe file name (letters, digits, '_', '-', '.';"
            " no '/' or '..'; at most 64 characters)",
            line=leaf.lines.get("name", 1),
            key="name",
        )
    title = leaf.data.get("title")
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
    return Scenario(
        name=name,
        title_zh=title["zh"].strip(),
        title_en=title["en"].strip(),
        description=_text_field(leaf, "description"),
        path=leaf.path,
        chain=tuple(document.path for document in chain),
        parameters=MappingProxyType(dict(sorted(merged.items()))),
        origins=MappingProxyType(origins),
        uncertain=MappingProxyType(uncertain),
        calibration=MappingProxyType(provenance),
    )


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
