"""Projection tables and the target summary, written as CSV, XLSX and Markdown.

Each table is built once as a DataFrame of display values already rounded (planners'
units, ``Indicator.decimals``); the three writers only format it, so the CSV, the
workbook and the Markdown hold the same numbers. CSV files are UTF-8 with a byte-order
mark so that spreadsheet programs read the Chinese labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qdsim.messages import scenario_title, text
from qdsim.targets import Target
from qdsim.units import display
from reports.chart_data import verdict_cell
from reports.indicators import Indicator
from reports.inputs import ReportInputs
from reports.statistics import BATCH_STATISTICS, TABLE_COLUMNS, table_statistics

CSV_ENCODING = "utf-8-sig"


@dataclass(frozen=True)
class Table:
    """A table ready to write: ``frame`` of display values, the decimals of each row's
    numbers, the names of the numeric columns, a title, and a sheet/file name.
    ``column_decimals`` overrides the row's decimals in the columns it names."""

    frame: pd.DataFrame
    row_decimals: tuple[int, ...]
    number_columns: tuple[str, ...]
    title: str
    name: str
    column_decimals: dict[str, int] = field(default_factory=dict)


def column_header(key: str, lang: str) -> str:
    """Header of a projection column: the year itself, or the period mean's label."""
    return key if key.isdigit() else text(key, lang)


def projection_table(inputs: ReportInputs, scenario: str, indicators: Sequence[Indicator],
                     lang: str) -> Table:
    """Rows of indicators, columns 2020/2025/2030/2035 and the 2021-2025 / 2026-2035 means.

    The indicator column carries its display unit (``Population [10k persons]``). A batch
    scenario has three rows per indicator: median, 5% and 95% over samples.
    """
    headers = [column_header(key, lang) for key in TABLE_COLUMNS]
    batch = inputs.has_samples(scenario)
    records, decimals = [], []
    for indicator in indicators:
        statistics = table_statistics(inputs, scenario, indicator.variable)
        for statistic, columns in statistics.items():
            record = {text("variable", lang): indicator.variable,
                      text("indicator", lang): indicator.label}
            if batch:
                record[text("statistic", lang)] = text(statistic, lang)
            values = indicator.to_display([columns[key] for key in TABLE_COLUMNS])
            record.update(zip(headers, values.tolist(), strict=True))
            records.append(record)
            decimals.append(indicator.decimals)
    frame = pd.DataFrame.from_records(records)
    return Table(frame, tuple(decimals), tuple(headers),
                 scenario_title(inputs.dataset, scenario, lang), scenario)


#: Sheets of yearly values in the workbook: group -> its variables, after the model's
#: sectors (``.Population``, ``.Economy``, ... in ``model/qingdao.mdl``). A tabulated
#: variable in none of them goes to the sheet ``annual_other``.
ANNUAL_GROUPS: dict[str, tuple[str, ...]] = {
    "population": ("population", "population_urban", "urbanization_rate", "births", "deaths",
                   "net_migration", "in_migration", "out_migration", "population_0_14",
                   "population_15_59", "population_60_64", "population_65_plus",
                   "population_60_plus", "share_0_14", "share_15_59", "share_60_plus",
                   "share_65_plus", "dependency_ratio", "old_age_dependency_ratio",
                   "women_15_49", "births_registered_basis"),
    "economy": ("gdp_real", "gdp_nominal", "gdp_real_growth", "gdp_per_capita",
                "gdp_per_capita_usd", "labour_productivity", "capital_stock", "investment"),
    "employment": ("labour_force", "employment", "unemployment_rate", "jobs",
                   "new_urban_jobs"),
    "energy": ("energy_consumption", "energy_intensity", "co2_emissions", "co2_intensity",
               "non_fossil_share"),
    "housing": ("housing_floor_area", "housing_completions", "floor_area_per_capita",
                "house_price_index", "affordability_index", "public_housing_units_completed"),
}


def annual_tables(inputs: ReportInputs, indicators: Sequence[Indicator], lang: str
                  ) -> list[Table]:
    """One table per indicator group holding every year: rows scenario × indicator (× median,
    5%, 95% for batches), columns the years of the results [display unit]."""
    years = [int(year) for year in inputs.dataset["year"].to_numpy()]
    grouped: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        group = next((name for name, members in ANNUAL_GROUPS.items()
                      if indicator.variable in members), "other")
        grouped.setdefault(group, []).append(indicator)
    tables = []
    for group in [*ANNUAL_GROUPS, "other"]:
        if group not in grouped:
            continue
        records, decimals = [], []
        for scenario in inputs.scenarios:
            single = inputs.valid_samples(scenario)
            for indicator in grouped[group]:
                series = single[indicator.variable].transpose("sample", "year").to_numpy()
                if inputs.has_samples(scenario):
                    run = inputs.central_run(scenario)
                    statistics = ({} if run is None else
                                  {"central": run[indicator.variable].sel(
                                      year=single["year"]).to_numpy()})
                    statistics.update({name: _quantile_rows(series, quantile)
                                       for name, quantile in BATCH_STATISTICS.items()})
                else:
                    statistics = {"value": series[0]}
                for statistic, values in statistics.items():
                    record = {text("scenario", lang): scenario,
                              text("variable", lang): indicator.variable,
                              text("indicator", lang): indicator.label,
                              text("statistic", lang): text(statistic, lang)}
                    record.update(zip(map(str, years), indicator.to_display(values).tolist(),
                                      strict=True))
                    records.append(record)
                    decimals.append(indicator.decimals)
        tables.append(Table(pd.DataFrame.from_records(records), tuple(decimals),
                            tuple(map(str, years)), f"annual_{group}", f"annual_{group}"))
    return tables


def _quantile_rows(series: np.ndarray, quantile: float) -> np.ndarray:
    """The ``quantile`` over samples of ``series`` (sample, year), NaN-safe."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN year gives NaN
        return np.nanquantile(series, quantile, axis=0)


def _target_decimals(unit: str) -> int:
    return 0 if unit in ("year", "USD/person") else 2


def _target_display(value: float, unit: str, lang: str) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return np.nan
    if unit == "year":
        return float(round(value))
    _, factor = display(unit, lang)
    return float(np.round(value * factor, _target_decimals(unit)))


def summary_table(inputs: ReportInputs, verdicts: pd.DataFrame, targets: Sequence[Target],
                  lang: str) -> Table:
    """Scenario × target rows: projected (median for batches), target, gap, P(met) [%],
    verdict and first year met, in display units."""
    by_id = {t.id: t for t in targets}
    batch = inputs.any_samples
    headers = {key: text(key, lang) for key in (
        "scenario", "target", "when", "unit", "projected", "projected_p05", "projected_p95",
        "target_value", "gap", "verdict", "first_year", "samples")}
    probability_header = f"{text('probability', lang)} [%]"
    numbers = [headers["projected"]]
    if batch:
        numbers += [headers["projected_p05"], headers["projected_p95"]]
    numbers += [headers["target_value"], headers["gap"], probability_header,
                headers["first_year"]]
    records, decimals = [], []
    for row in verdicts.to_dict(orient="records"):
        target = by_id[row["target"]]
        label, _ = verdict_cell(row["probability_met"], inputs.has_samples(row["scenario"]),
                                lang)
        unit_label = display(target.unit, lang)[0] if target.unit != "year" else text(
            "year", lang)
        record = {
            "id": target.id,
            headers["scenario"]: row["scenario"],
            headers["target"]: target.name_zh if lang == "zh" else target.name_en,
            headers["when"]: target.when_in(lang),
            headers["unit"]: unit_label,
            headers["projected"]: _target_display(row["projected"], target.unit, lang),
        }
        if batch:  # quantiles only for batch scenarios; a single run has no spread
            sampled = inputs.has_samples(row["scenario"])
            for key in ("projected_p05", "projected_p95"):
                record[headers[key]] = (_target_display(row[key], target.unit, lang)
                                        if sampled else np.nan)
        record[headers["target_value"]] = _target_display(row["target_value"], target.unit,
                                                          lang)
        record[headers["gap"]] = _target_display(row["gap"], target.unit, lang)
        # one run is one sample: its verdict says met or missed, a P(met) of 0 or 100 would
        # read as a probability it does not have
        record[probability_header] = (
            np.nan if math.isnan(row["probability_met"]) or not inputs.has_samples(
                row["scenario"]) else round(100.0 * row["probability_met"], 1))
        record[headers["verdict"]] = label
        first = row["first_year_met"]
        record[headers["first_year"]] = pd.NA if pd.isna(first) else int(round(first))
        record[headers["samples"]] = int(row["samples"])
        records.append(record)
        decimals.append(_target_decimals(target.unit))
    frame = pd.DataFrame.from_records(records)
    if len(frame):  # whole years: written 2029, not 2029.0
        frame[headers["first_year"]] = frame[headers["first_year"]].astype("Int64")
    return Table(frame, tuple(decimals), tuple(numbers), text("scorecard", lang), "summary")


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def format_number(value: float, decimals: int) -> str:
    """Text of a rounded display value; empty for a missing one."""
    if _missing(value):
        return "–"
    return f"{value:.{decimals}f}"


def cell_decimals(table: Table, column: str, row: int) -> int:
    """Decimals of a number: the column's when set, else the row's, except P(met) (1),
    first year and counts (0)."""
    if column in table.column_decimals:
        return table.column_decimals[column]
    if column.endswith("[%]"):
        return 1
    if column in (text("first_year", "en"), text("first_year", "zh")):
        return 0
    return table.row_decimals[row]


def write_csv(table: Table, path: Path) -> None:
    """UTF-8 (with BOM) CSV of the table's display values."""
    table.frame.to_csv(path, index=False, encoding=CSV_ENCODING)


def _markdown_escape(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(table: Table) -> str:
    """The table as a GitHub-flavoured Markdown table (numbers right-aligned)."""
    columns = list(table.frame.columns)
    lines = ["| " + " | ".join(_markdown_escape(c) for c in columns) + " |",
             "|" + "|".join("---:" if c in table.number_columns else "---" for c in columns)
             + "|"]
    for row, record in enumerate(table.frame.itertuples(index=False)):
        cells = []
        for column, value in zip(columns, record, strict=True):
            if column in table.number_columns:
                cells.append(format_number(value, cell_decimals(table, column, row)))
            else:
                cells.append(_markdown_escape(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_markdown(tables: Sequence[Table], notes: Sequence[str], path: Path, title: str
                   ) -> None:
    """One Markdown file: a section per table, then the notes."""
    parts = [f"# {title}", ""]
    for table in tables:
        parts += [f"## {table.title}", "", markdown_table(table), ""]
    parts += [f"- {note}" for note in notes]
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def _excel_format(decimals: int) -> str:
    return "#,##0" if decimals == 0 else "#,##0." + "0" * decimals


def _fill_sheet(sheet, table: Table) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    columns = list(table.frame.columns)
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row, record in enumerate(table.frame.itertuples(index=False)):
        values = [None if _missing(v) else
                  (v.item() if isinstance(v, np.generic) else v) for v in record]
        sheet.append(values)
        for column_index, column in enumerate(columns, start=1):
            if column in table.number_columns:
                decimals = cell_decimals(table, column, row)
                sheet.cell(row=row + 2, column=column_index).number_format = (
                    _excel_format(decimals))
    sheet.freeze_panes = "A2"
    for column_index, column in enumerate(columns, start=1):
        longest = max([len(str(column))] + [len(str(v)) for v in table.frame[column]])
        sheet.column_dimensions[get_column_letter(column_index)].width = min(48, longest + 3)


def write_xlsx(summary: Table, scenario_tables: Sequence[Table], notes: Sequence[str],
               path: Path, lang: str, annual: Sequence[Table] = ()) -> None:
    """A workbook: the summary sheet, one sheet per scenario, the ``annual`` sheets (every
    year, one per indicator group) and a notes sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = summary.name
    _fill_sheet(sheet, summary)
    for table in [*scenario_tables, *annual]:
        _fill_sheet(workbook.create_sheet(table.name[:31]), table)
    notes_sheet = workbook.create_sheet("notes")
    notes_sheet.append([text("description", lang)])
    for note in notes:
        notes_sheet.append([note])
    notes_sheet.column_dimensions["A"].width = 120
    workbook.save(path)
