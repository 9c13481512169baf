"""Plotly figures (plain dicts) and the scorecard rows of the page, in display units.

Each chart shows the current what-if (a line, and with uncertainty a 5-95% and a 25-75%
fan), every pinned what-if and compared scenario on the same axes, the 2015-2020
observations as points and the plan's targets on that variable as crosses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from explorer import adapter
from explorer.compute import CHARTS, Projection, verdict
from explorer.texts import text

#: Line colours of compared runs, in order (the current what-if is drawn in black).
COMPARE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
                   "#17becf", "#bcbd22")
#: The plan's growth target is a 2021-2025 mean; drawn on the yearly growth chart.
GROWTH_PROXY = {"gdp_real": "gdp_real_growth"}
FONT = "Noto Sans CJK SC, Noto Sans, DejaVu Sans, sans-serif"


def _unit(variable: str, lang: str) -> tuple[str, float]:
    return adapter.display_unit(adapter.model_units()[variable], lang)


def _values(array, factor: float) -> list[float | None]:
    return [None if not math.isfinite(v) else round(float(v) * factor, 6)
            for v in np.asarray(array, dtype=float)]


def _target_marks(variable: str, lang: str, factor: float) -> list[dict]:
    marks = []
    for target in adapter.plan_targets():
        if target.value is None:
            continue
        name = target.name_zh if lang == "zh" else target.name_en
        if target.variable == variable and target.statistic == "value":
            marks.append({"x": [target.year], "y": [target.value * factor], "name": name})
        elif GROWTH_PROXY.get(target.variable) == variable and target.period:
            first, last = target.period
            marks.append({"x": [first, last], "y": [target.value * factor] * 2,
                          "name": name, "mode": "lines"})
    return [{"type": "scatter", "mode": mark.get("mode", "markers"), "x": mark["x"],
             "y": mark["y"], "name": text("plan_target", lang), "hovertext": mark["name"],
             "hoverinfo": "text+y",
             "marker": {"symbol": "x", "size": 11, "color": "#e6550d"},
             "line": {"color": "#e6550d", "width": 3, "dash": "dot"}} for mark in marks]


def chart(variable: str, projection: Projection, compared: Sequence[Mapping],
          lang: str, label: str, legend: bool = True) -> dict:
    """One headline chart as a Plotly figure dict (with its legend when ``legend``).

    ``compared`` holds pinned or loaded runs: ``{"label": str, "series": {variable:
    [model-unit values per year]}}``.
    """
    unit, factor = _unit(variable, lang)
    years = [int(y) for y in projection.years]
    traces = []
    if projection.bands is not None:
        low, quarter, _, three_quarters, high = projection.bands[variable]
        for lower, upper, shade, key in ((low, high, 0.15, "band90"),
                                         (quarter, three_quarters, 0.3, "band50")):
            traces.append({"type": "scatter", "x": years, "y": _values(lower, factor),
                           "mode": "lines", "line": {"width": 0}, "showlegend": False,
                           "hoverinfo": "skip"})
            traces.append({"type": "scatter", "x": years, "y": _values(upper, factor),
                           "mode": "lines", "line": {"width": 0}, "fill": "tonexty",
                           "fillcolor": f"rgba(0,0,0,{shade})", "name": text(key, lang)})
    for index, run in enumerate(compared):
        traces.append({"type": "scatter", "x": years,
                       "y": _values(run["series"][variable], factor), "mode": "lines",
                       "name": run["label"],
                       "line": {"color": COMPARE_COLOURS[index % len(COMPARE_COLOURS)],
                                "dash": "dash", "width": 2}})
    traces.append({"type": "scatter", "x": years,
                   "y": _values(projection.central[variable], factor), "mode": "lines",
                   "name": label, "line": {"color": "black", "width": 3}})
    observed = adapter.observations(variable, adapter.model_units()[variable])
    if observed:
        traces.append({"type": "scatter", "mode": "markers", "x": [y for y, _ in observed],
                       "y": [v * factor for _, v in observed],
                       "name": text("observed", lang),
                       "marker": {"color": "#2b8cbe", "size": 8, "symbol": "circle"}})
    traces.extend(_target_marks(variable, lang, factor))
    title = f"{adapter.indicator_name(variable, lang)} [{unit}]"
    return {"data": traces, "layout": {
        "title": {"text": title, "font": {"size": 14}}, "font": {"family": FONT},
        "margin": {"l": 55, "r": 10, "t": 40, "b": 30}, "height": 300,
        "legend": {"orientation": "h", "y": -0.15, "font": {"size": 10}},
        "xaxis": {"range": [2014.5, 2035.5]}, "uirevision": variable,
        "hovermode": "x unified", "showlegend": legend}}


def charts(projection: Projection, compared: Sequence[Mapping], lang: str,
           label: str) -> list[dict]:
    """Every headline chart, in ``CHARTS`` order; only the first draws the legend, which
    the others share (same lines, colours and markers; a legend per chart costs about
    as much drawing time as the chart itself)."""
    return [chart(variable, projection, compared, lang, label, legend=index == 0)
            for index, variable in enumerate(CHARTS)]


def _format(value: float | None, unit: str, lang: str) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    shown_unit, factor = adapter.display_unit(unit, lang)
    if unit == "year":
        return f"{value:.0f}"
    shown = value * factor
    digits = 2 if abs(shown) < 100 else 1 if abs(shown) < 10000 else 0
    return f"{shown:,.{digits}f} {shown_unit}".strip()


def scorecard_rows(projection: Projection, lang: str) -> list[dict]:
    """One row per plan target: name, when, target, projected, gap, verdict, P(met)."""
    rows = []
    for target in adapter.plan_targets():
        projected = projection.statistics[target.id]
        met = verdict(target, projected)
        gap = None if target.value is None else projected - target.value
        verdict_key = "not_set" if met is None else "met" if met else "missed"
        p_met = projection.p_met[target.id]
        rows.append({
            "id": target.id,
            "target": target.name_zh if lang == "zh" else target.name_en,
            "when": target.when,
            "target_value": (text("not_set", lang) if target.value is None else
                             f"{target.comparator} {_format(target.value, target.unit, lang)}"),
            "projected": _format(projected, target.unit, lang),
            "gap": "-" if gap is None else (f"{gap:+.0f}" if target.unit == "year"
                                            else _format(gap, target.unit, lang)),
            "verdict": text(verdict_key, lang),
            "verdict_key": verdict_key,
            "probability": "-" if p_met is None else f"{100 * p_met:.1f}%",
        })
    return rows
