"""Drawing the charts with matplotlib (no pyplot): scenario comparison, fan charts and the
target scorecard, each from a small value of ``reports.chart_data``.

Colours are the Okabe-Ito palette, safe for the common colour-vision deficiencies, and
every scenario also differs by line style; the scorecard pairs its blue-orange scale with
written verdicts. Every chart is saved as PNG and SVG (text as paths, so the SVG needs no
font).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from qdsim.messages import text
from qdsim.uncertainty import LAST_OBSERVED_YEAR
from reports.chart_data import ScorecardChart, SeriesChart

#: Okabe-Ito colours, yellow last (weak on white).
SCENARIO_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                    "#000000", "#F0E442")
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)))
PNG_DPI = 110


#: Line widths of the comparison chart [points]: the first scenario widest and lowest,
#: each later one thinner and on top, so a line that coincides with another still shows
#: as a band around it.
WIDEST_LINE, THINNEST_LINE = 3.6, 1.2


def scenario_style(index: int) -> dict[str, object]:
    """Colour and line style of the ``index``-th scenario."""
    return {"color": SCENARIO_COLOURS[index % len(SCENARIO_COLOURS)],
            "linestyle": LINE_STYLES[index % len(LINE_STYLES)]}


def layered_widths(count: int) -> list[float]:
    """Widths of ``count`` lines drawn in order [points], strictly decreasing."""
    if count == 1:
        return [1.8]
    step = (WIDEST_LINE - THINNEST_LINE) / (count - 1)
    return [WIDEST_LINE - step * index for index in range(count)]


def fitted_legend(figure: Figure, handles: list, columns: int, lang: str):
    """A legend below the axes whose labels are wrapped and whose columns are as many as
    fit the figure's width (fewer rows than that would be cut off at the edges)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for handle in handles:
        handle.set_label(wrap(handle.get_label(), lang, 30, 15))
    renderer = FigureCanvasAgg(figure).get_renderer()
    for count in range(max(1, min(columns, len(handles))), 0, -1):
        legend = figure.legend(handles=handles, loc="outside lower center", ncols=count,
                               fontsize=8, frameon=False)
        if legend.get_window_extent(renderer).width <= 0.98 * figure.bbox.width or count == 1:
            return legend
        legend.remove()
    return None


def wrap(label: str, lang: str, width_en: int, width_zh: int) -> str:
    """Wrap at spaces in English, anywhere in Chinese (which has no spaces)."""
    return textwrap.fill(label, width_zh if lang == "zh" else width_en,
                         break_long_words=lang == "zh")


def _draw_observations(axes, chart: SeriesChart) -> bool:
    if chart.observed_years.size == 0:
        return False
    axes.plot(chart.observed_years, chart.observed_values, linestyle="none", marker="o",
              markersize=5, markerfacecolor="white", markeredgecolor="black",
              markeredgewidth=1.2, zorder=5)
    return True


def _draw_targets(axes, chart: SeriesChart) -> bool:
    for mark in chart.targets:
        if mark.first == mark.last:
            axes.plot([mark.first], [mark.value], linestyle="none", marker="*", markersize=14,
                      markerfacecolor="black", markeredgecolor="white", zorder=6)
        else:
            axes.plot([mark.first, mark.last], [mark.value, mark.value], color="black",
                      linewidth=3, solid_capstyle="butt", zorder=6)
        axes.annotate(mark.label, (mark.last, mark.value), textcoords="offset points",
                      xytext=(6, 4), fontsize=8)
    return bool(chart.targets)


def _legend_extras(lang: str, observed: bool, targeted: bool) -> list:
    handles = []
    if observed:
        handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                              markeredgecolor="black", label=text("observed", lang)))
    if targeted:
        handles.append(Line2D([], [], linestyle="none", marker="*", markersize=12,
                              markerfacecolor="black", markeredgecolor="white",
                              label=text("plan_target", lang)))
    return handles


def comparison_chart(chart: SeriesChart) -> Figure:
    """Every scenario's path (the median for batches) with observations and plan targets."""
    lang = chart.lang
    figure = Figure(figsize=(8.5, 5.0), layout="constrained")
    axes = figure.add_subplot()
    handles = []
    widths = layered_widths(len(chart.scenario_titles))
    for index, title in enumerate(chart.scenario_titles):
        label = (title if chart.samples[index] <= 1 or chart.has_run(index)
                 else f"{title} ({text('median', lang)})")
        (line,) = axes.plot(chart.years, chart.central(index), linewidth=widths[index],
                            label=label, zorder=2 + index * 0.01, **scenario_style(index))
        handles.append(line)
    observed = _draw_observations(axes, chart)
    targeted = _draw_targets(axes, chart)
    handles += _legend_extras(lang, observed, targeted)
    axes.axvline(LAST_OBSERVED_YEAR, color="grey", linewidth=0.8, linestyle=":", zorder=1)
    axes.annotate(f"{text('projection', lang)} →", (LAST_OBSERVED_YEAR, 1),
                  xycoords=("data", "axes fraction"), textcoords="offset points",
                  xytext=(4, -12), fontsize=8, color="grey")
    axes.set_xlim(*chart.year_range)
    axes.set_title(chart.indicator.name, loc="left", fontsize=12)
    axes.set_ylabel(chart.indicator.unit_label)
    axes.set_xlabel(text("year", lang))
    fitted_legend(figure, handles, 4, lang)
    return figure


def fan_chart(chart: SeriesChart) -> Figure:
    """One panel per batch scenario: median, 50% and 90% bands, observations, targets."""
    lang = chart.lang
    batch = [index for index, count in enumerate(chart.samples) if count > 1]
    columns = min(4, len(batch))
    rows = math.ceil(len(batch) / columns)
    figure = Figure(figsize=(3.0 * columns + 0.6, 2.6 * rows + 1.2), layout="constrained")
    grid = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    observed = targeted = runs = False
    for panel, index in enumerate(batch):
        axes = grid[panel // columns][panel % columns]
        colour = scenario_style(index)["color"]
        axes.fill_between(chart.years, chart.band(0.05, index), chart.band(0.95, index),
                          color=colour, alpha=0.18, linewidth=0)
        axes.fill_between(chart.years, chart.band(0.25, index), chart.band(0.75, index),
                          color=colour, alpha=0.40, linewidth=0)
        axes.plot(chart.years, chart.band(0.5, index), color=colour, linewidth=1.6)
        if chart.has_run(index):  # the central run given beside the batch
            axes.plot(chart.years, chart.central(index), color="black", linewidth=1.2,
                      linestyle="--")
            runs = True
        observed = _draw_observations(axes, chart) or observed
        targeted = _draw_targets(axes, chart) or targeted
        axes.axvline(LAST_OBSERVED_YEAR, color="grey", linewidth=0.8, linestyle=":")
        title = f"{chart.scenario_titles[index]} (n={chart.samples[index]})"
        axes.set_title(wrap(title, lang, 34, 16), fontsize=9, loc="left")
        axes.set_xlim(*chart.year_range)
    for panel in range(len(batch), rows * columns):
        grid[panel // columns][panel % columns].set_visible(False)
    figure.suptitle(chart.indicator.label, x=0.01, horizontalalignment="left", fontsize=12)
    grey = "#555555"
    handles = [Line2D([], [], color=grey, linewidth=1.6, label=text("median", lang)),
               Patch(facecolor=grey, alpha=0.40, label=text("band50", lang)),
               Patch(facecolor=grey, alpha=0.18, label=text("band90", lang))]
    if runs:
        handles.append(Line2D([], [], color="black", linewidth=1.2, linestyle="--",
                              label=text("central", lang)))
    handles += _legend_extras(lang, observed, targeted)
    fitted_legend(figure, handles, len(handles), lang)
    return figure


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background``."""
    red, green, blue = to_rgb(background)
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.55 else "white"


def scorecard_chart(chart: ScorecardChart) -> Figure:
    """Targets × scenarios grid of verdicts (single runs) or P(met) (batches)."""
    lang = chart.lang
    rows, columns = len(chart.target_labels), len(chart.scenario_titles)
    figure = Figure(figsize=(3.6 + 1.15 * columns, 0.9 + 0.5 * max(1, rows)),
                    layout="constrained")
    axes = figure.add_subplot()
    for row, cells in enumerate(chart.cells):
        for column, (label, colour) in enumerate(cells):
            axes.add_patch(Rectangle((column, row), 0.96, 0.92, facecolor=colour,
                                     edgecolor="none"))
            axes.text(column + 0.48, row + 0.46, label, ha="center", va="center", fontsize=8,
                      color=text_colour(colour))
    axes.set_xlim(0, columns)
    axes.set_ylim(max(1, rows), 0)
    axes.set_xticks(np.arange(columns) + 0.48,
                    [wrap(title, lang, 14, 8) for title in chart.scenario_titles], fontsize=8)
    axes.xaxis.tick_top()
    names = [name if when.startswith("by ") else f"{name} ({when})"
             for name, when in zip(chart.target_labels, chart.target_periods, strict=True)]
    axes.set_yticks(np.arange(rows) + 0.46, [wrap(name, lang, 34, 16) for name in names],
                    fontsize=8)
    axes.tick_params(length=0)
    axes.grid(False)
    for side in ("top", "right", "bottom", "left"):
        axes.spines[side].set_visible(False)
    axes.set_title(text("scorecard", lang), loc="left", fontsize=12)
    return figure


def save_figure(figure: Figure, folder: Path, stem: str) -> dict[str, Path]:
    """Write ``stem.png`` and ``stem.svg`` into ``folder``; returns {"png": ..., "svg": ...}."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"png": folder / f"{stem}.png", "svg": folder / f"{stem}.svg"}
    figure.savefig(paths["png"], dpi=PNG_DPI, metadata={"Software": None})
    figure.set_layout_engine("none")  # keep the layout just computed; saves a second pass
    figure.savefig(paths["svg"], metadata={"Date": None})
    return paths
