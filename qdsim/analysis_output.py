"""Text and JSON forms of the what-it-would-take analyses (solve, sensitivity,
attribution, plan check). JSON files carry ``qdsim_analysis`` so that ``qdsim report``
can place them; they are written atomically."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import xarray as xr

from calibration.output import read_posterior
from model import MODEL_PATH
from model.parameters import parameter_catalogue
from model.pysd_engine import file_sha256
from qdsim import __version__
from qdsim.outputs import write_atomically
from qdsim.plan_check import Check
from qdsim.scenario import Scenario
from qdsim.tables import _layout
from qdsim.targets import Target
from qdsim.uncertainty import SHIPPED_POSTERIOR
from qdsim.units import display
from qdsim.whatif import Solution


def save_analysis(kind: str, payload: dict, path: Path) -> None:
    """Write ``payload`` as JSON with its kind, the model hash and the version."""
    document = {"qdsim_analysis": kind, "model_sha256": file_sha256(MODEL_PATH),
                "qdsim_version": __version__, **payload}
    text = json.dumps(document, ensure_ascii=False, indent=1, default=_plain)
    write_atomically(Path(path), lambda temporary: temporary.write_text(text,
                                                                        encoding="utf-8"))


def _plain(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return float(value) if hasattr(value, "__float__") else str(value)


def calibrated_reference(name: str) -> dict | None:
    """The 2016-2020 calibrated estimate and 90% posterior interval of ``name``."""
    if not SHIPPED_POSTERIOR.is_file():
        return None
    draws, estimate = read_posterior(SHIPPED_POSTERIOR)
    if name not in draws:
        return None
    low, high = draws[name].quantile([0.05, 0.95])
    return {"estimate": float(estimate[name]), "q05": float(low), "q95": float(high)}


def solution_payload(solution: Solution, scenario: Scenario, target: Target,
                     related: dict | None) -> dict:
    return {"scenario": scenario.name, "scenario_sha256": scenario.sha256(),
            "target": target.id, "solution": solution.__dict__,
            "calibrated": calibrated_reference(solution.parameter), "related": related}


def calibrated_comparison(solution: dict, calibrated: dict) -> tuple[float | None, bool]:
    """(needed / calibrated estimate, whether the need lies in the 90% interval)."""
    ratio = solution["value_2025"] / calibrated["estimate"] if calibrated["estimate"] else None
    return ratio, calibrated["q05"] <= solution["value_2025"] <= calibrated["q95"]


def solution_text(payload: dict, target: Target) -> str:
    """Plain sentences: the value needed, against the 2016-2020 calibration."""
    solution = payload["solution"]
    info = parameter_catalogue()[solution["parameter"]]
    name = solution["parameter"]
    if solution["amount"] is None:
        label, factor = display(target.unit)
        return (f"{payload['scenario']}: no value of {name} ({solution['mode']}) in"
                f" [{solution['search_range'][0]:g}, {solution['search_range'][1]:g}] meets"
                f" {target.id}; the best reaches {solution['best_projected'] * factor:,.2f}"
                f" {label} at {solution['best_amount']:g}.")
    lines = [f"{payload['scenario']}: {target.id} is just met when {name} "
             + (f"is {solution['amount']:.6g} {info.unit}" if solution["mode"] == "value" else
                f"is {'shifted by' if solution['mode'] == 'shift' else 'scaled by'}"
                f" {solution['amount']:.6g}")
             + f" from 2021 (value in 2025: {solution['value_2025']:.6g} {info.unit})."]
    calibrated = payload.get("calibrated")
    if calibrated:
        ratio, inside = calibrated_comparison(solution, calibrated)
        lines.append(f"  2016-2020 calibrated value {calibrated['estimate']:.6g} (90% interval"
                     f" {calibrated['q05']:.6g}-{calibrated['q95']:.6g}): the need is"
                     + (f" {ratio:.2f} times the calibrated value," if ratio else "")
                     + (" inside" if inside else " outside") + " the 2016-2020 interval.")
    related = payload.get("related")
    if related:
        label, factor = display(_unit_of(related["variable"]))
        ratio = related["mean_2021_2025"] / related["mean_2016_2020"]
        lines.append(f"  That means {related['variable']} of"
                     f" {related['mean_2021_2025'] * factor:,.2f} {label} a year in 2021-2025,"
                     f" {ratio:.2f} times the 2016-2020 average"
                     f" ({related['mean_2016_2020'] * factor:,.2f} {label}).")
    lines += [f"  note: {note}" for note in solution["notes"]]
    return "\n".join(lines)


def _unit_of(variable: str) -> str:
    from qdsim.runner import variable_attributes

    return variable_attributes([variable])[variable]["units"]


def attribution_text(frame: pd.DataFrame, target: Target, scenario: str, reference: str
                     ) -> str:
    label, factor = display(target.unit)
    rows = [[row.parameter, f"{row.one_at_a_time * factor:+,.3f}", f"{row.shapley * factor:+,.3f}"]
            for row in frame.itertuples()]
    rows.append(["total", f"{frame['one_at_a_time'].sum() * factor:+,.3f}",
                 f"{frame['shapley'].sum() * factor:+,.3f}"])
    head = (f"{target.id}: {scenario} {frame.attrs['scenario_value'] * factor:,.3f} vs"
            f" {reference} {frame.attrs['reference_value'] * factor:,.3f} {label}"
            f" (difference {frame.attrs['difference'] * factor:+,.3f})")
    return head + "\n" + _layout(["parameter", f"one at a time [{label}]",
                                  f"Shapley [{label}]"], rows)


def sensitivity_text(dataset: xr.Dataset) -> str:
    rows = [[str(factor), f"{s1:.3f} ± {c1:.3f}", f"{st:.3f} ± {ct:.3f}"]
            for factor, s1, c1, st, ct in zip(dataset["factor"].values, dataset["S1"].values,
                                              dataset["S1_conf"].values, dataset["ST"].values,
                                              dataset["ST_conf"].values, strict=True)]
    rows.sort(key=lambda row: -float(row[2].split(" ")[0]))
    return (f"Sobol indices of the {dataset.attrs['target']} gap in {dataset.attrs['scenario']}"
            f" ({dataset.attrs['runs']} runs, 95% confidence):\n"
            + _layout(["factor", "first order S1", "total ST"], rows))


def plan_check_text(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"[{check.verdict}] {check.name}\n    {check.explanation}")
    return "\n".join(lines)
