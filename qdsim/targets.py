"""Plan targets as data, and their verdicts on result Datasets.

Targets are read from ``scenarios/targets/plan_targets.yaml`` (or a file the user gives);
each names a model output, a statistic over years, a comparator and a value in the
model's unit. Verdicts read only the result Dataset, never the model.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from qdsim.errors import TargetError, suggest
from qdsim.messages import message
from qdsim.validation import is_finite_number, is_safe_name, load_yaml

DEFAULT_TARGETS = Path(__file__).resolve().parent.parent / "scenarios" / "targets" / (
    "plan_targets.yaml")
COMPARATORS: dict[str, Callable] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
}
STATISTICS = ("value", "mean_growth", "total", "change", "peak_year")
REQUIRED = ("id", "name_zh", "name_en", "plan_line", "variable", "statistic", "comparator",
            "value", "unit", "qualifier", "binding")


@dataclass(frozen=True)
class Target:
    """One plan target: ``statistic`` of ``variable`` compared with ``value`` [unit]."""

    id: str
    name_zh: str
    name_en: str
    plan_line: int
    variable: str
    statistic: str
    comparator: str
    value: float | None
    unit: str
    qualifier: str
    binding: str
    year: int | None = None
    period: tuple[int, int] | None = None
    quote: str = ""
    note: str = ""
    definition: str = ""

    @property
    def when(self) -> str:
        """The year or period the target speaks of, as English text."""
        return self.when_in("en")

    def when_in(self, lang: str) -> str:
        """The year or period the target speaks of, in ``lang`` (zh or en); a target
        without one (a peak year) speaks of the years up to its value."""
        if self.period:
            return f"{self.period[0]}-{self.period[1]}"
        if self.year is not None:
            return str(self.year)
        return message("by_year", lang, year=f"{self.value:.0f}") if self.value else "-"


def _entry(path: Path, line: int, raw: dict) -> Target:
    def fail(message: str, key: str | None = None) -> TargetError:
        return TargetError(path, message, line=line, key=key)

    for key in REQUIRED:
        if key not in raw:
            raise fail("missing key", key)
    if not is_safe_name(raw["id"]):
        raise fail("expected an id of letters, digits, '_', '-', '.'", "id")
    if not isinstance(raw["statistic"], str) or raw["statistic"] not in STATISTICS:
        raise fail(f"unknown statistic; allowed: {', '.join(STATISTICS)}", "statistic")
    if not isinstance(raw["comparator"], str) or raw["comparator"] not in COMPARATORS:
        raise fail(f"unknown comparator; allowed: {', '.join(COMPARATORS)}", "comparator")
    if not _is_year(raw["plan_line"], 1, 100_000):
        raise fail("expected the plan's line number", "plan_line")
    value = raw["value"]
    if value is not None and not is_finite_number(value):
        raise fail("expected a finite number or null", "value")
    period = raw.get("period")
    if raw["statistic"] in ("mean_growth", "total", "change"):
        if (not isinstance(period, list) or len(period) != 2
                or not all(_is_year(y) for y in period) or period[0] > period[1]):
            raise fail("expected [first_year, last_year]", "period")
        period = (int(period[0]), int(period[1]))
    elif raw["statistic"] == "value" and not _is_year(raw.get("year")):
        raise fail("expected the target year", "year")
    return Target(
        id=str(raw["id"]), name_zh=str(raw["name_zh"]), name_en=str(raw["name_en"]),
        plan_line=int(raw["plan_line"]), variable=str(raw["variable"]),
        statistic=raw["statistic"], comparator=raw["comparator"],
        value=None if value is None else float(value), unit=str(raw["unit"]),
        qualifier=str(raw["qualifier"]), binding=str(raw["binding"]),
        year=raw.get("year"), period=period if isinstance(period, tuple) else None,
        quote=str(raw.get("quote", "")), note=str(raw.get("note", "")),
        definition=str(raw.get("definition", "")),
    )


def _is_year(value, low: int = 1950, high: int = 2100) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def load_targets(path: Path | str = DEFAULT_TARGETS) -> list[Target]:
    """Read and check the targets file (a YAML list of target entries)."""
    path = Path(path)
    document = load_yaml(path, TargetError, what="targets file")
    data, node = document.data, document.node
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise TargetError(path, "expected a list of targets", line=1)
    targets = []
    for item_node, raw in zip(node.value, data, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(raw, dict):
            raise TargetError(path, "each target must be a mapping", line=line)
        targets.append(_entry(path, line, raw))
    identifiers = [t.id for t in targets]
    duplicates = {i for i in identifiers if identifiers.count(i) > 1}
    if duplicates:
        raise TargetError(path, f"duplicate target ids: {', '.join(sorted(duplicates))}")
    return targets


#: Values a target may take, by unit [target unit]: a fraction (growth, change, share)
#: beyond ±100% is out of range; a year lies in the projection's century.
OVERRIDE_RANGES = {"fraction": (-1.0, 1.0), "year": (2015.0, 2100.0)}


def _override_value(text: str, target: Target, value_text: str) -> float:
    """The value of ``--set-target ID=VALUE``: in the target's unit, or for a fraction
    also in percent as the tables show it (``-20.5%``); refused outside its range."""
    percent = value_text.endswith("%")
    try:
        value = float(value_text.removesuffix("%"))
    except ValueError:
        raise TargetError(None, f"--set-target '{text}': '{value_text}' is not a number",
                          key=target.id) from None
    if not math.isfinite(value):
        raise TargetError(None, f"--set-target '{text}': value must be finite", key=target.id)
    if percent:
        if target.unit != "fraction":
            raise TargetError(None, f"--set-target '{text}': '%' applies to fractions only;"
                              f" give the value in {target.unit}", key=target.id)
        value /= 100.0
    low, high = OVERRIDE_RANGES.get(target.unit, (0.0, math.inf) if target.statistic in (
        "value", "total") else (-math.inf, math.inf))
    if not low <= value <= high:
        hint = (f"; as a fraction, {value / 100:g} (or write {value:g}%)"
                if target.unit == "fraction" and abs(value) <= 100 else "")
        raise TargetError(None, f"--set-target '{text}': {value:g} is outside the allowed"
                          f" range [{low:g}, {high:g}] {target.unit}{hint}", key=target.id)
    return value


def apply_overrides(targets: Sequence[Target], overrides: Sequence[str]) -> list[Target]:
    """Set target values from ``ID=VALUE`` strings (model unit, or ``-14.5%`` for a
    fraction), e.g. for unset quotas."""
    by_id = {t.id: t for t in targets}
    for text in overrides:
        identifier, sep, value_text = text.partition("=")
        if not sep or identifier not in by_id:
            raise TargetError(None, f"--set-target '{text}': expected ID=VALUE with a known id"
                              f"{suggest(identifier, tuple(by_id))}", key=identifier or None)
        value = _override_value(text, by_id[identifier], value_text.strip())
        by_id[identifier] = replace(by_id[identifier], value=value)
    return [by_id[t.id] for t in targets]


def _year_index(years: np.ndarray, year: int, label: str) -> int:
    matches = np.flatnonzero(years == year)
    if matches.size == 0:
        raise TargetError(None, f"'{label}' needs year {year}, the results cover"
                          f" {int(years[0])}-{int(years[-1])}", key=label)
    return int(matches[0])


def summarize(series: np.ndarray, years: np.ndarray, statistic: str, *, year: int | None = None,
              period: tuple[int, int] | None = None, label: str = "") -> np.ndarray:
    """A statistic of ``series`` (shape (..., year)) over ``years`` [year].

    ``value``: the series in ``year``; ``total``: sum over ``period``; ``change``: ratio of
    the period's last year to the year before it, minus one; ``mean_growth``: compound
    yearly growth over the same span; ``peak_year``: the year of the maximum.
    """
    if statistic == "value":
        return series[..., _year_index(years, year, label)]
    if statistic == "peak_year":
        return years[np.argmax(series, axis=-1)].astype(float)
    first, last = period
    before, end = _year_index(years, first - 1, label), _year_index(years, last, label)
    if statistic == "total":
        return series[..., before + 1:end + 1].sum(axis=-1)
    ratio = series[..., end] / series[..., before]
    if statistic == "change":
        return ratio - 1.0
    return ratio ** (1.0 / (last - first + 1)) - 1.0


def statistic_values(series: np.ndarray, years: np.ndarray, target: Target) -> np.ndarray:
    """The target's statistic of ``series`` (shape (..., year)) [target unit]."""
    return summarize(series, years, target.statistic, year=target.year, period=target.period,
                     label=target.id)


def first_year_met(series: np.ndarray, years: np.ndarray, target: Target) -> np.ndarray:
    """First year in which a target holds (NaN if never or not applicable) [year].

    For a ``value`` target, the first year the comparator holds; for a ``peak_year``
    target, the year of the peak, NaN where the maximum is the last year (no peak yet).
    """
    shape = series.shape[:-1]
    if target.statistic == "peak_year":
        peak = np.argmax(series, axis=-1)
        return np.where(peak < series.shape[-1] - 1, years[peak], np.nan).astype(float)
    if target.statistic != "value" or target.value is None:
        return np.full(shape, np.nan)
    holds = COMPARATORS[target.comparator](series, target.value)
    first = np.argmax(holds, axis=-1)
    return np.where(holds.any(axis=-1), years[first], np.nan)


def evaluate(dataset: xr.Dataset, targets: Sequence[Target]) -> pd.DataFrame:
    """Verdict of every target for every scenario (and sample, if the Dataset has them).

    Columns: scenario, [sample], target, projected, target_value, gap, met,
    first_year_met. ``met`` is missing where the plan gives no value.
    """
    years = dataset["year"].to_numpy()
    frames = []
    for target in targets:
        if target.variable not in dataset:
            raise TargetError(None, f"target '{target.id}' needs variable '{target.variable}',"
                              " which the results do not hold", key=target.id)
        array = dataset[target.variable].transpose(..., "year")
        projected = statistic_values(array.to_numpy(), years, target)
        first = first_year_met(array.to_numpy(), years, target)
        index = pd.MultiIndex.from_product(
            [array.coords[d].to_numpy() for d in array.dims[:-1]], names=list(array.dims[:-1]))
        frame = pd.DataFrame({"projected": projected.ravel(), "first_year_met": first.ravel()},
                             index=index).reset_index()
        frame.insert(1, "target", target.id)
        frame["target_value"] = np.nan if target.value is None else target.value
        frame["gap"] = frame["projected"] - frame["target_value"]
        if target.value is None:
            frame["met"] = pd.array([pd.NA] * len(frame), dtype="boolean")
        else:
            frame["met"] = pd.array(COMPARATORS[target.comparator](frame["projected"],
                                                                  target.value), dtype="boolean")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
