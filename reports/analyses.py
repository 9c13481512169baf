"""What the report shows of each saved analysis: sentences, tables and chart data.

An ``AnalysisView`` holds everything one analysis file contributes, already in the report's
language and in planners' units: the sentences (solve), the tables (written as CSV and
Markdown and shown in the HTML), the plan check's rows with their verdict colours, and
the small values each chart is drawn from (``FrontierChart``, ``SensitivityChart``,
``SensitivityYearsChart``, ``AttributionChart``), which the drawing processes receive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qdsim.analysis_output import solution_text
from qdsim.errors import ResultsError
from qdsim.messages import text
from qdsim.targets import Target
from qdsim.units import display
from qdsim.variables import output_name, output_unit
from reports.analysis_inputs import KINDS, Analysis, number
from reports.analysis_text import check_text
from reports.chart_data import short_title, target_name
from reports.inputs import ReportInputs
from reports.tables import Table

#: Verdicts of the plan check: Okabe-Ito blue, yellow and vermillion, differing in
#: lightness too, always shown with the word.
VERDICT_COLOURS = {"consistent": "#0072B2", "tension": "#F0E442", "contradiction": "#D55E00"}
OTHER_VERDICT_COLOUR = "#DDDDDD"
#: Significant digits of parameter values in the frontier table.
FRONTIER_DIGITS = 4
#: The chart of ST over years draws at most this many factors, those reaching ST_SHOWN.
MAX_YEAR_FACTORS = 8
ST_SHOWN = 0.01
SENSITIVITY_DECIMALS = 3


def value_decimals(unit: str) -> int:
    """Decimals of a displayed value in ``unit`` (whole numbers for dollars and years)."""
    return 0 if unit in ("year", "USD/person") else 2


def significant_decimals(values: Sequence[float], digits: int = FRONTIER_DIGITS) -> int:
    """Decimals that show the largest of ``values`` with ``digits`` significant digits."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not finite:
        return 2
    return max(0, digits - 1 - math.floor(math.log10(max(finite))))


@dataclass(frozen=True)
class FrontierChart:
    """The solved parameter (y) against the first grid parameter (x): a line (label, x, y)
    per combination of any further grid parameters; y is NaN where no value meets the
    target (``missing`` such points)."""

    lang: str
    title: str
    x_label: str
    y_label: str
    lines: tuple[tuple[str, np.ndarray, np.ndarray], ...]
    missing: int


@dataclass(frozen=True)
class SensitivityChart:
    """S1 and ST with their confidence half-widths per factor, largest ST first."""

    lang: str
    title: str
    factors: tuple[str, ...]
    s1: np.ndarray
    s1_conf: np.ndarray
    st: np.ndarray
    st_conf: np.ndarray


@dataclass(frozen=True)
class SensitivityYearsChart:
    """ST of each year's value (rows: years, columns: the factors drawn)."""

    lang: str
    title: str
    years: np.ndarray
    factors: tuple[str, ...]
    st: np.ndarray
    st_conf: np.ndarray
    note: str


@dataclass(frozen=True)
class AttributionChart:
    """Shapley contributions [display unit], largest first, and the difference they make
    up; ``reference`` and ``scenario`` values are shown in the subtitle."""

    lang: str
    title: str
    subtitle: str
    axis_label: str
    parameters: tuple[str, ...]
    contributions: np.ndarray
    difference: float
    decimals: int


#: What an analysis chart is drawn from.
AnalysisChartData = FrontierChart | SensitivityChart | SensitivityYearsChart | AttributionChart


@dataclass(frozen=True)
class CheckRow:
    """One plan check as shown: verdict word and colour, name, figures, explanation."""

    verdict: str
    colour: str
    name: str
    implied: str
    comparison: str
    unit: str
    explanation: str


@dataclass(frozen=True)
class AnalysisChart:
    """A chart of an analysis: drawer kind, its data, file stem and caption."""

    kind: str
    data: AnalysisChartData
    stem: str
    caption: str


@dataclass(frozen=True)
class AnalysisView:
    """What one analysis file contributes to the report."""

    analysis: Analysis
    number: int
    title: str
    lines: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    detail_tables: tuple[Table, ...] = ()
    charts: tuple[AnalysisChart, ...] = ()
    checks: tuple[CheckRow, ...] = field(default_factory=tuple)

    @property
    def stem(self) -> str:
        """File-name stem of its charts and tables: ``analysis_2_frontier``."""
        return f"analysis_{self.number}_{self.analysis.kind}"

    @property
    def all_tables(self) -> tuple[Table, ...]:
        return self.tables + self.detail_tables


class _Context:
    """What every view needs: language, targets by id, the catalogue and the results."""

    def __init__(self, inputs: ReportInputs, targets: Sequence[Target], catalogue: dict,
                 lang: str) -> None:
        self.inputs, self.catalogue, self.lang = inputs, catalogue, lang
        self.targets = {t.id: t for t in targets}

    def scenario(self, name: str) -> str:
        """A scenario's short title when the results hold it, else its name."""
        return short_title(self.inputs, name, self.lang) if name in self.inputs.scenarios \
            else name

    def target(self, analysis: Analysis) -> Target:
        return self.targets[analysis.target]

    def parameter_unit(self, analysis: Analysis, name: str) -> str:
        info = self.catalogue.get(name)
        if info is None:
            raise ResultsError(analysis.path, f"parameter '{name}' is unknown to the installed"
                               " model file, so its unit and meaning cannot be shown")
        return info.unit

    def factor_label(self, name: str) -> str:
        return text("calibration_posterior", self.lang) if name == "calibration_posterior" \
            else name


def _heading(context: _Context, analysis: Analysis) -> str:
    parts = [text(f"analysis_{analysis.kind}", context.lang)]
    if analysis.scenario is not None:
        parts.append(context.scenario(analysis.scenario))
    if analysis.target is not None:
        parts.append(target_name(context.target(analysis), context.lang))
    return " · ".join(parts)


def _frame_table(frame: pd.DataFrame, decimals: int | Sequence[int], numbers: Sequence[str],
                 title: str, name: str, column_decimals: dict[str, int] | None = None
                 ) -> Table:
    rows = tuple([decimals] * len(frame)) if isinstance(decimals, int) else tuple(decimals)
    return Table(frame, rows, tuple(numbers), title, name, dict(column_decimals or {}))


def _solve(context: _Context, analysis: Analysis, view: dict) -> None:
    document, lang = analysis.document, context.lang
    target = context.target(analysis)
    solution = document["solution"]
    unit = context.parameter_unit(analysis, solution["parameter"])
    sentences = solution_text(document, target, lang, unit if lang == "zh" else None)
    view["lines"] = tuple(line.strip() for line in sentences.splitlines() if line.strip())
    mode = solution["mode"]
    rows: list[tuple[str, str, str]] = [
        (text("scenario", lang), document["scenario"], ""),
        (text("target", lang), target.id, ""),
        (text("parameter", lang), solution["parameter"], ""),
        (text("mode", lang), text(f"mode_{mode}", lang) if mode in ("value", "shift", "scale")
         else mode, ""),
    ]

    def shown(value, digits: int = 6) -> str:
        value = number(value)
        return "" if math.isnan(value) else f"{value:.{digits}g}"

    low, high = solution["search_range"]
    rows += [(text("amount", lang), shown(solution["amount"]) or text("no_solution", lang),
              unit if mode != "scale" else "×"),
             (text("value_2025", lang), shown(solution["value_2025"]), unit),
             (text("search_range", lang), f"{shown(low)} – {shown(high)}",
              unit if mode != "scale" else "×")]
    calibrated = document.get("calibrated")
    if calibrated:
        rows += [(text("calibrated_estimate", lang), shown(calibrated["estimate"]), unit),
                 (text("calibrated_q05", lang), shown(calibrated["q05"]), unit),
                 (text("calibrated_q95", lang), shown(calibrated["q95"]), unit)]
    related = document.get("related")
    if related:
        label, factor = display(output_unit(related["variable"]), lang)
        name = output_name(related["variable"], lang)
        rows += [(f"{name} {text('mean_2021_2025', lang)}",
                  f"{number(related['mean_2021_2025']) * factor:.2f}", label),
                 (f"{name} {text('mean_2016_2020', lang)}",
                  f"{number(related['mean_2016_2020']) * factor:.2f}", label)]
    frame = pd.DataFrame(rows, columns=[text("item", lang), text("value", lang),
                                        text("unit", lang)])
    view["tables"] = (_frame_table(frame, 0, (), view["title"], view["stem"]),)


def _frontier_units(context: _Context, analysis: Analysis, varied: dict) -> str:
    column = f"{varied['parameter']} ({varied['mode']})"
    if varied["mode"] == "scale":
        return f"{column} [×]"
    unit = context.parameter_unit(analysis, varied["parameter"])
    return f"{column} [{unit}]" if unit else column


def _frontier(context: _Context, analysis: Analysis, view: dict) -> None:
    document, lang = analysis.document, context.lang
    raw = {column: [number(v) for v in values] for column, values in
           document["table"].items()}
    columns = list(raw)
    headers = [_frontier_units(context, analysis, varied) for varied in document["varied"]]
    decimals = {header: significant_decimals(raw[column])
                for column, header in zip(columns, headers, strict=True)}
    frame = pd.DataFrame({header: np.round(np.asarray(raw[column], dtype=float),
                                           decimals[header])
                          for column, header in zip(columns, headers, strict=True)})
    view["tables"] = (_frame_table(frame, 2, headers, view["title"], view["stem"], decimals),)
    view["notes"] = (text("frontier_note", lang),)
    solved, x_column, groups = columns[-1], columns[0], columns[1:-1]
    values = pd.DataFrame(raw)
    lines = []
    for key, group in (values.groupby(groups, sort=True) if groups else [((), values)]):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{c} = {v:.{FRONTIER_DIGITS}g}" for c, v in zip(groups, key,
                                                                             strict=True))
        group = group.sort_values(x_column)
        lines.append((label, group[x_column].to_numpy(dtype=float),
                      group[solved].to_numpy(dtype=float)))
    target = target_name(context.target(analysis), lang)
    title = text("frontier_title", lang).format(
        scenario=context.scenario(document["scenario"]), target=target)
    chart = FrontierChart(lang, title, headers[0], headers[-1], tuple(lines),
                          int(np.isnan(values[solved].to_numpy(dtype=float)).sum()))
    view["charts"] = (AnalysisChart("frontier", chart, view["stem"], title),)


def _sensitivity(context: _Context, analysis: Analysis, view: dict) -> None:
    document, lang = analysis.document, context.lang
    attrs = document["attrs"]
    factors = [str(f) for f in document["factors"]]
    arrays = {key: np.array([number(v) for v in document[key]])
              for key in ("S1", "S1_conf", "ST", "ST_conf")}
    order = np.argsort(-np.nan_to_num(arrays["ST"], nan=-1.0), kind="stable")
    labels = [context.factor_label(factors[i]) for i in order]
    headers = {key: text(key, lang) for key in ("factor", "S1", "S1_conf", "ST", "ST_conf")}
    frame = pd.DataFrame({headers["factor"]: labels, **{
        headers[key]: np.round(arrays[key][order], SENSITIVITY_DECIMALS)
        for key in ("S1", "S1_conf", "ST", "ST_conf")}})
    numbers = [headers[k] for k in ("S1", "S1_conf", "ST", "ST_conf")]
    target = target_name(context.target(analysis), lang)
    runs = attrs.get("runs", "?")
    title = text("sensitivity_title", lang).format(
        scenario=context.scenario(attrs["scenario"]), target=target, runs=runs)
    view["tables"] = (_frame_table(frame, SENSITIVITY_DECIMALS, numbers, title, view["stem"]),)
    years = np.asarray(document["years"], dtype=int)
    by_year = np.array([[number(v) for v in row] for row in document["ST_by_year"]])
    conf_by_year = np.array([[number(v) for v in row] for row in document["ST_conf_by_year"]])
    variable = output_name(attrs["variable"], lang)
    years_title = text("sensitivity_years_title", lang).format(variable=variable)
    year_frame = pd.DataFrame(np.round(by_year, SENSITIVITY_DECIMALS),
                              columns=[context.factor_label(f) for f in factors])
    year_frame.insert(0, text("year", lang), years)
    view["detail_tables"] = (_frame_table(
        year_frame, SENSITIVITY_DECIMALS, list(year_frame.columns[1:]), years_title,
        f"{view['stem']}_by_year"),)
    peaks = np.nan_to_num(np.nanmax(np.where(np.isnan(by_year), -np.inf, by_year), axis=0),
                          neginf=np.nan)
    ranked = [i for i in np.argsort(-np.nan_to_num(peaks, nan=-1.0), kind="stable")
              if np.isfinite(peaks[i]) and peaks[i] >= ST_SHOWN][:MAX_YEAR_FACTORS]
    omitted = len(factors) - len(ranked)
    note = text("sensitivity_omitted", lang).format(count=omitted, limit=ST_SHOWN) \
        if omitted else ""
    view["notes"] = (text("sensitivity_note", lang),) + ((note,) if note else ())
    view["charts"] = (
        AnalysisChart("sensitivity", SensitivityChart(
            lang, title, tuple(labels), *(arrays[k][order] for k in
                                          ("S1", "S1_conf", "ST", "ST_conf"))),
            view["stem"], title),
        AnalysisChart("sensitivity_years", SensitivityYearsChart(
            lang, years_title, years, tuple(context.factor_label(factors[i]) for i in ranked),
            by_year[:, ranked], conf_by_year[:, ranked], note),
            f"{view['stem']}_years", years_title),
    )


def _attribution(context: _Context, analysis: Analysis, view: dict) -> None:
    document, lang = analysis.document, context.lang
    target = context.target(analysis)
    label, factor = display(target.unit, lang)
    decimals = value_decimals(target.unit)
    table = document["table"]
    shapley = np.array([number(v) for v in table["shapley"]]) * factor
    order = np.argsort(-np.abs(shapley), kind="stable")  # largest contribution first
    parameters = [table["parameter"][i] for i in order]
    single = np.array([number(v) for v in table["one_at_a_time"]])[order] * factor
    shapley = shapley[order]
    difference = number(document["difference"]) * factor
    scenario, reference = (context.scenario(document["scenario"]),
                           context.scenario(document["reference"]))
    headers = (text("parameter", lang), f"{text('one_at_a_time', lang)} [{label}]",
               f"{text('shapley', lang)} [{label}]")
    frame = pd.DataFrame({headers[0]: [*parameters, text("total", lang)],
                          headers[1]: np.round([*single, single.sum()], decimals),
                          headers[2]: np.round([*shapley, shapley.sum()], decimals)})
    title = text("attribution_title", lang).format(
        target=target_name(target, lang), scenario=scenario, reference=reference)
    view["tables"] = (_frame_table(frame, decimals, headers[1:], title, view["stem"]),)

    def shown(value: float) -> str:
        return f"{value:+,.{decimals}f}"

    values = text("attribution_values", lang).format(
        reference=reference, scenario=scenario, unit=label,
        reference_value=f"{number(document['reference_value']) * factor:,.{decimals}f}",
        scenario_value=f"{number(document['scenario_value']) * factor:,.{decimals}f}",
        difference=shown(difference))
    sums = text("attribution_sums", lang).format(single=shown(single.sum()),
                                                 interaction=shown(difference - single.sum()))
    view["lines"] = (f"{values} {sums}" if lang != "zh" else values + sums,)
    chart = AttributionChart(lang, title, values, f"{text('attribution_axis', lang)} [{label}]",
                             tuple(parameters), shapley, difference, decimals)
    view["charts"] = (AnalysisChart("attribution", chart, view["stem"], title),)


def _plan_check(context: _Context, analysis: Analysis, view: dict) -> None:
    lang = context.lang
    rows, records, decimals = [], [], []
    as_written = False
    for check in analysis.document["checks"]:
        label, factor = display(check["unit"], lang)
        places = 2 if check["unit"] != "person" else 1
        verdict = check["verdict"]
        word = text(verdict, lang) if verdict in VERDICT_COLOURS else verdict
        name, explained, translated = check_text(check, lang)
        as_written = as_written or not translated
        implied = number(check["implied"]) * factor
        comparison = number(check["comparison"]) * factor
        rows.append(CheckRow(word, VERDICT_COLOURS.get(verdict, OTHER_VERDICT_COLOUR),
                             name, f"{implied:,.{places}f}",
                             f"{comparison:,.{places}f}", label, explained))
        records.append({text("verdict", lang): word,
                        text("check", lang): name,
                        text("implied", lang): round(implied, places),
                        text("comparison_value", lang): round(comparison, places),
                        text("unit", lang): label,
                        text("explanation", lang): explained})
        decimals.append(places)
    frame = pd.DataFrame.from_records(records)
    view["checks"] = tuple(rows)
    view["notes"] = (text("plan_check_note", lang),) + (
        (text("english_only", lang),) if as_written else ())
    view["tables"] = (_frame_table(frame, decimals, (text("implied", lang),
                                                     text("comparison_value", lang)),
                                   view["title"], view["stem"]),)


BUILDERS = {"solve": _solve, "frontier": _frontier, "sensitivity": _sensitivity,
            "attribution": _attribution, "plan_check": _plan_check}


def analysis_views(analyses: Sequence[Analysis], inputs: ReportInputs,
                   targets: Sequence[Target], catalogue: dict, lang: str
                   ) -> list[AnalysisView]:
    """A view of every analysis, grouped by kind (``KINDS`` order), in the order given
    within a kind; numbered 1, 2, ... in that order."""
    context = _Context(inputs, targets, catalogue, lang)
    ordered = sorted(analyses, key=lambda a: KINDS.index(a.kind))
    views = []
    for index, analysis in enumerate(ordered, start=1):
        view = {"stem": f"analysis_{index}_{analysis.kind}",
                "title": _heading(context, analysis)}
        BUILDERS[analysis.kind](context, analysis, view)
        view.pop("stem")
        views.append(AnalysisView(analysis=analysis, number=index, **view))
    return views
