"""Chart layout: legends inside the figure whatever the number and length of entries, and
scenarios whose lines coincide still both visible."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from reports.chart_data import SeriesChart, TargetMark
from reports.charts import comparison_chart, fan_chart
from reports.indicators import Indicator
from reports.statistics import FAN_QUANTILES

TITLES = ("Baseline", "Plan", "Low growth", "Fully open household registration",
          "Low fertility", "Green transition", "Tight housing market")


def _chart(samples: tuple[int, ...]) -> SeriesChart:
    years = np.arange(2015, 2036)
    count = len(samples)
    bands = np.empty((len(FAN_QUANTILES), count, years.size))
    for quantile_index, quantile in enumerate(FAN_QUANTILES):
        bands[quantile_index] = 900 + (years - 2015) * 10 + (quantile - 0.5) * 40
    return SeriesChart(
        indicator=Indicator("population", "Resident population", "person", "10k persons",
                            1e-4, 1),
        lang="en", scenario_titles=TITLES[:count], samples=samples, years=years,
        bands=bands,  # every scenario the same: the lines lie on each other
        observed_years=np.arange(2015, 2021), observed_values=900 + np.arange(6) * 10.0,
        targets=(TargetMark(1100.0, 2025, 2025, "1,100"),), year_range=(2010, 2035))


def _legend_inside(figure) -> None:
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    (legend,) = figure.legends
    box, page = legend.get_window_extent(renderer), figure.bbox
    assert box.x0 >= page.x0 - 0.5 and box.x1 <= page.x1 + 0.5, (box, page)
    assert box.y0 >= page.y0 - 0.5
    labels = [t.get_text() for t in legend.get_texts()]
    assert "observed" in labels and "plan target" in labels


@pytest.mark.parametrize("samples", [(1,) * 7, (100,), (100, 100)])
def test_legends_fit_inside_the_figure(samples):
    chart = _chart(samples)
    _legend_inside(comparison_chart(chart))
    if max(samples) > 1:
        _legend_inside(fan_chart(chart))


def test_coinciding_scenarios_stay_visible():
    figure = comparison_chart(_chart((1,) * 7))
    lines = [line for line in figure.axes[0].get_lines()
             if line.get_label().replace("\n", " ") in TITLES]
    assert len(lines) == 7
    drawn = sorted(lines, key=lambda line: line.get_zorder())
    widths = [line.get_linewidth() for line in drawn]
    # each line drawn over another is thinner, so the one below shows on both sides
    assert all(lower > upper for lower, upper in zip(widths[:-1], widths[1:], strict=True)), widths
