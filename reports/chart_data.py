"""What each chart shows, computed from the results: small values that a chart-drawing
process receives instead of the whole results Dataset.

Values are in display units (``Indicator.factor`` applied). Colours of the scorecard are
chosen here so that the HTML table and the chart agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap, to_hex

from qdsim.messages import scenario_title, text
from qdsim.targets import Target
from reports.indicators import Indicator
from reports.inputs import ReportInputs
from reports.observations import observations_for
from reports.statistics import FAN_QUANTILES, fan_bands

MET_COLOUR, MISSED_COLOUR, NOT_SET_COLOUR = "#0072B2", "#D55E00", "#DDDDDD"
#: Orange (missed) through near-white to blue (met): readable with colour-vision deficiency.
PROBABILITY_COLOURS = LinearSegmentedColormap.from_list(
    "missed_to_met", [MISSED_COLOUR, "#F7F7F7", MET_COLOUR])
FIRST_CHART_YEAR = 2010


@dataclass(frozen=True)
class TargetMark:
    """A plan target drawn on a chart: ``value`` [display unit] from ``first`` to ``last``
    year (a point when they are equal), labelled ``label``."""

    value: float
    first: int
    last: int
    label: str


@dataclass(frozen=True)
class SeriesChart:
    """One indicator across scenarios: quantile bands and what to draw beside them.

    ``bands`` has shape (quantile, scenario, year) for ``FAN_QUANTILES`` [display unit];
    ``samples`` is the number of samples of each scenario (1 for a single run).
    """

    indicator: Indicator
    lang: str
    scenario_titles: tuple[str, ...]
    samples: tuple[int, ...]
    years: np.ndarray
    bands: np.ndarray
    observed_years: np.ndarray
    observed_values: np.ndarray
    targets: tuple[TargetMark, ...]
    year_range: tuple[int, int]
    #: Per scenario, the path of a single run given beside its batch (NaN where none),
    #: shape (scenario, year) [display unit]; None when no scenario has one.
    runs: np.ndarray | None = None

    def band(self, quantile: float, scenario_index: int) -> np.ndarray:
        """The ``quantile`` path of one scenario [display unit]."""
        return self.bands[FAN_QUANTILES.index(quantile), scenario_index]

    def has_run(self, scenario_index: int) -> bool:
        """Whether the scenario's central line is a single run rather than the median."""
        return self.runs is not None and bool(np.isfinite(self.runs[scenario_index]).any())

    def central(self, scenario_index: int) -> np.ndarray:
        """The central line: the single run where given, else the median [display unit]."""
        if self.has_run(scenario_index):
            return self.runs[scenario_index]
        return self.band(0.5, scenario_index)


@dataclass(frozen=True)
class ScorecardChart:
    """Targets (rows) × scenarios (columns): each cell's text and background colour."""

    lang: str
    scenario_titles: tuple[str, ...]
    target_labels: tuple[str, ...]
    target_periods: tuple[str, ...]
    cells: tuple[tuple[tuple[str, str], ...], ...]


def short_title(inputs: ReportInputs, scenario: str, lang: str) -> str:
    """The scenario title up to its first colon (``Baseline``, ``基准情景``)."""
    title = scenario_title(inputs.dataset, scenario, lang)
    return title.replace("：", ":").split(":")[0].strip() or scenario


def plain_number(value: float, decimals: int) -> str:
    """``1,100`` rather than ``1,100.0``: at most ``decimals`` decimals, no trailing zeros."""
    shown = f"{value:,.{decimals}f}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def chart_targets(targets: Sequence[Target], indicator: Indicator) -> tuple[TargetMark, ...]:
    """Targets drawn on the chart of ``indicator``.

    A ``value`` target on the variable is a point in its year; a ``mean_growth`` target on
    X is a segment over its period on the chart of ``X_growth``. Targets without a value
    are not drawn.
    """
    marks = []
    for target in targets:
        if target.value is None:
            continue
        if target.statistic == "value" and target.variable == indicator.variable:
            first = last = int(target.year)
        elif (target.statistic == "mean_growth"
              and f"{target.variable}_growth" == indicator.variable):
            first, last = target.period
        else:
            continue
        value = target.value * indicator.factor
        marks.append(TargetMark(value, first, last, plain_number(value, indicator.decimals)))
    return tuple(marks)


def series_chart(inputs: ReportInputs, indicator: Indicator, targets: Sequence[Target],
                 lang: str) -> SeriesChart:
    """Everything the comparison and fan charts of ``indicator`` draw."""
    bands = fan_bands(inputs, indicator.variable)
    observed = observations_for(indicator.variable, indicator.model_unit)
    years = bands["year"].to_numpy()
    runs = None
    if inputs.central is not None:
        runs = np.full((len(inputs.scenarios), years.size), np.nan)
        for index, scenario in enumerate(inputs.scenarios):
            run = inputs.central_run(scenario)
            if run is not None:
                runs[index] = run[indicator.variable].sel(year=years).to_numpy()
        runs = runs * indicator.factor
    return SeriesChart(
        indicator=indicator, lang=lang,
        scenario_titles=tuple(short_title(inputs, s, lang) for s in inputs.scenarios),
        samples=tuple(inputs.sample_counts[s] for s in inputs.scenarios),
        years=years, bands=bands.to_numpy() * indicator.factor,
        observed_years=observed["year"].to_numpy(),
        observed_values=observed["value"].to_numpy() * indicator.factor,
        targets=chart_targets(targets, indicator),
        year_range=(min(FIRST_CHART_YEAR, int(years[0])), int(years[-1])),
        runs=runs,
    )


def verdict_cell(probability: float, batch: bool, lang: str) -> tuple[str, str]:
    """(text, colour) of a scorecard cell: met / missed / not set, or P(met) for batches."""
    if probability is None or (isinstance(probability, float) and math.isnan(probability)):
        return text("not_set", lang), NOT_SET_COLOUR
    if batch:
        return f"{probability:.0%}", to_hex(PROBABILITY_COLOURS(float(probability))[:3])
    return (text("met", lang), MET_COLOUR) if probability >= 0.5 else (
        text("missed", lang), MISSED_COLOUR)


def target_name(target: Target, lang: str) -> str:
    """The target's name in ``lang``."""
    return target.name_zh if lang == "zh" else target.name_en


def scorecard(inputs: ReportInputs, verdicts: pd.DataFrame, targets: Sequence[Target],
              lang: str) -> ScorecardChart:
    """The scorecard cells of every scenario and every target the results can judge."""
    shown = [t for t in targets if t.id in set(verdicts["target"])]
    by_key = verdicts.set_index(["scenario", "target"])["probability_met"].to_dict()
    cells = tuple(
        tuple(verdict_cell(by_key.get((scenario, target.id), np.nan),
                           inputs.has_samples(scenario), lang) for scenario in inputs.scenarios)
        for target in shown)
    return ScorecardChart(
        lang=lang,
        scenario_titles=tuple(short_title(inputs, s, lang) for s in inputs.scenarios),
        target_labels=tuple(target_name(t, lang) for t in shown),
        target_periods=tuple(t.when for t in shown),
        cells=cells,
    )
