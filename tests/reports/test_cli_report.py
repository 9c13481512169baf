"""`qdsim report` on the command line: success, one-line errors with exit 2, and a report
folder that is never left half-written."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import app
from qdsim.outputs import read_results, write_netcdf
from tests.reports.conftest import error_line

runner = CliRunner()


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_report_writes_html_charts_and_tables(single_results, tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", *map(str, single_results), "--out", str(out),
                                 "--indicator", "population", "--indicator", "gdp_nominal"])
    assert result.exit_code == 0, result.output
    assert str(out / "report.html") in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["indicators"] == ["population", "gdp_nominal"]
    assert sorted(p.name for p in (out / "tables").iterdir()) == [
        "baseline.csv", "low_growth.csv", "plan.csv", "projections.md", "projections.xlsx",
        "summary.csv"]
    assert (out / "charts" / "gdp_nominal.svg").is_file()
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("problem", ["missing", "corrupt", "other_model", "indicator"])
def test_bad_input_gives_one_line_exit_2_and_writes_nothing(problem, single_results, tmp_path):
    paths = [str(single_results[0])]
    extra: list[str] = []
    if problem == "missing":
        paths.append(str(tmp_path / "absent.nc"))
        expected = "absent.nc: results file not found"
    elif problem == "corrupt":
        corrupt = tmp_path / "corrupt.nc"
        corrupt.write_text("not netcdf", encoding="utf-8")
        paths.append(str(corrupt))
        expected = "corrupt.nc: not a readable"
    elif problem == "other_model":
        other = read_results(single_results[1])
        other.attrs["model_sha256"] = "f" * 64
        write_netcdf(other, tmp_path / "other.nc")
        paths.append(str(tmp_path / "other.nc"))
        expected = "other.nc: results from another model version"
    else:
        extra = ["--indicator", "gdp_per_head"]
        expected = "unknown indicator 'gdp_per_head'"
    out = tmp_path / "report"
    line = error_line(runner.invoke(app, ["report", *paths, "--out", str(out), *extra]))
    assert line.startswith("error: ") and expected in line
    assert not out.exists()
    assert _leftovers(tmp_path) == []


def test_a_folder_of_other_files_is_not_replaced(single_results, tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    line = error_line(runner.invoke(app, ["report", str(single_results[0]), "--out",
                                           str(out)]))
    assert "not an earlier qdsim report" in line
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_rerun_replaces_the_previous_report_without_leftovers(single_results, tmp_path):
    out = tmp_path / "report"
    for indicator in ("population", "employment"):
        result = runner.invoke(app, ["report", str(single_results[0]), "--out", str(out),
                                     "--indicator", indicator])
        assert result.exit_code == 0, result.output
    charts = sorted(p.stem for p in (out / "charts").glob("*.png"))
    # the single run holds population by age and sex, hence its pyramid
    assert charts == ["employment", "pyramid_baseline", "scorecard"]
    assert _leftovers(tmp_path) == []


def test_failure_while_writing_leaves_the_previous_report_intact(single_results, tmp_path,
                                                                 monkeypatch):
    from reports import build

    out = tmp_path / "report"
    build.build_report([single_results[0]], out, indicators=["population"], workers=1)
    before = (out / "report.html").read_bytes()

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build, "write_xlsx", broken)
    line = error_line(runner.invoke(app, ["report", str(single_results[0]), "--out",
                                           str(out), "--indicator", "employment"]))
    assert "cannot write the report" in line and "No space left" in line
    assert (out / "report.html").read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_chinese_without_a_cjk_font_says_how_to_install_one(single_results, tmp_path,
                                                            monkeypatch):
    from reports import fonts

    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    out = tmp_path / "report"
    line = error_line(runner.invoke(app, ["report", str(single_results[0]), "--out", str(out),
                                           "--lang", "zh"]))
    assert "apt-get install fonts-noto-cjk" in line
    assert not out.exists()


def test_report_of_results_holding_few_variables(batch_file, tmp_path):
    few = read_results(batch_file)[["population", "gdp_per_capita_usd"]]
    write_netcdf(few, tmp_path / "few.nc")
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", str(tmp_path / "few.nc"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = (out / "tables" / "summary.csv").read_text(encoding="utf-8-sig")
    assert "population_2025" in summary and "urbanization_2025" not in summary
