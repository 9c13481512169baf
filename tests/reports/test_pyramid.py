"""Population pyramids (issue 11): one per scenario from ``qdsim run`` results, holding
the residents of each age and sex in 2020, 2025 and 2035, which sum to the population."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from reports.fonts import chart_fonts, require_font
from reports.inputs import read_report_inputs
from reports.pyramid import PYRAMID_YEARS, pyramid_chart, pyramid_charts


def test_a_pyramid_per_scenario_sums_to_the_population(single_results):
    inputs = read_report_inputs(single_results)
    charts = dict(pyramid_charts(inputs, "en"))
    assert sorted(charts) == sorted(f"pyramid_{s}" for s in inputs.scenarios)
    for scenario in inputs.scenarios:
        chart = charts[f"pyramid_{scenario}"]
        assert tuple(chart.female) == PYRAMID_YEARS
        assert len(chart.ages) == 101
        for year in PYRAMID_YEARS:
            total = sum(chart.female[year]) + sum(chart.male[year])
            population = float(inputs.dataset["population"].sel(scenario=scenario, year=year))
            np.testing.assert_allclose(total, population, rtol=1e-9)


def test_a_pyramid_is_drawn_with_both_sexes_and_each_year(single_results):
    inputs = read_report_inputs(single_results[:1])
    (_, chart), = pyramid_charts(inputs, "zh")
    with chart_fonts(require_font("zh")):  # as reports/rendering.py draws it
        figure = pyramid_chart(chart)
    axes = figure.axes[0]
    assert len(axes.lines) == 2 * len(PYRAMID_YEARS) + 1  # one outline per sex, the axis
    assert [text.get_text() for text in axes.legend_.get_texts()] == [
        str(year) for year in PYRAMID_YEARS]


def test_results_without_ages_give_no_pyramid(single_results):
    inputs = read_report_inputs(single_results[:1])
    inputs = replace(inputs, dataset=inputs.dataset.drop_vars("population_by_age"))
    assert pyramid_charts(inputs, "en") == []
