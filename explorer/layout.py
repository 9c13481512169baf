"""The page: lever panel, scorecard, headline charts, compare and keep controls.

Every element that carries words has an id listed in ``STATIC_TEXTS`` so that one
callback can switch the language in place, without losing the levers' positions.
"""

from __future__ import annotations

from collections.abc import Mapping

from dash import dcc, html

from explorer import adapter, figures
from explorer.levers import CHANGE_YEARS, DEFAULT_CHANGE_YEAR, Lever, value_in
from explorer.texts import text

#: element id -> text key, for the words that do not depend on results.
STATIC_TEXTS = {
    "t-page-title": "page_title", "t-page-subtitle": "page_subtitle",
    "t-language": "language", "t-start-scenario": "start_scenario",
    "t-change-year": "change_year", "t-levers": "levers", "reset": "reset",
    "t-scorecard": "scorecard", "t-charts": "charts", "t-compare": "compare_title",
    "pin": "pin", "t-add-scenario": "add_scenario", "clear-compare": "clear_compare",
    "t-keep": "keep_title", "export-yaml": "export_yaml", "export-csv": "export_csv",
    "export-xlsx": "export_xlsx",
}
SCORECARD_COLUMNS = ("target", "when", "target_value", "projected", "gap", "verdict",
                     "probability")


def _short(value: float) -> str:
    return f"{value:.4g}"


def lever_row(lever: Lever, value: float, scenario_value: float, lang: str) -> html.Div:
    """One lever: name, unit, range, scenario value, calibrated interval and a slider."""
    marks = {lever.minimum: _short(lever.minimum), lever.maximum: _short(lever.maximum)}
    facts = [f"{lever.unit} · {text('allowed_range', lang)} [{_short(lever.minimum)},"
             f" {_short(lever.maximum)}] · {text('scenario_value', lang)}"
             f" {_short(scenario_value)}"]
    interval = None
    if lever.calibrated is not None:
        _, low, high = lever.calibrated
        marks[low] = {"label": "5%", "style": {"color": "#31a354"}}
        marks[high] = {"label": "95%", "style": {"color": "#31a354"}}
        interval = html.Div(f"{text('calibrated_interval', lang)}: {_short(low)} –"
                            f" {_short(high)}", className="calibrated",
                            id={"type": "calibrated", "name": lever.name})
    return html.Div(className="lever", title=lever.description, children=[
        html.Div(lever.name, className="lever-name"),
        html.Div(facts, className="lever-facts"),
        interval,
        dcc.Slider(id={"type": "lever", "name": lever.name}, min=lever.minimum,
                   max=lever.maximum, step=lever.step, value=value, marks=marks,
                   updatemode="mouseup", tooltip={"placement": "bottom"}),
    ])


def lever_panel(levers: Mapping[str, Lever], base: adapter.Scenario,
                values: Mapping[str, float], year: int, lang: str) -> list:
    """Levers grouped by sector; ``values`` holds positions that differ from the base."""
    children = []
    sector = None
    for lever in levers.values():
        if lever.sector != sector:
            sector = lever.sector
            children.append(html.H4(text(sector, lang), className="sector"))
        scenario_value = value_in(base, lever.name, year)
        children.append(lever_row(lever, values.get(lever.name, scenario_value),
                                  scenario_value, lang))
    return children


def scenario_options(scenarios: Mapping[str, adapter.Scenario], lang: str) -> list[dict]:
    return [{"label": f"{s.title_zh if lang == 'zh' else s.title_en} ({name})",
             "value": name} for name, s in scenarios.items()]


def page(scenarios: Mapping[str, adapter.Scenario], first: str, lang: str) -> html.Div:
    """The whole page in ``lang``, starting from scenario ``first``."""
    words = {element: text(key, lang) for element, key in STATIC_TEXTS.items()}
    options = scenario_options(scenarios, lang)
    return html.Div(id="page", lang=lang, children=[
        dcc.Store(id="rendered", storage_type="memory"),
        dcc.Store(id="current", storage_type="memory"),
        dcc.Store(id="pinned", storage_type="memory", data=[]),
        dcc.Download(id="download"),
        html.Header(className="top", children=[
            html.Div([html.H1(words["t-page-title"], id="t-page-title"),
                      html.Div(words["t-page-subtitle"], id="t-page-subtitle")]),
            html.Div(className="language", children=[
                html.Span(words["t-language"], id="t-language"),
                dcc.RadioItems(id="lang", value=lang, inline=True,
                               options=[{"label": "中文", "value": "zh"},
                                        {"label": "English", "value": "en"}])]),
        ]),
        html.Div(className="body", children=[
            html.Aside(className="panel", children=[
                html.Label(words["t-start-scenario"], id="t-start-scenario"),
                dcc.Dropdown(id="base", options=options, value=first, clearable=False),
                html.Label(words["t-change-year"], id="t-change-year"),
                dcc.Dropdown(id="year", value=DEFAULT_CHANGE_YEAR, clearable=False,
                             options=[{"label": str(y), "value": y} for y in CHANGE_YEARS]),
                dcc.Checklist(id="uncertainty", value=[], className="toggle",
                              options=[{"label": text("uncertainty", lang), "value": "on"}]),
                html.Button(words["reset"], id="reset", n_clicks=0),
                html.H3(words["t-levers"], id="t-levers"),
                html.Div(id="levers"),
            ]),
            html.Main(className="results", children=[
                html.Div(id="message", role="alert"),
                html.Div(id="summary", className="summary"),
                html.H2(words["t-scorecard"], id="t-scorecard"),
                html.Div(id="scorecard"),
                html.H2(words["t-charts"], id="t-charts"),
                html.Div(className="charts", children=[
                    dcc.Graph(id="charts", config={"displaylogo": False}, className="chart"),
                    html.Div(id="chart-titles")]),
                html.Div(className="tools", children=[
                    html.Section([
                        html.H3(words["t-compare"], id="t-compare"),
                        html.Button(words["pin"], id="pin", n_clicks=0),
                        html.Span(words["t-add-scenario"], id="t-add-scenario"),
                        dcc.Dropdown(id="compare-scenario", options=options, value=None,
                                     className="compare-dropdown"),
                        html.Button(words["clear-compare"], id="clear-compare", n_clicks=0),
                        html.Ul(id="pinned-list"),
                    ]),
                    html.Section([
                        html.H3(words["t-keep"], id="t-keep"),
                        html.Button(words["export-yaml"], id="export-yaml", n_clicks=0),
                        html.Button(words["export-csv"], id="export-csv", n_clicks=0),
                        html.Button(words["export-xlsx"], id="export-xlsx", n_clicks=0),
                    ]),
                ]),
            ]),
        ]),
    ])


def chart_titles(titles: list[dict]) -> list[html.Div]:
    """The chart panels' titles placed over the figure (``figures.charts`` gives where)."""
    margins = figures.MARGIN["l"] + figures.MARGIN["r"]
    return [html.Div(title["text"], className="chart-title", style={
        "left": f"calc({figures.MARGIN['l']}px + (100% - {margins}px) * {title['left']:.4f})",
        "top": f"{title['top']}px"}) for title in titles]


def scorecard_table(rows: list[dict], lang: str, uncertainty: bool) -> html.Table:
    """The target scorecard; the verdict cell of target X has id ``verdict-X``."""
    columns = [c for c in SCORECARD_COLUMNS if uncertainty or c != "probability"]
    header = html.Tr([html.Th(text(column, lang)) for column in columns])
    body = []
    for row in rows:
        cells = []
        for column in columns:
            if column == "verdict":
                cells.append(html.Td(row["verdict"], id=f"verdict-{row['id']}",
                                     className=f"verdict {row['verdict_key']}",
                                     **{"data-verdict": row["verdict_key"]}))
            else:
                cells.append(html.Td(row[column]))
        body.append(html.Tr(cells))
    return html.Table(className="scorecard", children=[html.Thead(header), html.Tbody(body)])
