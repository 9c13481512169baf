"""Charts: one per indicator naming every scenario, fans where there are samples, Chinese
labels drawn with a CJK font, and one clear line when no such font is installed."""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ElementTree

import pytest
from PIL import Image

from reports import fonts
from reports.chart_data import scorecard, series_chart, verdict_cell
from reports.charts import comparison_chart, fan_chart, save_figure, scorecard_chart
from reports.indicators import KEY_INDICATORS, describe
from reports.inputs import read_report_inputs
from reports.statistics import target_verdicts


def _manifest(report) -> dict:
    return json.loads((report / "manifest.json").read_text(encoding="utf-8"))


def _charts(report, kind: str) -> dict[str, dict]:
    return {c["indicator"]: c for c in _manifest(report)["charts"] if c["kind"] == kind}


@pytest.mark.parametrize("report_name", ["single_report", "mixed_report"])
def test_a_chart_for_every_indicator_and_scenario(report_name, request):
    report = request.getfixturevalue(report_name)
    manifest = _manifest(report)
    comparison = _charts(report, "comparison")
    assert list(comparison) == list(KEY_INDICATORS)
    for chart in comparison.values():
        assert chart["scenarios"] == manifest["scenarios"]
        for key in ("png", "svg"):
            assert (report / chart[key]).stat().st_size > 5000
        with Image.open(report / chart["png"]) as image:
            assert image.size[0] > 600 and image.size[1] > 300
        ElementTree.parse(report / chart["svg"])  # well-formed SVG
    assert "scorecard" in {c["kind"] for c in manifest["charts"]}


def test_fan_charts_only_where_there_are_samples(single_report, mixed_report):
    assert _charts(single_report, "fan") == {}
    fans = _charts(mixed_report, "fan")
    assert list(fans) == list(KEY_INDICATORS)
    assert all(chart["scenarios"] == ["baseline", "plan"] for chart in fans.values())


def test_chart_values_are_in_display_units_with_targets_and_observations(mixed_report,
                                                                          batch_file):
    from qdsim.targets import load_targets

    inputs = read_report_inputs([batch_file])
    chart = series_chart(inputs, describe(inputs.dataset, "population", "en"), load_targets(),
                         "en")
    median_2020 = chart.band(0.5, 0)[list(chart.years).index(2020)]
    assert 900 < median_2020 < 1100  # 万人
    assert [(m.value, m.first) for m in chart.targets] == [(1100.0, 2025)]
    assert set(chart.observed_years) <= set(range(2010, 2021)) and chart.observed_years.size
    growth = series_chart(inputs, describe(inputs.dataset, "gdp_real_growth", "en"),
                          load_targets(), "en")
    assert [(m.value, m.first, m.last) for m in growth.targets] == [
        (pytest.approx(7.0), 2021, 2025)]
    assert growth.targets[0].label == "7"


def test_scorecard_colours_are_colour_blind_safe_and_written(batch_file):
    assert verdict_cell(1.0, False, "en") == ("met", "#0072B2")
    assert verdict_cell(0.0, False, "zh") == ("未达到", "#D55E00")
    assert verdict_cell(float("nan"), True, "en")[0] == "not set"
    label, colour = verdict_cell(0.73, True, "en")
    assert label == "73%" and colour.startswith("#")


def test_chinese_charts_have_no_missing_glyphs(batch_file, cjk_font, tmp_path):
    from qdsim.targets import load_targets

    inputs = read_report_inputs([batch_file])
    targets = load_targets()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with fonts.chart_fonts(cjk_font):
            chart = series_chart(inputs, describe(inputs.dataset, "population", "zh"), targets,
                                 "zh")
            save_figure(comparison_chart(chart), tmp_path, "comparison")
            save_figure(fan_chart(chart), tmp_path, "fan")
            cells = scorecard(inputs, target_verdicts(inputs, targets), targets, "zh")
            save_figure(scorecard_chart(cells), tmp_path, "scorecard")
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert missing == []
    assert "常住人口" in chart.indicator.name and chart.indicator.unit_label == "万人"


def test_no_cjk_font_gives_one_line_saying_how_to_install_one(monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    assert fonts.require_font("en") is None
    with pytest.raises(fonts.FontMissingError) as error:
        fonts.require_font("zh")
    assert "apt-get install fonts-noto-cjk" in str(error.value)
    assert "\n" not in str(error.value)
