"""The server side of the page, through Dash's own HTTP endpoint (no browser): tampered
requests get a message and no traceback, the server keeps answering, and requests of
different sessions do not mix."""

from __future__ import annotations

import json

import pytest

from explorer import compute

PATTERN = json.dumps({"name": ["ALL"], "type": "lever"}, separators=(",", ":"))


def _dependency(client, output_part: str) -> dict:
    dependencies = client.get("/_dash-dependencies").get_json()
    return next(d for d in dependencies if output_part in d["output"])


def _outputs(spec: str) -> list[dict]:
    parts = spec.split("@")[0].strip(".").split("...")
    return [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]


def _request(client, output_part: str, values: dict, changed: list[str] | None = None
             ) -> tuple[int, str]:
    """POST one callback with ``values`` keyed by 'id.property' (a list for levers)."""
    dependency = _dependency(client, output_part)

    def entry(item):
        key = f"{'lever' if item['id'] == PATTERN else item['id']}.{item['property']}"
        return {**item, "value": values.get(key)} if item["id"] != PATTERN else [
            {"id": {"name": n, "type": "lever"}, "property": item["property"],
             "value": v if item["property"] == "value" else {"name": n, "type": "lever"}}
            for n, v in values.get("lever.value", {}).items()]

    body = {"output": dependency["output"], "outputs": _outputs(dependency["output"]),
            "inputs": [entry(i) for i in dependency["inputs"]],
            "state": [entry(s) for s in dependency["state"]], "changedPropIds": changed or []}
    response = client.post("/_dash-update-component", json=body)
    text = response.get_data(as_text=True)
    if response.is_json:  # Dash escapes '/' in JSON; compare decoded text
        text = json.dumps(response.get_json(), ensure_ascii=False)
    return response.status_code, text


def _update(client, levers: dict, base="baseline", year=2021, pinned=None, lang="en"):
    return _request(client, "scorecard.children", {
        "rendered.data": {"base": base, "year": year}, "lever.value": levers,
        "uncertainty.value": [], "lang.value": lang, "pinned.data": pinned or []})


def _verdict(body: str, target: str) -> str:
    response = json.loads(body)["response"]
    cells = json.dumps(response["scorecard"]["children"])
    start = cells.index(f'"verdict-{target}"')
    return "met" if '"verdict met"' in cells[start - 200:start + 200] else "missed"


@pytest.fixture
def client(explorer_app):
    return explorer_app.server.test_client()


def test_a_valid_request_answers_with_every_chart_and_the_scorecard(client):
    status, body = _update(client, {"tfp_growth_rate": 0.03})
    assert status == 200
    response = json.loads(body)["response"]
    assert {"charts", "scorecard", "current"} <= set(response)
    figure = response["charts"]["figure"]
    titles = [title["props"]["children"] for title in response["chart-titles"]["children"]]
    assert len(titles) == len(compute.CHARTS)
    assert titles[0].startswith("Resident population") and "CO2" in titles[5]
    for index, _ in enumerate(compute.CHARTS):  # each y range holds its panel's values
        suffix = "" if index == 0 else str(index + 1)
        low, high = figure["layout"][f"yaxis{suffix}"]["range"]
        values = [v for t in figure["data"] if t["yaxis"] == f"y{suffix}" for v in t["y"]]
        assert low < min(values) and max(values) < high
    current = [t for t in figure["data"] if t.get("legendgroup") == "current"]
    assert [t["xaxis"] for t in current] == ["x", "x2", "x3", "x4", "x5", "x6", "x7"]
    assert [t["showlegend"] for t in current] == [True] + [False] * 6
    assert response["current"]["data"]["changes"] == {"tfp_growth_rate": 0.03}


@pytest.mark.parametrize("kind, levers, extra, message", [
    ("text value", {"tfp_growth_rate": "abc"}, {}, "is not a number"),
    ("out of range", {"tfp_growth_rate": 1e9}, {}, "outside the allowed range"),
    ("unknown lever", {"os.system": 0.1}, {}, "unknown"),
    ("unknown scenario", {}, {"base": "../../etc/passwd"}, "scenario '../../etc/passwd'"),
    ("bad year", {}, {"year": 1999}, "change year 1999"),
    ("huge pin list", {}, {"pinned": [{}] * 1000}, "expected a short list"),
    ("bad pinned run", {}, {"pinned": [{"base": "plan", "year": 2021,
                                         "changes": {"tfp_growth_rate": -9}}]},
     "outside the allowed range"),
])
def test_a_tampered_request_gets_a_message_not_a_traceback(client, kind, levers, extra,
                                                           message):
    status, body = _update(client, levers, **extra)
    assert status == 200, kind
    assert message in body and "Input refused" in body
    assert "Traceback" not in body and 'File "' not in body
    status, body = _update(client, {"tfp_growth_rate": 0.03})  # the server still answers
    assert status == 200 and "Input refused" not in body


def test_a_malformed_body_gets_no_traceback_and_the_server_goes_on(client):
    response = client.post("/_dash-update-component", data=b"{not json",
                           content_type="application/json")
    assert response.status_code >= 400
    assert "Traceback" not in response.get_data(as_text=True)
    assert _update(client, {})[0] == 200


def test_exports_refuse_tampered_values(client):
    status, body = _request(client, "download.data", {
        "export-yaml.n_clicks": 1, "rendered.data": {"base": "plan", "year": 2021},
        "lever.value": {"tfp_growth_rate": "1; rm -rf /"}, "lang.value": "en"})
    assert status == 200 and "is not a number" in body and "Traceback" not in body


def test_requests_of_different_sessions_do_not_mix(client):
    """The server keeps no per-user state: each answer follows its own request only."""
    _, moved = _update(client, {"tfp_growth_rate": 0.03})
    _, slow = _update(client, {"tfp_growth_rate": 0.0})
    _, moved_again = _update(client, {"tfp_growth_rate": 0.03})
    assert _verdict(moved, "gdp_per_capita_usd_2035") == "met"
    assert _verdict(slow, "gdp_per_capita_usd_2035") == "missed"
    assert moved_again == moved


def test_the_message_is_in_the_page_language(client):
    status, body = _update(client, {"tfp_growth_rate": 1e9}, lang="zh")
    assert status == 200 and "输入有误" in body and "outside the allowed range" in body


def _lever_positions(body: str) -> dict:
    """Lever name -> slider value in the lever panel of a render_levers answer."""
    positions = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            identifier = props.get("id")
            if isinstance(identifier, dict) and identifier.get("type") == "lever":
                positions[identifier["name"]] = props["value"]
            for value in props.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(body)["response"]["levers"]["children"])
    return positions


@pytest.mark.parametrize("trigger, kept", [("lang.value", True), ("year.value", True),
                                           ("reset.n_clicks", False)])
def test_moved_levers_survive_a_language_or_year_switch_and_reset_drops_them(
        client, baseline, trigger, kept):
    values = {"base.value": "baseline", "year.value": 2022, "lang.value": "zh",
              "reset.n_clicks": 1, "rendered.data": {"base": "baseline", "year": 2021},
              "lever.value": {"tfp_growth_rate": 0.03, "total_fertility_rate": 1.9924655}}
    _, body = _request(client, "levers.children", values, changed=[trigger])
    tfp = _lever_positions(body)["tfp_growth_rate"]
    scenario_value = baseline.parameters["tfp_growth_rate"]  # the calibrated value
    assert tfp == (0.03 if kept else pytest.approx(scenario_value))
