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


#: The charts' grid: columns, and the height of one row [px] (title, plot and ticks).
COLUMNS = 2
ROW_HEIGHT = 300
MARGIN = {"l": 55, "r": 10, "t": 8, "b": 30}
#: Gaps between panels: horizontal [share of the plotting width], title and tick room [px].
COLUMN_GAP = 0.08
TITLE_ROOM = 34
TICK_ROOM = 26
#: The shared legend's lines [px], and the width it is assumed to have [px]: the plotting
#: width of the page at 1,280 px (a line more than needed on wider screens, and overlap
#: with the first titles on narrower ones).
LEGEND_LINE = 19
LEGEND_WIDTH = 850
#: Room of the y axis' ends beyond the panel's lowest and highest value [share of range].
Y_PADDING = 0.06


def axis_suffix(index: int) -> str:
    """Plotly's axis suffix of panel ``index`` ('' for the first, then '2', '3'...)."""
    return "" if index == 0 else str(index + 1)


def _traces(variable: str, projection: Projection, compared: Sequence[Mapping],
            lang: str, label: str, factor: float) -> list[dict]:
    """One panel's traces, each with its legend group (shared by every panel)."""
    years = [int(y) for y in projection.years]
    traces = []
    if projection.bands is not None:
        low, quarter, _, three_quarters, high = projection.bands[variable]
        for lower, upper, shade, key in ((low, high, 0.15, "band90"),
                                         (quarter, three_quarters, 0.3, "band50")):
            traces.append({"type": "scatter", "x": years, "y": _values(lower, factor),
                           "mode": "lines", "line": {"width": 0}, "showlegend": False,
                           "hoverinfo": "skip", "legendgroup": key})
            traces.append({"type": "scatter", "x": years, "y": _values(upper, factor),
                           "mode": "lines", "line": {"width": 0}, "fill": "tonexty",
                           "fillcolor": f"rgba(0,0,0,{shade})", "name": text(key, lang),
                           "legendgroup": key})
    for index, run in enumerate(compared):
        traces.append({"type": "scatter", "x": years,
                       "y": _values(run["series"][variable], factor), "mode": "lines",
                       "name": run["label"], "legendgroup": f"compared-{index}",
                       "line": {"color": COMPARE_COLOURS[index % len(COMPARE_COLOURS)],
                                "dash": "dash", "width": 2}})
    traces.append({"type": "scatter", "x": years,
                   "y": _values(projection.central[variable], factor), "mode": "lines",
                   "name": label, "legendgroup": "current",
                   "line": {"color": "black", "width": 3}})
    observed = adapter.observations(variable, adapter.model_units()[variable])
    if observed:
        traces.append({"type": "scatter", "mode": "markers", "x": [y for y, _ in observed],
                       "y": [v * factor for _, v in observed],
                       "name": text("observed", lang), "legendgroup": "observed",
                       "marker": {"color": "#2b8cbe", "size": 8, "symbol": "circle"}})
    for mark in _target_marks(variable, lang, factor):
        traces.append({**mark, "legendgroup": "target"})
    return traces


def _legend_room(traces: Sequence[Mapping]) -> int:
    """Height of the legend band above the panels [px], from its entries' text widths."""
    widths = [46 + sum(11 if ord(c) > 0x2E80 else 6 for c in str(t.get("name", "")))
              for t in traces if t.get("showlegend", True)]
    lines, used = 1, 0
    for width in widths:
        if used and used + width > LEGEND_WIDTH:
            lines, used = lines + 1, 0
        used += width
    return lines * LEGEND_LINE + 6


def _y_range(traces: Sequence[Mapping]) -> list[float]:
    """The y axis range that shows every value of the panel, padded [display unit]."""
    values = [v for t in traces for v in t["y"] if v is not None and math.isfinite(v)]
    if not values:
        return [0.0, 1.0]
    low, high = min(values), max(values)
    pad = Y_PADDING * (high - low) or 0.05 * abs(high) or 1.0
    return [low - pad, high + pad]


def charts(projection: Projection, compared: Sequence[Mapping], lang: str,
           label: str) -> tuple[dict, list[dict]]:
    """Every headline chart: (one Plotly figure dict, the panels' titles).

    The figure has a panel per variable of ``CHARTS`` (in order, ``COLUMNS`` to a row,
    each with its own axes) and one legend above them that the panels share (same lines,
    colours and markers; clicking an entry hides that line in every panel). Each title is
    ``{"text", "left" [share of the plotting width], "top" [px from the figure's top]}``,
    for the page to place over the figure as HTML.

    What this saves, measured in Chromium: Plotly's fixed cost per figure (defaults,
    axes, legend, mode bar) made seven figures cost more than seven panels of one; titles
    drawn by Plotly (annotations, text measured on every redraw) and autorange cost as
    much again, so titles are HTML and each y axis gets its range from the data here.
    ``compared`` holds pinned or loaded runs: ``{"label": str, "series": {variable:
    [model-unit values per year]}}``.
    """
    panels, shown_groups = [], set()
    for variable in CHARTS:
        traces = _traces(variable, projection, compared, lang, label, _unit(variable, lang)[1])
        for trace in traces:
            if trace.get("showlegend", True):  # one legend entry per group
                trace["showlegend"] = trace["legendgroup"] not in shown_groups
                shown_groups.add(trace["legendgroup"])
        panels.append(traces)
    rows = -(-len(CHARTS) // COLUMNS)
    legend_room = _legend_room([t for traces in panels for t in traces])
    paper = legend_room + rows * ROW_HEIGHT
    width = (1 - COLUMN_GAP * (COLUMNS - 1)) / COLUMNS
    layout: dict = {
        "font": {"family": FONT}, "margin": MARGIN, "height": paper + MARGIN["t"] + MARGIN["b"],
        "legend": {"orientation": "h", "x": 0, "y": 1, "yanchor": "top",
                   "font": {"size": 10}},
        "uirevision": "charts", "hovermode": "x unified"}
    data, titles = [], []
    for index, (variable, traces) in enumerate(zip(CHARTS, panels, strict=True)):
        row, column = divmod(index, COLUMNS)
        left = column * (width + COLUMN_GAP)
        top = legend_room + row * ROW_HEIGHT + TITLE_ROOM
        bottom = legend_room + (row + 1) * ROW_HEIGHT - TICK_ROOM
        suffix = axis_suffix(index)
        layout[f"xaxis{suffix}"] = {"domain": [left, left + width], "anchor": f"y{suffix}",
                                    "range": [2014.5, 2035.5]}
        layout[f"yaxis{suffix}"] = {"domain": [1 - bottom / paper, 1 - top / paper],
                                    "anchor": f"x{suffix}", "range": _y_range(traces)}
        titles.append({"text": f"{adapter.indicator_name(variable, lang)}"
                               f" [{_unit(variable, lang)[0]}]",
                       "left": left, "top": MARGIN["t"] + top - TITLE_ROOM + 8})
        data.extend({**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"} for trace in traces)
    return {"data": data, "layout": layout}, titles


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
