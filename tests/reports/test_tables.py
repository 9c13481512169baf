"""Projection tables and the summary: the same numbers in CSV, XLSX and Markdown, and the
numbers are the results' own in planners' units."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest

from qdsim.outputs import read_results

CSV_ENCODING = "utf-8-sig"


def _sheets(report) -> dict[str, pd.DataFrame]:
    return pd.read_excel(report / "tables" / "projections.xlsx", sheet_name=None,
                         engine="openpyxl")


def _csv(report, name: str) -> pd.DataFrame:
    return pd.read_csv(report / "tables" / f"{name}.csv", encoding=CSV_ENCODING)


@pytest.mark.parametrize("report_name", ["single_report", "mixed_report", "chinese_report"])
def test_xlsx_read_back_equals_the_csv(report_name, request):
    report = request.getfixturevalue(report_name)
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    sheets = _sheets(report)
    assert list(sheets)[:1 + len(manifest["scenarios"])] == ["summary", *manifest["scenarios"]]
    for name in ["summary", *manifest["scenarios"]]:
        from_csv, from_xlsx = _csv(report, name), sheets[name]
        assert list(from_xlsx.columns) == list(from_csv.columns), name
        pd.testing.assert_frame_equal(from_xlsx, from_csv, check_dtype=False, obj=name)


def _markdown_tables(text: str) -> dict[str, list[list[str]]]:
    tables, title = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            title, tables[line[3:]] = line[3:], []
        elif line.startswith("|") and title is not None and not line.startswith("|---"):
            tables[title].append([cell.strip() for cell in line.strip("|").split(" | ")])
    return tables


def test_markdown_holds_the_csv_numbers(mixed_report):
    markdown = _markdown_tables((mixed_report / "tables" / "projections.md")
                                .read_text(encoding="utf-8"))
    plan = _csv(mixed_report, "plan")
    title = next(t for t in markdown if t.startswith("Plan"))
    header, *rows = markdown[title]
    assert header == list(plan.columns)
    assert len(rows) == len(plan)
    for row, (_, expected) in zip(rows, plan.iterrows(), strict=True):
        for column, cell in zip(header, row, strict=True):
            value = expected[column]
            if isinstance(value, float):
                assert float(cell) == pytest.approx(value, abs=0), (column, cell, value)
            else:
                assert cell == str(value)


def test_single_run_table_values_are_the_results_in_planners_units(single_report,
                                                                   single_results):
    results = read_results(single_results[0]).sel(scenario="baseline")
    table = _csv(single_report, "baseline").set_index("variable")
    population = results["population"]
    assert table.loc["population", "2025"] == round(float(population.sel(year=2025)) * 1e-4, 1)
    mean = float(population.sel(year=slice(2026, 2035)).mean()) * 1e-4
    assert table.loc["population", "mean 2026-2035"] == round(mean, 1)
    urbanization = float(results["urbanization_rate"].sel(year=2035)) * 100
    assert table.loc["urbanization_rate", "2035"] == round(urbanization, 2)
    assert "Resident population [10k persons]" in set(table["indicator"])
    assert "statistic" not in table.columns


def test_batch_table_gives_median_and_5_95_percent_rows(mixed_report, batch_file):
    table = _csv(mixed_report, "plan")
    rows = table[table["variable"] == "population"].set_index("statistic")
    assert list(rows.index) == ["median", "5%", "95%"]
    samples = read_results(batch_file)["population"].sel(scenario="plan", year=2035).to_numpy()
    assert rows.loc["median", "2035"] == round(float(np.median(samples)) * 1e-4, 1)
    assert rows.loc["5%", "2035"] <= rows.loc["median", "2035"] <= rows.loc["95%", "2035"]


def test_summary_gives_probabilities_for_batches_and_verdicts_for_runs(mixed_report):
    summary = _csv(mixed_report, "summary").set_index(["id", "scenario"])
    batch = summary.loc[("population_2025", "plan")]
    assert 0 <= batch["P(met) [%]"] <= 100 and batch["verdict"].endswith("%")
    assert batch["samples"] == 120
    single = summary.loc[("population_2025", "low_growth")]
    assert single["verdict"] in ("met", "missed") and single["samples"] == 1
    assert np.isnan(single["projected 5%"])
    unset = summary.loc[("energy_intensity_2021_2025", "plan")]
    assert unset["verdict"] == "not set" and np.isnan(unset["P(met) [%]"])


def test_xlsx_sets_number_formats_and_units_in_headers(single_report):
    from openpyxl import load_workbook

    sheet = load_workbook(single_report / "tables" / "projections.xlsx")["baseline"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["variable", "indicator", "2020"]
    population_row = next(row for row in sheet.iter_rows(min_row=2)
                          if row[0].value == "population")
    assert population_row[1].value == "Resident population [10k persons]"
    assert population_row[2].number_format == "#,##0.0"


def test_single_runs_show_a_verdict_not_a_probability_and_whole_first_years(mixed_report):
    summary = _csv(mixed_report, "summary").set_index(["id", "scenario"])
    single = summary.loc[("population_2025", "low_growth")]
    assert np.isnan(single["P(met) [%]"])  # one sample: met or missed, no P(met) of 0 or 100
    with open(mixed_report / "tables" / "summary.csv", encoding=CSV_ENCODING) as handle:
        rows = list(csv.DictReader(handle))  # the text as written, not parsed as numbers
    years = [row["first year met (median of draws meeting it)"] for row in rows]
    assert any(years) and all(y == "" or (y.isdigit() and len(y) == 4) for y in years), years


def test_report_verdicts_are_the_summary_of_qdsim_targets(batch_file):
    from qdsim.target_summary import summarize_verdicts
    from qdsim.targets import evaluate, load_targets
    from reports.inputs import read_report_inputs
    from reports.statistics import target_verdicts

    inputs = read_report_inputs([batch_file])
    targets = [t for t in load_targets() if t.variable in inputs.dataset]
    report = target_verdicts(inputs, targets).set_index(["scenario", "target"])
    terminal = summarize_verdicts(evaluate(inputs.dataset, targets), targets).set_index(
        ["scenario", "target"])
    assert len(report) == len(terminal) > 0
    for column in ("probability_met", "first_year_met", "probability_never", "gap"):
        pd.testing.assert_series_equal(report[column], terminal.loc[report.index, column])


def test_xlsx_has_an_annual_sheet_per_indicator_group_with_every_year(mixed_report,
                                                                     batch_file,
                                                                     single_results):
    sheets = _sheets(mixed_report)
    annual = [name for name in sheets if name.startswith("annual_")]
    assert annual[:2] == ["annual_population", "annual_economy"]
    assert {"annual_employment", "annual_energy", "annual_housing"} <= set(annual)
    population = sheets["annual_population"]
    years = [str(year) for year in range(2015, 2036)]
    assert [c for c in population.columns if c.isdigit()] == years
    single = read_results(single_results[2]).sel(scenario="low_growth")["population"]
    row = population[(population["scenario"] == "low_growth")
                     & (population["variable"] == "population")]
    assert len(row) == 1 and row["statistic"].item() == "value"
    for year in (2016, 2023, 2031):
        assert row[str(year)].item() == round(float(single.sel(year=year)) * 1e-4, 1)
    batch = read_results(batch_file)["population"].sel(scenario="plan")
    median = population[(population["scenario"] == "plan")
                        & (population["variable"] == "population")
                        & (population["statistic"] == "median")]
    assert median["2027"].item() == round(float(batch.sel(year=2027).median()) * 1e-4, 1)
    every = {v for name in annual for v in sheets[name]["variable"]}
    assert every == set(_csv(mixed_report, "plan")["variable"])  # every tabulated indicator
