"""Uncertain assumptions in scenario files and their sampling.

A scenario's ``uncertain:`` block gives, per parameter, a distribution::

    uncertain:
      tfp_growth_rate: {distribution: uniform, low: 0.015, high: 0.035}
      total_fertility_rate: {distribution: triangular, low: 0.9, mode: 1.3, high: 1.7}
      base_net_migration_rate: {distribution: normal, mean: 0.01, sd: 0.003}
      initial_capital_output_ratio: {distribution: lognormal, median: 3, sigma: 0.15}
      household_registration_openness: {distribution: choice, values: [0.5, 0.8],
                                        weights: [0.7, 0.3]}
      gdp_deflator_inflation: {distribution: uniform, low: -0.005, high: 0.005, apply: shift}
      tfp_growth_shock: {distribution: ar1, sd: 0.0079, rho: 0.39, from: 2021}

Normal and lognormal draws are truncated to ``low``/``high`` when given and always to
the parameter's allowed range. ``apply`` says how a draw acts on the scenario's value:
``replace`` (default; constants only), ``shift`` (added to every point of the value or
path) or ``scale`` (multiplies it). Samples come from a Latin hypercube or a scrambled
Sobol sequence (``scipy.stats.qmc``) seeded explicitly.

``ar1`` draws a path of year-to-year shocks per run, added to the scenario's value (``apply:
shift`` only, time-varying parameters only): x_t = rho * x_(t-1) + sd * z_t for each year t
from ``from`` (at least 2021, the default) to ``to`` (default: the model's final year),
starting from x = 0 in the year before ``from``, so the 2015-2020 values stay as observed
in every draw; each year's innovation z_t takes its own dimension of the design. The shock
of year t acts on the year's flows, over [t-1, t), and is 0 outside ``from``-``to``. Values
are clipped to ``low``/``high`` (default: ±4 times the stationary sd, sd / sqrt(1-rho^2)).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import yaml
from scipy import stats
from scipy.stats import qmc

from model.parameters import ParameterInfo
from model.pysd_engine import control_values
from qdsim.errors import ScenarioError, suggest
from qdsim.posterior import SHIPPED_POSTERIOR, cached_posterior
from qdsim.validation import is_finite_number

REQUIRED_FIELDS = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),
    "choice": ("values",),
    "posterior": (),
    "ar1": ("sd", "rho"),
}
OPTIONAL_FIELDS = {
    "uniform": (),
    "triangular": (),
    "normal": ("low", "high"),
    "lognormal": ("low", "high"),
    "choice": ("weights",),
    "posterior": ("file",),
    "ar1": ("from", "to", "low", "high"),
}
APPLY_MODES = ("replace", "shift", "scale")
MAX_CHOICES = 1000
#: The longest AR(1) path [years].
MAX_SHOCK_YEARS = 200
#: Default clipping of AR(1) shocks, in stationary standard deviations.
SHOCK_CLIP_SDS = 4.0
SAMPLING_METHODS = ("lhs", "sobol")


def _fail(path: Path, line: int | None, key: str, message: str) -> ScenarioError:
    return ScenarioError(path, message, line=line, key=key)


def _number(path: Path, line: int | None, key: str, field: str, value: Any) -> float:
    if not is_finite_number(value):
        raise _fail(path, line, key, f"'{field}' must be a finite number, got {value!r}")
    return float(value)


def _parse_one(path: Path, line: int | None, key: str, spec: Any, info: ParameterInfo
               ) -> Mapping[str, Any]:
    if not isinstance(spec, dict):
        raise _fail(path, line, key, "expected a mapping such as"
                    " {distribution: uniform, low: ..., high: ...}")
    distribution = spec.get("distribution")
    if not isinstance(distribution, str) or distribution not in REQUIRED_FIELDS:
        raise _fail(path, line, key, f"distribution {distribution!r} unknown; allowed:"
                    f" {', '.join(REQUIRED_FIELDS)}")
    apply = spec.get("apply", "shift" if distribution == "ar1" else "replace")
    if not isinstance(apply, str) or apply not in APPLY_MODES:
        raise _fail(path, line, key, f"apply {apply!r} unknown; allowed: {', '.join(APPLY_MODES)}")
    allowed = {"distribution", "apply", *REQUIRED_FIELDS[distribution],
               *OPTIONAL_FIELDS[distribution]}
    for field in spec:
        if field not in allowed:
            raise _fail(path, line, key, f"field '{field}' not allowed for {distribution};"
                        f" allowed: {', '.join(sorted(allowed))}")
    for field in REQUIRED_FIELDS[distribution]:
        if field not in spec:
            raise _fail(path, line, key, f"{distribution} needs '{field}'")
    parsed: dict[str, Any] = {"distribution": distribution, "apply": apply}
    if distribution == "posterior":
        return MappingProxyType(_posterior_spec(path, line, key, spec))
    if distribution == "ar1":
        return MappingProxyType(_ar1_spec(path, line, key, spec, info))
    if distribution == "choice":
        values = spec["values"]
        if not isinstance(values, list) or not values or len(values) > MAX_CHOICES:
            raise _fail(path, line, key, "'values' must be a non-empty list of at most"
                        f" {MAX_CHOICES} numbers")
        parsed["values"] = tuple(_number(path, line, key, "values", v) for v in values)
        weights = spec.get("weights", [1.0] * len(values))
        if not isinstance(weights, list) or len(weights) != len(values):
            raise _fail(path, line, key, "'weights' must be a list as long as 'values'")
        weights = tuple(_number(path, line, key, "weights", w) for w in weights)
        if min(weights) < 0 or sum(weights) <= 0:
            raise _fail(path, line, key, "'weights' must be non-negative with a positive sum")
        parsed["weights"] = weights
    else:
        for field in (*REQUIRED_FIELDS[distribution], *OPTIONAL_FIELDS[distribution]):
            if field in spec:
                parsed[field] = _number(path, line, key, field, spec[field])
    _check_consistency(path, line, key, parsed, info)
    return MappingProxyType(parsed)


def _posterior_spec(path: Path, line: int | None, key: str, spec: dict) -> dict[str, Any]:
    """Posterior draws act as shifts: draw minus the calibrated estimate, added to the
    scenario's value, so a scenario's own changes survive."""
    if spec.get("apply", "shift") != "shift":
        raise _fail(path, line, key, "posterior draws apply as 'shift' from the calibrated"
                    " estimate; no other 'apply' is allowed")
    given = spec.get("file")
    if given is not None and not isinstance(given, str):
        raise _fail(path, line, key, "'file' must be a path to a posterior sample")
    posterior_file = SHIPPED_POSTERIOR if given is None else (path.parent / given).resolve()
    if not posterior_file.is_file():
        raise _fail(path, line, key, f"posterior sample {posterior_file} not found; run"
                    " 'qdsim calibrate' first")
    try:
        draws, _ = cached_posterior(posterior_file)
    except Exception as error:  # h5py/xarray raise many types for a damaged file
        raise _fail(path, line, key, f"cannot read the posterior sample {posterior_file}:"
                    f" {error}") from error
    if key not in draws.columns:
        raise _fail(path, line, key, f"not in the posterior sample {posterior_file.name};"
                    f" it holds: {', '.join(draws.columns)}")
    return {"distribution": "posterior", "apply": "shift", "file": str(posterior_file)}


def _year(path: Path, line: int | None, key: str, field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, line, key, f"'{field}' must be a whole year such as 2021,"
                    f" got {value!r}")
    return value


def _ar1_spec(path: Path, line: int | None, key: str, spec: dict, info: ParameterInfo
              ) -> dict[str, Any]:
    """An AR(1) shock path: sd > 0, -1 < rho < 1, years from 2021 on, clipping bounds
    around 0 (default ±4 stationary sd)."""
    if spec.get("apply", "shift") != "shift":
        raise _fail(path, line, key, "ar1 shocks are added to the scenario's value; only"
                    " 'apply: shift' is allowed")
    if not info.time_varying:
        raise _fail(path, line, key, "ar1 draws a path over years; this parameter takes no"
                    " path (a start value or a subscripted constant)")
    sd = _number(path, line, key, "sd", spec["sd"])
    rho = _number(path, line, key, "rho", spec["rho"])
    if sd <= 0:
        raise _fail(path, line, key, f"'sd' must be positive, got {sd:g}")
    if not -1 < rho < 1:
        raise _fail(path, line, key, f"'rho' must lie strictly between -1 and 1, got {rho:g}")
    first = _year(path, line, key, "from", spec.get("from", LAST_OBSERVED_YEAR + 1))
    if first <= LAST_OBSERVED_YEAR:
        raise _fail(path, line, key, f"'from' must be after the last observed year"
                    f" {LAST_OBSERVED_YEAR}, got {first}")
    last = _year(path, line, key, "to", spec["to"]) if "to" in spec else \
        max(first, int(control_values()["final_time"]))
    if not first <= last < first + MAX_SHOCK_YEARS:
        raise _fail(path, line, key, f"'to' must be from 'from' ({first}) to"
                    f" {first + MAX_SHOCK_YEARS - 1}, got {last}")
    stationary = sd / np.sqrt(1 - rho ** 2)
    low = _number(path, line, key, "low", spec.get("low", -SHOCK_CLIP_SDS * stationary))
    high = _number(path, line, key, "high", spec.get("high", SHOCK_CLIP_SDS * stationary))
    if not low < 0 < high:
        raise _fail(path, line, key, "'low' must be below 0 and 'high' above it (shocks"
                    " are deviations around 0)")
    return {"distribution": "ar1", "apply": "shift", "sd": sd, "rho": rho, "from": first,
            "to": last, "low": low, "high": high}


def _check_consistency(path: Path, line: int | None, key: str, spec: dict[str, Any],
                       info: ParameterInfo) -> None:
    distribution = spec["distribution"]
    if distribution in ("uniform", "triangular") and not spec["low"] < spec["high"]:
        raise _fail(path, line, key, "'low' must be below 'high'")
    if distribution == "triangular" and not spec["low"] <= spec["mode"] <= spec["high"]:
        raise _fail(path, line, key, "'mode' must lie between 'low' and 'high'")
    if distribution == "normal" and spec["sd"] <= 0:
        raise _fail(path, line, key, "'sd' must be positive")
    if distribution == "lognormal" and (spec["median"] <= 0 or spec["sigma"] <= 0):
        raise _fail(path, line, key, "'median' and 'sigma' must be positive")
    if distribution in ("normal", "lognormal"):
        low, high = _support(spec)
        if distribution == "normal":
            shape = stats.norm(spec["mean"], spec["sd"])
        else:
            shape = stats.lognorm(s=spec["sigma"], scale=spec["median"])
            low = max(low, 0.0)
        if not low < high or not shape.cdf(high) - shape.cdf(low) > 1e-9:
            raise _fail(path, line, key, "'low' and 'high' leave (almost) no probability"
                        f" to the {distribution} distribution; bring them around its centre")
    if spec["apply"] == "replace":
        support = _support(spec)
        if support[0] < info.minimum or support[1] > info.maximum:
            raise _fail(path, line, key, f"draws can fall outside the allowed range"
                        f" [{info.minimum:g}, {info.maximum:g}] {info.unit}")


def _support(spec: Mapping[str, Any]) -> tuple[float, float]:
    distribution = spec["distribution"]
    if distribution == "choice":
        return min(spec["values"]), max(spec["values"])
    if distribution in ("uniform", "triangular"):
        return spec["low"], spec["high"]
    return spec.get("low", -np.inf), spec.get("high", np.inf)


#: The last observed year: a draw on an assumption over time (not a start value, not the
#: calibration posterior) acts from the next year on, so 2015-2020 stay as observed; the
#: change ramps in linearly over the year 2020-2021, like ``qdsim solve``'s changes.
LAST_OBSERVED_YEAR = 2020
#: Suffix of a draw mode that acts only after :data:`LAST_OBSERVED_YEAR`.
AFTER_OBSERVED = "_after_observed"
#: Prefix of the draw mode of an ``ar1`` path, followed by its first year.
ANNUAL_SHIFT_FROM = "annual_shift_from_"


def draw_mode(spec: Mapping[str, Any], info: ParameterInfo) -> str:
    """How the engine applies a draw of ``spec``: its ``apply`` mode, acting only after the
    observed years for a time-varying parameter (``shift_after_observed`` ...)."""
    if spec["distribution"] == "posterior" or not info.time_varying:
        return spec["apply"]
    return spec["apply"] + AFTER_OBSERVED


def _affected_values(base: Any, info: ParameterInfo) -> list[float]:
    """The scenario's values a draw acts on: the constant, or the path's values from the
    last observed year on (earlier points stay as observed) [parameter unit]."""
    if not isinstance(base, tuple):
        return [float(base)]
    years = [year for year, _ in base]
    values = [value for _, value in base]
    if not info.time_varying:
        return values
    later = [value for year, value in base if year > LAST_OBSERVED_YEAR]
    return [float(np.interp(LAST_OBSERVED_YEAR, years, values)), *later]


def check_applied_support(path: Path, line: int | None, key: str, spec: Mapping[str, Any],
                          base: Any, info: ParameterInfo) -> None:
    """Every value a draw can give, once applied to the scenario's value ``base`` (a
    constant or a path), lies inside the parameter's allowed range."""
    distribution, apply = spec["distribution"], spec["apply"]
    if distribution == "posterior":
        return
    if apply == "replace":
        if isinstance(base, tuple):
            raise _fail(path, line, key, "the scenario gives a path for this parameter; an"
                        " uncertain draw must 'shift' or 'scale' it (add apply: shift)")
        return  # the support itself was checked against the range when parsed
    low, high = _support(spec)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise _fail(path, line, key, f"a {distribution} draw that is applied as '{apply}'"
                    " needs finite 'low' and 'high' bounds")
    for value in _affected_values(base, info):
        if apply == "shift":
            reach = (value + low, value + high)
        else:
            reach = (min(value * low, value * high), max(value * low, value * high))
        if not (np.isfinite(reach[0]) and np.isfinite(reach[1])) or \
                reach[0] < info.minimum or reach[1] > info.maximum:
            raise _fail(path, line, key, f"applied as '{apply}' to {value:g}, draws reach"
                        f" [{reach[0]:g}, {reach[1]:g}], outside the allowed range"
                        f" [{info.minimum:g}, {info.maximum:g}] {info.unit}")


def parse_uncertain(path: Path, raw: Any, node: yaml.Node | None, line: int | None,
                    catalogue: Mapping[str, ParameterInfo]) -> dict[str, Mapping[str, Any]]:
    """Validate one file's ``uncertain:`` block; returns parameter -> frozen spec."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not isinstance(node, yaml.MappingNode):
        raise _fail(path, line, "uncertain", "expected a mapping of parameter names to"
                    " distributions")
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    parsed: dict[str, Mapping[str, Any]] = {}
    for key, spec in raw.items():
        name = str(key)
        if name not in catalogue:
            raise _fail(path, lines.get(name), name, f"unknown parameter"
                        f"{suggest(name, tuple(catalogue))}; 'qdsim params' lists them all")
        parsed[name] = _parse_one(path, lines.get(name), name, spec, catalogue[name])
    return parsed


def unit_samples(dimensions: int, samples: int, seed: int, method: str = "lhs") -> np.ndarray:
    """Points in the unit hypercube, shape (samples, dimensions), from a seeded design."""
    if method not in SAMPLING_METHODS:
        raise ValueError(f"sampling method {method!r} unknown; allowed: {SAMPLING_METHODS}")
    if dimensions == 0:
        return np.zeros((samples, 0))
    if method == "lhs":
        return qmc.LatinHypercube(d=dimensions, seed=np.random.default_rng(seed)).random(samples)
    return qmc.Sobol(d=dimensions, scramble=True, seed=np.random.default_rng(seed)).random(samples)


def _truncated(distribution: Any, low: float, high: float, unit: np.ndarray) -> np.ndarray:
    lower, upper = distribution.cdf(low), distribution.cdf(high)
    return distribution.ppf(lower + unit * (upper - lower))


def transform(spec: Mapping[str, Any], unit: np.ndarray, info: ParameterInfo) -> np.ndarray:
    """Map unit-interval draws to the distribution of ``spec`` [parameter unit]."""
    distribution = spec["distribution"]
    unit = np.clip(unit, 1e-12, 1 - 1e-12)
    if distribution == "uniform":
        return spec["low"] + unit * (spec["high"] - spec["low"])
    if distribution == "triangular":
        width = spec["high"] - spec["low"]
        shape = (spec["mode"] - spec["low"]) / width
        return stats.triang.ppf(unit, shape, loc=spec["low"], scale=width)
    if distribution == "ar1":
        raise ValueError("ar1 draws a path per run: use ar1_paths")
    if distribution == "choice":
        weights = np.asarray(spec["weights"]) / np.sum(spec["weights"])
        index = np.searchsorted(np.cumsum(weights), unit, side="right")
        return np.asarray(spec["values"])[np.minimum(index, len(weights) - 1)]
    bounded = spec["apply"] == "replace"
    low = max(spec.get("low", -np.inf), info.minimum if bounded else -np.inf)
    high = min(spec.get("high", np.inf), info.maximum if bounded else np.inf)
    if distribution == "normal":
        return _truncated(stats.norm(spec["mean"], spec["sd"]), low, high, unit)
    lognormal = stats.lognorm(s=spec["sigma"], scale=spec["median"])
    return _truncated(lognormal, max(low, 0.0), high, unit)


def shock_years(spec: Mapping[str, Any]) -> range:
    """The years an ``ar1`` spec draws a shock for [year]."""
    return range(spec["from"], spec["to"] + 1)


def ar1_paths(spec: Mapping[str, Any], unit: np.ndarray) -> np.ndarray:
    """AR(1) shock paths, shape (runs, years of :func:`shock_years`), from unit draws of the
    same shape (one column per year's innovation) [parameter unit]: x_t = rho x_(t-1) +
    sd z_t from x = 0 before the first year, clipped to ``low``/``high``."""
    innovations = spec["sd"] * stats.norm.ppf(np.clip(unit, 1e-12, 1 - 1e-12))
    paths = np.empty_like(innovations)
    previous = np.zeros(len(innovations))
    for column in range(innovations.shape[1]):
        previous = spec["rho"] * previous + innovations[:, column]
        paths[:, column] = previous
    return np.clip(paths, spec["low"], spec["high"])
