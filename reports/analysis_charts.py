"""Charts of the saved analyses (matplotlib, no pyplot): the frontier of combinations
that just meet a target, Sobol indices per factor and over years, and the Shapley
attribution of a difference as a waterfall.

Colours are Okabe-Ito as in ``reports.charts``; bars also differ by hatching or position,
and every bar of the attribution is labelled with its value, so no reading depends on
colour alone.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from qdsim.messages import text
from reports.analyses import (
    AttributionChart,
    FrontierChart,
    SensitivityChart,
    SensitivityYearsChart,
)
from reports.charts import LAST_OBSERVED_YEAR, fitted_legend, scenario_style, wrap

S1_COLOUR, ST_COLOUR = "#E69F00", "#0072B2"
RAISES_COLOUR, LOWERS_COLOUR, TOTAL_COLOUR = "#0072B2", "#D55E00", "#555555"
def _name(label: str, lang: str, width: int = 32) -> str:
    """A factor or parameter name wrapped for a tick label: codes at underscores/spaces."""
    return wrap(label, "en" if label.isascii() else lang, width, width // 2)


#: gid of the attribution's bars, so that tests can find them in the figure.
CONTRIBUTION_GID, TOTAL_GID = "contribution", "total"


def frontier_chart(chart: FrontierChart) -> Figure:
    """The solved parameter against the first grid parameter, a line per further grid
    combination; points with no solution are left out and counted in a note."""
    figure = Figure(figsize=(8.0, 4.8), layout="constrained")
    axes = figure.add_subplot()
    for index, (label, x, y) in enumerate(chart.lines):
        style = scenario_style(index)
        axes.plot(x, y, marker="o", markersize=5, linewidth=1.8, label=label or None, **style)
    axes.set_xlabel(chart.x_label)
    axes.set_ylabel(_name(chart.y_label, chart.lang, 44))
    axes.set_title(wrap(chart.title, chart.lang, 80, 40), loc="left", fontsize=11)
    if any(label for label, *_ in chart.lines):
        fitted_legend(figure, axes.get_legend_handles_labels()[0], 3, chart.lang)
    if chart.missing:
        axes.annotate(f"{text('no_solution', chart.lang)}: {chart.missing}", (1, 0),
                      xycoords="axes fraction", textcoords="offset points", xytext=(-4, 4),
                      ha="right", fontsize=8, color="grey")
    return figure


def sensitivity_chart(chart: SensitivityChart) -> Figure:
    """Horizontal bars of S1 and ST per factor (largest ST on top) with 95% intervals."""
    lang = chart.lang
    count = len(chart.factors)
    figure = Figure(figsize=(8.5, 1.6 + 0.55 * count), layout="constrained")
    axes = figure.add_subplot()
    rows = np.arange(count)
    height = 0.38
    error = {"ecolor": "black", "capsize": 3, "error_kw": {"linewidth": 1}}
    axes.barh(rows - height / 2, np.nan_to_num(chart.st), height, xerr=np.nan_to_num(
        chart.st_conf), color=ST_COLOUR, label=text("ST", lang), **error)
    axes.barh(rows + height / 2, np.nan_to_num(chart.s1), height, xerr=np.nan_to_num(
        chart.s1_conf), color=S1_COLOUR, hatch="//", edgecolor="white",
        label=text("S1", lang), **error)
    axes.set_yticks(rows, [_name(name, lang) for name in chart.factors], fontsize=8)
    axes.set_ylim(count - 0.5, -0.5)
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel(text("index", lang))
    axes.grid(axis="y", visible=False)
    axes.set_title(wrap(chart.title, lang, 80, 40), loc="left", fontsize=11)
    fitted_legend(figure, axes.get_legend_handles_labels()[0], 2, lang)
    return figure


def sensitivity_years_chart(chart: SensitivityYearsChart) -> Figure:
    """ST of each year's value for the factors that matter, with 95% bands."""
    lang = chart.lang
    figure = Figure(figsize=(8.5, 4.8), layout="constrained")
    axes = figure.add_subplot()
    for index, name in enumerate(chart.factors):
        style = scenario_style(index)
        values, half = chart.st[:, index], np.nan_to_num(chart.st_conf[:, index])
        axes.fill_between(chart.years, values - half, values + half, color=style["color"],
                          alpha=0.15, linewidth=0)
        axes.plot(chart.years, values, linewidth=1.8, label=name, **style)
    axes.axvline(LAST_OBSERVED_YEAR, color="grey", linewidth=0.8, linestyle=":")
    axes.set_xlim(int(chart.years[0]), int(chart.years[-1]))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(-0.02, 1.05)
    axes.set_xlabel(text("year", lang))
    axes.set_ylabel(text("ST", lang))
    axes.set_title(wrap(chart.title, lang, 80, 40), loc="left", fontsize=11)
    handles, _ = axes.get_legend_handles_labels()
    if chart.note:
        handles.append(Line2D([], [], linestyle="none", label=chart.note))
    if handles:
        fitted_legend(figure, handles, 3, lang)
    return figure


def attribution_chart(chart: AttributionChart) -> Figure:
    """Waterfall: each parameter's Shapley contribution starts where the previous one
    ended; the last bar is the whole difference, from zero."""
    lang = chart.lang
    count = len(chart.parameters)
    figure = Figure(figsize=(8.5, 1.9 + 0.5 * (count + 1)), layout="constrained")
    axes = figure.add_subplot()
    starts = np.concatenate([[0.0], np.cumsum(chart.contributions)[:-1]])
    for row, (start, value) in enumerate(zip(starts, chart.contributions, strict=True)):
        colour = RAISES_COLOUR if value >= 0 else LOWERS_COLOUR
        axes.barh(row, value, left=start, height=0.6, color=colour, gid=CONTRIBUTION_GID)
        if row + 1 < count:
            axes.plot([start + value] * 2, [row + 0.3, row + 0.7], color="grey",
                      linewidth=0.8)
    axes.barh(count, chart.difference, left=0.0, height=0.6, color=TOTAL_COLOUR,
              hatch="//", edgecolor="white", gid=TOTAL_GID)
    span = max(abs(chart.difference), float(np.max(np.abs(np.concatenate([
        starts, starts + chart.contributions, [0.0]])))), 1e-12)
    for row, (start, value) in enumerate([*zip(starts, chart.contributions, strict=True),
                                          (0.0, chart.difference)]):
        end = start + value
        axes.annotate(f"{value:+,.{chart.decimals}f}", (max(start, end), row),
                      textcoords="offset points", xytext=(4, 0), va="center", fontsize=8)
    axes.set_xlim(min(0.0, float(np.min(starts + chart.contributions)), chart.difference)
                  - 0.05 * span, max(0.0, float(np.max(starts + chart.contributions)),
                                     chart.difference) + 0.25 * span)
    labels = [*chart.parameters, text("total", lang)]
    axes.set_yticks(np.arange(count + 1), [_name(label, lang) for label in labels],
                    fontsize=8)
    axes.set_ylim(count + 0.6, -0.6)
    axes.axvline(0, color="black", linewidth=0.8)
    axes.grid(axis="y", visible=False)
    axes.set_xlabel(chart.axis_label)
    figure.suptitle(wrap(chart.title, lang, 80, 40), x=0.01, ha="left", fontsize=11)
    axes.set_title(wrap(chart.subtitle, lang, 100, 50), loc="left", fontsize=9,
                   color="#333333")
    handles = [Patch(color=RAISES_COLOUR, label="+"), Patch(color=LOWERS_COLOUR, label="−"),
               Patch(facecolor=TOTAL_COLOUR, hatch="//", edgecolor="white",
                     label=text("difference", lang))]
    fitted_legend(figure, handles, 3, lang)
    return figure


DRAWERS = {"frontier": frontier_chart, "sensitivity": sensitivity_chart,
           "sensitivity_years": sensitivity_years_chart, "attribution": attribution_chart}
