"""Saved "what it would take" analyses in the report: each kind has its section, charts and
tables in English and Chinese; the attribution's bars add up to the difference; bad
analysis files give one line and exit 2."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from qdsim.targets import load_targets
from reports.analyses import analysis_views
from reports.analysis_inputs import KINDS, read_analysis
from reports.assumptions import parameter_catalogue_or_empty
from reports.inputs import read_report_inputs
from tests.reports.conftest import error_line

runner = CliRunner()
CSV_ENCODING = "utf-8-sig"


def _manifest(report) -> dict:
    return json.loads((report / "manifest.json").read_text(encoding="utf-8"))


def _page(report) -> str:
    return (report / "report.html").read_text(encoding="utf-8")


def _document(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _view(kind, analysis_files, single_results, lang="en"):
    inputs = read_report_inputs(single_results[:2])
    (view,) = analysis_views([read_analysis(analysis_files[kind])], inputs, load_targets(),
                             parameter_catalogue_or_empty(), lang)
    return view


@pytest.mark.parametrize("report_name", ["analysis_report", "analysis_report_zh"])
def test_every_kind_has_its_section_charts_and_tables(report_name, request, analysis_files):
    report = request.getfixturevalue(report_name)
    page, manifest = _page(report), _manifest(report)
    assert 'id="analyses"' in page and 'href="#analyses"' in page
    entries = {entry["kind"]: entry for entry in manifest["analyses"]}
    assert list(entries) == list(KINDS)  # grouped by kind, in the report's order
    charts = {"solve": 0, "frontier": 1, "sensitivity": 2, "attribution": 1, "plan_check": 0}
    for number, kind in enumerate(KINDS, start=1):
        entry = entries[kind]
        assert entry["file"] == str(analysis_files[kind])
        assert f'id="analysis_{number}_{kind}"' in page
        assert escape_path(analysis_files[kind]) in page
        assert len(entry["charts"]) == charts[kind]
        for png in entry["charts"]:
            data = base64.b64encode((report / png).read_bytes()).decode("ascii")
            assert data in page  # inlined, no link
            assert (report / png).with_suffix(".svg").stat().st_size > 3000
        for table in entry["tables"]:
            assert len(pd.read_csv(report / table, encoding=CSV_ENCODING)) > 0
    markdown = (report / "tables" / "analyses.md").read_text(encoding="utf-8")
    assert all(f"## {entry['title']}" in markdown for entry in manifest["analyses"])


def escape_path(path) -> str:
    from html import escape

    return escape(str(path))


def test_solve_shows_the_command_lines_sentences_and_a_chinese_rendering(
        analysis_report, analysis_report_zh, analysis_files, single_results):
    from qdsim.analysis_output import solution_text

    document = _document(analysis_files["solve"])
    target = {t.id: t for t in load_targets()}["population_2025"]
    english = [line.strip() for line in solution_text(document, target).splitlines()]
    page = _page(analysis_report)
    from html import escape

    for line in english:
        assert f'<p class="finding">{escape(line)}</p>' in page
    assert "times the calibrated value" in page and "2016-2020 average" in page
    chinese = _view("solve", analysis_files, single_results, "zh").lines
    solution, calibrated = document["solution"], document["calibrated"]
    ratio = f"{solution['value_2025'] / calibrated['estimate']:.2f}"
    related = document["related"]
    assert f"{solution['amount']:.6g}" in chinese[0] and "恰好实现" in chinese[0]
    assert f"是校准值的{ratio}倍" in chinese[1] and ratio in english[1]
    share = f"{related['mean_2021_2025'] / related['mean_2016_2020']:.2f}"
    assert f"的{share}倍" in chinese[2] and "净迁入人口" in chinese[2]
    assert all(line in _page(analysis_report_zh) for line in chinese)


def test_frontier_table_holds_the_saved_combinations(analysis_report, analysis_files):
    document = _document(analysis_files["frontier"])
    entry = next(e for e in _manifest(analysis_report)["analyses"] if e["kind"] == "frontier")
    table = pd.read_csv(analysis_report / entry["tables"][0], encoding=CSV_ENCODING)
    assert list(table.columns) == [f"{name} [{unit}]" for name, unit in zip(
        document["table"], ("dmnl", "1/year"), strict=True)]
    for column, (name, values) in zip(table.columns, document["table"].items(), strict=True):
        saved = np.array([np.nan if v is None else v for v in values], dtype=float)
        np.testing.assert_allclose(table[column], saved, rtol=1e-3, err_msg=name)


def test_sensitivity_table_and_charts(analysis_files, single_results):
    document = _document(analysis_files["sensitivity"])
    view = _view("sensitivity", analysis_files, single_results)
    frame = view.tables[0].frame.set_index("factor")
    st = dict(zip(document["factors"], document["ST"], strict=True))
    st["calibration posterior (joint draws)"] = st.pop("calibration_posterior")
    assert list(frame["total ST"]) == sorted(frame["total ST"], reverse=True)
    for factor, value in st.items():
        assert frame.loc[factor, "total ST"] == pytest.approx(value, abs=5e-4)
    bars, years = (chart.data for chart in view.charts)
    assert len(bars.factors) == len(document["factors"]) and np.all(bars.st_conf >= 0)
    assert list(years.years) == document["years"]
    by_year = view.detail_tables[0].frame
    assert list(by_year["year"]) == document["years"]


def test_attribution_bars_add_up_to_the_difference_stated(analysis_report, analysis_files,
                                                          single_results):
    from reports.analysis_charts import CONTRIBUTION_GID, TOTAL_GID, attribution_chart

    document = _document(analysis_files["attribution"])
    view = _view("attribution", analysis_files, single_results)
    chart = view.charts[0].data
    figure = attribution_chart(chart)
    patches = [p for axes in figure.axes for p in axes.patches]
    contributions = [p for p in patches if p.get_gid() == CONTRIBUTION_GID]
    (total,) = [p for p in patches if p.get_gid() == TOTAL_GID]
    assert len(contributions) == len(document["table"]["parameter"])
    widths = np.array([p.get_width() for p in contributions])
    difference = document["difference"]  # USD/person is shown as it is
    assert widths.sum() == pytest.approx(difference, rel=1e-9)
    assert total.get_width() == pytest.approx(difference, rel=1e-12)
    starts = np.array([p.get_x() for p in contributions])
    np.testing.assert_allclose(starts[1:], (starts + widths)[:-1])  # a waterfall
    stated = f"difference {difference:+,.0f}"
    assert stated in _page(analysis_report)
    table = view.tables[0].frame.set_index("parameter")
    assert table.loc["total", "Shapley [USD/person]"] == round(difference)


def test_plan_check_verdicts_have_colour_and_word(analysis_report, analysis_report_zh,
                                                  analysis_files):
    from reports.analyses import VERDICT_COLOURS

    checks = _document(analysis_files["plan_check"])["checks"]
    for report, words in ((analysis_report, {"consistent": "consistent", "tension": "tension",
                                             "contradiction": "contradiction"}),
                          (analysis_report_zh, {"consistent": "一致", "tension": "存在张力",
                                                "contradiction": "矛盾"})):
        page = _page(report)
        for check in checks:
            colour = VERDICT_COLOURS[check["verdict"]]
            assert re.search(f'background:{colour};color:(black|white)">'
                             f"{words[check['verdict']]}</td>", page)
    zh = _page(analysis_report_zh)
    assert "（说明为英文原文）" not in zh  # every explanation of qdsim.plan_check translated
    assert "就业人数需占常住人口的" in zh


def test_an_explanation_without_a_translation_is_shown_as_written():
    from reports.analysis_text import explanation

    assert explanation("Something new.", "zh") == ("Something new.", False)
    assert explanation("Something new.", "en") == ("Something new.", True)


@pytest.mark.parametrize("problem", ["no_kind", "corrupt", "other_model", "incomplete",
                                     "unknown_kind", "missing", "target", "no_results"])
def test_bad_analysis_json_gives_one_line_exit_2_and_writes_nothing(
        problem, single_results, analysis_files, tmp_path):
    bad = tmp_path / "analysis.json"
    document = _document(analysis_files["attribution"])
    results = [str(single_results[0])]
    expected = {
        "no_kind": "without 'qdsim_analysis'", "corrupt": "not a readable JSON file",
        "other_model": "analysis from another model version",
        "incomplete": "not a complete 'attribution' analysis",
        "unknown_kind": "unknown analysis kind 'forecast'",
        "missing": "analysis file not found", "target": "not among the report's targets",
        "no_results": "no results files given"}[problem]
    if problem == "no_kind":
        del document["qdsim_analysis"]
    elif problem == "other_model":
        document["model_sha256"] = "0" * 64
    elif problem == "incomplete":
        del document["table"]["shapley"]
    elif problem == "unknown_kind":
        document["qdsim_analysis"] = "forecast"
    elif problem == "target":
        document["target"] = "population_2030"
    elif problem == "no_results":
        results = []
    if problem == "corrupt":
        bad.write_text('{"qdsim_analysis": "solve", ', encoding="utf-8")
    elif problem != "missing":
        bad.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "report"
    line = error_line(runner.invoke(app, ["report", *results, str(bad), "--out", str(out)]))
    assert line.startswith("error: ") and expected in line
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        [] if problem == "missing" else ["analysis.json"])


def test_a_solve_without_solution_and_a_frontier_with_gaps_render(analysis_files,
                                                                  single_results, tmp_path):
    from reports.analysis_charts import frontier_chart
    from reports.analysis_inputs import Analysis
    from reports.html import table_html

    inputs = read_report_inputs(single_results[:2])
    solve = _document(analysis_files["solve"])
    solve["solution"].update(amount=None, value_2025=None,
                             notes=["no value in the allowed range meets the target"])
    solve["related"] = None
    frontier = _document(analysis_files["frontier"])
    solved = list(frontier["table"])[-1]
    frontier["table"][solved][0] = float("nan")
    paths = {kind: tmp_path / f"{kind}.json" for kind in ("solve", "frontier")}
    for kind, document in (("solve", solve), ("frontier", frontier)):
        paths[kind].write_text(json.dumps(document), encoding="utf-8")  # NaN as JSON NaN
    analyses = [read_analysis(path) for path in paths.values()]
    assert all(isinstance(a, Analysis) for a in analyses)
    for lang, words in (("en", "no value of base_net_migration_rate"), ("zh", "没有数值能实现")):
        solve_view, frontier_view = analysis_views(
            analyses, inputs, load_targets(), parameter_catalogue_or_empty(), lang)
        assert words in solve_view.lines[0]
        chart = frontier_view.charts[0].data
        assert chart.missing == 1 and np.isnan(chart.lines[0][2]).sum() == 1
        if lang == "en":
            frontier_chart(chart).savefig(tmp_path / "frontier.png")  # draws with a gap
            assert '<td class="number">–</td>' in table_html(frontier_view.tables[0])
