"""Each scenario's assumptions, as the results record them: parameter, value, unit, origin.

Values come from the results' ``scenario_parameters`` coordinate (JSON: the scenario's
parameter set after resolving ``extends``; a number, or a path of [year, value] pairs) and
from ``sampled_<parameter>`` variables of batches. Where each value was set comes from the
``scenario_origins`` coordinate (JSON: parameter -> ``file:line``), which results written
before it existed lack; the calibration a scenario inherits from ``scenario_calibration``.
Units and descriptions come from the model's parameter catalogue
(``model.parameters.parameter_catalogue``); the model is read, never run.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np

from model import MODEL_PATH
from model.parameters import parameter_catalogue
from model.pysd_engine import file_sha256
from qdsim.messages import text
from reports.inputs import ReportInputs

log = logging.getLogger(__name__)
SAMPLED_PREFIX = "sampled_"


@dataclass(frozen=True)
class Assumption:
    """One parameter of a scenario: value as text [unit], origin and description."""

    parameter: str
    value: str
    unit: str
    origin: str
    description: str


def parameter_catalogue_or_empty() -> dict:
    """The model's parameter catalogue, or {} when the model file cannot be read."""
    try:
        return parameter_catalogue()
    except Exception as error:  # the report still stands without units and descriptions
        log.warning("parameter catalogue unavailable (%s); assumptions shown without units",
                    error)
        return {}


def current_model_sha256() -> str | None:
    """Hash of the model file in this installation, or None when it cannot be read."""
    try:
        return file_sha256(MODEL_PATH)
    except Exception:  # only used to warn that units may come from another model version
        return None


def format_value(value) -> str:
    """A constant as ``0.027``; a path as ``2020: 0.027 → 2021: 0.033``."""
    if isinstance(value, list):
        return " → ".join(f"{int(year)}: {float(point):g}" for year, point in value)
    return f"{float(value):g}"


def scenario_record(inputs: ReportInputs, scenario: str, coordinate: str) -> dict | None:
    """The JSON object a per-scenario coordinate holds; None when the results lack it (or
    this scenario's file did not record it), or it is not a JSON object."""
    dataset = inputs.dataset
    if coordinate not in dataset.coords:
        return None
    raw = dataset[coordinate].sel(scenario=scenario).item()
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not isinstance(raw, str) or not raw or raw == "nan":
        return None  # a file without the coordinate, combined with one that has it
    try:
        record = json.loads(raw)
    except json.JSONDecodeError:
        log.warning("scenario %s: %s is not JSON; ignored", scenario, coordinate)
        return None
    return record if isinstance(record, dict) else None


def origin_text(origins: dict | None, name: str, lang: str) -> str:
    """Where a parameter was set: ``file:line``; "model default" when the results record
    origins but none for it; "set in the scenario file" when they record none at all."""
    if origins is None:
        return text("origin_scenario", lang)
    return str(origins[name]) if origins.get(name) else text("origin_default", lang)


def scenario_assumptions(inputs: ReportInputs, scenario: str, catalogue: dict, lang: str
                         ) -> list[Assumption]:
    """The parameters ``scenario`` sets, then those its batch samples, in name order."""
    rows: list[Assumption] = []
    dataset = inputs.dataset
    parameters = scenario_record(inputs, scenario, "scenario_parameters") or {}
    origins = scenario_record(inputs, scenario, "scenario_origins")
    for name in sorted(parameters):
        info = catalogue.get(name)
        rows.append(Assumption(name, format_value(parameters[name]),
                               info.unit if info else "", origin_text(origins, name, lang),
                               info.description if info else ""))
    samples = inputs.valid_samples(scenario)
    for variable in sorted(v for v in dataset.data_vars if v.startswith(SAMPLED_PREFIX)):
        values = samples[variable].to_numpy()
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        name = variable[len(SAMPLED_PREFIX):]
        info = catalogue.get(name)
        low, median, high = np.quantile(values, [0.05, 0.5, 0.95])
        unit = str(dataset[variable].attrs.get("units", "")) or (info.unit if info else "")
        rows.append(Assumption(name, f"{median:.4g} [{low:.4g} – {high:.4g}]", unit,
                               text("origin_sampled", lang),
                               info.description if info else ""))
    return rows


def model_defaults(catalogue: dict, lang: str) -> list[Assumption]:
    """Every parameter's model default, for those a scenario does not set."""
    return [Assumption(info.name, f"{info.default:g}", info.unit, text("origin_default", lang),
                       info.description) for info in catalogue.values()]
