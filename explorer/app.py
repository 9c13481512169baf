"""The Dash application of ``qdsim explore`` and its callbacks.

The server keeps no per-user state: the page holds the chosen scenario, year, lever
positions and pinned runs, and sends them with each request; the server checks every
value (``explorer.levers``) before running anything, so each browser session is
independent and a tampered request gets a message, not a traceback.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
import socket
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from explorer import adapter, figures
from explorer.compute import CHARTS, Projection, project
from explorer.layout import (
    STATIC_TEXTS,
    chart_titles,
    lever_panel,
    page,
    scenario_options,
    scorecard_table,
)
from explorer.levers import (
    DEFAULT_CHANGE_YEAR,
    ExplorerInputError,
    WhatIf,
    build_whatif,
    check_changes,
    check_year,
    export_yaml,
    lever_catalogue,
    scenario_choices,
    value_in,
)
from explorer.texts import check_language, text

log = logging.getLogger(__name__)
ASSETS = Path(__file__).with_name("assets")
#: At most this many pinned or compared runs are kept on a page.
MAX_COMPARED = 8


class Explorer:
    """Scenarios, levers and the cached runs one server shares among sessions."""

    def __init__(self, scenario_paths: Sequence[Path] = ()) -> None:
        self.scenarios = scenario_choices(list(scenario_paths))
        self.levers = lever_catalogue(self.scenarios.values())
        self.first = (adapter.load(scenario_paths[0]).name if scenario_paths
                      else "baseline" if "baseline" in self.scenarios
                      else next(iter(self.scenarios)))

    def scenario(self, name: object) -> adapter.Scenario:
        if not isinstance(name, str) or name not in self.scenarios:
            raise ExplorerInputError(f"scenario '{str(name)[:60]}': unknown; choose one of"
                                     f" {', '.join(self.scenarios)}")
        return self.scenarios[name]

    def whatif(self, base: object, year: object, values: object) -> WhatIf:
        """A checked what-if from request values (base name, year, lever -> number)."""
        scenario = self.scenario(base)
        return build_whatif(scenario, self.levers, check_changes(self.levers, values),
                            check_year(year))

    def projection(self, whatif: WhatIf, uncertainty: bool) -> Projection:
        return _cached_projection(self, whatif.base.name, whatif.year,
                                  tuple(sorted(whatif.changes.items())), uncertainty)


@lru_cache(maxsize=64)
def _cached_projection(explorer: Explorer, base: str, year: int,
                       changes: tuple[tuple[str, float], ...], uncertainty: bool) -> Projection:
    return project(build_whatif(explorer.scenarios[base], explorer.levers, dict(changes),
                                year), uncertainty)


def _lever_values(ids: object, values: object) -> dict:
    if not isinstance(ids, list) or not isinstance(values, list) or len(ids) != len(values):
        raise ExplorerInputError("lever values: ids and values do not match")
    pairs = {}
    for identifier, value in zip(ids, values, strict=True):
        if not isinstance(identifier, dict):
            raise ExplorerInputError("lever values: malformed lever id")
        pairs[identifier.get("name")] = value
    return pairs


def _rendered(rendered: object) -> tuple[object, object]:
    """(scenario name, change year) the levers were drawn for, as the page sent them."""
    if not isinstance(rendered, dict):
        raise ExplorerInputError("page state: expected the scenario and year of the levers")
    return rendered.get("base"), rendered.get("year")


def _page_language() -> str:
    """The page's language as the failed request gave it (English when it did not)."""
    try:
        sent = {**ctx.states, **ctx.inputs}.get("lang.value")
    except Exception:  # outside a request
        sent = None
    return check_language(sent)


def guarded(outputs: int, message_at: int) -> Callable:
    """Turn refused input into a message in output ``message_at`` and any other failure
    into a logged, generic message; the other outputs stay as they are."""

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args):
            try:
                return function(*args)
            except adapter.QdsimError as error:
                shown = f"{text('error', _page_language())}: {error}"
            except Exception:  # a server bug must not reach the page or stop the server
                log.exception("explorer callback %s failed", function.__name__)
                shown = text("internal_error", _page_language())
            result = [no_update] * outputs
            result[message_at] = html.Div(shown, className="error")
            return result if outputs > 1 else result[0]

        return wrapper

    return decorate


def _label(whatif: WhatIf, lang: str) -> str:
    title = whatif.base.title_zh if lang == "zh" else whatif.base.title_en
    return f"{title}: {text('whatif', lang)}" if whatif.changes else title


def _summary(whatif: WhatIf, lang: str) -> list:
    if not whatif.changes:
        return [html.P(text("none_changed", lang))]
    items = [html.Li(f"{name}: {value_in(whatif.base, name, whatif.year):.4g} → {value:.4g}"
                     f" ({whatif.year}+)") for name, value in whatif.changes.items()]
    parts = [html.Strong(text("changed_levers", lang)), html.Ul(items)]
    if whatif.fixed:
        parts.append(html.P(text("fixed_note", lang) + ", ".join(whatif.fixed)))
    return parts


def _pinned_runs(explorer: Explorer, pinned: object, lang: str) -> list[dict]:
    if not isinstance(pinned, list) or len(pinned) > MAX_COMPARED:
        raise ExplorerInputError("pinned runs: expected a short list")
    runs = []
    for entry in pinned:
        if not isinstance(entry, dict):
            raise ExplorerInputError("pinned runs: malformed entry")
        whatif = explorer.whatif(entry.get("base"), entry.get("year"), entry.get("changes"))
        projection = explorer.projection(whatif, False)
        label = _label(whatif, lang) + (f" #{entry.get('number')}" if whatif.changes else "")
        runs.append({"label": label[:120],
                     "series": {v: projection.central[v] for v in CHARTS}})
    return runs


def projection_table(projection: Projection, lang: str) -> pd.DataFrame:
    """Year × headline indicator in display units (with 5%/95% columns under uncertainty)."""
    table = {text("year", lang): [int(y) for y in projection.years]}
    for variable in CHARTS:
        unit, factor = adapter.display_unit(adapter.model_units()[variable], lang)
        name = f"{adapter.indicator_name(variable, lang)} [{unit}]"
        table[name] = projection.central[variable] * factor
        if projection.bands is not None:
            table[f"{name} {text('p05', lang)}"] = projection.bands[variable][0] * factor
            table[f"{name} {text('p95', lang)}"] = projection.bands[variable][-1] * factor
    return pd.DataFrame(table)


def scorecard_table_frame(projection: Projection, lang: str) -> pd.DataFrame:
    rows = figures.scorecard_rows(projection, lang)
    columns = ["target", "when", "target_value", "projected", "gap", "verdict"]
    if projection.bands is not None:
        columns.append("probability")
    return pd.DataFrame([{text(c, lang): row[c] for c in columns} for row in rows])


def create_app(scenario_paths: Sequence[Path] = (), lang: str = "en") -> Dash:
    """The explorer's Dash app; every asset is served from the installed packages."""
    explorer = Explorer(scenario_paths)
    app = Dash(__name__, serve_locally=True, assets_folder=str(ASSETS), title="qdsim explore",
               update_title=None, compress=False)
    app.layout = page(explorer.scenarios, explorer.first, check_language(lang))
    app.explorer = explorer
    register_callbacks(app, explorer)
    return app


def register_callbacks(app: Dash, explorer: Explorer) -> None:  # noqa: C901 - one per control
    lever_inputs = (Input({"type": "lever", "name": ALL}, "value"),
                    State({"type": "lever", "name": ALL}, "id"))

    @app.callback(Output("levers", "children"), Output("rendered", "data"),
                  Output("message", "children", allow_duplicate=True),
                  Input("base", "value"), Input("year", "value"), Input("lang", "value"),
                  Input("reset", "n_clicks"),
                  State({"type": "lever", "name": ALL}, "value"),
                  State({"type": "lever", "name": ALL}, "id"), State("rendered", "data"),
                  prevent_initial_call="initial_duplicate")
    @guarded(3, 2)
    def render_levers(base, year, lang, _reset, values, ids, rendered):
        lang = check_language(lang)
        scenario = explorer.scenario(base)
        year = check_year(year)
        kept: dict[str, float] = {}
        trigger = ctx.triggered_id
        if rendered and trigger in ("year", "lang") and ids:
            before = explorer.whatif(rendered.get("base"), rendered.get("year"),
                                     _lever_values(ids, values))
            if before.base.name == scenario.name:
                kept = dict(before.changes)
        return (lever_panel(explorer.levers, scenario, kept, year, lang),
                {"base": scenario.name, "year": year}, None)

    @app.callback(Output("charts", "figure"), Output("chart-titles", "children"),
                  Output("scorecard", "children"), Output("summary", "children"),
                  Output("current", "data"), Output("message", "children"),
                  Input("rendered", "data"), *lever_inputs, Input("uncertainty", "value"),
                  Input("lang", "value"), Input("pinned", "data"))
    @guarded(6, 5)
    def update(rendered, values, ids, uncertainty, lang, pinned):
        lang = check_language(lang)
        if rendered is None:  # the levers are not drawn yet
            return [no_update] * 6
        whatif = explorer.whatif(*_rendered(rendered), _lever_values(ids, values))
        uncertain = isinstance(uncertainty, list) and "on" in uncertainty
        projection = explorer.projection(whatif, uncertain)
        compared = _pinned_runs(explorer, pinned, lang)
        figure, titles = figures.charts(projection, compared, lang, _label(whatif, lang))
        card = scorecard_table(figures.scorecard_rows(projection, lang), lang, uncertain)
        current = {"base": whatif.base.name, "year": whatif.year,
                   "changes": dict(whatif.changes)}
        return figure, chart_titles(titles), card, _summary(whatif, lang), current, None

    @app.callback(Output("pinned", "data"), Output("pinned-list", "children"),
                  Output("compare-scenario", "value"),
                  Output("message", "children", allow_duplicate=True),
                  Input("pin", "n_clicks"), Input("compare-scenario", "value"),
                  Input("clear-compare", "n_clicks"), Input("lang", "value"),
                  State("current", "data"), State("pinned", "data"),
                  prevent_initial_call=True)
    @guarded(4, 3)
    def compare(_pin, scenario_name, _clear, lang, current, pinned):
        lang = check_language(lang)
        pinned = list(pinned) if isinstance(pinned, list) else []
        trigger = ctx.triggered_id
        if trigger == "clear-compare":
            pinned = []
        elif trigger == "pin" and isinstance(current, dict):
            whatif = explorer.whatif(current.get("base"), current.get("year"),
                                     current.get("changes"))
            pinned.append({"base": whatif.base.name, "year": whatif.year,
                           "changes": dict(whatif.changes), "number": len(pinned) + 1})
        elif trigger == "compare-scenario" and scenario_name:
            explorer.scenario(scenario_name)
            pinned.append({"base": scenario_name, "year": DEFAULT_CHANGE_YEAR, "changes": {},
                           "number": len(pinned) + 1})
        pinned = pinned[-MAX_COMPARED:]
        labels = [run["label"] for run in _pinned_runs(explorer, pinned, lang)]
        items = [html.Li(label, className="pinned-item") for label in labels]
        return pinned, items, None, None

    @app.callback(Output("download", "data"),
                  Output("message", "children", allow_duplicate=True),
                  Input("export-yaml", "n_clicks"), Input("export-csv", "n_clicks"),
                  Input("export-xlsx", "n_clicks"), State("rendered", "data"),
                  State({"type": "lever", "name": ALL}, "value"),
                  State({"type": "lever", "name": ALL}, "id"),
                  State("uncertainty", "value"), State("lang", "value"),
                  prevent_initial_call=True)
    @guarded(2, 1)
    def export(_yaml, _csv, _xlsx, rendered, values, ids, uncertainty, lang):
        lang = check_language(lang)
        whatif = explorer.whatif(*_rendered(rendered), _lever_values(ids, values))
        trigger = ctx.triggered_id
        if trigger == "export-yaml":
            return {"content": export_yaml(whatif), "filename":
                    f"{whatif.base.name}_whatif.yaml", "type": "text/yaml"}, None
        uncertain = isinstance(uncertainty, list) and "on" in uncertainty
        projection = explorer.projection(whatif, uncertain)
        projections = projection_table(projection, lang)
        scorecard = scorecard_table_frame(projection, lang)
        if trigger == "export-csv":
            buffer = io.StringIO()
            projections.to_csv(buffer, index=False)
            buffer.write("\n")
            scorecard.to_csv(buffer, index=False)
            return {"content": buffer.getvalue(), "filename":
                    f"{whatif.base.name}_whatif.csv", "type": "text/csv"}, None
        binary = io.BytesIO()
        with pd.ExcelWriter(binary, engine="openpyxl") as writer:
            projections.to_excel(writer, sheet_name="projections", index=False)
            scorecard.to_excel(writer, sheet_name="scorecard", index=False)
        return {"content": base64.b64encode(binary.getvalue()).decode("ascii"),
                "filename": f"{whatif.base.name}_whatif.xlsx", "base64": True}, None

    static_outputs = [Output(element, "children") for element in STATIC_TEXTS]

    @app.callback(*static_outputs, Output("base", "options"),
                  Output("compare-scenario", "options"), Output("uncertainty", "options"),
                  Output("page", "lang"), Input("lang", "value"), prevent_initial_call=True)
    def translate(lang):
        lang = check_language(lang)
        words = [text(key, lang) for key in STATIC_TEXTS.values()]
        options = scenario_options(explorer.scenarios, lang)
        return (*words, options, options,
                [{"label": text("uncertainty", lang), "value": "on"}], lang)


def serve(app: Dash, host: str = "127.0.0.1", port: int = 8050,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``app`` on ``host:port`` until interrupted; ``on_ready`` gets the address.

    A port already in use or an address that cannot be bound is an ``ExplorerInputError``.
    """
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    try:  # werkzeug prints and exits on a busy port; check first to say it in one line
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
        server = make_server(host, port, app.server, threaded=True)
    except (OSError, SystemExit) as error:
        reason = getattr(error, "strerror", None) or "address in use or not available"
        raise ExplorerInputError(f"--host {host} --port {port}: cannot listen there:"
                                 f" {reason}") from None
    if on_ready is not None:
        on_ready(f"http://{server.host}:{server.server_port}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # Ctrl+C is the way to stop it
        pass
    finally:
        server.server_close()
