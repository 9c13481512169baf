"""Population pyramids (issue 11): residents by single year of age and sex in 2020, 2025
and 2035, one chart per scenario, from the ``population_by_age`` output of ``qdsim run``
(or the median over a batch's samples when a batch holds it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from qdsim.messages import text

PYRAMID_YEARS = (2020, 2025, 2035)
PYRAMID_VARIABLE = "population_by_age"
_STYLES = {2020: ("#8c8c8c", "-"), 2025: ("#1f77b4", "-"), 2035: ("#d62728", "-")}


@dataclass(frozen=True)
class PyramidChart:
    """Residents by age (rows) of each sex for each year [person] of one scenario."""

    title: str
    lang: str
    ages: tuple[str, ...]
    female: dict[int, tuple[float, ...]]
    male: dict[int, tuple[float, ...]]


def pyramid_charts(inputs, lang: str) -> list[tuple[str, PyramidChart]]:
    """(file stem, chart data) for every scenario of ``inputs`` holding the variable."""
    dataset = inputs.dataset
    if PYRAMID_VARIABLE not in dataset.data_vars:
        return []
    values = dataset[PYRAMID_VARIABLE]
    if "sample" in values.dims:
        values = values.median("sample")
    years = [year for year in PYRAMID_YEARS if year in dataset["year"].to_numpy()]
    charts = []
    for scenario in inputs.scenarios:
        table = values.sel(scenario=scenario)
        female = {year: tuple(np.asarray(table.sel(year=year, sex="female"), float).tolist())
                  for year in years}
        male = {year: tuple(np.asarray(table.sel(year=year, sex="male"), float).tolist())
                for year in years}
        title = f"{text('pyramid', lang)}: {scenario}"
        ages = tuple(str(age) for age in table["age"].to_numpy())
        charts.append((f"pyramid_{scenario}", PyramidChart(title, lang, ages, female, male)))
    return charts


def pyramid_chart(chart: PyramidChart) -> Figure:
    """Women to the right, men to the left, one outline per year [10,000 persons]."""
    figure = Figure(figsize=(7.0, 6.0))
    axes = figure.add_subplot()
    ages = np.arange(len(chart.ages))
    for year in chart.female:
        colour, style = _STYLES.get(year, ("#333333", "-"))
        female = np.asarray(chart.female[year]) / 1e4
        male = np.asarray(chart.male[year]) / 1e4
        axes.step(female, ages, where="mid", color=colour, linestyle=style, label=str(year))
        axes.step(-male, ages, where="mid", color=colour, linestyle=style)
    axes.axvline(0, color="#444444", linewidth=0.8)
    ticks = axes.get_xticks()
    axes.set_xticks(ticks)
    axes.set_xticklabels([f"{abs(tick):g}" for tick in ticks])
    axes.set_yticks(ages[::10])
    axes.set_yticklabels([chart.ages[i].lstrip("a") for i in range(0, len(ages), 10)])
    axes.set_xlabel(text("pyramid_axis", chart.lang))
    axes.set_ylabel(text("pyramid_age", chart.lang))
    axes.set_title(chart.title)
    axes.text(0.02, 0.98, text("male", chart.lang), transform=axes.transAxes, va="top")
    axes.text(0.98, 0.98, text("female", chart.lang), transform=axes.transAxes, va="top",
              ha="right")
    axes.legend(loc="lower right", frameon=False)
    figure.tight_layout()
    return figure
