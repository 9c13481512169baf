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

from qdsim.errors import TargetError

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
        """The year or period the target speaks of, as text."""
        if self.period:
            return f"{self.period[0]}-{self.period[1]}"
        return str(self.year) if self.year is not None else "by 2035"


def _entry(path: Path, line: int, raw: dict) -> Target:
    def fail(message: str, key: str | None = None) -> TargetError:
        return TargetError(path, message, line=line, key=key)

    for key in REQUIRED:
        if key not in raw:
            raise fail("missing key", key)
    if raw["statistic"] not in STATISTICS:
        raise fail(f"unknown statistic; allowed: {', '.join(STATISTICS)}", "statistic")
    if raw["comparator"] not in COMPARATORS:
        raise fail(f"unknown comparator; allowed: {', '.join(COMPARATORS)}", "comparator")
    value = raw["value"]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise fail("expected a number or null", "value")
    period = raw.get("period")
    if raw["statistic"] in ("mean_growth", "total", "change"):
        if (not isinstance(period, list) or len(period) != 2
                or not all(isinstance(y, int) for y in period) or period[0] > period[1]):
            raise fail("expected [first_year, last_year]", "period")
        period = (int(period[0]), int(period[1]))
    elif raw["statistic"] == "value" and not isinstance(raw.get("year"), int):
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


def load_targets(path: Path | str = DEFAULT_TARGETS) -> list[Target]:
    """Read and check the targets file (a YAML list of target entries)."""
    path = Path(path)
    if not path.is_file():
        raise TargetError(path, "targets file not found")
    loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        raise TargetError(path, f"malformed YAML: {error.problem}",
                          line=None if mark is None else mark.line + 1) from error
    finally:
        loader.dispose()
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


def apply_overrides(targets: Sequence[Target], overrides: Sequence[str]) -> list[Target]:
    """Set target values from ``ID=VALUE`` strings (model unit), e.g. for unset quotas."""
    by_id = {t.id: t for t in targets}
    for text in overrides:
        identifier, sep, value_text = text.partition("=")
        if not sep or identifier not in by_id:
            from qdsim.scenario import suggest

            raise TargetError(None, f"--set-target '{text}': expected ID=VALUE with a known id"
                              f"{suggest(identifier, tuple(by_id))}", key=identifier or None)
        try:
            value = float(value_text)
        except ValueError as error:
            raise TargetError(None, f"--set-target '{text}': '{value_text}' is not a number",
                              key=identifier) from error
        if not math.isfinite(value):
            raise TargetError(None, f"--set-target '{text}': value must be finite",
                              key=identifier)
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
    """First year in which a ``value`` target holds (NaN if never or not applicable)."""
    shape = series.shape[:-1]
    if target.statistic == "peak_year":
        return statistic_values(series, years, target)
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
